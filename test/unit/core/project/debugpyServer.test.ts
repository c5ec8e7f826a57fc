import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listensOn } from '../../../../src/core/project/debugpyServer';

// Read from a container of berth-python-debugpy running `python3 -m debugpy --listen 0.0.0.0:5678
// --wait-for-client`: the adapter listening for clients on 5678 (0x162E) and for the program on a
// loopback port (0xB5C5), the program connected to it, a connection in TIME_WAIT.
const DEBUGPY_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:B5C5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11555174 1 0000000070bb2cb1 100 0 0 10 0
   1: 00000000:162E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11555169 1 0000000013cf5022 100 0 0 10 0
   2: 0100007F:9E7C 0100007F:E015 06 00000000:00000000 03:000016C4 00000000     0        0 0 3 0000000004cc1522
   3: 0100007F:B5C5 0100007F:C218 01 00000000:00000000 02:000000E9 00000000     0        0 11553792 2 0000000052b5208c 20 4 24 12 -1
   4: 0100007F:C218 0100007F:B5C5 01 00000000:00000000 02:000000E9 00000000     0        0 11555181 2 00000000c6775b42 20 4 29 14 -1
`;
// An IPv6 socket listening on [::]:5678, from the same image.
const LISTEN_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:162E 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11556997 1 00000000f41a9cb2 100 0 0 10 0
`;

describe("listensOn: is debugpy listening, from the container's own socket table", () => {
  test("debugpy's adapter listening on 0.0.0.0:5678 is found; its loopback port for the program is another port", () => {
    assert.equal(listensOn(DEBUGPY_TCP, 5678), true);
    assert.equal(listensOn(DEBUGPY_TCP, 0xb5c5), true);
    assert.equal(listensOn(DEBUGPY_TCP, 5679), false);
  });

  test('a connected or closing socket on the port is not a listener; an IPv6 listener is', () => {
    // the program's connection to the adapter (state 01) and a TIME_WAIT (06) use 0xC218 and 0x9E7C
    assert.equal(listensOn(DEBUGPY_TCP, 0xc218), false);
    assert.equal(listensOn(DEBUGPY_TCP, 0x9e7c), false);
    assert.equal(listensOn(LISTEN_TCP6, 5678), true);
    assert.equal(listensOn('', 5678), false);
    assert.equal(listensOn(DEBUGPY_TCP.split('\n')[0] ?? '', 5678), false);
  });
});
