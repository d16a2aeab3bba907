#!/bin/sh
# Runs in the guest: single-process checkpoint -> kill -> restart cycles,
# each workload checking its own state after the restart.
. "$(dirname "$0")/lib.sh"

cr_cycle cpu "$workloads/cpu_state" "$scratch/cpu.go"
CR_POKE='kill -USR1 $pid' CR_STATUS=42 cr_cycle pause "$workloads/syscalls" pause
cr_cycle sleep "$workloads/syscalls" sleep
CR_TWICE=1 cr_cycle twice "$workloads/cpu_state" "$scratch/twice.go"
CR_PIPE=1 cr_cycle piped "$workloads/cpu_state" "$scratch/piped.go"

# A leave-running checkpoint goes unnoticed by the target and its parent.
out=$scratch/invisible.out
"$workloads/freeze_invisible" "$scratch/invisible.go" >"$out" 2>&1 &
parent=$!
if wait_for_line "$out" READY; then
	child=$(sed -n 's/^READY //p' "$out")
	pass_if invisible.checkpoint "leave-running checkpoint of pid $child" \
		"$cptctl" checkpoint "$child" -o "$scratch/invisible.img"
	touch "$scratch/invisible.go"
	wait "$parent"
	sed -n 's/^RESULT /RESULT invisible./p' "$out"
else
	result invisible.ready FAIL "the workload never got ready"
fi

# Every kind of memory mapping, checksummed, and the mm facts /proc shows.
cr_cycle mm "$workloads/mm_layout" "$scratch/mm.d" "$scratch/mm.go"

# The task's own state, and what /proc shows of it.
mkdir -p "$scratch/task-cwd"
cr_cycle task "$workloads/task_state" "$scratch/task-cwd" "$scratch/task.go"

# inspect decodes what the module wrote, with the shared schema.
if "$cptctl" inspect --json "$scratch/task.img" >"$scratch/task.json" 2>"$scratch/task.inspect.err"; then
	pass_if inspect.decodes "inspect --json of a real image" grep -q '"comm": *"cpt-task-state"' "$scratch/task.json"
else
	result inspect.decodes FAIL "$(tr '\n' ' ' <"$scratch/task.inspect.err")"
fi

# Files and signals, each workload checking its own state after the restart.
cr_cycle files "$workloads/files_state" "$scratch/files.go"
cr_cycle signals "$workloads/signals_state" "$scratch/signals.go"
CR_POKE='kill -USR1 $pid' cr_cycle sigsuspend "$workloads/signals_sigsuspend"

# What cannot be checkpointed yet is refused, naming the fd, and the target
# runs on unharmed.
for kind in socket pipe inotify; do
	out=$scratch/refused-$kind.out
	pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/files_refused" "$kind" "$scratch/refused-$kind.go")
	if ! wait_for_line "$out" READY; then
		result "refused-$kind.ready" FAIL "$(tr '\n' ' ' <"$out")"
		continue
	fi
	"$cptctl" checkpoint "$pid" -o "$scratch/refused-$kind.img" --kill 2>"$scratch/refused-$kind.err"
	status=$?
	refused=no
	[ "$status" -eq 4 ] && grep -q "fd 5" "$scratch/refused-$kind.err" && refused=yes
	pass_if "refused-$kind.refused" "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/refused-$kind.err")" \
		[ $refused = yes ]
	pass_if "refused-$kind.alive" "pid $pid is still running" [ -d "/proc/$pid" ]
	touch "$scratch/refused-$kind.go"
	wait_for_line "$out" "RESULT kept-running"
	sed -n "s/^RESULT /RESULT refused-$kind./p" "$out"
done

# A shell job: stdout and stderr are a pipe at checkpoint, and the restarted
# process writes to the restarting cptctl's own stdout instead.
out=$scratch/job.out
sh -c '"$@" 2>&1 </dev/null | cat >"$0" &' "$out" "$workloads/signals_state" "$scratch/job.go"
if wait_for_line "$out" READY; then
	pid=$(pgrep -n signals_state)
	"$cptctl" checkpoint "$pid" -o "$scratch/job.img" --kill 2>"$scratch/job.ckpt.err"
	status=$?
	pass_if job.checkpoint "checkpoint exited $status $(tr '\n' ' ' <"$scratch/job.ckpt.err")" [ $status -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$scratch/job.go") &
	"$cptctl" restart "$scratch/job.img" >"$scratch/job.restarted.out" 2>&1 </dev/null
	status=$?
	pass_if job.exit-status "restart exited $status" [ $status -eq 0 ]
	pass_if job.output-reattached "the restarted job's results reached the restarting cptctl's stdout" \
		grep -q '^RESULT ' "$scratch/job.restarted.out"
	sed -n "s/^RESULT /RESULT job./p" "$scratch/job.restarted.out"
else
	result job.ready FAIL "the shell job never got ready"
fi
