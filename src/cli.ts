// The cptctl command line: the list of commands, the global options, and the
// mapping of whatever a command throws to stderr and an exit code.
import yargs from 'yargs';
import type { Argv } from 'yargs';

import { checkCommand } from './commands/check/cli.js';
import { ExitCode, exitCodeFor, formatError, UsageError } from './errors.js';
import { packageVersion } from './package.js';

/** Options every command accepts. */
export interface GlobalOptions {
  json: boolean;
}

export function buildParser(args: readonly string[]): Argv<GlobalOptions> {
  return yargs([...args])
    .scriptName('cptctl')
    .usage('$0 <command> [options]\n\nKernel-assisted checkpoint/restart of Linux process trees.')
    .option('json', {
      type: 'boolean',
      default: false,
      global: true,
      describe: 'Print a machine-readable JSON report on stdout',
    })
    .command(checkCommand)
    .demandCommand(1, 'no command given')
    .strict()
    .version(packageVersion())
    .help()
    .alias('help', 'h')
    .wrap(null)
    // Errors travel as exceptions to run(), which alone prints them and
    // picks the exit code; yargs must neither print nor exit on its own.
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message, { hint: 'run `cptctl --help` for usage' });
    });
}

/** Runs cptctl with `args` (argv without node and script) and returns the exit code. */
export async function run(args: readonly string[]): Promise<ExitCode> {
  try {
    await buildParser(args).parseAsync();
    return ExitCode.Ok;
  } catch (error: unknown) {
    process.stderr.write(formatError(error));
    return exitCodeFor(error);
  }
}
