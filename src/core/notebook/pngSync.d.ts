// pngjs's synchronous decoder, imported on its own so that the bundle can load it on first use
// (scripts/build.mjs): the same function as `PNG.sync.read`.
declare module 'pngjs/lib/png-sync' {
  import type { PNG, ParserOptions } from 'pngjs';
  export function read(buffer: Buffer, options?: ParserOptions): PNG;
}
