// Bundles cptctl's command line (dist/src/cli.js, as tsc left it, with
// yargs and its dependencies) into one file, dist/src/cli.bundle.cjs, which
// bin/cptctl runs. Node's start-up is most of a short cptctl call, and most
// of that is finding, reading and compiling some 80 small modules: one
// file halves it under emulation (about 6 s to 3 s a call in the TCG guest).
// The bundle is CommonJS so that bin/cptctl can compile it with V8's code
// cache (node 20 has no compile cache for ES modules): see bin/cptctl.
// It stays in dist/src, beside package.js, whose import.meta.url (here
// the bundle's own file URL) locates the package root (native addon,
// proto/, package.json). protobufjs's light build is in the bundle too,
// evaluated on first use (src/image/schema.ts), with the JSON descriptor of
// proto/cpt.proto written here, dist/cpt.proto.json: no .proto to parse.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/src/', import.meta.url));

/**
 * Packages whose module code is costly to run (string-width builds an
 * Intl.Segmenter and Unicode-property regular expressions, three copies of
 * it in yargs's tree; cliui pulls in wrap-ansi and ansi-styles) but which
 * only yargs's help text uses: each import of one becomes a function that
 * requires it on its first call. esbuild evaluates a module reached through
 * require() only then, so that a call that prints no help never runs them
 * (under emulation they were a good part of every call's start-up). Each is
 * imported only as its default export, a function.
 */
const LAZY_PACKAGES = new Set(['cliui', 'string-width']);

/** @type {import('esbuild').Plugin} */
const lazyPackages = {
  name: 'lazy-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (!LAZY_PACKAGES.has(args.path) || args.pluginData === 'lazy-packages') return undefined;
      const real = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'lazy-packages' });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-packages' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-packages' }, (args) => ({
      contents: `export default function lazy(...args) { return require(${JSON.stringify(args.path)}).default(...args); }`,
      resolveDir: '/',
    }));
  },
};

await build({
  entryPoints: [`${dist}cli.js`],
  outfile: `${dist}cli.bundle.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': '__bundleUrl', 'import.meta.resolve': 'require.resolve' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [lazyPackages],
});

// The code caches of earlier bundles (bin/cptctl names each after its bundle's size and time).
for (const entry of readdirSync(dist)) {
  if (entry.startsWith('cli.bundle.') && entry.endsWith('.v8cache')) rmSync(`${dist}${entry}`, { force: true });
}
rmSync(`${dist}cli.bundle.js`, { force: true });
rmSync(`${dist}cli.bundle.js.map`, { force: true });

const protobuf = createRequire(import.meta.url)('protobufjs');
const proto = fileURLToPath(new URL('../proto/cpt.proto', import.meta.url));
writeFileSync(fileURLToPath(new URL('../dist/cpt.proto.json', import.meta.url)), JSON.stringify(protobuf.loadSync(proto).toJSON()));

// The code cache holds the functions that the call which wrote it had
// compiled; any other call compiles the rest each time. Written here by a
// call that goes through most of what every command runs (yargs, the
// schema, reading an image), rather than by whichever call comes first
// after the build (in the guest suite, often a thin one such as --version):
// with it, an inspect takes some 13% less CPU on the host.
const fixture = fileURLToPath(new URL('../test/host/fixtures/files_state.img', import.meta.url));
if (existsSync(fixture)) {
  execFileSync(process.execPath, [fileURLToPath(new URL('../bin/cptctl', import.meta.url)), 'inspect', '--json', fixture], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
