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
# left running with the connection; a restart of the image left running
# (--pidns, the same network namespace) is refused by name before it holds
# anything (the original's connection has its ends), which keeps working.
# outside_collision CHECK MODE: tcp_established MODE (outside, or
# outside-bound: the tree's end bound to lo, which a lookup of its ends on
# no device would miss), the checks CHECK.*. Its cptctl calls go through
# one node (cptctl_serve).
outside_collision() {
	hc=$1 hd=$scratch/$2
	cptctl_serve || return
	mkdir -p "$hd"
	if ! start_workload "$2" "$workloads/tcp_established" "$2" "$hd"; then
		result "$hc.leave-running" FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	read -r child <"$hd/pid"
	cptctl_in /dev/stdout "$hd/running.err" checkpoint "$child" -o "$hd/running.img"
	status=$?
	pass_if "$hc.leave-running" "checkpoint leaving it running exited $status: $(tr '\n' ' ' <"$hd/running.err")" \
		[ "$status" -eq 0 ]
	cptctl_in /dev/stdout "$hd/kill.err" checkpoint "$child" -o "$hd/kill.img" --kill
	status=$?
	pass_if "$hc.refused" "checkpoint --kill exited $status: $(tr '\n' ' ' <"$hd/kill.err")" \
		grep -q "TCP connection 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:[0-9]*: its peer is outside the tree" "$hd/kill.err"
	pass_if "$hc.alive" "pid $child is still running" [ -d "/proc/$child" ]
	cptctl_in /dev/stdout "$hd/collide.err" restart --pidns "$hd/running.img"
	status=$?
	cptctl_in "$hd/collide.holds" "$hd/collide.holds" release --list
	alive=0
	[ -d "/proc/$child" ] || alive=1
	pass_if "$hc.collision" "restart --pidns of the image left running exited $status: $(tr '\n' ' ' <"$hd/collide.err"); holds: $(tr '\n' ' ' <"$hd/collide.holds"); pid $child alive after it: $alive; its fds: $(ls -l "/proc/$child/fd" 2>&1 | tr '\n' ' ' | cut -c1-300); TCP: $(tail -n +2 /proc/net/tcp | awk '{ print $2, $3, $4 }' | tr '\n' ' ')" \
		eval '[ "$alive" -eq 0 ] && [ "$status" -ne 0 ] && grep -q "fd [0-9]* of pid [0-9]*: TCP connection 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:[0-9]*: a connection with these ends already exists; the restart is refused" "$hd/collide.err" && grep -q "^no TCP holds" "$hd/collide.holds"'
	touch "$hd/go"
	wait_for_line "$out" "RESULT kept"
	sed -n "s/^RESULT kept/RESULT $hc.kept/p" "$out"
}

scenario_tcp_established_outside() { outside_collision tcp-established-outside outside; }
scenario_tcp_established_bound() { outside_collision tcp-established-bound outside-bound; }

# killed_workload MODE: tcp_established MODE $hd (its output in $out, its
# pid in $pid) checkpointed --kill into $hd/tree.img (check $hc.checkpoint)
# and gone; 1 when either failed.
killed_workload() {
	mkdir -p "$hd"
	if ! start_workload "$1" "$workloads/tcp_established" "$1" "$hd"; then
		result "$hc.checkpoint" FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return 1
	fi
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$pid" -o "$hd/tree.img" --kill
	status=$?
	pass_if "$hc.checkpoint" "checkpoint --kill exited $status: $(tr '\n' ' ' <"$hd/checkpoint.err")" [ "$status" -eq 0 ]
	[ "$status" -eq 0 ] && wait_for_pid_gone "$pid"
}

# restart_paused DIR: DIR/tree.img restarted by cptctl in the background
# (its pid in $rpid, its output in DIR/restart.out and .err), stopped as
# soon as the restored root ($pid) exists: before its final step, which
# waits for cptctl's FINALIZE, the restored tree's connections are made
# again in repair mode and held (kmod/cpt_file_inet_tcp.c). Watched without
# a pause (the build takes a moment). Not through cptctl_in: the rows
# call cptctl_in's node while this restart is stopped.
restart_paused() {
	"$cptctl" restart "$1/tree.img" >"$1/restart.out" 2>"$1/restart.err" </dev/null &
	rpid=$!
	until [ -d "/proc/$pid" ] || ! kill -0 "$rpid" 2>/dev/null; do :; done
	kill -STOP "$rpid"
}

# The tree's own connections (tcp_established pairs: two, v4 and v6, both
# ends in the tree, data unread and unsent both ways) checkpointed --kill,
# then restarted and paused before the final step while a stranger sends
# each end, made again and filled, a segment TCP would take: to the v4
# ends a reset at exactly their rcv_nxt, to the v6 ends 4 bytes at their
# rcv_nxt (tcp-inject.py). The holds drop them all: every end is still
# ESTABLISHED, the restart succeeds, and each stream arrives byte for
# byte, nothing more, no reset.
scenario_tcp_restart_held() {
	hc=tcp-restart-held hd=$scratch/held
	killed_workload pairs || return
	cptctl_in "$hd/tree.json" "$hd/json.err" inspect --json "$hd/tree.img"
	restart_paused "$hd"
	python3 "$repo/test/guest/tcp-inject.py" "$hd/tree.json" >"$hd/inject.out" 2>&1
	kill -CONT "$rpid"
	touch "$hd/go"
	wait "$rpid"
	status=$?
	pass_if "$hc.dropped" "segments sent while the restart was paused: $(tr '\n' ' ' <"$hd/inject.out")" \
		grep -q '^established 4 of 4$' "$hd/inject.out"
	pass_if "$hc.exit-status" "restart exited $status: $(tr '\n' ' ' <"$hd/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT $hc./p" "$out"
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.hold-dropped" "holds after the restart: $(tr '\n' ' ' <"$hd/holds")" grep -q '^no TCP holds' "$hd/holds"
}

# established_to PORT: a connection to PORT (decimal) is ESTABLISHED in /proc/net/tcp.
established_to() {
	awk -v p="$(printf ':%04X' "$1")" '$3 ~ p "$" && $4 == "01" { found = 1 } END { exit !found }' /proc/net/tcp
}

# out_rsts: the resets TCP sent so far (Tcp OutRsts in /proc/net/snmp).
out_rsts() {
	awk '$1 == "Tcp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "OutRsts") c = i; n = 1 } else print $c }' /proc/net/snmp
}

# held_count FILE: how many connections cptctl release --list, into FILE, shows held.
held_count() {
	cptctl_in "$1" "$1" release --list
	grep -c "^TCP .* -> .* (held for uid 0)" "$1"
}

# A connection whose keepalive (one probe after 1 s idle) goes unanswered
# while the restart holds it, paused before its final step: the client end
# times out and closes (tcp_keepalive_timer() sends its reset, counted in
# OutRsts, and closes it: waited for, however slow the kernel; a poll for
# ESTABLISHED could miss the moment it had it). The final step refuses the
# restart, naming the fd and pid, the state it was made in and the one it
# is in, instead of resuming a tree whose program would find it reset;
# nothing is left (no hold, no process).
# Meanwhile the holds the paused restart relies on are its own: cptctl
# release IMAGE is refused (EBUSY) naming a connection, --all skips them;
# and once the client end is closed (no live connection has its ends any
# more), a second restart of the image, which would rely on its hold too,
# is refused (EBUSY) before it makes anything.
scenario_tcp_restart_refused() {
	hc=tcp-restart-refused hd=$scratch/refused
	cptctl_serve || return
	killed_workload keepalive || return
	read -r port <"$hd/port"
	rsts=$(out_rsts)
	restart_paused "$hd"
	wait_until eval '[ "$(held_count "$hd/holds-made")" -eq 2 ]'
	cptctl_in "$hd/release.out" "$hd/release.out" release "$hd/tree.img"
	status=$?
	held=$(held_count "$hd/holds-release")
	pass_if "$hc.release-busy" "release IMAGE while the restart is paused exited $status: $(tr '\n' ' ' <"$hd/release.out"); holds after: $(tr '\n' ' ' <"$hd/holds-release")" \
		eval '[ "$status" -ne 0 ] && [ "$held" -eq 2 ] && grep -q "EBUSY.*TCP connection \[::ffff:127\.0\.0\.1\]:[0-9]* -> \[::ffff:127\.0\.0\.1\]:[0-9]*: a restart making it holds it until its end; not released" "$hd/release.out"'
	cptctl_in "$hd/release-all.out" "$hd/release-all.out" release --all
	status=$?
	held=$(held_count "$hd/holds-release-all")
	pass_if "$hc.release-all-skips" "release --all while the restart is paused exited $status: $(tr '\n' ' ' <"$hd/release-all.out"); holds after: $(tr '\n' ' ' <"$hd/holds-release-all")" \
		eval '[ "$status" -eq 0 ] && [ "$held" -eq 2 ] && grep -q "^released 0 TCP holds$" "$hd/release-all.out"'
	wait_until eval '[ "$(out_rsts)" -gt "$rsts" ] && ! established_to "$port"'
	timed=$?
	cptctl_in /dev/stdout "$hd/second.err" restart --pidns "$hd/tree.img"
	status=$?
	held=$(held_count "$hd/holds-second")
	pass_if "$hc.second-busy" "a second restart (--pidns) while the first is paused, the client end closed, exited $status: $(tr '\n' ' ' <"$hd/second.err"); holds after: $(tr '\n' ' ' <"$hd/holds-second")" \
		eval '[ "$status" -ne 0 ] && [ "$held" -eq 2 ] && grep -q "EBUSY.*TCP connection \[::ffff:127\.0\.0\.1\]:[0-9]* -> \[::ffff:127\.0\.0\.1\]:$port: another restart holds it, making it again; the restart is refused" "$hd/second.err"'
	kill -CONT "$rpid"
	touch "$hd/go"
	wait "$rpid"
	status=$?
	pass_if "$hc.timed-out" "resets sent: $rsts before the restart, $(out_rsts) after; timed out and closed while paused: $timed" \
		[ "$timed" -eq 0 ]
	pass_if "$hc.refused" "restart exited $status: $(tr '\n' ' ' <"$hd/restart.err")" \
		eval '[ "$status" -ne 0 ] && grep -q "fd [0-9]* of pid [0-9]*: TCP connection 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:$port: made again ESTABLISHED, it is CLOSE.*(shutdown was/is 0x0/.*, error -[0-9]*) .*reset, timed out or an ICMP error meanwhile; the restart is refused" "$hd/restart.err"'
	wait_for_pid_gone "$pid"
	gone=$?
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.nothing-left" "restored root gone: $gone; holds: $(tr '\n' ' ' <"$hd/holds")" \
		eval '[ "$gone" -eq 0 ] && grep -q "^no TCP holds" "$hd/holds"'
}

# A connection with an error pending (sk_err) at the final step, still
# ESTABLISHED in repair mode: the tree's own connections (tcp_established
# pairs) checkpointed --kill, restarted and paused before the final step;
# a root process sets IP_RECVERR on the restored root's IPv4 end through a
# copy of its fd (pidfd_getfd()) and sends it an ICMP port unreachable
# (tcp-inject.py --icmp-error), which TCP takes as a hard error. The final
# step refuses the restart naming the connection and its error (-111,
# ECONNREFUSED) rather than resume a program that would find it so;
# nothing is left.
scenario_tcp_restart_error() {
	hc=tcp-restart-error hd=$scratch/error
	cptctl_serve || return
	killed_workload pairs || return
	cptctl_in "$hd/tree.json" "$hd/json.err" inspect --json "$hd/tree.img"
	restart_paused "$hd"
	python3 "$repo/test/guest/tcp-inject.py" "$hd/tree.json" --icmp-error "$pid" >"$hd/inject.out" 2>&1
	pass_if "$hc.error-sent" "while the restart was paused: $(tr '\n' ' ' <"$hd/inject.out")" \
		eval 'grep -q "^IP_RECVERR on fd [0-9]* of pid $pid, then ICMP port unreachable" "$hd/inject.out" && grep -q "^established 4 of 4$" "$hd/inject.out"'
	kill -CONT "$rpid"
	touch "$hd/go"
	wait "$rpid"
	status=$?
	pass_if "$hc.refused" "restart exited $status: $(tr '\n' ' ' <"$hd/restart.err")" \
		eval '[ "$status" -ne 0 ] && grep -q "fd [0-9]* of pid $pid: TCP connection 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:[0-9]*: made again ESTABLISHED, it is ESTABLISHED (shutdown was/is 0x0/0x0, error -111) .*; the restart is refused" "$hd/restart.err"'
	wait_for_pid_gone "$pid"
	gone=$?
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.nothing-left" "restored root gone: $gone; holds: $(tr '\n' ' ' <"$hd/holds")" \
		eval '[ "$gone" -eq 0 ] && grep -q "^no TCP holds" "$hd/holds"'
}
