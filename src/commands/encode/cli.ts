// Declarative yargs definition of `cptctl encode`; the work is in encode.ts.
import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { formatBytes } from '../../units.js';
import { encode } from './encode.js';

interface EncodeOptions extends GlobalOptions {
  json_file: string;
  output: string | undefined;
}

export const encodeCommand: CommandModule<GlobalOptions, EncodeOptions> = {
  command: 'encode <json_file>',
  describe: 'Make an image from its JSON (what inspect --json writes, edited or not), CRCs and trailer recomputed',
  builder: (yargs) =>
    yargs
      .positional('json_file', { type: 'string', demandOption: true, describe: 'the JSON, or - for stdin' })
      .option('output', {
        alias: 'o',
        type: 'string',
        requiresArg: true,
        describe: 'the image to write (created mode 0600, or truncated), or - for stdout [required]',
      })
      // A string is a usage error (a throw would be taken for a bug).
      .check((argv) => {
        if (argv.output === undefined) return 'no image to write: give it with -o FILE (or -o - for stdout)';
        if (argv.output === '') return 'the image name given with -o is empty';
        return true;
      })
      .example('$0 inspect sleep.img --json > sleep.json && $0 encode sleep.json -o copy.img', 'the same image again, byte for byte')
      .example('$0 encode edited.json -o test.img', 'a test image made by hand'),
  handler: async (argv) => {
    const output = argv.output ?? '-'; // .check() refused undefined
    const result = await encode({ input: argv.json_file, output });
    // With the image on stdout, say nothing there.
    if (output === '-') return;
    process.stdout.write(
      argv.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `${output}: ${result.records} records, ${result.bytes} bytes (${formatBytes(result.bytes)})\n`,
    );
  },
};
