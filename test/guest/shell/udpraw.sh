# shellcheck shell=sh
# ICMP ping and raw sockets (test/workloads/icmp_raw.c): what inspect shows,
# hostile images; a restart by a caller without CAP_NET_RAW or outside
# net.ipv4.ping_group_range.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the icmp-raw cycle: inspect names each socket; edited images.
# Its cptctl calls go through one node (cptctl_serve).
after_icmp_raw() {
	cptctl_serve || return
	inspect_shows icmp-raw.inspect "$img" 'ICMP|raw' \
		'ICMP ping/IPv4 unbound, options SO_REUSEADDR$' \
		'ICMP ping/IPv4 bound to 127\.0\.0\.1:[0-9]+, options SO_REUSEADDR$' \
		'ICMP ping/IPv4 127\.0\.0\.1:[0-9]+ connected to 127\.0\.0\.1:0, options SO_REUSEADDR, IP_TTL=33$' \
		'ICMPv6 ping/IPv6 bound to \[::1\]:[0-9]+, options IPV6_V6ONLY, SO_REUSEADDR$' \
		'ICMPv6 ping/IPv6 \[::1\]:[0-9]+ connected to \[::1\]:0, options IPV6_V6ONLY, SO_REUSEADDR$' \
		'raw ICMP/IPv4 bound to 0\.0\.0\.0, options SO_REUSEADDR, ICMP_FILTER=0x100$' \
		'raw ICMPv6/IPv6 bound to \[::\], options SO_REUSEADDR, ICMPV6_FILTER=f{32}fdf{30}$' \
		'raw RAW/IPv4 bound to 0\.0\.0\.0, options SO_REUSEADDR, IP_HDRINCL$' \
		'raw UDP/IPv4 127\.0\.0\.1 connected to 127\.0\.0\.1, options SO_REUSEADDR, IP_HDRINCL$' \
		'raw UDP/IPv6 bound to \[::\], options SO_REUSEADDR, IP_HDRINCL$' \
		'raw TCP/IPv4 127\.0\.0\.1 connected to 127\.0\.0\.1, options SO_REUSEADDR$'
	cptctl_in "$scratch/icmp.json" "$scratch/json.err" inspect --json "$img"
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

# A process that made an ICMP ping socket and a raw socket, then dropped
# CAP_NET_RAW: a restart with net.ipv4.ping_group_range holding none of
# root's groups is refused naming the ping socket, one by a caller without
# CAP_NET_RAW naming the raw socket (the kernel's checks, as the caller),
# nothing left behind; once both are allowed, the same image restarts.
scenario_icmp_raw_nocap() {
	mkdir -p "$scratch/nocap"
	if ! start_workload nocap "$workloads/icmp_raw" nocap "$scratch/nocap"; then
		result icmp-raw-nocap.ping-group FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/nocap.img" --kill ||
		{ result icmp-raw-nocap.ping-group FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/ckpt.err")"; return; }
	wait_for_pid_gone "$pid"
	range=$(cat /proc/sys/net/ipv4/ping_group_range)
	echo "1 0" >/proc/sys/net/ipv4/ping_group_range
	timeout --foreground 60 "$cptctl" restart --detach "$scratch/nocap.img" >/dev/null 2>"$scratch/group.err"
	status=$?
	echo "$range" >/proc/sys/net/ipv4/ping_group_range
	pass_if icmp-raw-nocap.ping-group "restart outside ping_group_range exited $status: $(tr '\n' ' ' <"$scratch/group.err")" \
		sh -c '[ "$0" -ne 0 ] && [ ! -d "/proc/$1" ] && grep -q "fd 3: cannot make its ICMP ping socket again: -13 (net.ipv4.ping_group_range" "$2"' \
		"$status" "$pid" "$scratch/group.err"
	setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
		timeout --foreground 60 "$cptctl" restart --detach "$scratch/nocap.img" >/dev/null 2>"$scratch/noraw.err"
	status=$?
	pass_if icmp-raw-nocap.refused "restart without CAP_NET_RAW exited $status: $(tr '\n' ' ' <"$scratch/noraw.err")" \
		sh -c '[ "$0" -ne 0 ] && [ ! -d "/proc/$1" ] && grep -q "fd 4: cannot make its raw socket again: -1 (a raw socket needs CAP_NET_RAW)" "$2"' \
		"$status" "$pid" "$scratch/noraw.err"
	(wait_for_pid "$pid" && touch "$scratch/nocap/go") &
	timeout --foreground 60 "$cptctl" restart "$scratch/nocap.img" 2>"$scratch/restart.err"
	status=$?
	pass_if icmp-raw-nocap.exit-status "restart by root exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT icmp-raw-nocap./p" "$out"
}
