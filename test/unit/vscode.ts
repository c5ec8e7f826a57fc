// Preloaded for the unit tier (`node --import tsx --import ./test/unit/vscode.ts --test …`):
// `require('vscode')` answers the stand-in of scripts/lib/vscodeStub.mjs, so the UI layer loads
// in plain Node. The tests run as CommonJS under tsx, whose require() Node 20's module.register
// hooks do not see; the stand-in is installed on the CommonJS loader instead.
import { installVscodeStandIn } from '../../scripts/lib/vscodeStub.mjs';

installVscodeStandIn();
