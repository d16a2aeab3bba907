// A stand-in for cpt.ko behind the addon's session calls, so that the
// sequencing of checkpoint and restart runs on any host: it writes and
// reads image records on the image fd the way the module does (read(2) and
// write(2) at the file position), and fails where a test asks it to.
import { readSync, writeSync } from 'node:fs';

import type { CptAddon, NativeSystemError, SubsysName } from '../../../src/native.js';
import { loadAddon } from '../../../src/native.js';
import { imageAbi } from '../../../src/image/abi.js';
import { Crc32c } from '../../../src/image/crc32c.js';
import { decodeRecordHeader } from '../../../src/image/framing.js';
import type { RecordSpec } from './image-builder.js';
import { bodyRecords, encode, header, ipc, message, tree } from './image-builder.js';

/** A failed system call as the addon reports it. */
export function systemError(code: string, errno: number, operation: string, description: string): NativeSystemError {
  return Object.assign(new Error(`ioctl ${operation} failed: ${code} (${description})`), {
    code,
    errno: -errno,
    syscall: 'ioctl',
  });
}

export interface FakeModule {
  readonly addon: CptAddon;
  /** Every call, in order: 'INIT(CHECKPOINT 1234)', 'SAVE(TASK)', 'FINALIZE(RESUME)', 'restoreTree(1234)'. */
  readonly calls: string[];
  /** The fds the calls were made on (the /dev/cpt fd). */
  readonly deviceFds: Set<number>;
  /** Restart: the records restoreTree found after the manifest, by type. */
  readonly restoredRecords: string[];
  /** The flags of each INIT, by their INIT_FLAGS names. */
  readonly initFlags: string[][];
}

export interface FakeOptions {
  /**
   * Make a call fail: its name as in `calls` without arguments ('SAVE(MM)',
   * 'INIT', 'restoreTree'), the error, and how many times (every time by default).
   */
  readonly fail?: { readonly call: string; readonly error: Error; readonly times?: number };
  /** Features the handshake offers; all these by default. */
  readonly features?: readonly (
    'SESSION' | 'NEXT_PID' | 'TREE' | 'USER_RECORDS' | 'UNIX_PENDING_RIGHTS' | 'SOCKET_OPTIONS' | 'INIT_KILL' | 'TCP_HOLD'
  )[];
}

/** The records the module writes for each subsystem. */
function subsystemRecords(name: SubsysName): RecordSpec[] {
  const body = bodyRecords();
  if (name === 'MM') return body.filter((spec) => spec.type === 'MM' || spec.type === 'PAGES');
  return body.filter((spec) => spec.type === name);
}

export function fakeModule(options: FakeOptions = {}): FakeModule {
  const real = loadAddon();
  const abi = imageAbi();
  const calls: string[] = [];
  const deviceFds = new Set<number>();
  const restoredRecords: string[] = [];
  let records = 0;
  let bytes = 0;

  const nameOf = <K extends string>(table: Readonly<Record<K, number>>, value: number): K =>
    (Object.keys(table) as K[]).find((key) => table[key] === value) ?? (`${value}` as K);

  let failures = 0;
  const call = (name: string, detail: string, fd: number): void => {
    calls.push(detail === '' ? name : `${name}(${detail})`);
    deviceFds.add(fd);
    const { fail } = options;
    if (fail !== undefined && (fail.call === name || fail.call === `${name}(${detail})`) && failures < (fail.times ?? Infinity)) {
      failures++;
      throw fail.error;
    }
  };

  const write = (fd: number, specs: readonly RecordSpec[]): bigint => {
    let written = 0;
    for (const spec of specs) {
      const record = encode(spec);
      writeSync(fd, record, 0, record.length, null);
      written += record.length;
      records++;
    }
    bytes += written;
    return BigInt(written);
  };

  const readExactly = (fd: number, length: number): Buffer => {
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buffer, got, length - got, null);
      if (n === 0) throw Object.assign(new Error('ioctl failed: ENODATA'), { code: 'ENODATA', errno: -61, syscall: 'ioctl' });
      got += n;
    }
    return buffer;
  };

  const readRecordRaw = (fd: number): string => {
    const header = decodeRecordHeader(readExactly(fd, 16));
    readExactly(fd, Number(header.length) + 4);
    return abi.typeName(header.type) ?? String(header.type);
  };

  let imageFd = -1;
  const supported = options.features ?? ['SESSION', 'NEXT_PID', 'TREE', 'USER_RECORDS', 'INIT_KILL'];
  const initFlags: string[][] = [];
  const addon: CptAddon = {
    ...real,
    api: () => ({
      api: real.CPT_API,
      features: supported.reduce((mask, name) => mask | (1n << BigInt(real.FEATURE_BITS[name])), 0n),
      ioctls: Object.values(real.IOCTL_BITS).reduce((mask, bit) => mask | (1n << BigInt(bit)), 0n),
    }),
    init: (fd, request) => {
      try {
        call('INIT', `${nameOf(real.MODES, request.mode)}${request.target === undefined ? '' : ` ${request.target}`}`, fd);
        const flags = request.flags ?? 0;
        initFlags.push(Object.entries(real.INIT_FLAGS).flatMap(([name, bit]) => ((flags & bit) === 0 ? [] : [name])));
        imageFd = request.imageFd;
        if (request.mode === real.MODES.CHECKPOINT) {
          write(imageFd, [message('HEADER', 'ImageHeader', header), message('TREE', 'Tree', tree), message('IPC', 'SysvIpc', ipc)]);
        } else if (readRecordRaw(imageFd) !== 'HEADER' || readRecordRaw(imageFd) !== 'TREE' || readRecordRaw(imageFd) !== 'IPC') {
          throw new Error('no header and tree');
        }
        return Promise.resolve();
      } catch (error: unknown) {
        return Promise.reject(error);
      }
    },
    save: (fd, subsys) => {
      try {
        const name = nameOf(real.SUBSYS, subsys);
        call('SAVE', name, fd);
        return Promise.resolve({ bytes: write(imageFd, subsystemRecords(name)) });
      } catch (error: unknown) {
        return Promise.reject(error);
      }
    },
    finalize: (fd, action) => {
      try {
        call('FINALIZE', nameOf(real.FINALIZE_ACTIONS, action), fd);
        if (calls.some((c) => c.startsWith('SAVE'))) {
          write(imageFd, [message('TRAILER', 'Trailer', { records: BigInt(records), bytes: BigInt(bytes) })]);
        }
        return Promise.resolve({ frozenNs: 1234n, tasks: 1n, pagesScanned: 40n, pagesWritten: 6n, mmScanNs: 100n, mmWriteNs: 200n });
      } catch (error: unknown) {
        return Promise.reject(error);
      }
    },
    // A record of cptctl's own, written or read at the file position as the module does.
    userRecord: ((fd: number, type: number, payload?: Buffer): Promise<Buffer | undefined> => {
      try {
        const name = nameOf(real.RECORD_TYPES, type);
        call('USER_RECORD', name, fd);
        if (payload !== undefined) {
          write(imageFd, [{ type: name, payload }]);
          return Promise.resolve(undefined);
        }
        const headerBytes = readExactly(imageFd, 16);
        const header = decodeRecordHeader(headerBytes);
        const badMessage = systemError('EBADMSG', 74, 'CPT_IOC_USER_RECORD', 'Bad message');
        if (header.type !== type) throw badMessage;
        const rest = readExactly(imageFd, Number(header.length) + 4);
        const read = rest.subarray(0, Number(header.length));
        if (new Crc32c().update(headerBytes).update(read).digest() !== rest.readUInt32LE(read.length)) throw badMessage;
        return Promise.resolve(read);
      } catch (error: unknown) {
        return Promise.reject(error);
      }
    }) as CptAddon['userRecord'],
    setChildSubreaper: () => undefined,
    reapChildren: () => Promise.resolve(),
    restoreTree: (fd, plan) => {
      try {
        const pid = plan.tasks[plan.root]!.pid;
        call('restoreTree', String(pid), fd);
        // What the restoring task reads: every record after the manifest.
        for (;;) {
          const type = readRecordRaw(imageFd);
          restoredRecords.push(type);
          if (type === 'TRAILER') break;
        }
        return Promise.resolve({ pid });
      } catch (error: unknown) {
        return Promise.reject(error);
      }
    },
    setNextId: () => {
      throw new Error('restoreTree sets the next ids itself');
    },
    waitForExit: () => Promise.reject(new Error('not a real child')),
  };
  return { addon, calls, deviceFds, restoredRecords, initFlags };
}
