// Declarative yargs definition of `cptctl checkpoint`; the work is in checkpoint.ts.
import { fstatSync } from 'node:fs';

import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { loadAddon } from '../../native.js';
import type { Disposition } from './checkpoint.js';
import { checkpoint } from './checkpoint.js';
import { formatCheckpointJson, formatCheckpointStats } from './format.js';
import { terminalProgress } from '../../progress.js';

interface CheckpointOptions extends GlobalOptions {
  pid: number;
  output: string | undefined;
  'leave-running': boolean | undefined;
  kill: boolean | undefined;
  stop: boolean | undefined;
  stats: boolean;
  'tcp-established': boolean;
  'ext-unix-sk': boolean;
}

/** The disposition the flags ask for; yargs has already refused more than one. */
export function dispositionOf(flags: { readonly kill?: boolean | undefined; readonly stop?: boolean | undefined }): Disposition {
  if (flags.kill) return 'kill';
  if (flags.stop) return 'stop';
  return 'leave-running';
}

export const checkpointCommand: CommandModule<GlobalOptions, CheckpointOptions> = {
  command: 'checkpoint <pid>',
  describe: 'Checkpoint a process into an image',
  builder: (yargs) =>
    yargs
      .positional('pid', { type: 'number', demandOption: true, describe: 'the process to checkpoint' })
      .option('output', {
        alias: 'o',
        type: 'string',
        requiresArg: true,
        describe: 'the image to write (created mode 0600, or truncated), or - for stdout [required]',
      })
      // No defaults: yargs would count a default as given, and see conflicts.
      .option('leave-running', { type: 'boolean', describe: 'let the process continue afterwards (the default)' })
      .option('kill', { type: 'boolean', describe: 'kill the process (SIGKILL) once it is saved' })
      .option('stop', { type: 'boolean', describe: 'leave the process stopped (SIGSTOP) once it is saved' })
      .conflicts('kill', ['stop', 'leave-running'])
      .conflicts('stop', 'leave-running')
      .option('tcp-established', {
        type: 'boolean',
        default: false,
        describe:
          "with --kill: end also the TCP connections whose peer is outside the tree, each held (its peer's segments dropped) until a restart makes it again or `cptctl release`",
      })
      .option('ext-unix-sk', {
        type: 'boolean',
        default: false,
        describe:
          'save the unix stream sockets connected to a server outside the tree, which a restart connects again to its name: a new connection, which the server accepts anew',
      })
      .option('stats', {
        type: 'boolean',
        default: false,
        describe: 'print how long the process was frozen, the time per subsystem and the image size',
      })
      // A string is a usage error (a throw would be taken for a bug).
      .check((argv) => {
        if (!Number.isSafeInteger(argv.pid) || argv.pid <= 0) return 'the pid must be a positive integer';
        if (argv.output === undefined) return 'no image to write: give it with -o FILE (or -o - for stdout)';
        if (argv.output === '') return 'the image name given with -o is empty';
        // The module holds connections only for a kill (CPT_INIT_TCP_ESTABLISHED needs CPT_INIT_KILL).
        if (argv['tcp-established'] && argv.kill !== true)
          return '--tcp-established needs --kill: only a kill ends (and holds) connections';
        return true;
      })
      .example('$0 checkpoint 1234 -o sleep.img', 'save process 1234 and let it continue')
      .example('$0 checkpoint 1234 -o - --kill | ssh there cptctl restart -', 'move it to another machine'),
  handler: async (argv) => {
    const output = argv.output ?? '-'; // .check() refused undefined
    const imageOnStdout = output === '-';
    const result = await checkpoint(
      { pid: argv.pid, output, disposition: dispositionOf(argv), tcpEstablished: argv['tcp-established'], extUnixSk: argv['ext-unix-sk'] },
      {
        addon: loadAddon(),
        ...(process.stderr.isTTY
          ? {
              progress: (image, knownBytes) =>
                terminalProgress(process.stderr, `checkpoint ${argv.pid}`, () => (image.isPath ? fstatSync(image.fd).size : knownBytes())),
            }
          : {}),
      },
    );
    // Reports never go where the image went.
    const out = imageOnStdout ? process.stderr : process.stdout;
    if (argv.json) out.write(formatCheckpointJson(result));
    else if (argv.stats) out.write(formatCheckpointStats(result));
  },
};
