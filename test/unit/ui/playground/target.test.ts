import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseTarget, loopbackFor, reachTarget } from '../../../../src/ui/playground/target';

describe('which address the playground sends to, from the port bindings', () => {
  const b = (hostIp: string | undefined, hostPort: number, containerPort = 8000, protocol = 'tcp') => ({
    containerPort,
    protocol,
    hostPort,
    ...(hostIp === undefined ? {} : { hostIp }),
  });

  test('all interfaces are reached on loopback; loopback as it is; anything else not at all', () => {
    assert.equal(loopbackFor('0.0.0.0'), '127.0.0.1');
    assert.equal(loopbackFor(''), '127.0.0.1');
    assert.equal(loopbackFor(undefined), '127.0.0.1');
    assert.equal(loopbackFor('::'), '::1');
    assert.equal(loopbackFor('127.0.0.1'), '127.0.0.1');
    assert.equal(loopbackFor('127.0.0.5'), '127.0.0.5');
    assert.equal(loopbackFor('::1'), '::1');
    for (const ip of ['10.1.2.3', '192.168.1.4', '172.17.0.1', '8.8.8.8', 'fe80::1', '2001:db8::1'])
      assert.equal(loopbackFor(ip), undefined, ip);
  });

  test('the URL chosen', () => {
    assert.deepEqual(chooseTarget('m', [b('0.0.0.0', 32768), b('::', 32768)]), {
      url: 'http://127.0.0.1:32768',
      host: '127.0.0.1',
      containerPort: 8000,
      hostPort: 32768,
      protocol: 'tcp',
    });
    assert.equal((chooseTarget('m', [b('::', 32768)]) as { url: string }).url, 'http://[::1]:32768');
    assert.equal((chooseTarget('m', [b('::', 32768), b('0.0.0.0', 32768)]) as { url: string }).url, 'http://127.0.0.1:32768', 'IPv4 first');
    assert.equal((chooseTarget('m', [b('127.0.0.1', 8000)]) as { url: string }).url, 'http://127.0.0.1:8000');
    // the same container port on a LAN address and on loopback: the loopback one
    assert.equal((chooseTarget('m', [b('10.1.2.3', 8000), b('127.0.0.1', 8001)]) as { url: string }).url, 'http://127.0.0.1:8001');
    // the first port only on a LAN address, a second on loopback: the second
    assert.equal((chooseTarget('m', [b('10.1.2.3', 8000), b('127.0.0.1', 9000, 9000)]) as { url: string }).url, 'http://127.0.0.1:9000');
    // UDP and unpublished bindings are not HTTP targets
    assert.equal(
      (chooseTarget('m', [b('127.0.0.1', 5353, 5353, 'udp'), b('0.0.0.0', 8080, 80)]) as { url: string }).url,
      'http://127.0.0.1:8080',
    );
  });

  test('a port published on a specific non-loopback address only: a message, never a URL', () => {
    const r = chooseTarget('iris', [b('10.1.2.3', 8000)]);
    assert.ok('error' in r);
    assert.match(r.error, /^iris: port 8000 is published on 10\.1\.2\.3 only, which Berth does not send traffic to/);
    assert.match(r.error, /publish it on 127\.0\.0\.1 \(berth\.yaml ports: \['8000'\]\)/);
    const two = chooseTarget('iris', [b('10.1.2.3', 8000), b('192.168.0.7', 8000)]);
    assert.match((two as { error: string }).error, /published on 10\.1\.2\.3 and 192\.168\.0\.7 only/);
    assert.match((chooseTarget('iris', [b('127.0.0.1', 53, 53, 'udp')]) as { error: string }).error, /publishes no TCP port/);
    assert.match((chooseTarget('iris', [{ containerPort: 8000, protocol: 'tcp' }]) as { error: string }).error, /publishes no TCP port/);
  });

  test('reachTarget: the engine route replaces the URL only when it is a forward', async () => {
    const asked: string[] = [];
    const local = {
      reachPort: (host: string, port: number) => {
        asked.push(`${host}:${port}`);
        return Promise.resolve({ host, port });
      },
    };
    const chosen = chooseTarget('m', [b('0.0.0.0', 32768)]);
    assert.deepEqual(await reachTarget(local, 'm', chosen), chosen);
    assert.deepEqual(asked, ['127.0.0.1:32768']);

    const ssh = {
      reachPort: (host: string, port: number) =>
        Promise.resolve({ host: '127.0.0.1', port: 40001, via: `ssh tunnel to ${host}:${port} on gpu` }),
    };
    const forwarded = await reachTarget(ssh, 'm', chooseTarget('m', [b('::', 8000)]));
    assert.ok('url' in forwarded);
    assert.equal(forwarded.url, 'http://127.0.0.1:40001');
    assert.equal(forwarded.via, 'ssh tunnel to ::1:8000 on gpu');
    assert.equal(forwarded.containerPort, 8000);

    const tcp = {
      reachPort: () => Promise.resolve({ error: "port 8000 is published on the engine's host gpu, which Berth reaches only through ssh" }),
    };
    const refused = await reachTarget(tcp, 'iris', chooseTarget('iris', [b('127.0.0.1', 8000)]));
    assert.deepEqual(refused, { error: "iris: port 8000 is published on the engine's host gpu, which Berth reaches only through ssh" });

    // a target that already failed is not routed
    const none = { reachPort: () => Promise.reject(new Error('not asked')) };
    assert.match(((await reachTarget(none, 'iris', chooseTarget('iris', []))) as { error: string }).error, /publishes no TCP port/);
  });
});
