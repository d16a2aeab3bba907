// Declarative yargs definition of `cptctl restart`; the work is in restart.ts.
import { fstatSync, readFileSync } from 'node:fs';

import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { ExitStatus } from '../../errors.js';
import type { ImageFile } from '../../image/files.js';
import { loadAddon } from '../../native.js';
import type { ProgressReporter } from '../../progress.js';
import { terminalProgress } from '../../progress.js';
import { formatRestartStats, restartStatsJson } from './format.js';
import { restart } from './restart.js';
import { usernsNote } from './userns.js';
import { exitJson, shellExitStatus } from './status.js';
import { waitForRestored } from './wait.js';

interface RestartOptions extends GlobalOptions {
  image: string;
  detach: boolean;
  pidns: boolean;
  stats: boolean;
  'allow-unauthenticated': boolean;
}

export const restartCommand: CommandModule<GlobalOptions, RestartOptions> = {
  command: 'restart <image>',
  describe: 'Restart the process saved in an image, with its old pid; wait for it and exit with its status',
  builder: (yargs) =>
    yargs
      .positional('image', { type: 'string', demandOption: true, describe: 'the image file, or - for stdin' })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: 'do not wait: print the restored pid and exit 0',
      })
      .option('stats', {
        type: 'boolean',
        default: false,
        describe: 'print how long the restart took and what the module restored (to stderr; in --json, as "stats")',
      })
      .option('pidns', {
        type: 'boolean',
        default: false,
        describe:
          "restore the tree in a new pid namespace, under an init that exits with the root's status " +
          '(so that a copy can run beside the original); without CAP_SYS_ADMIN, in a new user namespace too, ' +
          "which maps the caller's uid and gid to themselves",
      })
      .option('allow-unauthenticated', {
        type: 'boolean',
        default: false,
        describe: 'while an image key is loaded, restart an image that is not authenticated under it (root only: the module checks)',
      })
      .example('$0 restart sleep.img', "exits with the restored process's status (128+N if killed by signal N)")
      .example('$0 restart sleep.img --detach', 'prints the pid of the restored process'),
  handler: async (argv) => {
    const addon = loadAddon();
    const restarted = await restart(
      { image: argv.image, pidns: argv.pidns, allowUnauthenticated: argv['allow-unauthenticated'] },
      {
        addon,
        ...(process.stderr.isTTY ? { progress: (image: ImageFile) => readProgress(argv.image, image) } : {}),
      },
    );
    const { pid, userns } = restarted;
    const stats = argv.stats || argv.json ? restartStatsJson(restarted) : undefined;
    if (argv.stats && !argv.json) process.stderr.write(formatRestartStats(restarted));
    // Not silent: the tree is in a namespace it was not in before.
    if (userns !== null && !argv.json) process.stderr.write(usernsNote(userns));
    const made = userns === null ? {} : { userns };
    if (argv.detach) {
      process.stdout.write(argv.json ? `${JSON.stringify({ pid, ...made, stats })}\n` : `${pid}\n`);
      return;
    }
    const exit = await waitForRestored(addon, pid);
    if (argv.json) process.stdout.write(`${JSON.stringify({ pid, ...made, exit: exitJson(exit), stats })}\n`);
    const status = shellExitStatus(exit);
    if (status !== 0) throw new ExitStatus(status);
  },
};

/**
 * How far the module has read: the offset of the image's open file, which
 * the restoring task shares (restart always reads a file: see spool.ts).
 */
function readProgress(name: string, image: ImageFile): ProgressReporter {
  const fdinfo = `/proc/self/fdinfo/${image.fd}`;
  const readSoFar = (): number | null => {
    const pos = /^pos:\s*(\d+)/m.exec(readFileSync(fdinfo, 'utf8'));
    return pos ? Number(pos[1]) : null;
  };
  return terminalProgress(process.stderr, `restart ${name}`, readSoFar, 100, fstatSync(image.fd).size);
}
