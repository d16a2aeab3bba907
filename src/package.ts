// Where cptctl is installed, found from this file rather than process.cwd()
// so that bin/cptctl works from any directory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this module runs as <root>/dist/src/package.js. */
export const packageRoot: string = fileURLToPath(new URL('../../', import.meta.url));

/** The "version" of package.json, for `cptctl --version`. */
export function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
  if (typeof manifest === 'object' && manifest !== null && 'version' in manifest && typeof manifest.version === 'string') {
    return manifest.version;
  }
  throw new Error(`${join(packageRoot, 'package.json')} has no "version" string`);
}
