// Declarative yargs definition of `cptctl check`; the work is in check.ts.
import type { CommandModule } from 'yargs';

import type { GlobalOptions } from '../../cli.js';
import { EnvironmentError } from '../../errors.js';
import { check, failedCheckNames } from './check.js';
import { formatCheckJson, formatCheckText } from './format.js';

export const checkCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'check',
  describe: 'Check that this machine can checkpoint and restart process trees (kernel, module, /dev/cpt, ioctls)',
  builder: (yargs) => yargs.example('$0 check', 'one line per check, then hints').example('$0 check --json', 'the same report as JSON'),
  handler: async (argv) => {
    const report = await check();
    // The report goes out whatever the verdict: it is what explains a failure.
    process.stdout.write(argv.json ? formatCheckJson(report) : formatCheckText(report));
    if (!report.ok) {
      throw new EnvironmentError(`cannot checkpoint or restart process trees here (failed checks: ${failedCheckNames(report).join(', ')})`);
    }
  },
};
