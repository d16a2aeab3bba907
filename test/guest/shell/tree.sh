# shellcheck shell=sh
# Process trees through cptctl's command line: a restart beside a fork loop,
# a refused restart's message, two --pidns restarts at once.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# Forks elsewhere never take a pid the restart reserved. The threads' image
# is made with tids above 345, and pid_max is lowered to 400, so that a fork
# loop cycles through those tids many times while the restart runs. The
# threads wait for their go until the loop is over.
scenario_race() {
	echo 345 >/proc/sys/kernel/ns_last_pid
	mkdir -p "$scratch/race.d"
	start_workload race "$workloads/threads_token" "$scratch/race.d"
	# shellcheck disable=SC2012 # tids are plain numbers
	reserved=$(ls "/proc/$pid/task" | tr '\n' ' ')
	cptctl_in /dev/stdout "$scratch/race.ckpt.err" checkpoint "$pid" -o "$scratch/race.img" --kill
	wait_for_pid_gone "$pid"
	echo 400 >/proc/sys/kernel/pid_max
	(
		wait_for_pid "$pid"
		# shellcheck disable=SC2086 # one argument a tid
		"$workloads/forkloop" 4 $reserved >"$scratch/forkloop.out" 2>&1
		touch "$scratch/race.d/go"
	) &
	cptctl_in /dev/stdout "$scratch/race.restart.err" restart "$scratch/race.img"
	status=$?
	wait
	echo 32768 >/proc/sys/kernel/pid_max
	pass_if race.restart "restart of tids $reserved beside a fork loop exited $status: $(tr '\n' ' ' <"$scratch/race.restart.err")" \
		[ "$status" -eq 0 ]
	sed -n 's/^RESULT /RESULT race./p' "$scratch/forkloop.out"
}

# After the tree cycle: a tree with one of its pids taken fails, naming it,
# and leaves nothing.
tree_taken() {
	taken=$(sed -n 's/^RESULT subtree-A PASS A \([0-9]*\) .*/\1/p' "$out")
	echo $((taken - 1)) >/proc/sys/kernel/ns_last_pid
	sleep 1000 &
	squatter=$!
	cptctl_in /dev/stdout "$scratch/taken.err" restart "$img"
	status=$?
	named=no
	[ "$status" -eq 5 ] && grep -q "pid $taken is in use" "$scratch/taken.err" && named=yes
	pass_if tree-taken.refused "squatter $squatter on pid $taken; restart exited $status: $(tr '\n' ' ' <"$scratch/taken.err")" \
		eval '[ $named = yes ] && [ "$squatter" = "$taken" ]'
	pass_if tree-taken.nothing-left "tree_state processes left: $(pgrep -x tree_state | tr '\n' ' ')" \
		[ -z "$(pgrep -x tree_state)" ]
	kill "$squatter"
}

# After the threads cycle: two copies of its image at once, each in its own
# pid namespace.
pidns_both() {
	"$cptctl" restart --pidns "$img" 2>"$scratch/pidns1.err" &
	first=$!
	"$cptctl" restart --pidns "$img" 2>"$scratch/pidns2.err"
	second=$?
	wait "$first"
	first=$?
	pass_if pidns.both "two --pidns restarts exited $first and $second: $(cat "$scratch/pidns1.err" "$scratch/pidns2.err" | tr '\n' ' ')" \
		eval '[ "$first" -eq 0 ] && [ "$second" -eq 0 ]'
}
