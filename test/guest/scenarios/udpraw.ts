// ICMP ping sockets and raw sockets (kmod/cpt_file_inet.c, cpt_compat_raw.c)
// through checkpoint -> kill -> restart: each keeps its name, options and
// filters, pings 127.0.0.1 or ::1 and gets its echo reply with its own id,
// and a raw ICMP socket still sees what its filter passes; hostile images;
// a restart without CAP_NET_RAW, or outside net.ipv4.ping_group_range, is
// refused by the kernel's checks.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

export const udprawScenarios: readonly Scenario[] = [
  {
    name: 'icmp-raw',
    run: cycle('icmp_raw', (dir) => ['serve', ...inDir(dir)], { after: shellHook('udpraw', 'after_icmp_raw') }),
    timeoutSeconds: 150,
    costSeconds: 6.5,
    checks: {
      'icmp-raw.checkpoint': 'a process holding ICMP ping and raw sockets of IPv4 and IPv6 is checkpointed and killed',
      'icmp-raw.exit-status': 'the restarted process checks its ping and raw sockets and ends well',
      'icmp-raw.ping4-unbound': 'an unbound ICMP ping socket comes back unbound',
      'icmp-raw.ping4-bound': 'an ICMP ping socket bound to 127.0.0.1 keeps its echo id',
      'icmp-raw.ping4-connected': 'a connected ICMP ping socket keeps its names and IP_TTL',
      'icmp-raw.ping6-bound': 'an ICMPv6 ping socket bound to ::1 keeps its echo id',
      'icmp-raw.ping6-connected': 'a connected ICMPv6 ping socket keeps its names',
      'icmp-raw.raw-icmp': 'a raw ICMP socket keeps its ICMP_FILTER',
      'icmp-raw.raw-icmp6': 'a raw ICMPv6 socket keeps its ICMPV6_FILTER',
      'icmp-raw.raw-raw': 'an IPPROTO_RAW socket keeps IP_HDRINCL',
      'icmp-raw.raw-udp': 'a raw UDP socket bound and connected keeps its names and the IP_HDRINCL it set',
      'icmp-raw.raw6-hdrincl': 'a raw IPv6 socket keeps IPV6_HDRINCL',
      'icmp-raw.raw-tcp': 'a connected raw socket of IPPROTO_TCP comes back connected, a raw socket (never taken for a TCP connection)',
      'icmp-raw.ping4-unbound-echo': 'the unbound ping socket pings 127.0.0.1 and gets the reply with the id its send chose',
      'icmp-raw.ping4-bound-echo': 'the bound ping socket pings 127.0.0.1 and gets the reply with its saved id',
      'icmp-raw.raw-icmp-filter': 'the raw ICMP socket sees that echo reply and, filtered out, no echo request',
      'icmp-raw.ping4-connected-echo': 'the connected ping socket pings its peer and gets the reply',
      'icmp-raw.ping6-bound-echo': 'the bound ICMPv6 ping socket pings ::1 and gets the reply with its saved id',
      'icmp-raw.raw-icmp6-filter': 'the raw ICMPv6 socket sees that echo reply and, filtered out, no echo request',
      'icmp-raw.ping6-connected-echo': 'the connected ICMPv6 ping socket pings its peer and gets the reply',
      'icmp-raw.inspect': 'inspect shows each ping and raw socket with its protocol, names and options',
      'icmp-raw.hostile-protocol': 'an image with a raw socket of protocol 0 is refused at restart',
      'icmp-raw.hostile-ping6-on-v4': 'an image with an ICMPv6 ping socket of IPv4 is refused at restart',
      'icmp-raw.hostile-filter': 'an image with ICMP_FILTER on a ping socket is refused at restart',
      'icmp-raw.hostile-filter6': 'an image with an ICMPV6_FILTER of the wrong size is refused at restart',
    },
  },
  {
    name: 'icmp-raw-nocap',
    run: shell('udpraw', 'icmp_raw_nocap'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 12.5,
    checks: {
      'icmp-raw-nocap.ping-group': 'a restart with ping_group_range holding none of the caller groups is refused, naming the ping socket',
      'icmp-raw-nocap.refused': 'a restart by a caller without CAP_NET_RAW is refused, naming the raw socket',
      'icmp-raw-nocap.exit-status': 'the ping and raw sockets image refused without CAP_NET_RAW, restarted by root, ends well',
      'icmp-raw-nocap.raw-icmp': 'the raw ICMP socket of a process without CAP_NET_RAW keeps its ICMP_FILTER',
      'icmp-raw-nocap.ping4-bound-echo': 'its ping socket pings 127.0.0.1 and gets the reply with its saved id',
      'icmp-raw-nocap.raw-icmp-filter': 'its raw ICMP socket sees that echo reply and no echo request',
    },
  },
];
