#!/bin/sh
# Runs in the guest: process trees and threads through checkpoint -> kill
# -> restart, each workload checking its own state after the restart.
. "$(dirname "$0")/lib.sh"

mkdir -p "$scratch/tree.d" "$scratch/threads.d" "$scratch/tsig.d"
CR_POKE="touch $scratch/tree.d/go" cr_cycle tree "$workloads/tree_state" "$scratch/tree.d"
CR_POKE="touch $scratch/threads.d/go" cr_cycle threads "$workloads/threads_token" "$scratch/threads.d"
CR_POKE="touch $scratch/tsig.d/go" cr_cycle tsig "$workloads/threads_signals" "$scratch/tsig.d"
mkdir -p "$scratch/orphan.d"
CR_POKE="touch $scratch/orphan.d/go" cr_cycle orphan "$workloads/orphan_session" "$scratch/orphan.d"

# Forks elsewhere never take a pid the restart reserved. The threads' image
# is remade with tids above 345, and pid_max is lowered to 400, so that a
# fork loop cycles through those tids many times while the restart runs.
# The threads wait for their go until the loop is over.
echo 345 >/proc/sys/kernel/ns_last_pid
mkdir -p "$scratch/race.d"
out=$scratch/race.out
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/threads_token" "$scratch/race.d")
wait_for_line "$out" READY
reserved=$(ls "/proc/$pid/task" | tr '\n' ' ')
"$cptctl" checkpoint "$pid" -o "$scratch/race.img" --kill 2>"$scratch/race.ckpt.err"
wait_for_pid_gone "$pid"
echo 400 >/proc/sys/kernel/pid_max
(
	wait_for_pid "$pid"
	"$workloads/forkloop" 4 $reserved >"$scratch/forkloop.out" 2>&1
	touch "$scratch/race.d/go"
) &
"$cptctl" restart "$scratch/race.img" 2>"$scratch/race.restart.err"
status=$?
wait
echo 32768 >/proc/sys/kernel/pid_max
pass_if race.restart "restart of tids $reserved beside a fork loop exited $status: $(tr '\n' ' ' <"$scratch/race.restart.err")" \
	[ "$status" -eq 0 ]
sed -n 's/^RESULT /RESULT race./p' "$scratch/forkloop.out"

# A tree with one of its pids taken fails, naming it, and leaves nothing.
taken=$(sed -n 's/^RESULT subtree-A PASS A \([0-9]*\) .*/\1/p' "$scratch/tree.out")
echo $((taken - 1)) >/proc/sys/kernel/ns_last_pid
sleep 1000 &
squatter=$!
"$cptctl" restart "$scratch/tree.img" 2>"$scratch/taken.err"
status=$?
named=no
[ "$status" -eq 5 ] && grep -q "pid $taken is in use" "$scratch/taken.err" && named=yes
pass_if tree-taken.refused "squatter $squatter on pid $taken; restart exited $status: $(tr '\n' ' ' <"$scratch/taken.err")" \
	[ $named = yes ] && [ "$squatter" = "$taken" ]
pass_if tree-taken.nothing-left "tree_state processes left: $(pgrep -x tree_state | tr '\n' ' ')" \
	[ -z "$(pgrep -x tree_state)" ]
kill "$squatter"

# Two copies of one image at once, each in its own pid namespace.
"$cptctl" restart --pidns "$scratch/threads.img" 2>"$scratch/pidns1.err" &
first=$!
"$cptctl" restart --pidns "$scratch/threads.img" 2>"$scratch/pidns2.err"
second=$?
wait "$first"
first=$?
pass_if pidns.both "two --pidns restarts exited $first and $second: $(cat "$scratch/pidns1.err" "$scratch/pidns2.err" | tr '\n' ' ')" \
	[ "$first" -eq 0 ] && [ "$second" -eq 0 ]
