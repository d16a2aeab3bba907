// What this build of cptctl expects of the machine it runs on. These are
// facts about kmod/ and the guest, not about <linux/cpt.h>: the ABI's own
// constants come from the addon (src/native.ts).
import type { IoctlName } from './native.js';

/** The kernel the module is written for: Linux 6.1.x (the guest's kernel). */
export const TARGET_KERNEL = { major: 6, minor: 1 } as const;

/** The only architecture the module and its register save/restore support. */
export const TARGET_ARCH = 'x86_64';

/** The module's name as kbuild gives it (kmod/cpt.ko), i.e. /sys/module/<name>. */
export const KMOD_NAME = 'cpt';

/** Ioctls cptctl cannot work without; the module must report each in cpt_api.ioctls. */
export const REQUIRED_IOCTLS: readonly IoctlName[] = ['API', 'INIT', 'SAVE', 'RESTORE', 'FINALIZE', 'SET_NEXT_ID'];

/** How to run cptctl where the target kernel is (the QEMU guest of vm/). */
export const GUEST_HINT = 'run it inside the guest, which boots the target kernel: vm/run -- bin/cptctl check';

export function describeTarget(): string {
  return `Linux ${TARGET_KERNEL.major}.${TARGET_KERNEL.minor}.x on ${TARGET_ARCH}`;
}
