# shellcheck shell=sh
# shellcheck disable=SC2016 # pass_if ... eval '...': expanded when evaluated
# TCP holds (kmod/cpt_tcp_hold.c, test/workloads/tcp_hold.c): a server in
# the tree, its client outside it over loopback; checkpoint --kill
# --tcp-established holds the connection while the tree is down, a restart
# drops the hold, `cptctl release` drops it without a restart.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# TCP OutRsts of /proc/net/snmp: the resets this network namespace sent.
out_rsts() { awk '/^Tcp:/ { if (!n++) { for (i = 1; i <= NF; i++) if ($i == "OutRsts") c = i } else print $c }' /proc/net/snmp; }

# hold_start DIR FAMILY N CLIENT...: the server (tree) in $spid, accepting N
# connections; CLIENT... (outside the tree) in $cpid, with DIR its last argument.
hold_start() {
	hd=$1 fam=$2 nr=$3
	shift 3
	mkdir -p "$hd"
	spid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$hd/server.out" "$workloads/tcp_hold" server "$fam" "$nr" "$hd")
	wait_until test -f "$hd/port"
	"$@" "$hd" >"$hd/client.out" 2>&1 </dev/null &
	cpid=$!
	wait_for_line "$hd/server.out" READY && wait_for_line "$hd/client.out" READY
}

# probed_retransmission DIR: the client's TCP_INFO, DIR/probe.out, shows a
# retransmission (its data met the hold), or anything but an ESTABLISHED
# connection without one, which its check names; else it is asked again
# (the client answers a DIR/probe with no DIR/probe.out), the answer kept
# in DIR/probe.was.
probed_retransmission() {
	[ -f "$1/probe.out" ] || return 1
	grep -q "^state 1 total_retrans 0 .* error ''" "$1/probe.out" || return 0
	mv "$1/probe.out" "$1/probe.was"
	return 1
}

# probe_until_retransmitted DIR: DIR/probe.out once probed_retransmission, or
# after 30 s the last answer, in DIR/probe.seen.
probe_until_retransmitted() {
	touch "$1/probe"
	wait_until probed_retransmission "$1"
	cat "$1/probe.out" 2>/dev/null >"$1/probe.seen" || cat "$1/probe.was" >"$1/probe.seen" 2>/dev/null
}

# no_holds FILE: cptctl release --list, into FILE, says no connection is held.
no_holds() {
	cptctl_in "$1" "$1" release --list && grep -q '^no TCP holds' "$1"
}

# The tree down while its client streams; restarted; the stream goes on.
# Root's cptctl calls but the restart go through one node (cptctl_serve),
# started before the tree goes down: the longer the gap, the longer the
# client's retransmissions back off, and so the longer the stream takes to
# resume after the restart.
hold_cycle() {
	hc=$1 fam=$2 hd=$scratch/$1
	cptctl_serve || return
	if ! hold_start "$hd" "$fam" 1 "$workloads/tcp_hold" client; then
		result "$hc.checkpoint" FAIL "the workloads never got ready: $(cat "$hd/server.out" "$hd/client.out" | tr '\n' ' ')"
		return
	fi
	sleep 0.3
	rsts=$(out_rsts)
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	status=$?
	pass_if "$hc.checkpoint" "checkpoint --kill --tcp-established exited $status: $(tr '\n' ' ' <"$hd/checkpoint.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$spid"
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.held" "holds: $(tr '\n' ' ' <"$hd/holds")" grep -q "^TCP .* -> .* (held for uid 0)" "$hd/holds"
	# The client sends on; its retransmissions meet the hold.
	probe_until_retransmitted "$hd"
	pass_if "$hc.gap" "while the tree was down, the client's TCP_INFO: $(cat "$hd/probe.seen")" \
		grep -q "^state 1 total_retrans [1-9][0-9]* .* error ''" "$hd/probe.seen"
	timeout --foreground 200 "$cptctl" restart "$hd/tree.img" 2>"$hd/restart.err" &
	rpid=$!
	wait_for_pid "$spid"
	wait_until no_holds "$hd/holds-after"
	pass_if "$hc.hold-dropped" "holds after the restart: $(tr '\n' ' ' <"$hd/holds-after")" \
		grep -q '^no TCP holds' "$hd/holds-after"
	# Both ends exchange more before the end.
	sleep 1
	touch "$hd/finish"
	wait "$cpid"
	wait "$rpid"
	status=$?
	pass_if "$hc.exit-status" "restart exited $status: $(tr '\n' ' ' <"$hd/restart.err")" [ "$status" -eq 0 ]
	pass_if "$hc.no-reset" "TCP OutRsts $rsts before the checkpoint, $(out_rsts) after the restart" [ "$(out_rsts)" = "$rsts" ]
	sed -n "s/^RESULT /RESULT $hc.client-/p" "$hd/client.out"
	sed -n "s/^RESULT /RESULT $hc./p" "$hd/server.out"
}

scenario_tcp_hold_v4() { hold_cycle tcp-hold-v4 4; }
scenario_tcp_hold_v6() { hold_cycle tcp-hold-v6 6; }

# Whether a connection on local port $1 (decimal) is ESTABLISHED, in /proc/net/tcp.
established_on() {
	awk -v p="$(printf ':%04X' "$1")" '$2 ~ p "$" && $4 == "01" { found = 1 } END { exit !found }' /proc/net/tcp
}

# Released, the hold lets the peer's next retransmission meet a reset;
# nobody may not release it; the tree without --tcp-established is refused.
# Root's cptctl calls go through one node (cptctl_serve), as hold_cycle's.
scenario_tcp_hold_release() {
	hc=tcp-hold-release hd=$scratch/release
	cptctl_serve || return
	if ! hold_start "$hd" 4 1 "$workloads/tcp_hold" reset; then
		result "$hc.checkpoint" FAIL "the workloads never got ready: $(cat "$hd/server.out" "$hd/client.out" | tr '\n' ' ')"
		return
	fi
	cptctl_in /dev/stdout "$hd/refused.err" checkpoint "$spid" -o "$hd/refused.img" --kill
	status=$?
	pass_if "$hc.refused-without" "checkpoint --kill without --tcp-established exited $status: $(tr '\n' ' ' <"$hd/refused.err")" \
		eval '[ "$status" -ne 0 ] && grep -q "its peer is outside the tree (--kill would leave it to resets)" "$hd/refused.err" && [ -d "/proc/$spid" ]'
	rm -f "$hd/refused.img"
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	status=$?
	pass_if "$hc.checkpoint" "checkpoint --kill --tcp-established exited $status: $(tr '\n' ' ' <"$hd/checkpoint.err")" [ "$status" -eq 0 ]
	# Held once the client retransmitted, and no reset came.
	probe_until_retransmitted "$hd"
	pass_if "$hc.held" "the client, its TCP_INFO $(cat "$hd/probe.seen"): $(tr '\n' ' ' <"$hd/client.out")" \
		eval '[ -d "/proc/$cpid" ] && ! grep -q RESULT "$hd/client.out" && grep -q "^state 1 total_retrans [1-9]" "$hd/probe.seen"'
	cptctl_in "$hd/check.json" "$hd/check.json" check --json
	pass_if "$hc.check-counts" "check --json: $(grep -e '"tcpHolds"' -e '"name": "holds"' -A1 "$hd/check.json" | tr -s ' \n' ' ')" \
		grep -q '"tcpHolds": 1,' "$hd/check.json"
	chmod 0666 /dev/cpt
	cptctl_as nobody "$hd/nobody.out" "$hd/nobody.out" release --all
	status=$?
	chmod 0600 /dev/cpt
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.unprivileged" "nobody's release --all exited $status: $(tr '\n' ' ' <"$hd/nobody.out")" \
		eval '[ "$status" -ne 0 ] && grep -q "CAP_NET_ADMIN" "$hd/nobody.out" && grep -q "^TCP " "$hd/holds"'
	# A restart takes the hold over (its connection made again, ESTABLISHED
	# on the server's port): release refuses it; the restart killed, the
	# hold is the checkpoint's again, still there.
	read -r _ port <"$hd/port"
	"$cptctl" restart "$hd/tree.img" >"$hd/restart.out" 2>"$hd/restart.err" </dev/null &
	rpid=$!
	until [ -d "/proc/$spid" ] || ! kill -0 "$rpid" 2>/dev/null; do :; done
	kill -STOP "$rpid"
	wait_until established_on "$port"
	cptctl_in "$hd/busy.out" "$hd/busy.out" release "$hd/tree.img"
	status=$?
	pass_if "$hc.restart-busy" "release IMAGE while a restart relies on its hold exited $status: $(tr '\n' ' ' <"$hd/busy.out")" \
		eval '[ "$status" -ne 0 ] && grep -q "EBUSY.*TCP connection \[::ffff:127\.0\.0\.1\]:$port -> \[::ffff:127\.0\.0\.1\]:[0-9]*: a restart making it holds it until its end; not released" "$hd/busy.out"'
	kill -KILL "$rpid"
	wait "$rpid"
	wait_for_pid_gone "$spid"
	gone=$?
	cptctl_in "$hd/holds-back" "$hd/holds-back" release --list
	pass_if "$hc.given-back" "the restart killed, its restored root gone: $gone; holds: $(tr '\n' ' ' <"$hd/holds-back"); the client: $(tr '\n' ' ' <"$hd/client.out")" \
		eval '[ "$gone" -eq 0 ] && grep -q "^TCP 127\.0\.0\.1:$port -> .* (held for uid 0)" "$hd/holds-back" && ! grep -q RESULT "$hd/client.out"'
	touch "$hd/released"
	cptctl_in "$hd/release.out" "$hd/release.out" release "$hd/tree.img"
	pass_if "$hc.released" "release: $(tr '\n' ' ' <"$hd/release.out")" grep -q "^released 1 TCP hold$" "$hd/release.out"
	# Its retransmissions back off (up to some 50 s after a long gap).
	CPT_GUEST_TIME_SCALE=3 wait_for_line "$hd/client.out" RESULT || touch "$hd/giveup"
	wait "$cpid"
	sed -n "s/^RESULT /RESULT $hc./p" "$hd/client.out"
}

# More connections than a user may have held: refused, the tree runs on.
scenario_tcp_hold_limit() {
	hc=tcp-hold-limit hd=$scratch/limit
	if ! hold_start "$hd" 4 257 "$workloads/tcp_hold" many 257; then
		result "$hc.refused" FAIL "the workloads never got ready: $(cat "$hd/server.out" "$hd/client.out" | tr '\n' ' ')"
		return
	fi
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	status=$?
	pass_if "$hc.refused" "checkpoint --kill --tcp-established of 257 connections exited $status: $(tr '\n' ' ' <"$hd/checkpoint.err")" \
		eval '[ "$status" -ne 0 ] && grep -q "EUSERS.*cannot hold 1 more TCP connections.*256 held by the user of at most 256" "$hd/checkpoint.err"'
	rm -f "$hd/tree.img"
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.none-left" "holds: $(tr '\n' ' ' <"$hd/holds")" grep -q '^no TCP holds' "$hd/holds"
	touch "$hd/stop"
	wait "$cpid"
	wait_for_line "$hd/server.out" RESULT
	sed -n "s/^RESULT /RESULT $hc./p" "$hd/server.out"
}

# The limit reached at a restart: a tree holding both ends of a connection
# (tcp_established keepalive) checkpointed --kill (no hold left: its peer
# was in the tree); then 256 connections to peers outside another tree
# held by its checkpoint --kill --tcp-established, as many as a user may
# have; the first image's restart, which holds the connections it makes
# until its end, is refused (EUSERS) by count, adding no hold.
scenario_tcp_hold_limit_restart() {
	hc=tcp-hold-limit-restart hd=$scratch/limit-restart
	cptctl_serve || return
	mkdir -p "$hd/pair"
	if ! start_workload limit-pair "$workloads/tcp_established" keepalive "$hd/pair"; then
		result "$hc.checkpoint" FAIL "the pair never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	pair=$pid
	cptctl_in /dev/stdout "$hd/pair.err" checkpoint "$pair" -o "$hd/pair.img" --kill
	status=$?
	wait_for_pid_gone "$pair"
	if ! hold_start "$hd" 4 256 "$workloads/tcp_hold" many 256; then
		result "$hc.checkpoint" FAIL "the workloads never got ready: $(cat "$hd/server.out" "$hd/client.out" | tr '\n' ' ')"
		return
	fi
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	status2=$?
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.checkpoint" "the pair's checkpoint --kill exited $status: $(tr '\n' ' ' <"$hd/pair.err"); that of 256 connections --tcp-established $status2: $(tr '\n' ' ' <"$hd/checkpoint.err"); $(grep -c "^TCP " "$hd/holds") held" \
		eval '[ "$status" -eq 0 ] && [ "$status2" -eq 0 ] && [ "$(grep -c "^TCP .* (held for uid 0)" "$hd/holds")" -eq 256 ]'
	cptctl_in /dev/stdout "$hd/restart.err" restart "$hd/pair.img"
	status=$?
	cptctl_in "$hd/holds-after" "$hd/holds-after" release --list
	pass_if "$hc.refused" "the pair's restart exited $status: $(tr '\n' ' ' <"$hd/restart.err"); $(grep -c "^TCP " "$hd/holds-after") held after it" \
		eval '[ "$status" -ne 0 ] && grep -q "EUSERS.*cannot hold 1 more TCP connections (a restart holds the connections it makes until its end): 256 held by the user of at most 256" "$hd/restart.err" && [ "$(grep -c "^TCP " "$hd/holds-after")" -eq 256 ] && [ ! -d "/proc/$pair" ]'
	cptctl_in "$hd/release.out" "$hd/release.out" release --all
	pass_if "$hc.released" "release --all: $(tr '\n' ' ' <"$hd/release.out")" grep -q "^released 256 TCP holds$" "$hd/release.out"
	touch "$hd/stop"
	wait "$cpid"
	rm -f "$hd/tree.img" "$hd/pair.img"
}

# rmmod with a hold: clean; the hooks gone, the peer meets a reset.
scenario_tcp_hold_rmmod() {
	hc=tcp-hold-rmmod hd=$scratch/rmmod
	if ! hold_start "$hd" 6 1 "$workloads/tcp_hold" reset; then
		result "$hc.unloaded" FAIL "the workloads never got ready: $(cat "$hd/server.out" "$hd/client.out" | tr '\n' ' ')"
		return
	fi
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	cptctl_in "$hd/holds" "$hd/holds" release --list
	touch "$hd/released"
	rmmod cpt
	status=$?
	insmod "$cpt_ko"
	pass_if "$hc.unloaded" "rmmod cpt exited $status with the hold $(tr '\n' ' ' <"$hd/holds")" \
		eval '[ "$status" -eq 0 ] && grep -q "^TCP " "$hd/holds"'
	# Its retransmissions back off (up to some 50 s after a long gap).
	CPT_GUEST_TIME_SCALE=3 wait_for_line "$hd/client.out" RESULT || touch "$hd/giveup"
	wait "$cpid"
	sed -n "s/^RESULT /RESULT $hc./p" "$hd/client.out"
	rm -f "$hd/tree.img"
}

# start_syn_sent: tcp_syn_sent's peer (pid ppid_) and client (spid) in
# $hd, for the check $hc; a failure to get ready is $hc.checkpoint's.
start_syn_sent() {
	cptctl_serve || return
	mkdir -p "$hd"
	"$workloads/tcp_syn_sent" peer "$hd" >"$hd/peer.out" 2>&1 </dev/null &
	ppid_=$!
	wait_for_line "$hd/peer.out" READY
	spid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$hd/client.out" "$workloads/tcp_syn_sent" client "$hd")
	wait_for_line "$hd/client.out" READY && return
	result "$hc.checkpoint" FAIL "the workloads never got ready: $(cat "$hd/peer.out" "$hd/client.out" | tr '\n' ' ')"
	return 1
}

# Connections still connecting (test/workloads/tcp_syn_sent.c): the tree's
# two SYN_SENT connections to listeners outside it that drop every SYN
# (backlog full) are checkpointed --kill --tcp-established; the listeners
# take connections again; the restart's connect() sends a SYN of the saved
# initial sequence number, which the peer sees; the non-blocking connect()
# completes for poll(), the interrupted blocking one returns 0; no reset.
scenario_tcp_syn_sent() {
	hc=tcp-syn-sent hd=$scratch/syn-sent
	start_syn_sent || return
	isn4=$(sed -n 's/^ISN4 //p' "$hd/client.out") isn6=$(sed -n 's/^ISN6 //p' "$hd/client.out")
	rsts=$(out_rsts)
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	status=$?
	pass_if "$hc.checkpoint" "checkpoint --kill --tcp-established exited $status: $(tr '\n' ' ' <"$hd/checkpoint.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$spid"
	inspect_shows "$hc.inspect" "$hd/tree.img" 'SYN_SENT' \
		"TCP/IPv4 127\.0\.0\.1:[0-9]+ connecting to 127\.0\.0\.1:[0-9]+, SYN_SENT, SYN seq $isn4\$" \
		"TCP/IPv6 \[::1\]:[0-9]+ connecting to \[::1\]:[0-9]+, SYN_SENT, SYN seq $isn6\$"
	cptctl_in "$hd/holds" "$hd/holds" release --list
	pass_if "$hc.held" "holds: $(tr '\n' ' ' <"$hd/holds")" eval '[ "$(grep -c "^TCP .* -> .* (held for uid 0)" "$hd/holds")" -eq 2 ]'
	touch "$hd/accept"
	timeout --foreground 100 "$cptctl" restart "$hd/tree.img" 2>"$hd/restart.err"
	status=$?
	pass_if "$hc.exit-status" "restart exited $status: $(tr '\n' ' ' <"$hd/restart.err")" [ "$status" -eq 0 ]
	wait "$ppid_"
	pass_if "$hc.same-isn" "the client's initial sequence numbers $isn4 $isn6 before the checkpoint; the peer's: $(grep ^ISN "$hd/peer.out" | tr '\n' ' ')" \
		eval 'grep -qx "ISN4 $isn4" "$hd/peer.out" && grep -qx "ISN6 $isn6" "$hd/peer.out"'
	cptctl_in "$hd/holds-after" "$hd/holds-after" release --list
	pass_if "$hc.hold-dropped" "holds after the restart: $(tr '\n' ' ' <"$hd/holds-after")" \
		grep -q '^no TCP holds' "$hd/holds-after"
	pass_if "$hc.no-reset" "TCP OutRsts $rsts before the checkpoint, $(out_rsts) after the restart" [ "$(out_rsts)" = "$rsts" ]
	sed -n "s/^RESULT /RESULT $hc./p" "$hd/client.out"
	# Hostile images: no SYN sequence number; ESTABLISHED without a
	# connection's fields; SYN_SENT with one.
	cptctl_in "$hd/tree.json" "$hd/json.err" inspect --json "$hd/tree.img"
	for edit in 'no-seq:.tcpSynSeq = 0:bad TCP connection state' \
		'established:.state = 1:bad socket state' 'with-mss:.tcpMss = 1400:bad socket state'; do
		restart_edited "$hc.hostile-${edit%%:*}" "$hd/tree.json" "(.recordList | map(.type) | index(\"FILES\")) as \$i |
			(.recordList[\$i].message.files | map(.inet.state == 2) | index(true)) as \$f |
			.recordList[\$i].message.files[\$f].inet |= ($(echo "$edit" | cut -d: -f2))" "${edit##*:}"
	done
	check_edited_restarts
}

# Whether a socket to port $1 (decimal) is SYN_SENT, in /proc/net/tcp or tcp6.
syn_sent_to() {
	awk -v p="$(printf ':%04X' "$1")" '$3 ~ p "$" && $4 == "02" { found = 1 } END { exit !found }' \
		/proc/net/tcp /proc/net/tcp6
}

# A connection still connecting at the restart whose SYN retries run out
# before the restart's final step: the tree's two SYN_SENT connections
# (tcp_syn_sent, listeners that drop every SYN) are checkpointed --kill
# --tcp-established, then restarted with net.ipv4.tcp_syn_retries 1 (a SYN
# and one retransmission: some 3 s) while cptctl is stopped from the moment
# the restored root exists until both connections are closed, before its
# FINALIZE; the final step drops their holds all the same.
scenario_tcp_syn_timeout() {
	hc=tcp-syn-timeout hd=$scratch/syn-timeout
	start_syn_sent || return
	read -r port4 port6 <"$hd/ports"
	cptctl_in /dev/stdout "$hd/checkpoint.err" checkpoint "$spid" -o "$hd/tree.img" --kill --tcp-established
	status=$?
	pass_if "$hc.checkpoint" "checkpoint --kill --tcp-established exited $status: $(tr '\n' ' ' <"$hd/checkpoint.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$spid"
	retries=$(cat /proc/sys/net/ipv4/tcp_syn_retries)
	echo 1 >/proc/sys/net/ipv4/tcp_syn_retries
	"$cptctl" restart "$hd/tree.img" >"$hd/restart.out" 2>"$hd/restart.err" </dev/null &
	rpid=$!
	# The restored root exists: cptctl waits for its tree's build, before
	# its FINALIZE. Watched without a pause (the build takes a moment).
	until [ -d "/proc/$spid" ] || ! kill -0 "$rpid" 2>/dev/null; do :; done
	kill -STOP "$rpid"
	wait_until eval 'syn_sent_to "$port4" && syn_sent_to "$port6"'
	seen=$?
	wait_until eval '! syn_sent_to "$port4" && ! syn_sent_to "$port6"'
	closed=$?
	cptctl_in "$hd/holds-stopped" "$hd/holds-stopped" release --list
	kill -CONT "$rpid"
	pass_if "$hc.timed-out" "SYN_SENT seen: $seen, closed: $closed; holds before the final step: $(tr '\n' ' ' <"$hd/holds-stopped")" \
		eval '[ "$seen" -eq 0 ] && [ "$closed" -eq 0 ] && [ "$(grep -c "^TCP .* -> .* (held for uid 0)" "$hd/holds-stopped")" -eq 2 ]'
	wait_until test ! -d "/proc/$spid" || kill -KILL "$spid"
	wait "$rpid"
	echo "$retries" >/proc/sys/net/ipv4/tcp_syn_retries
	cptctl_in "$hd/holds-after" "$hd/holds-after" release --list
	pass_if "$hc.hold-dropped" "holds after the restart: $(tr '\n' ' ' <"$hd/holds-after")" \
		grep -q '^no TCP holds' "$hd/holds-after"
	kill "$ppid_" 2>/dev/null
	wait "$ppid_" 2>/dev/null
	rm -f "$hd/tree.img"
}
