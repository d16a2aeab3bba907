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
