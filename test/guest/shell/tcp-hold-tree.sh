# shellcheck shell=sh
# shellcheck disable=SC2016 # pass_if ... eval '...': expanded when evaluated
# The tree's own connection, its data still moving at the checkpoint
# (test/workloads/tcp_moving.c; netem on lo: a delay of 50 ms, 4 Mbit/s; an
# MTU of 1500): a --kill refused after the holds (a later process's fd)
# leaves none and the tree running, its connection working; a checkpoint
# leaving it running holds nothing and delays nothing; a --kill succeeds
# at the first try (CPT_INIT_KILL: held from its first FILES,
# kmod/cpt_file_inet_tcp.c), and the restarted ends get each other's
# streams whole, in order, no reset.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# The resets TCP sent so far (Tcp OutRsts in /proc/net/snmp).
out_rsts() {
	awk '$1 == "Tcp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "OutRsts") c = i; n = 1 } else print $c }' /proc/net/snmp
}

# retrans PORT: the retransmissions (TCP_INFO's tcpi_total_retrans, ss's
# retrans:N/TOTAL) of the two ends of the connection to PORT, summed.
retrans() {
	ss -tinH "( sport = :$1 or dport = :$1 )" |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^retrans:/) { split($i, r, "[:/]"); n += r[3] } } END { print n + 0 }'
}

# unheld FILE: cptctl release --list, into FILE, says no connection is held.
unheld() {
	cptctl_in "$1" "$1" release --list && grep -q '^no TCP holds' "$1"
}

# moving_gone: the workload (root $pid, its child $child) killed, if it runs.
moving_gone() {
	kill -KILL "$pid" "$child" 2>/dev/null
	wait_for_pid_gone "$pid"
}

# moving_steps ROW FAMILY DIR: the checks of ROW, netem's delay on lo.
moving_steps() {
	mc=$1 md=$3
	if ! start_workload "$mc" "$workloads/tcp_moving" "$md" "$2"; then
		text_of said "$out"
		result "$mc.refused" FAIL "the workload never got ready: $said"
		return
	fi
	child=$(sed -n 's/^READY //p' "$out")
	read -r port <"$md/port"

	# A --kill refused in the child's FILES, after the parent's took the holds.
	before=$(retrans "$port")
	cptctl_in /dev/stdout "$md/refused.err" checkpoint "$pid" -o "$md/refused.img" --kill
	status=$?
	unheld "$md/holds-refused"
	held=$?
	text_of said "$md/refused.err"
	pass_if "$mc.refused" "checkpoint --kill exited $status: $said" \
		eval '[ "$status" -ne 0 ] && grep -q "SO_MAX_PACING_RATE" "$md/refused.err" && [ -d "/proc/$pid" ] && [ -d "/proc/$child" ]'
	text_of holds "$md/holds-refused"
	pass_if "$mc.refused-unheld" "holds after it: $holds" [ "$held" -eq 0 ]
	touch "$md/unrefuse"
	wait_until test -f "$md/unrefused"
	moved=$?
	pass_if "$mc.refused-kept" "the refused tree runs on, its connection moving 256 KiB more: $moved; retransmissions of its ends: $before before the refused --kill, $(retrans "$port") now" \
		eval '[ "$moved" -eq 0 ] && [ -d "/proc/$pid" ]'

	# Left running: nothing held, during it (no segment dropped, so none
	# retransmitted) or after it.
	before=$(retrans "$port")
	cptctl_in /dev/stdout "$md/running.err" checkpoint "$pid" -o "$md/running.img"
	status=$?
	unheld "$md/holds-running"
	held=$?
	cptctl_in "$md/check.json" "$md/check.json" check --json
	"$waitfor" nap 1
	after=$(retrans "$port")
	text_of said "$md/running.err"
	pass_if "$mc.leave-running" "checkpoint leaving it running exited $status: $said" [ "$status" -eq 0 ]
	text_of holds "$md/holds-running"
	pass_if "$mc.leave-running-unheld" "holds after it: $holds; check --json: $(grep '"tcpHolds"' "$md/check.json"); retransmissions of its ends: $before before, $after a second after" \
		eval '[ "$held" -eq 0 ] && grep -q "\"tcpHolds\": 0," "$md/check.json" && [ "$after" -eq "$before" ]'

	# The --kill, at the first try however busy the connection.
	ss -tinH "( sport = :$port or dport = :$port )" >"$md/ss-before" 2>&1
	cptctl_in /dev/stdout "$md/checkpoint.err" checkpoint "$pid" -o "$md/tree.img" --kill
	status=$?
	text_of said "$md/checkpoint.err"
	text_of ends "$md/ss-before"
	pass_if "$mc.checkpoint" "checkpoint --kill exited $status: $said; its ends just before: $ends" [ "$status" -eq 0 ]
	if [ "$status" -ne 0 ]; then
		moving_gone
		return
	fi
	wait_for_pid_gone "$pid"
	unheld "$md/holds-killed"
	held=$?
	text_of holds "$md/holds-killed"
	pass_if "$mc.killed-unheld" "holds once killed: $holds" [ "$held" -eq 0 ]
	# What lo still delayed of the ended ends meets no socket meanwhile.
	"$waitfor" nap 1
	rsts=$(out_rsts)
	timeout --foreground 200 "$cptctl" restart "$md/tree.img" >"$md/restart.out" 2>"$md/restart.err" </dev/null &
	rpid=$!
	wait_for_pid "$pid"
	touch "$md/go"
	wait "$rpid"
	status=$?
	text_of said "$md/restart.err"
	pass_if "$mc.exit-status" "restart exited $status (the tree's exit status): $said" [ "$status" -eq 0 ]
	pass_if "$mc.no-reset" "TCP OutRsts $rsts before the restart, $(out_rsts) after the tree ended" [ "$(out_rsts)" = "$rsts" ]
	sed -n "s/^RESULT /RESULT $mc./p" "$out"
}

# moving_cycle ROW FAMILY: moving_steps with a 50 ms delay on lo (both ways:
# 100 ms round trips) at 4 Mbit/s, and an MTU of 1500: segments of 1448
# bytes or so (not 64 KiB ones) reach the ends evenly, one every 3 ms,
# and go on doing so for a second or so after the readers are frozen (what
# the rate holds back in netem's queue, then what the windows still let
# through), through the whole checkpoint. Both undone after.
moving_cycle() {
	md=$scratch/$1
	cptctl_serve || return
	mkdir -p "$md"
	read -r mtu </sys/class/net/lo/mtu
	if ! modprobe sch_netem 2>"$md/netem.err" || ! tc qdisc add dev lo root netem delay 50ms rate 4mbit 2>>"$md/netem.err"; then
		text_of said "$md/netem.err"
		result "$1.refused" FAIL "no netem delay on lo: $said"
		return
	fi
	ip link set dev lo mtu 1500
	moving_steps "$1" "$2" "$md"
	ip link set dev lo mtu "$mtu"
	tc qdisc del dev lo root
}

# A tree with 129 connections of its own (258 ends, more than the 256
# holds a user may have): its --kill is refused by count, nothing held,
# the tree running on with its connections (before, it was killed, and
# its restart, which holds every connection it makes, refused).
scenario_tcp_hold_tree_limit() {
	hc=tcp-hold-tree-limit hd=$scratch/limit
	cptctl_serve || return
	mkdir -p "$hd"
	if ! start_workload limit "$workloads/tcp_moving" "$hd" many 129; then
		text_of said "$out"
		result "$hc.refused" FAIL "the workload never got ready: $said"
		return
	fi
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$pid" -o "$hd/tree.img" --kill
	status=$?
	text_of said "$hd/checkpoint.err"
	pass_if "$hc.refused" "checkpoint --kill exited $status: $said" \
		eval '[ "$status" -ne 0 ] && grep -q "SAVE(FILES).*EUSERS.*cannot hold 258 more TCP connections.*release frees only earlier --kill checkpoints. holds.*of at most 256" "$hd/checkpoint.err" && dmesg | grep -q "tree.s own TCP connections (258 ends) are held while --kill saves it" && [ -d "/proc/$pid" ]'
	unheld "$hd/holds"
	held=$?
	text_of holds "$hd/holds"
	pass_if "$hc.none-left" "holds after it: $holds" [ "$held" -eq 0 ]
	touch "$hd/go"
	wait_for_line "$out" RESULT
	sed -n "s/^RESULT /RESULT $hc./p" "$out"
}

scenario_tcp_hold_tree_v4() { moving_cycle tcp-hold-tree-v4 4; }
scenario_tcp_hold_tree_v6() { moving_cycle tcp-hold-tree-v6 6; }
