/** A stand-in for the `vscode` module: every property is another stand-in, callable and constructible. */
export function stub(name: string): unknown;
/** Make `require('vscode')` answer the stand-in, until the returned function is called. */
export function installVscodeStub(): () => void;
