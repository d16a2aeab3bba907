# shellcheck shell=sh
# TCP and UDP sockets through cptctl's command line (test/workloads/inet_server.c):
# a server restarted by an unprivileged user; what a checkpoint refuses, the
# tree left running; a port taken by someone else before the restart; SO_MARK
# for a caller without CAP_NET_ADMIN; what inspect shows; hostile images.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# Root without CAP_NET_ADMIN and CAP_NET_RAW, for good.
without_net_caps() {
	setpriv --inh-caps=-net_admin,-net_raw --bounding-set=-net_admin,-net_raw "$@"
}

# After the inet-server cycle: inspect names each socket, its state and options.
# Its cptctl calls go through one node (cptctl_serve).
inspect_inet() {
	cptctl_serve || return
	inspect_shows inet-server.inspect "$img" 'TCP|UDP' \
		'TCP/IPv4 listening on 127\.0\.0\.1:[0-9]*, backlog 7, options SO_REUSEADDR, IP_FREEBIND, SO_KEEPALIVE, TCP_NODELAY, SO_OOBINLINE, TCP_KEEPIDLE=77, TCP_KEEPINTVL=11, TCP_KEEPCNT=5, SO_RCVBUF=131072, SO_PRIORITY=4, SO_MARK=42, IP_TOS=16, IP_TTL=33, SO_RCVLOWAT=2, SO_LINGER=3s, SO_BINDTODEVICE=lo' \
		'TCP/IPv6 listening on \[::1\]:[0-9]*, backlog 3, options IPV6_V6ONLY, SO_REUSEPORT, TCP_CORK, SO_SNDBUF=65536, IPV6_TCLASS=32, IPV6_UNICAST_HOPS=17' \
		'TCP/IPv6 listening on \[::ffff:127\.0\.0\.1\]:[0-9]*, backlog 2' \
		'TCP/IPv4 bound to 127\.0\.0\.1:[0-9]*, options SO_REUSEADDR' 'TCP/IPv6 unbound, options TCP_NODELAY' \
		'UDP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, options SO_BROADCAST' \
		'UDP/IPv6 unbound' 'UDP-Lite/IPv4 bound to 127\.0\.0\.1:'
	cptctl_in "$scratch/inet.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited inet-server.hostile-state "$scratch/inet.json" INET inet '.state = 1' "bad socket state"
	restart_file_edited inet-server.hostile-address "$scratch/inet.json" INET inet '.local = "AgA="' "bad socket address"
	check_edited_restarts
}

# The inet_server serve tree, as nobody from start to end.
scenario_inet_user() { cycle_as_nobody inet-user "$workloads/inet_server" serve; }

# What a checkpoint refuses by name, the tree left running with its state.
# Its cptctl calls go through one node (cptctl_serve).
scenario_inet_refused() {
	cptctl_serve || return
	expect_refusal inet-refused backlog \
		"fd 3: TCP listener on 127.0.0.1:[0-9]* with 1 connections not accepted yet: not supported yet" \
		"$workloads/inet_server" refused backlog
	expect_refusal inet-refused established "fd 4: a TCP socket whose connection ended, or a shut down socket is not supported" \
		"$workloads/inet_server" refused established
	expect_refusal inet-refused option "fd 3: socket option TCP_FASTOPEN is not supported" \
		"$workloads/inet_server" refused option
}

# A port someone else took between the checkpoint and the restart: the
# restart fails naming the fd, address and port, with nothing left bound;
# once the port is free again, the same image restarts.
# Its cptctl calls go through one node (cptctl_serve).
scenario_inet_port_taken() {
	cptctl_serve || return
	mkdir -p "$scratch/ports"
	if ! start_workload ports "$workloads/inet_server" ports "$scratch/ports"; then
		result inet-port-taken.refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	read -r port4 port6 <"$scratch/ports/ports"
	cptctl_in /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/ports.img" --kill ||
		{ result inet-port-taken.refused FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/ckpt.err")"; return; }
	wait_for_pid_gone "$pid"
	mkdir -p "$scratch/squat"
	"$workloads/inet_server" squat v6 "$port6" "$scratch/squat" >"$scratch/squat.out" 2>&1 &
	squatter=$!
	wait_until test -e "$scratch/squat/squatting"
	cptctl_in /dev/null "$scratch/taken.err" restart "$scratch/ports.img"
	status=$?
	pass_if inet-port-taken.refused "restart exited $status: $(tr '\n' ' ' <"$scratch/taken.err")" \
		grep -q "fd 4: cannot bind TCP socket to ::1 port $port6 again: taken by another socket" "$scratch/taken.err"
	# fd 3 was bound before fd 4 failed: let go of with the failed task.
	pass_if inet-port-taken.nothing-bound "port $port4 of 127.0.0.1 can be bound again" \
		wait_until "$workloads/inet_server" bindable v4 "$port4"
	touch "$scratch/squat/unsquat"
	wait "$squatter"
	rm -f "$scratch/ports/go"
	(wait_for_pid "$pid" && touch "$scratch/ports/go") &
	cptctl_in /dev/stdout "$scratch/restart.err" restart "$scratch/ports.img"
	status=$?
	pass_if inet-port-taken.exit-status "restarted once the port was free: exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT inet-port-taken./p" "$out"
}

# SO_MARK needs CAP_NET_ADMIN (or CAP_NET_RAW): a restart by root without
# them is refused naming the option; with them, the mark comes back.
# Root's cptctl calls go through one node (cptctl_serve).
scenario_inet_mark() {
	cptctl_serve || return
	mkdir -p "$scratch/mark"
	if ! start_workload mark "$workloads/inet_server" mark "$scratch/mark"; then
		result inet-mark.refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/mark.img" --kill ||
		{ result inet-mark.refused FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/ckpt.err")"; return; }
	wait_for_pid_gone "$pid"
	without_net_caps "$cptctl" restart --detach "$scratch/mark.img" >/dev/null 2>"$scratch/nocap.err"
	status=$?
	pass_if inet-mark.refused "restart without CAP_NET_ADMIN exited $status: $(tr '\n' ' ' <"$scratch/nocap.err")" \
		grep -q "fd 3: cannot set SO_MARK to 42 again: -1 (the restarting caller lacks" "$scratch/nocap.err"
	(wait_for_pid "$pid" && touch "$scratch/mark/go") &
	cptctl_in /dev/stdout "$scratch/restart.err" restart "$scratch/mark.img"
	status=$?
	pass_if inet-mark.exit-status "restart by root exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT inet-mark./p" "$out"
}
