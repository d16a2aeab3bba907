// cptctl's bundle loaded with V8's code cache (bin/cptctl, and the guest
// tests' long-lived cptctl nodes, test/guest/cptctl-batch.ts): under
// emulation compiling the bundle is a good part of a short call's
// start-up. The first load that finds no cache (or one V8 rejects) writes
// one once it ran (saveCache), with the functions that run compiled; a
// caller who may not write there does without.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/src/cli.bundle.cjs', import.meta.url));

/** The cache's name says which build of the bundle it is for: V8 itself checks only the source's length. */
function cachePath() {
  const { size, mtimeMs } = statSync(bundle);
  return `${bundle.replace(/\.cjs$/, '')}.${size}-${Math.trunc(mtimeMs)}.v8cache`;
}

function readOrNull(path) {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** The bundle's exports' run(), and saveCache() to call once it ran. */
export function load() {
  const source = readFileSync(bundle, 'utf8');
  const cache = cachePath();
  const cachedData = readOrNull(cache) ?? undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, fileURLToPath(new URL('.', `file://${bundle}`)));
  const saveCache = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    const temporary = `${cache}.${process.pid}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cache);
    } catch {
      // Not ours to write (another user, a read-only tree): the next call compiles again.
    }
  };
  return { run: module.exports.run, saveCache };
}
