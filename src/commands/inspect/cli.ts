// Declarative yargs definition of `cptctl inspect`; the work is in inspect.ts.
import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { formatInspectJson, formatInspectText } from './format.js';
import { inspect } from './inspect.js';

interface InspectOptions extends GlobalOptions {
  image: string;
}

export const inspectCommand: CommandModule<GlobalOptions, InspectOptions> = {
  command: 'inspect <image>',
  describe: 'Check an image\'s integrity and show what it holds (header, task, signals, files, registers, memory)',
  builder: (yargs) => yargs
    .positional('image', { type: 'string', demandOption: true, describe: 'the image file, or - for stdin' })
    .example('$0 inspect sleep.img', 'one block per section')
    .example('$0 inspect - --json < sleep.img', 'everything decoded, as JSON'),
  handler: async (argv) => {
    const summary = await inspect(argv.image);
    process.stdout.write(argv.json ? formatInspectJson(summary, argv.image) : formatInspectText(summary, argv.image));
  },
};
