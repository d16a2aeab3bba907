// Authenticated images: with an image key loaded, restart refuses an image
// changed since the checkpoint, made under another key, or without
// authentication (unless root waives it), and the key shows nowhere.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const authimgScenarios: readonly Scenario[] = [
  {
    name: 'authenticated-images',
    run: shell('authimg', 'authenticated'),
    cli: true,
    // Eight node starts (cptctl and its batches): 88-148 s in a boot on a loaded host.
    timeoutSeconds: 360,
    costSeconds: 10,
    checks: {
      'auth.key-file-root-only': 'cptctl key generate writes a key file only root can read (0400)',
      'auth.check-reports-key': "cptctl check reports the loaded key's id, the one key load printed",
      'auth.key-ioctl-abi':
        'CPT_IOC_KEY and CPT_IOC_INIT refuse unknown ops and flags, nonzero reserved fields and tails, keys of the wrong length, a checkpoint’s flag (CPT_INIT_KILL) on a restart, and CPT_INIT_TCP_ESTABLISHED without CPT_INIT_KILL (EINVAL); a checkpoint takes CPT_INIT_KILL, and FINALIZE then refuses RESUME (EINVAL), the session kept',
      'auth.inspect-shows': 'cptctl inspect --json shows that an image made under a key is authenticated, with the key id',
      'auth.restart-ok': 'an authenticated image restarts under its key',
      'auth.changed-PAGES-refused': 'a changed byte of memory (CRCs right) is refused with exit 6, naming the PAGES record',
      'auth.changed-TASK-refused': 'a changed task name (CRCs right) is refused with exit 6, naming the TASK record',
      'auth.other-key-refused': 'an image made under another key is refused with exit 6, naming its key',
      'auth.unauthenticated-refused':
        'an image without authentication (its trailer fields dropped) is refused with exit 6 while a key is loaded',
      'auth.allow-unauthenticated-root-only':
        'a non-root caller can neither restart with --allow-unauthenticated nor unload the key (EPERM)',
      'auth.allow-unauthenticated': 'root restarts an unauthenticated image with --allow-unauthenticated',
      'auth.key-not-exposed': "the key is not in the image, cptctl's output, the module's parameters or a running cptctl's /proc files",
      'auth.unloaded': 'cptctl key unload forgets the key, and check says none is loaded',
    },
  },
];
