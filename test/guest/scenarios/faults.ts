// Faults while the image is written: the file system fills up (ENOSPC) or
// the reader of `-o -` goes away (EPIPE), in a checkpoint with --kill. The
// target runs on untouched, no partial image is left, cptctl says what
// failed and what to do, and nothing of the session stays in the module.
import { shell } from './rows.js';
import type { Scenario } from './scenario.js';

export const faultScenarios: readonly Scenario[] = [
  {
    name: 'image-enospc',
    run: shell('faults', 'enospc'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1.5,
    checks: {
      'faults.enospc-refused': 'a checkpoint --kill into a full file system fails with ENOSPC, naming the image',
      'faults.enospc-says-what-to-do': 'a checkpoint failing with ENOSPC says what to do',
      'faults.enospc-no-partial-image': 'a checkpoint failing with ENOSPC leaves no partial image',
      'faults.enospc-target-alive': 'the target of a checkpoint --kill that hit ENOSPC runs on',
      'faults.enospc-target-not-frozen': 'the target of a checkpoint that hit ENOSPC is not left frozen',
      'faults.enospc-target-intact': 'the target of a checkpoint that hit ENOSPC has its memory intact',
      'faults.enospc-module-unloads': 'the module unloads after a checkpoint that hit ENOSPC',
    },
  },
  {
    name: 'image-epipe',
    run: shell('faults', 'epipe'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 6.5,
    checks: {
      'faults.epipe-refused': 'a checkpoint --kill to stdout whose reader goes away fails with EPIPE',
      'faults.epipe-says-what-to-do': 'a checkpoint failing with EPIPE says what happened and what to do',
      'faults.epipe-target-alive': 'the target of a checkpoint --kill that hit EPIPE runs on',
      'faults.epipe-target-not-frozen': 'the target of a checkpoint that hit EPIPE is not left frozen',
      'faults.epipe-target-intact': 'the target of a checkpoint that hit EPIPE has its memory intact',
      'faults.epipe-module-unloads': 'the module unloads after a checkpoint that hit EPIPE',
    },
  },
];
