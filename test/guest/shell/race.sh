# shellcheck shell=sh
# Checkpoints racing with their targets, with each other and with rmmod,
# driven by test/workloads/cpt_race (the module's ioctls, as cptctl uses
# them, without node's start-up in every loop). Each ends with the target
# intact (checkpoint) or nothing left behind (restart), and no warning
# (one would panic the guest).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

race=$workloads/cpt_race

# cpt_race's RESULT lines, renamed into the scenario's: RESULT x -> RESULT PREFIX.x
relay() { sed "s/^RESULT /RESULT $1./"; }

# Whether any task of process $1 is parked by the module (state I, idle).
parked() { grep -qs '^State:.*I (idle)' /proc/"$1"/task/*/status; }

# For churn (race.ts): $checkpoints leave-running checkpoints of a tree
# whose threads and exec's come and go, each image read back by a
# restart's INIT. $pid is the churn workload, started by the scenario.
churn_loop() {
	"$race" loop "$pid" "${checkpoints:?race.ts gives the count}" "$scratch/loop.image" verify >"$scratch/loop.out"
	relay churn <"$scratch/loop.out"
	# A thread caught exiting is waited for, not a reason to start over:
	# no checkpoint of this tree runs out of attempts or time.
	failed=$(sed -n 's/^loop: .* saved, \([0-9]*\) failed .*/\1/p' "$scratch/loop.out")
	pass_if churn.loop-converges "$(grep '^loop:' "$scratch/loop.out")" [ "${failed:-none}" = 0 ]
	pass_if churn.tree-runs "pid $pid and its exec child run on, not frozen" \
		sh -c "[ -d /proc/$pid ] && ! grep -qs '^State:.*I (idle)' /proc/$pid/task/*/status"
}

# A child in the middle of execve() of a setuid-root program is checked
# before it parks with root's credentials: once the whole tree is parked,
# every task is checked again. nobody checkpoints its own tree in a loop.
scenario_suid_exec() {
	chmod 0666 /dev/cpt
	chmod 0711 "$scratch"
	mkdir -p "$scratch/suid"
	chown nobody:nogroup "$scratch/suid"
	cp /usr/bin/passwd "$scratch/suid/passwd"
	chmod 4755 "$scratch/suid/passwd"
	if ! start_workload suid setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/exec_loop" "$scratch/suid/passwd"; then
		result suid-exec.loop-clean FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		chmod 0600 /dev/cpt
		return
	fi
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$race" loop "$pid" 300 "$scratch/suid/loop.image" uid |
		relay suid-exec
	pass_if suid-exec.target-runs "pid $pid runs on, not frozen" \
		sh -c "[ -d /proc/$pid ] && ! grep -qs '^State:.*I (idle)' /proc/$pid/task/*/status"
	kill -9 "$pid"
	chmod 0600 /dev/cpt
}

# Trees whose root is killed and reaped at a random point of their
# checkpoint, anywhere or during SAVE(FILES) with a controlling pty in the
# tree (review F2): ESRCH, and the rest of the tree runs on.
scenario_kill_root() {
	for role in root-files root; do
		"$race" kill "$role" 100 "$scratch/kill.image" | relay race
	done
}

# Trees whose thread, child or every process dies at a random point of
# their checkpoint: 100 runs each, $tree_runs of the whole tree's (race.ts).
scenario_kill_races() {
	for role in thread child tree; do
		"$race" kill "$role" "$([ $role = tree ] && echo "$tree_runs" || echo 100)" "$scratch/kill.image" | relay race
	done
}

# Closing a dup() of the session's fd is not the end of the session.
scenario_dup_close() {
	start_counter
	"$race" dup-close "$pid" "$scratch/dup.image" | relay race
	kill "$pid"
}

# For coordinator_killed (race.ts): $img was checkpointed --kill.
coordinator_killed() {
	"$race" coordinator-killed "$img" | relay race
}

# 20 sessions at once on 20 targets, two more at once on another one, and
# rmmod tried all along: refused while any session's file is open, the
# module unloads once they are all closed, and no target is left parked.
scenario_concurrent() {
	targets=""
	i=0
	while [ $i -lt 21 ]; do
		"$workloads/counter" 1000 >/dev/null 2>&1 </dev/null &
		targets="$targets $!"
		i=$((i + 1))
	done
	for t in $targets; do wait_for_exe "$t" "$workloads/counter"; done
	# shellcheck disable=SC2086 # the list of pids
	set -- $targets
	shared=$1
	shift
	loops=""
	# Each loop's session stays open until release (cpt_race.c): rmmod
	# below must find them open, however fast their checkpoints went.
	export CPT_RACE_HOLD_UNTIL="$scratch/release"
	for t in "$@"; do
		"$race" loop "$t" 30 "$scratch/$t.image" >"$scratch/loop.$t" 2>&1 &
		loops="$loops $!"
	done
	"$race" loop "$shared" 30 "$scratch/same1.image" shared >"$scratch/same.1" 2>&1 &
	loops="$loops $!"
	"$race" loop "$shared" 30 "$scratch/same2.image" shared >"$scratch/same.2" 2>&1 &
	loops="$loops $!"
	# Each loop says "open" once it holds /dev/cpt, "closing" before it lets go.
	said() { cat "$scratch"/loop.* "$scratch"/same.* | grep -c "^$1\$"; }
	# A function, so that wait_until counts again each time: given
	# [ "$(said open)" -eq 22 ], it would test the count of its first call
	# over and over (300 times, a fork of sleep each, under emulation).
	all_open() { [ "$(said open)" -eq 22 ]; }
	wait_until all_open
	unset CPT_RACE_HOLD_UNTIL
	opened=$(said open)
	closed_before=$(said closing)
	# rmmod lets the sessions go (creates release) after its first refusal.
	"$race" rmmod "$scratch/release" >"$scratch/rmmod.out"
	touch "$scratch/release"	# in every case: no loop waits for nothing
	closed=$(said closing)
	refused=no
	[ "$opened" -eq 22 ] && [ "$closed_before" -eq 0 ] && [ "$closed" -eq 22 ] &&
		grep -q "unloaded after [1-9]" "$scratch/rmmod.out" && refused=yes
	pass_if race.rmmod-refused "$(cat "$scratch/rmmod.out"); $opened of 22 sessions open and $closed_before closed when rmmod started, $closed closed after" \
		[ $refused = yes ]
	pass_if race.rmmod-after "the module unloaded once every session's file was closed" [ ! -e /dev/cpt ]
	insmod "$cpt_ko"
	for l in $loops; do wait "$l"; done
	failed=$(grep -L '^RESULT loop-clean PASS' "$scratch"/loop.* "$scratch"/same.* | tr '\n' ' ')
	pass_if race.concurrent-sessions "22 loops of 30 leave-running checkpoints, 21 targets, two loops on one; failed: ${failed:-none} $(grep -h 'FAIL' "$scratch"/loop.* "$scratch"/same.* | head -n 3 | tr '\n' ' ')" \
		[ -z "$failed" ]
	frozen=""
	for t in $targets; do parked "$t" && frozen="$frozen $t"; done
	pass_if race.concurrent-targets-run "no target left parked:${frozen:- none}" [ -z "$frozen" ]
	# shellcheck disable=SC2086 # the list of pids
	kill $targets
}
