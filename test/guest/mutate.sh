#!/bin/sh
# Runs in the guest: restart fed with 1,000+ mutants of a real image must
# refuse cleanly every time (a kernel warning panics the guest and fails the
# run), leaving nothing behind: no stray task, and the module unloads.
. "$(dirname "$0")/lib.sh"

out=$scratch/victim.out
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/cpu_state" "$scratch/never")
wait_for_line "$out" READY || { result mutate.ready FAIL "the workload never got ready"; exit 0; }
"$cptctl" checkpoint "$pid" -o "$scratch/victim.img" --kill >/dev/null || { result mutate.image FAIL "checkpoint failed"; exit 0; }
wait_for_pid_gone "$pid"

"$workloads/mutate" "$scratch/victim.img" "$pid" "${MUTANTS:-1200}" "${SEED:-0x5eed}" |
	sed 's/^RESULT /RESULT mutate./'
pass_if mutate.no-stray-task "pid $pid is free again" wait_for_pid_gone "$pid"
pass_if mutate.module-unloads "rmmod cpt after all mutants" rmmod cpt
