// The judgement of `cptctl check`: a pure function from gathered facts to a
// report, so every verdict and hint is unit-tested without a cpt module.
import { decodeBits, hasBit, hex } from '../../bits.js';
import { describeTarget, GUEST_HINT, KMOD_NAME, REQUIRED_IOCTLS, TARGET_ARCH, TARGET_KERNEL } from '../../target.js';
import type { ApiReply } from '../../native.js';
import type { CheckFacts, CompatCheckFact, CompatFact, ImageKeyFact, KernelFacts, TcpHoldsFact } from './facts.js';

export type CheckName = 'kernel' | 'module' | 'compat' | 'device' | 'open' | 'handshake' | 'ioctls' | 'key' | 'holds';

/** 'skip': not attempted because a check it depends on failed. */
export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: CheckName;
  readonly status: CheckStatus;
  /** What was found; for a skipped check, why it was not attempted. */
  readonly detail: string;
}

export interface CheckReport {
  /** Every check passed: cptctl can checkpoint and restart here. */
  readonly ok: boolean;
  readonly kernel: {
    readonly release: string;
    readonly arch: string;
    readonly supported: boolean;
    readonly target: string;
  };
  readonly module: {
    readonly loaded: boolean;
    /** MODULE_VERSION; 'unknown' if the module has none, null if it is not loaded. */
    readonly version: string | null;
    readonly features: readonly string[];
    /** null when no handshake happened. */
    readonly featureBits: bigint | null;
    readonly ioctls: readonly string[];
    readonly ioctlBits: bigint | null;
  };
  /** The module's checks of the running kernel at load. */
  readonly compat: {
    /** The kernel release the loaded module was built for; null if unknown. */
    readonly builtFor: string | null;
    /** Those checks, each 'ok' or 'untested'; empty if the module is not loaded. */
    readonly checks: readonly CompatCheckFact[];
    /** Why the kernel refused the module, from the kernel log; null if no refusal is known. */
    readonly refusal: string | null;
  };
  /**
   * The image key: null when not known (no handshake, a module without
   * authenticated images); else whether one is loaded and its id (hex).
   */
  readonly imageKey: { readonly loaded: boolean; readonly keyId: string | null } | null;
  /**
   * TCP connections held in the caller's network namespace (checkpoint
   * --tcp-established): null when not known.
   */
  readonly tcpHolds: number | null;
  readonly checks: readonly CheckResult[];
  /** What the user can do about the failures, without duplicates, in check order. */
  readonly hints: readonly string[];
}

interface Verdict {
  readonly result: CheckResult;
  readonly hint?: string;
}

const INSMOD_HINT = `load the module: insmod kmod/${KMOD_NAME}.ko on a ${describeTarget()} host, or ${GUEST_HINT}`;
const RELOAD_HINT = `the loaded ${KMOD_NAME} module does not match this cptctl: rebuild kmod/ from this checkout and reload it`;
const COMPAT_GREP = `dmesg | grep '${KMOD_NAME}: compat'`;
const REFUSED_HINT =
  `the ${KMOD_NAME} module checks the running kernel when it loads and refused it (${COMPAT_GREP}): ` +
  "build it against this kernel's headers (make -C kmod KDIR=...); if it still refuses, cpt does not support this kernel yet";

export function evaluateCheck(facts: CheckFacts): CheckReport {
  const kernelSupported = isTargetKernel(facts.kernel);
  const reply = facts.handshake.kind === 'answered' ? facts.handshake.reply : null;

  const verdicts = [
    kernelVerdict(facts.kernel, kernelSupported),
    moduleVerdict(facts, kernelSupported),
    compatVerdict(facts),
    deviceVerdict(facts),
    openVerdict(facts),
    handshakeVerdict(facts),
    ioctlsVerdict(facts, reply),
    ...(facts.imageKey === undefined ? [] : [imageKeyVerdict(facts.imageKey)]),
    ...(facts.tcpHolds === undefined ? [] : [tcpHoldsVerdict(facts.tcpHolds)]),
  ];
  const checks = verdicts.map((verdict) => verdict.result);
  const hints = [...new Set(verdicts.flatMap((verdict) => (verdict.hint === undefined ? [] : [verdict.hint])))];

  return {
    ok: checks.every((check) => check.status === 'ok'),
    kernel: { ...facts.kernel, supported: kernelSupported, target: describeTarget() },
    module: {
      loaded: facts.module.loaded,
      version: moduleVersion(facts),
      features: reply === null ? [] : decodeBits(reply.features, facts.catalog.featureBits),
      featureBits: reply?.features ?? null,
      ioctls: reply === null ? [] : decodeBits(reply.ioctls, facts.catalog.ioctlBits),
      ioctlBits: reply?.ioctls ?? null,
    },
    compat: compatSummary(facts.compat),
    imageKey: imageKeySummary(facts.imageKey),
    tcpHolds: facts.tcpHolds?.kind === 'listed' ? facts.tcpHolds.count : null,
    checks,
    hints,
  };
}

function imageKeySummary(fact: ImageKeyFact | undefined): CheckReport['imageKey'] {
  if (fact?.kind === 'loaded') return { loaded: true, keyId: fact.keyId };
  if (fact?.kind === 'none') return { loaded: false, keyId: null };
  return null;
}

/**
 * Informational: either way cptctl works. A loaded key only changes what
 * restart accepts (docs/security.md, authenticated images).
 */
export function imageKeyVerdict(fact: ImageKeyFact): Verdict {
  switch (fact.kind) {
    case 'not-attempted':
      return skip('key', 'needs an answered handshake');
    case 'unsupported':
      return skip('key', `the loaded ${KMOD_NAME} module has no authenticated images (CPT_FEATURE_AUTH)`);
    case 'failed':
      return fail('key', `CPT_IOC_KEY (status) failed with ${fact.code}: ${fact.message}`, RELOAD_HINT);
    case 'none':
      return pass('key', 'no image key loaded: images are written unauthenticated and any image restarts');
    case 'loaded':
      return pass('key', `image key ${fact.keyId} loaded: images are authenticated, and restart refuses one that is not`);
  }
}

/**
 * Informational: held connections are a checkpoint's, waiting for their
 * restart; the user may have forgotten one (its peer waits, retransmitting).
 */
export function tcpHoldsVerdict(fact: TcpHoldsFact): Verdict {
  switch (fact.kind) {
    case 'not-attempted':
      return skip('holds', 'needs an answered handshake');
    case 'unsupported':
      return skip('holds', `the loaded ${KMOD_NAME} module holds no TCP connections (CPT_FEATURE_TCP_HOLD)`);
    case 'failed':
      return fail('holds', `CPT_IOC_HOLD (list) failed with ${fact.code}: ${fact.message}`, RELOAD_HINT);
    case 'listed':
      return fact.count === 0
        ? pass('holds', 'no TCP connection held in this network namespace')
        : pass(
            'holds',
            `${fact.count} TCP connection${fact.count === 1 ? '' : 's'} of checkpoints --tcp-established held in this network namespace, ` +
              'their peers kept waiting until a restart or cptctl release (cptctl release --list)',
          );
  }
}

function compatSummary(compat: CompatFact): CheckReport['compat'] {
  return {
    builtFor: compat.kind === 'reported' ? compat.builtFor : null,
    checks: compat.kind === 'reported' ? compat.checks : [],
    refusal: compat.kind === 'refused' ? compat.message : null,
  };
}

export function isTargetKernel(kernel: KernelFacts): boolean {
  return isTargetRelease(kernel.release) && kernel.arch === TARGET_ARCH;
}

/** 6.1, 6.1.0-18-amd64, 6.1.55: yes. 6.10, 6.0.9, 5.1.0: no. */
function isTargetRelease(release: string): boolean {
  const match = /^(\d+)\.(\d+)(?!\d)/.exec(release);
  return match !== null && Number(match[1]) === TARGET_KERNEL.major && Number(match[2]) === TARGET_KERNEL.minor;
}

function moduleVersion(facts: CheckFacts): string | null {
  return facts.module.loaded ? (facts.module.version ?? 'unknown') : null;
}

function pass(name: CheckName, detail: string): Verdict {
  return { result: { name, status: 'ok', detail } };
}

function fail(name: CheckName, detail: string, hint?: string): Verdict {
  const result: CheckResult = { name, status: 'fail', detail };
  return hint === undefined ? { result } : { result, hint };
}

function skip(name: CheckName, reason: string): Verdict {
  return { result: { name, status: 'skip', detail: reason } };
}

function kernelVerdict(kernel: KernelFacts, supported: boolean): Verdict {
  const running = `Linux ${kernel.release} ${kernel.arch}`;
  if (supported) return pass('kernel', running);
  return fail(
    'kernel',
    `${running}, but cptctl targets ${describeTarget()}: the ${KMOD_NAME} module is written for that kernel only`,
    `cptctl cannot work on this kernel; ${GUEST_HINT}`,
  );
}

function moduleVerdict(facts: CheckFacts, kernelSupported: boolean): Verdict {
  if (facts.module.loaded) return pass('module', `${KMOD_NAME} is loaded, version ${moduleVersion(facts) ?? 'unknown'}`);
  return fail(
    'module',
    `${KMOD_NAME} is not loaded (no /sys/module/${KMOD_NAME})`,
    // On another kernel insmod cannot work, and the kernel check already says where to go.
    kernelSupported ? INSMOD_HINT : undefined,
  );
}

function compatVerdict(facts: CheckFacts): Verdict {
  const { compat } = facts;
  const notLoaded = `needs ${KMOD_NAME} loaded`;
  if (facts.module.loaded !== (compat.kind === 'reported' || compat.kind === 'absent')) return skip('compat', notLoaded);
  switch (compat.kind) {
    case 'reported':
      return reportedCompatVerdict(compat.builtFor, compat.checks);
    case 'absent':
      return fail('compat', `the loaded ${KMOD_NAME} module has no compat layer (no compat_checks parameter)`, RELOAD_HINT);
    case 'refused':
      return fail('compat', `the kernel log says the last load was refused: ${compat.message}`, REFUSED_HINT);
    case 'no-refusal':
      return skip('compat', `${notLoaded}; the kernel log has no compat refusal of it`);
    case 'log-unreadable':
      return skip(
        'compat',
        `${notLoaded}; if insmod failed, ${COMPAT_GREP} as root says which check refused it ` +
          `(cannot read the kernel log here: ${compat.reason})`,
      );
  }
}

function reportedCompatVerdict(builtFor: string | null, checks: readonly CompatCheckFact[]): Verdict {
  const named = (outcome: string): string[] => checks.filter((c) => c.outcome === outcome).map((c) => c.name);
  const other = checks.filter((c) => c.outcome !== 'ok' && c.outcome !== 'untested');
  if (checks.length === 0 || other.length > 0) {
    const listed = other.map((c) => `${c.name} ${c.outcome}`).join(', ');
    return fail('compat', `the module reports no passed checks${listed === '' ? '' : `: ${listed}`}`, RELOAD_HINT);
  }
  const untested = named('untested');
  return pass(
    'compat',
    [
      `built for ${builtFor ?? 'an unknown release'}`,
      `passed at load: ${named('ok').join(', ')}`,
      ...(untested.length === 0 ? [] : [`untested here: ${untested.join(', ')}`]),
    ].join('; '),
  );
}

function deviceVerdict(facts: CheckFacts): Verdict {
  const path = facts.devicePath;
  switch (facts.device.kind) {
    case 'char-device':
      return pass('device', `${path} is a character device`);
    case 'missing':
      return facts.module.loaded
        ? fail(
            'device',
            `${path} does not exist although ${KMOD_NAME} is loaded`,
            `is devtmpfs mounted on /dev? Otherwise create the node from /sys/class/misc/${KMOD_NAME}/dev with mknod`,
          )
        : fail('device', `${path} does not exist because the ${KMOD_NAME} module is not loaded`);
    case 'not-char-device':
      return fail(
        'device',
        `${path} is a ${facts.device.fileType}, not a character device`,
        `remove ${path} and reload the ${KMOD_NAME} module`,
      );
    case 'stat-failed':
      return fail('device', `cannot stat ${path}: ${facts.device.code} (${facts.device.message})`);
  }
}

function openVerdict(facts: CheckFacts): Verdict {
  const path = facts.devicePath;
  switch (facts.open.kind) {
    case 'not-attempted':
      return skip('open', `${path} is not available`);
    case 'opened':
      return pass('open', `${path} opens read-write`);
    case 'failed': {
      const { code, message } = facts.open;
      const denied = code === 'EACCES' || code === 'EPERM';
      return fail(
        'open',
        `cannot open ${path} read-write: ${code} (${message})`,
        denied ? 'run cptctl as root, e.g. sudo bin/cptctl check' : undefined,
      );
    }
  }
}

function handshakeVerdict(facts: CheckFacts): Verdict {
  const path = facts.devicePath;
  switch (facts.handshake.kind) {
    case 'not-attempted':
      return skip('handshake', `needs ${path} open`);
    case 'failed': {
      const { code, message } = facts.handshake;
      const why = code === 'ENOTTY' ? `${path} does not know CPT_IOC_API: is it really the ${KMOD_NAME} device?` : message;
      return fail('handshake', `CPT_IOC_API failed with ${code}: ${why}`, RELOAD_HINT);
    }
    case 'answered':
      return answeredVerdict(facts, facts.handshake.reply);
  }
}

function answeredVerdict(facts: CheckFacts, reply: ApiReply): Verdict {
  const { catalog } = facts;
  if (reply.api !== catalog.cptApi) {
    return fail('handshake', `the module speaks API ${hex(reply.api)}, cptctl speaks ${hex(catalog.cptApi)}`, RELOAD_HINT);
  }
  const features = decodeBits(reply.features, catalog.featureBits);
  const ioctls = decodeBits(reply.ioctls, catalog.ioctlBits);
  return pass(
    'handshake',
    [
      `module ${moduleVersion(facts) ?? 'unknown'}`,
      `API ${hex(reply.api)}`,
      `features: ${features.length === 0 ? 'none' : features.join(', ')} (${hex(reply.features)})`,
      `ioctls: ${ioctls.length === 0 ? 'none' : ioctls.join(', ')} (${hex(reply.ioctls)})`,
    ].join('; '),
  );
}

function ioctlsVerdict(facts: CheckFacts, reply: ApiReply | null): Verdict {
  if (reply?.api !== facts.catalog.cptApi) return skip('ioctls', 'needs an answered handshake');
  const missing = REQUIRED_IOCTLS.filter((name) => {
    const bit = facts.catalog.ioctlBits[name];
    return bit === undefined || !hasBit(reply.ioctls, bit);
  });
  if (missing.length === 0) return pass('ioctls', `all needed ioctls are supported: ${REQUIRED_IOCTLS.join(', ')}`);
  return fail('ioctls', `the module lacks ioctls cptctl needs: ${missing.join(', ')}`, RELOAD_HINT);
}
