// `cptctl check`: can cptctl checkpoint and restart process trees here?
import { loadAddon } from '../../native.js';
import type { CheckReport } from './evaluate.js';
import { evaluateCheck } from './evaluate.js';
import { gatherCheckFacts } from './facts.js';

export type { CheckReport, CheckResult } from './evaluate.js';

export async function check(): Promise<CheckReport> {
  return evaluateCheck(await gatherCheckFacts(loadAddon()));
}

/** Names of the checks that did not pass, for the one-line verdict. */
export function failedCheckNames(report: CheckReport): string[] {
  return report.checks.filter((result) => result.status === 'fail').map((result) => result.name);
}
