# shellcheck shell=sh
# Unix sockets connected to a server outside the tree
# (kmod/cpt_unix_unpaired.c): the servers (test/workloads/unix_ext.c) run
# outside the tree, the clients are checkpointed --kill and restarted.
# shellcheck disable=SC2016 # eval programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# restart_refused CHECK IMAGE WORDS: a restart of IMAGE must fail, saying
# WORDS (a grep pattern).
restart_refused() {
	cptctl_in /dev/null "$scratch/$1.err" restart "$2"
	status=$?
	refused=no
	[ "$status" -ne 0 ] && grep -q "$3" "$scratch/$1.err" && refused=yes
	pass_if "$1" "restart exited $status: $(tr '\n' ' ' <"$scratch/$1.err")" [ $refused = yes ]
}

# start_server CHECK KIND SOCK LOG: unix_ext's KIND-server (dgram or
# stream) on the path SOCK, logging to LOG, outside the tree; its pid in
# $server. Check CHECK.checkpoint fails when it never got ready.
start_server() {
	if ! start_workload "$2-server" "$workloads/unix_ext" "$2-server" "$3" "$4"; then
		result "$1.checkpoint" FAIL "the server never got ready: $(tr '\n' ' ' <"$out")"
		return 1
	fi
	server=$pid
}

# A client logging to a syslog-like server's datagram socket, outside the
# tree: connected to its path again at restart. Root's cptctl calls go
# through one node (cptctl_serve).
scenario_unixext2_dgram() {
	cptctl_serve || return
	sock=$scratch/log.sock log=$scratch/log.txt
	start_server unixext2-dgram dgram "$sock" "$log" || return
	if checkpoint_service unixext2-dgram dgram "$workloads/unix_ext" client dgram "$sock"; then
		inspect_shows unixext2-dgram.inspect "$scratch/dgram.img" 'datagram' \
			"datagram unbound, connected to $sock outside the tree"
		restart_service unixext2-dgram dgram
		wait_for_line "$log" '^after$'
		pass_if unixext2-dgram.server-received "the server logged: $(tr '\n' ' ' <"$log")" \
			eval 'grep -qx before "$log" && grep -qx after "$log"'
		kill "$server"
		wait_for_pid_gone "$server"
		rm -f "$sock"
		restart_refused unixext2-dgram.path-gone "$scratch/dgram.img" \
			"cannot connect a unix datagram socket to $sock outside the tree again: -2\b"
		if start_workload stream-server "$workloads/unix_ext" stream-server "$sock" "$scratch/stream.txt"; then
			restart_refused unixext2-dgram.path-stream "$scratch/dgram.img" \
				"cannot connect a unix datagram socket to $sock outside the tree again: -91\b"
			kill "$pid"
		fi
		cptctl_in "$scratch/dgram.json" "$scratch/json.err" inspect --json "$scratch/dgram.img"
		# A relative path would be found from wherever the restorer is.
		restart_file_edited unixext2-dgram.hostile-relative "$scratch/dgram.json" UNIX_DGRAM unixSocket \
			'.peer = "AQByZWwuc29jawA="' "bad socket peer"
		restart_file_edited unixext2-dgram.hostile-no-peer "$scratch/dgram.json" UNIX_DGRAM unixSocket \
			'.peer = ""' "bad socket peer"
		check_edited_restarts
	fi
	# The server may have ended already (its client's last datagram).
	kill "$server" 2>/dev/null || :
}

# A client connected to a stream server outside the tree: refused without
# --ext-unix-sk, and with it when the server's answer is still unread;
# with it, connected again at restart, the server accepting anew. Its
# cptctl calls go through one node (cptctl_serve).
scenario_unixext2_stream() {
	cptctl_serve || return
	sock=$scratch/srv.sock log=$scratch/srv.txt
	start_server unixext2-stream stream "$sock" "$log" || return
	expect_refusal unixext2-stream refused \
		"fd 3: a unix stream socket connected to a socket outside the tree, without --ext-unix-sk, is not supported" \
		"$workloads/unix_ext" client stream-kept "$sock"
	checkpoint_option=--ext-unix-sk
	expect_refusal unixext2-stream queued \
		"fd 3: a unix stream socket connected to a socket outside the tree, with unread data it would lose, is not supported" \
		"$workloads/unix_ext" client stream-queued "$sock"
	if checkpoint_service unixext2-stream stream "$workloads/unix_ext" client stream "$sock"; then
		inspect_shows unixext2-stream.inspect "$scratch/stream.img" 'stream' \
			"stream unbound, connected to $sock outside the tree"
		restart_service unixext2-stream stream
		wait_for_line "$log" ': after$'
		conn_before=$(sed -n 's/^conn \([0-9]*\): before$/\1/p' "$log" | tail -n 1)
		conn_after=$(sed -n 's/^conn \([0-9]*\): after$/\1/p' "$log")
		two=no
		[ -n "$conn_before" ] && [ -n "$conn_after" ] && [ "$conn_before" != "$conn_after" ] && two=yes
		pass_if unixext2-stream.server-accepted "the server logged: $(tr '\n' ' ' <"$log")" [ $two = yes ]
	fi
	checkpoint_option=
	kill "$server"
}

# A file in flight (SCM_RIGHTS) in a pair's queue of no kind a checkpoint
# saves (a NETLINK_FIB_LOOKUP socket): refused by name, the tree running on
# with it still in flight.
scenario_unixext2_rights() {
	expect_refusal unixext2-rights pair \
		"fd 3: netlink socket of protocol 10 is not supported" \
		"$workloads/unix_ext" client pair-rights -
}
