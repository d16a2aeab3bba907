// Declarative yargs definition of `cptctl inspect`; the work is in inspect.ts.
import { once } from 'node:events';

import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { formatInspectText, inspectJsonChunks } from './format.js';
import { inspect } from './inspect.js';

interface InspectOptions extends GlobalOptions {
  image: string;
  'record-list': boolean;
}

export const inspectCommand: CommandModule<GlobalOptions, InspectOptions> = {
  command: 'inspect <image>',
  describe:
    "Check an image's integrity and show what it holds: the tree, and each process's task, signals, files, " + 'registers and memory',
  builder: (yargs) =>
    yargs
      .positional('image', { type: 'string', demandOption: true, describe: 'the image file, or - for stdin' })
      .option('record-list', {
        type: 'boolean',
        default: true,
        describe: 'with --json: every record, losslessly (page data in base64), for `cptctl encode`; ' + '--no-record-list leaves them out',
      })
      .example('$0 inspect sleep.img', 'one block per section, per process')
      .example('$0 inspect - --json < sleep.img', 'everything decoded, as JSON')
      .example('$0 inspect sleep.img --json > sleep.json && $0 encode sleep.json -o copy.img', 'the same image again'),
  handler: async (argv) => {
    const { summary, records } = await inspect(argv.image, { records: argv.json && argv['record-list'] });
    if (!argv.json) {
      process.stdout.write(formatInspectText(summary, argv.image));
      return;
    }
    // Piece by piece, waiting for the pipe: the record list is as large as the image.
    try {
      for (const chunk of inspectJsonChunks(summary, argv.image, records)) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      }
    } catch (error: unknown) {
      // A reader that has seen enough (`| head`) is not a failure.
      if ((error as { code?: unknown } | null)?.code !== 'EPIPE') throw error;
    }
  },
};
