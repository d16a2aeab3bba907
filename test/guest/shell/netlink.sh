# shellcheck shell=sh
# Netlink sockets (test/workloads/netlink_sockets.c): what inspect shows,
# hostile images, a restart whose port id another socket holds; the
# workload as nobody; what a checkpoint refuses by name.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the netlink cycle: inspect names each socket; edited images; the
# image restarted while another socket holds fd 4's port id (0x7f000000 +
# the pid) is refused, naming fd 4 and the port id, nothing left running.
after_netlink() {
	cptctl_serve || return
	inspect_shows netlink.inspect "$img" 'netlink' \
		'netlink route bound to port id [0-9]+, groups 1,5,33, options NETLINK_PKTINFO, NETLINK_BROADCAST_ERROR, NETLINK_NO_ENOBUFS, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, SO_RCVBUF=131072$' \
		'netlink route bound to port id [0-9]+, connected to port id 0, options NETLINK_CAP_ACK, SO_PASSCRED$' \
		'netlink generic \(datagram\) unbound$' \
		'netlink generic bound to port id [0-9]+, options NETLINK_LISTEN_ALL_NSID$' \
		'netlink route unbound, groups 9$'
	cptctl_in "$scratch/netlink.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited netlink.hostile-protocol "$scratch/netlink.json" NETLINK netlink \
		'.protocol = 9' "bad netlink socket protocol or type"
	restart_file_edited netlink.hostile-peer "$scratch/netlink.json" NETLINK netlink \
		'.dstGroup = 5' "bad netlink socket peer"
	restart_file_edited netlink.hostile-group "$scratch/netlink.json" NETLINK netlink \
		'.groups = [5, 1]' "malformed File"
	restart_file_edited netlink.hostile-rcvbuf "$scratch/netlink.json" NETLINK socketOptions \
		'.rcvbuf = 4294967295' "bad socket option"
	check_edited_restarts
	portid=$((0x7f000000 + pid))
	mkdir -p "$scratch/hold"
	holder_out=$scratch/hold.out
	holder=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$holder_out" \
		"$workloads/netlink_sockets" hold "$portid" "$scratch/hold")
	wait_for_line "$holder_out" READY
	cptctl_in "$scratch/taken.out" "$scratch/taken.err" restart --detach "$img"
	status=$?
	touch "$scratch/hold/go"
	pass_if netlink.portid-taken "restart with port id $portid taken exited $status: $(tr '\n' ' ' <"$scratch/taken.err")" \
		sh -c '[ "$0" -ne 0 ] && [ ! -d "/proc/$1" ] && grep -q "fd 4: cannot bind its netlink socket to port id $2 (groups 0x0) again: taken by another socket" "$3"' \
		"$status" "$pid" "$portid" "$scratch/taken.err"
	# Not this shell's child (sh -c started it): wait would say 127.
	wait_for_pid_gone "$holder"
}

scenario_netlink_user() { cycle_as_nobody netlink-user "$workloads/netlink_sockets" user; }

scenario_netlink_refused() {
	expect_refusal netlink-refused unread \
		"fd 3: netlink socket with [0-9]* unread bytes is not supported" \
		"$workloads/netlink_sockets" refused unread
	expect_refusal netlink-refused dump \
		"fd 3: netlink socket with a dump in progress (its reply not read to the end) is not supported" \
		"$workloads/netlink_sockets" refused dump
	expect_refusal netlink-refused protocol \
		"fd 3: netlink socket of protocol 10 is not supported" \
		"$workloads/netlink_sockets" refused protocol
}
