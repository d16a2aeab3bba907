// What a restart re-creates or reopens comes back as it was: owners, modes
// and times of deleted files, socket files and pty slaves; the holes of a
// sparse deleted file; several opens of one deleted file as one file. What
// it cannot bring back exactly is refused at checkpoint, by name (issue 13).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

export const deletedScenarios: readonly Scenario[] = [
  {
    name: 'deleted',
    run: cycle('deleted_files', inDir),
    timeoutSeconds: 120,
    costSeconds: 0.5,
    checks: {
      'deleted.exit-status': 'deleted and reopened files restart and check out',
      'deleted.deleted-times': 'a deleted file keeps its atime and mtime',
      'deleted.deleted-owner': 'a deleted file keeps its owner and group, not the restarting caller',
      'deleted.deleted-mode': "a deleted file keeps its mode, not the restarting caller's umask",
      'deleted.deleted-content': 'a deleted file keeps its content',
      'deleted.reopened-times': 'a file reopened by path keeps its atime and mtime',
      'deleted.sparse-holes': 'a sparse deleted file keeps its holes',
      'deleted.sparse-content': 'a sparse deleted file keeps its data',
      'deleted.shared-inode': 'several opens of one deleted file are one file again (one st_ino)',
      'deleted.shared-write-seen': 'a write through a write-only open of a deleted file is read through another open',
      'deleted.reopened-shared': 'a write through a write-only open of a kept file is read through another open',
      'deleted.deleted-unlinkable': 'a deleted file cannot be given a name again (linkat() of /proc/self/fd/N), as before',
    },
  },
  {
    name: 'user-service',
    run: shell('deleted', 'user_service'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 3,
    checks: {
      'user-service.checkpoint': 'root checkpoints a service running as nobody that listens on a unix socket and holds a pty',
      'user-service.exit-status': 'the service restarted by root serves and ends well',
      'user-service.socket-file': "the service's socket file is nobody's again, with its mode",
      'user-service.pty-slave': "the service's pty slave is nobody's again, with its mode",
      'user-service.served': 'the restarted service accepts a client',
      'user-service.client': 'a client running as nobody connects to the restarted service',
    },
  },
  {
    name: 'deleted-refused',
    run: shell('deleted', 'deleted_refused'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'deleted-refused.cwd': 'a checkpoint of a process whose working directory is deleted is refused, naming it',
    },
  },
];
