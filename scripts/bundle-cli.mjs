// Bundles cptctl's command line (dist/src/cli.js, as tsc left it, with
// yargs and its dependencies) into one file, dist/src/cli.bundle.js, which
// bin/cptctl runs. Node's start-up is most of a short cptctl call, and most
// of that is finding, reading and compiling some 80 small modules: one
// file halves it under emulation (about 6 s to 3 s a call in the TCG guest).
// It stays in dist/src, beside package.js, whose import.meta.url locates the
// package root (native addon, proto/, package.json). protobufjs is loaded
// apart, on first use (src/image/schema.ts), as before.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/src/', import.meta.url));

await build({
  entryPoints: [`${dist}cli.js`],
  outfile: `${dist}cli.bundle.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
