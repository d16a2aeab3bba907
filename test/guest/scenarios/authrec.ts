// Authenticated images, cptctl's own records (docs/security.md, "cptctl's
// records"): with an image key loaded, the manifest is tagged like the
// module's records, and records moved between images made under the same
// key, or an image cut short, are refused.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const authrecScenarios: readonly Scenario[] = [
  {
    name: 'authenticated-records',
    run: shell('authrec', 'authrec'),
    cli: true,
    timeoutSeconds: 240,
    costSeconds: 4.5,
    checks: {
      'authrec.restart-ok': 'an image made under a key, its manifest written through the module, restarts under that key',
      'authrec.changed-MANIFEST-refused':
        "a changed byte of cptctl's manifest (CRCs right) is refused with exit 6, naming the MANIFEST record",
      'authrec.spliced-MANIFEST-refused':
        'the manifest of another image made under the same key, put in the image, is refused with exit 6, naming the MANIFEST record',
      'authrec.spliced-CPU-refused':
        'the registers (CPU record) of another image made under the same key, put in the image, are refused with exit 6, naming the CPU record',
      'authrec.spliced-TRAILER-refused': "another image's trailer (same key), put in the image, is refused with exit 6",
      'authrec.truncated-refused': 'an image cut right before its trailer is refused with exit 6, saying it ends early',
      'authrec.no-key': 'without a key, the image whose manifest was changed restarts, as before',
    },
  },
];
