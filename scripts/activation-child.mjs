/**
 * One activation, in a fresh process: loads the given bundle in plain Node with `vscode` stood in
 * for by a proxy (scripts/lib/vscodeStub.mjs), calls activate, prints the two times as JSON.
 */
import Module from 'node:module';
import { performance } from 'node:perf_hooks';
import { installVscodeStub, stub } from './lib/vscodeStub.mjs';

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: activation-child.mjs <bundle.js>');
installVscodeStub();

const t0 = performance.now();
const ext = Module.createRequire(import.meta.url)(bundle);
const t1 = performance.now();
ext.activate(stub('context'));
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ requireMs: t1 - t0, activateMs: t2 - t1 })}\n`);
// the engine reconnect that activate starts is not part of the measure
process.exit(0);
