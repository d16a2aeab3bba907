// How inspect shows the socket-level options a restart sets again
// (SocketOptions), by their setsockopt() names, for every socket kind. Pure.
import type { SocketOptions } from '../../image/schema.js';

const SOCK_FILTER_SIZE = 8;

/** A timeout in microseconds as seconds: "1.500000s". */
function seconds(us: bigint): string {
  return `${us / 1_000_000n}.${(us % 1_000_000n).toString().padStart(6, '0')}s`;
}

/** "SO_RCVBUF=425984", "SO_RCVTIMEO=1.500000s", "SO_TIMESTAMPNS_NEW", "SO_ATTACH_FILTER (4 instructions)", "SO_PEEK_OFF=0"... */
export function socketOptions(o: SocketOptions | null): string[] {
  if (o === null) return [];
  const values: [number, string][] = [
    [o.rcvbuf, 'SO_RCVBUF'],
    [o.sndbuf, 'SO_SNDBUF'],
    [o.priority, 'SO_PRIORITY'],
    [o.mark, 'SO_MARK'],
  ];
  const variant = o.timestampNew ? '_NEW' : '';
  return [
    ...values.filter(([value]) => value !== 0).map(([value, name]) => `${name}=${value}`),
    ...(o.passcred ? ['SO_PASSCRED'] : []),
    ...(o.rcvtimeoUs !== 0n ? [`SO_RCVTIMEO=${seconds(o.rcvtimeoUs)}`] : []),
    ...(o.sndtimeoUs !== 0n ? [`SO_SNDTIMEO=${seconds(o.sndtimeoUs)}`] : []),
    ...(o.timestamping !== 0 ? [`SO_TIMESTAMPING${variant}=0x${o.timestamping.toString(16)}`] : []),
    ...(o.timestamp ? [`${o.timestampns ? 'SO_TIMESTAMPNS' : 'SO_TIMESTAMP'}${variant}`] : []),
    ...(o.filter.length > 0 ? [`SO_ATTACH_FILTER (${o.filter.length / SOCK_FILTER_SIZE} instructions)`] : []),
    ...(o.lockFilter ? ['SO_LOCK_FILTER'] : []),
    ...(o.peek ? [`SO_PEEK_OFF=${o.peekOff}`] : []),
  ];
}

/** line, and ", options ..." if the socket has any. */
export function withSocketOptions(line: string, o: SocketOptions | null): string {
  const options = socketOptions(o);
  return options.length === 0 ? line : `${line}, options ${options.join(', ')}`;
}
