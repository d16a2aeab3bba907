// The cptctl command line: the list of commands, the global options, and the
// mapping of whatever a command throws to stderr and an exit code.
import yargs from 'yargs';
import type { Argv } from 'yargs';

import { checkCommand } from './commands/check/cli.js';
import { checkpointCommand } from './commands/checkpoint/cli.js';
import { encodeCommand } from './commands/encode/cli.js';
import { inspectCommand } from './commands/inspect/cli.js';
import { keyCommand } from './commands/key/cli.js';
import { releaseCommand } from './commands/release/cli.js';
import { restartCommand } from './commands/restart/cli.js';
import { ExitCode, exitCodeFor, ExitStatus, formatError, UsageError } from './errors.js';
import { packageVersion } from './package.js';

/** Options every command accepts. */
export interface GlobalOptions {
  json: boolean;
}

/**
 * yargs-parser takes a lone `-` (stdin/stdout, for an image) for a nameless
 * option and drops it, so it travels through yargs as this string, which
 * no real argument can be (arguments cannot hold NUL), and is turned back
 * into `-` before any command sees it.
 */
const STDIO_ARG = '\0-';

function restoreStdioArgs(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (value === STDIO_ARG) argv[key] = '-';
  }
}

/** The part of yargs's internals that skipHelpCache() reaches: not in its typings. */
interface YargsInternals {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } };
}

/**
 * yargs renders a command's whole help text each time it runs the command,
 * to keep for a failure's message; cptctl's own fail() never prints it, so
 * the rendering (string widths, column layout: a good part of a short call
 * under emulation) is skipped. `--help` renders it as before.
 */
function skipHelpCache(parser: Argv<GlobalOptions>): Argv<GlobalOptions> {
  (parser as unknown as YargsInternals).getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined;
  return parser;
}

export function buildParser(args: readonly string[]): Argv<GlobalOptions> {
  return skipHelpCache(
    yargs(args.map((arg) => (arg === '-' ? STDIO_ARG : arg)))
      .middleware(restoreStdioArgs, true)
      .scriptName('cptctl')
      .usage('$0 <command> [options]\n\nKernel-assisted checkpoint/restart of Linux process trees.')
      .option('json', {
        type: 'boolean',
        default: false,
        global: true,
        describe: 'Print a machine-readable JSON report on stdout',
      })
      .command(checkCommand)
      .command(checkpointCommand)
      .command(restartCommand)
      .command(inspectCommand)
      .command(encodeCommand)
      .command(keyCommand)
      .command(releaseCommand)
      .demandCommand(1, 'no command given')
      .strict()
      .version(packageVersion())
      .help()
      .alias('help', 'h')
      .wrap(null)
      // Errors travel as exceptions to run(), which alone prints them and
      // picks the exit code; yargs must neither print nor exit on its own.
      .exitProcess(false)
      .fail((message, error: unknown) => {
        // yargs reports its own validation failures without an error, with a
        // YError, or with the string a .check() returned; an Error of another
        // kind was thrown by a command.
        if (error instanceof Error && error.name !== 'YError') throw error;
        throw new UsageError(message ?? String(error), { hint: 'run `cptctl --help` for usage' });
      }),
  );
}

/**
 * Runs cptctl with `args` (argv without node and script) and returns the
 * exit status: an ExitCode, or what a command passes on with ExitStatus.
 */
export async function run(args: readonly string[]): Promise<number> {
  try {
    await buildParser(args).parseAsync();
    return ExitCode.Ok;
  } catch (error: unknown) {
    if (error instanceof ExitStatus) return error.status;
    process.stderr.write(formatError(error));
    return exitCodeFor(error);
  }
}
