// Declarative yargs definition of `cptctl release`; the work is in release.ts.
import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { loadAddon } from '../../native.js';
import { describeHold, listHolds, releaseAll, releaseImage } from './release.js';

interface ReleaseOptions extends GlobalOptions {
  image: string | undefined;
  all: boolean;
  list: boolean;
}

export const releaseCommand: CommandModule<GlobalOptions, ReleaseOptions> = {
  command: 'release [image]',
  describe:
    "Drop the TCP holds a checkpoint --kill --tcp-established left for an image's connections (their peers then see resets), or all of them; --list shows them",
  builder: (yargs) =>
    yargs
      .positional('image', { type: 'string', describe: 'the image whose connections are released' })
      .option('all', { type: 'boolean', default: false, describe: 'every hold of this network namespace' })
      .option('list', { type: 'boolean', default: false, describe: 'show the holds of this network namespace, release nothing' })
      .check((argv) => {
        const given = [argv.image !== undefined, argv.all, argv.list].filter(Boolean).length;
        if (given !== 1) return 'give one of: an image, --all, --list';
        return true;
      })
      .example('$0 release web.img', 'no restart of web.img will come: its peers may see their connections reset')
      .example('$0 release --list', 'the connections held now'),
  handler: async (argv) => {
    const addon = loadAddon();
    if (argv.list) {
      const holds = await listHolds(addon);
      if (argv.json) process.stdout.write(`${JSON.stringify({ holds: holds.map(describeHold) })}\n`);
      else process.stdout.write(holds.length === 0 ? 'no TCP holds\n' : `${holds.map(describeHold).join('\n')}\n`);
      return;
    }
    const result = argv.all ? await releaseAll(addon) : await releaseImage(addon, argv.image ?? '-');
    if (argv.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`released ${result.released} TCP hold${result.released === 1 ? '' : 's'}\n`);
  },
};
