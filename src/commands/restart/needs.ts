// The features a restart asks the module for because of what the image
// holds: a field that a module without the feature would not read, and so
// would restore the rest without what it holds (files in flight in a unix
// connection not accepted yet, socket options). Found before CPT_IOC_INIT by a walk over
// the image's record headers, reading only the FILES records' payloads;
// the module checks framing, CRCs and every value itself.
import type { ImageAbi } from '../../image/abi.js';
import { checkRecordHeader, CRC_SIZE, decodeRecordHeader, RECORD_HEADER_SIZE, recordLocation } from '../../image/framing.js';
import { PositionedSource, readUpTo } from '../../image/io.js';
import type { File, Files } from '../../image/schema.js';
import { decodeMessage } from '../../image/schema.js';
import type { FeatureName } from '../../native.js';

/**
 * Whether a File holds a socket option that only a module with
 * SOCKET_OPTIONS sets again: a timeout, a timestamp, a filter, a peek
 * offset (any kind), a unix pair's or listener's buffer size (an older
 * module reads those only for netlink and packet sockets), TCP_DEFER_ACCEPT
 * or TCP_CONGESTION.
 */
function needsSocketOptions(file: File): boolean {
  const tcp = file.inet !== null && (file.inet.tcpDeferAccept !== 0 || file.inet.tcpCongestion !== '');
  const o = file.socketOptions;
  if (o === null) return tcp;
  const unixBuffers = (file.kind === 'UNIX_PAIR' || file.kind === 'UNIX_LISTENER') && (o.rcvbuf !== 0 || o.sndbuf !== 0);
  return (
    unixBuffers ||
    o.rcvtimeoUs !== 0n ||
    o.sndtimeoUs !== 0n ||
    o.timestamp ||
    o.timestampns ||
    o.timestampNew ||
    o.timestamping !== 0 ||
    o.filter.length > 0 ||
    o.lockFilter ||
    o.peek ||
    tcp
  );
}

/**
 * What one FILES record needs: UNIX_PENDING_RIGHTS for a pending
 * connection's files in flight, SOCKET_OPTIONS for the socket options it
 * brought.
 */
export function featuresOfFiles(files: Files): FeatureName[] {
  const rights = files.files.some((file) => file.unixPending.some((p) => p.rights.some((r) => r.fileIds.length > 0)));
  return [
    ...(rights ? (['UNIX_PENDING_RIGHTS'] as const) : []),
    ...(files.files.some(needsSocketOptions) ? (['SOCKET_OPTIONS'] as const) : []),
  ];
}

/**
 * The features the image's FILES records need, read through `fd` (a
 * regular file) without moving its position. A record this walk cannot
 * read (truncated, malformed) ends it: the module refuses that image by
 * itself, saying where.
 */
export async function imageFeatures(abi: ImageAbi, fd: number): Promise<FeatureName[]> {
  const needed = new Set<FeatureName>();
  let offset = 0;
  for (let index = 0; ; index++) {
    const source = new PositionedSource(fd, offset);
    const headerBytes = await readUpTo(source, RECORD_HEADER_SIZE);
    if (headerBytes.length < RECORD_HEADER_SIZE) break;
    const header = decodeRecordHeader(headerBytes);
    const length = checkRecordHeader(abi, header, recordLocation(index, offset));
    if (abi.typeName(header.type) === 'FILES') {
      const payload = await readUpTo(source, length);
      if (payload.length < length) break;
      let files: Files;
      try {
        files = decodeMessage('Files', payload);
      } catch {
        break;
      }
      for (const name of featuresOfFiles(files)) needed.add(name);
    }
    offset += RECORD_HEADER_SIZE + length + CRC_SIZE;
  }
  return [...needed];
}
