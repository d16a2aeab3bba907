# shellcheck shell=sh
# ICMP ping and raw sockets (test/workloads/icmp_raw.c): what inspect shows,
# a restart by a caller without CAP_NET_RAW, hostile images.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the icmp-raw cycle: inspect names each socket; the image restarted
# without CAP_NET_RAW is refused, naming the raw socket; edited images.
after_icmp_raw() {
	inspect_shows icmp-raw.inspect "$img" 'ICMP|raw' \
		'ICMP ping/IPv4 unbound' 'ICMP ping/IPv4 bound to 127\.0\.0\.1:[0-9]+$' \
		'ICMP ping/IPv4 127\.0\.0\.1:[0-9]+ connected to 127\.0\.0\.1:0, options IP_TTL=33' \
		'ICMPv6 ping/IPv6 bound to \[::1\]:[0-9]+, options IPV6_V6ONLY' \
		'raw ICMP/IPv4 bound to 0\.0\.0\.0, options ICMP_FILTER=0x100' \
		'raw ICMPv6/IPv6 bound to \[::\], options ICMPV6_FILTER=f[f]*fdff' \
		'raw RAW/IPv4 bound to 0\.0\.0\.0, options IP_HDRINCL' \
		'raw UDP/IPv4 127\.0\.0\.1 connected to 127\.0\.0\.1, options IP_HDRINCL' \
		'raw UDP/IPv6 bound to \[::\], options IP_HDRINCL'
	setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
		timeout --foreground 60 "$cptctl" restart --detach "$img" >"$scratch/noraw.out" 2>&1
	status=$?
	pass_if icmp-raw.without-net-raw "restart exited $status: $(tr '\n' ' ' <"$scratch/noraw.out")" \
		sh -c '[ "$0" -ne 0 ] && grep -q "raw socket again: -1 (a raw socket needs CAP_NET_RAW)" "$1"' \
		"$status" "$scratch/noraw.out"
	"$cptctl" inspect --json "$img" >"$scratch/icmp.json" 2>"$scratch/json.err"
	restart_file_edited icmp-raw.hostile-protocol "$scratch/icmp.json" INET inet \
		'.type = 3 | .protocol = 0' "bad socket family, type or protocol"
	restart_file_edited icmp-raw.hostile-ping6-on-v4 "$scratch/icmp.json" INET inet \
		'.protocol = 58' "bad socket family, type or protocol"
	restart_file_edited icmp-raw.hostile-filter "$scratch/icmp.json" INET inet \
		'.icmpFilter = 5' "bad raw socket option"
	restart_file_edited icmp-raw.hostile-filter6 "$scratch/icmp.json" INET inet \
		'.type = 3 | .family = 10 | .protocol = 58 | .icmp6Filter = "AAAA"' "malformed File"
	check_edited_restarts
}
