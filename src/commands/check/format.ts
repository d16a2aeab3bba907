// Rendering of a CheckReport for people (aligned lines, then hints) and for
// programs (JSON with bigints as hex strings). Pure, like evaluate.ts.
import { hex } from '../../bits.js';
import type { CheckReport, CheckStatus } from './evaluate.js';

const STATUS_LABEL: Readonly<Record<CheckStatus, string>> = { ok: 'ok', fail: 'FAIL', skip: 'skip' };

export function formatCheckText(report: CheckReport): string {
  const nameWidth = Math.max(...report.checks.map((check) => check.name.length));
  const lines = report.checks.map((check) => `${STATUS_LABEL[check.status].padEnd(4)}  ${check.name.padEnd(nameWidth)}  ${check.detail}`);
  if (report.hints.length > 0) lines.push('', ...report.hints.map((hint) => `hint: ${hint}`));
  return `${lines.join('\n')}\n`;
}

/** The --json document; a stable interface for scripts, so only add to it. */
export interface CheckReportJson {
  readonly ok: boolean;
  readonly kernel: CheckReport['kernel'];
  readonly module: {
    readonly loaded: boolean;
    readonly version: string | null;
    readonly features: readonly string[];
    readonly featureBits: string | null;
    readonly ioctls: readonly string[];
    readonly ioctlBits: string | null;
  };
  readonly compat: CheckReport['compat'];
  readonly imageKey: CheckReport['imageKey'];
  readonly tcpHolds: CheckReport['tcpHolds'];
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
  readonly hints: readonly string[];
}

export function checkReportJson(report: CheckReport): CheckReportJson {
  const { module } = report;
  return {
    ok: report.ok,
    kernel: report.kernel,
    module: {
      loaded: module.loaded,
      version: module.version,
      features: module.features,
      featureBits: module.featureBits === null ? null : hex(module.featureBits),
      ioctls: module.ioctls,
      ioctlBits: module.ioctlBits === null ? null : hex(module.ioctlBits),
    },
    compat: report.compat,
    imageKey: report.imageKey,
    tcpHolds: report.tcpHolds,
    // JSON has no third status: a skipped check is not ok, and says so.
    checks: report.checks.map(({ name, status, detail }) => ({
      name,
      ok: status === 'ok',
      detail: status === 'skip' ? `skipped: ${detail}` : detail,
    })),
    hints: report.hints,
  };
}

export function formatCheckJson(report: CheckReport): string {
  return `${JSON.stringify(checkReportJson(report), null, 2)}\n`;
}
