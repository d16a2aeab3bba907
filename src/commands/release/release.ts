// `cptctl release IMAGE | --all | --list`: the module's TCP holds (README,
// "Connections to peers outside the tree"). A checkpoint --kill
// --tcp-established holds each connection whose peer is outside the tree;
// a restart drops the holds of the connections it makes again; release
// drops them when no restart will come, and the peers then see resets.
import type { Device } from '../../device.js';
import { openDevice } from '../../device.js';
import { EnvironmentError } from '../../errors.js';
import type { InetSocket } from '../../image/schema.js';
import type { CptAddon, HoldTuple } from '../../native.js';
import { isSystemError } from '../../native.js';
import { describeSystemError, moduleDetail } from '../../system-error.js';
import { inspect } from '../inspect/inspect.js';
import { inetAddress } from '../inspect/inet.js';

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;
/** The states of a connection an image holds: ESTABLISHED, SYN_SENT, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, CLOSING. */
const TCP_CONNECTED = new Set([1, 2, 4, 5, 8, 9, 11]);

/** A struct sockaddr_in or sockaddr_in6's address (v4 as v4-mapped) and port. */
function endOf(addr: Buffer): { address: Buffer; port: number } | null {
  if (addr.length < 8) return null;
  const family = addr.readUInt16LE(0);
  const port = addr.readUInt16BE(2);
  if (family === AF_INET) return { address: Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), addr.subarray(4, 8)]), port };
  if (family === AF_INET6 && addr.length >= 24) return { address: Buffer.from(addr.subarray(8, 24)), port };
  return null;
}

/** The hold a checkpoint --tcp-established gave an image's connection, as the module names it. */
export function holdTupleOf(s: InetSocket): HoldTuple | null {
  if (s.protocol !== IPPROTO_TCP || !TCP_CONNECTED.has(s.state)) return null;
  const local = endOf(s.local);
  const peer = endOf(s.peer);
  if (local === null || peer === null) return null;
  return { local: local.address, peer: peer.address, localPort: local.port, peerPort: peer.port, family: s.family, uid: 0 };
}

/** "127.0.0.1:80" or "[::1]:80" for a tuple's end (v4-mapped shown as IPv4). */
export function holdEnd(address: Buffer, port: number): string {
  const mapped = address.subarray(0, 10).every((b) => b === 0) && address[10] === 0xff && address[11] === 0xff;
  const sockaddr = Buffer.alloc(mapped ? 8 : 28);
  sockaddr.writeUInt16LE(mapped ? AF_INET : AF_INET6, 0);
  sockaddr.writeUInt16BE(port, 2);
  if (mapped) address.copy(sockaddr, 4, 12, 16);
  else address.copy(sockaddr, 8);
  return inetAddress(sockaddr);
}

export function describeHold(t: HoldTuple): string {
  return `TCP ${holdEnd(t.local, t.localPort)} -> ${holdEnd(t.peer, t.peerPort)} (held for uid ${t.uid})`;
}

async function withDevice<T>(addon: CptAddon, devicePath: string | undefined, use: (fd: number) => T): Promise<T> {
  const device: Device = await openDevice(addon, ['TCP_HOLD'], devicePath);
  try {
    return use(device.fd);
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    // The module's note, when it gave one, says what the hint would.
    const denied = (error.code === 'EPERM' || error.code === 'EACCES') && moduleDetail(error) === undefined;
    throw new EnvironmentError(`${error.syscall} CPT_IOC_HOLD: ${describeSystemError(error)}`, {
      cause: error,
      ...(denied ? { hint: 'releasing TCP holds needs CAP_NET_ADMIN over the network namespace' } : {}),
    });
  } finally {
    await device.close();
  }
}

/** The holds of the caller's network namespace. */
export async function listHolds(addon: CptAddon, devicePath?: string): Promise<HoldTuple[]> {
  return withDevice(addon, devicePath, (fd) => addon.hold(fd, addon.HOLD_OPS.LIST));
}

export interface ReleaseResult {
  /** The image's connections (or, with --all, none). */
  readonly connections: number;
  /** Holds dropped. */
  readonly released: number;
}

/** Drops the holds of the image's TCP connections. */
export async function releaseImage(addon: CptAddon, image: string, devicePath?: string): Promise<ReleaseResult> {
  const { summary } = await inspect(image);
  const tuples: HoldTuple[] = [];
  for (const files of summary.processFiles) {
    for (const file of files.files) {
      const tuple = file.inet === null ? null : holdTupleOf(file.inet);
      if (tuple !== null) tuples.push(tuple);
    }
  }
  if (tuples.length === 0) return { connections: 0, released: 0 };
  const released = await withDevice(addon, devicePath, (fd) => addon.hold(fd, addon.HOLD_OPS.RELEASE, tuples, 0));
  return { connections: tuples.length, released };
}

/** Drops every hold of the caller's network namespace. */
export async function releaseAll(addon: CptAddon, devicePath?: string): Promise<ReleaseResult> {
  const released = await withDevice(addon, devicePath, (fd) => addon.hold(fd, addon.HOLD_OPS.RELEASE, undefined, addon.HOLD_ALL));
  return { connections: 0, released };
}
