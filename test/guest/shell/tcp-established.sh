# shellcheck shell=sh
# Established TCP connections (test/workloads/tcp_established.c, TCP repair
# mode in kmod/cpt_file_inet_tcp.c and cpt_compat_tcp.c): what inspect shows of
# one, and a connection whose peer is outside the tree.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the tcp-established cycle: what inspect shows of the connections.
after_tcp_established() {
	cptctl_in "$scratch/tcp.inspect" "$scratch/tcp.inspect" inspect "$img"
	want='TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, send queue [1-9][0-9]* bytes from seq [0-9]* ([1-9][0-9]* unsent), receive queue [1-9][0-9]* bytes from seq [0-9]*, MSS [0-9]*, wscale [0-9]*/[0-9]*, SACK, timestamps, windows snd [0-9]* rcv [0-9]*, options TCP_NODELAY'
	pass_if tcp-established.inspect "inspect shows: $(grep -E 'TCP' "$scratch/tcp.inspect" | tr -s ' ' | tr '\n' '|')" \
		grep -q -- "$want" "$scratch/tcp.inspect"
}

# A connection whose peer is outside the checkpointed tree: a checkpoint
# leaving it running keeps it working; --kill is refused by name, the tree
# left running with the connection.
# Its cptctl calls go through one node (cptctl_serve).
scenario_tcp_established_outside() {
	cptctl_serve || return
	mkdir -p "$scratch/outside"
	if ! start_workload outside "$workloads/tcp_established" outside "$scratch/outside"; then
		result tcp-established-outside.leave-running FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	read -r child <"$scratch/outside/pid"
	cptctl_in /dev/stdout "$scratch/running.err" checkpoint "$child" -o "$scratch/running.img"
	status=$?
	pass_if tcp-established-outside.leave-running "checkpoint leaving it running exited $status: $(tr '\n' ' ' <"$scratch/running.err")" \
		[ "$status" -eq 0 ]
	cptctl_in /dev/stdout "$scratch/kill.err" checkpoint "$child" -o "$scratch/kill.img" --kill
	status=$?
	pass_if tcp-established-outside.refused "checkpoint --kill exited $status: $(tr '\n' ' ' <"$scratch/kill.err")" \
		grep -q "TCP connection 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:[0-9]*: its peer is outside the tree" "$scratch/kill.err"
	pass_if tcp-established-outside.alive "pid $child is still running" [ -d "/proc/$child" ]
	touch "$scratch/outside/go"
	wait_for_line "$out" "RESULT kept"
	sed -n "s/^RESULT kept/RESULT tcp-established-outside.kept/p" "$out"
}
