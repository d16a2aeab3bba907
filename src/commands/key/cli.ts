// Declarative yargs definition of `cptctl key`; the work is in key.ts.
import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { loadAddon } from '../../native.js';
import type { KeyResult } from './key.js';
import { DEFAULT_KEY_FILE, generateKey, loadKey, unloadKey } from './key.js';

interface KeyOptions extends GlobalOptions {
  action: string;
  file: string | undefined;
}

const ACTIONS = ['generate', 'load', 'unload'] as const;

export const keyCommand: CommandModule<GlobalOptions, KeyOptions> = {
  command: 'key <action> [file]',
  describe: 'The image key: generate one (root-only file), load it into the module (images are then authenticated), unload it',
  builder: (yargs) =>
    yargs
      .positional('action', { type: 'string', choices: ACTIONS, demandOption: true, describe: 'generate, load or unload' })
      .positional('file', { type: 'string', describe: `the key file (generate, load); ${DEFAULT_KEY_FILE} by default` })
      .example('$0 key generate', `writes a new key to ${DEFAULT_KEY_FILE}, mode 0400`)
      .example('$0 key load', 'checkpoints write authenticated images; restart refuses any other')
      .example('$0 key unload', 'back to unauthenticated images'),
  handler: async (argv) => {
    const file = argv.file ?? DEFAULT_KEY_FILE;
    let result: KeyResult;
    let text: string;
    if (argv.action === 'generate') {
      result = await generateKey(file);
      text = `wrote a new image key to ${file} (key id ${result.keyId})`;
    } else if (argv.action === 'load') {
      result = await loadKey(loadAddon(), file);
      text = `loaded image key ${result.keyId}: images are authenticated from now on`;
    } else {
      result = await unloadKey(loadAddon());
      text = result.keyId === null ? 'no image key was loaded' : `unloaded image key ${result.keyId}`;
    }
    process.stdout.write(argv.json ? `${JSON.stringify({ action: argv.action, ...result })}\n` : `${text}\n`);
  },
};
