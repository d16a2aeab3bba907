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

# Mutants of an image that holds every kind of file the module rebuilds:
# deleted files, a memfd, eventfds, a signalfd, timerfds, an epoll
# instance, a FIFO with data.
mkdir -p "$scratch/anon.d"
out=$scratch/anon.out
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/files_anon" "$scratch/anon.d")
wait_for_line "$out" READY || { result mutate-files.ready FAIL "the workload never got ready"; exit 0; }
"$cptctl" checkpoint "$pid" -o "$scratch/anon.img" --kill >/dev/null || { result mutate-files.image FAIL "checkpoint failed"; exit 0; }
wait_for_pid_gone "$pid"
"$workloads/mutate" "$scratch/anon.img" "$pid" "${MUTANTS:-1000}" "${SEED:-0xf17e5}" |
	sed 's/^RESULT /RESULT mutate-files./'
pass_if mutate-files.no-stray-task "pid $pid is free again" wait_for_pid_gone "$pid"

# Mutants of an image with SysV objects (made again by INIT), a POSIX
# message queue and a pty.
out=$scratch/ipc.out
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/ipc_objects" cpt-mutate-mq)
wait_for_line "$out" READY || { result mutate-ipc.ready FAIL "the workload never got ready: $(cat "$out")"; exit 0; }
"$cptctl" checkpoint "$pid" -o "$scratch/ipc.img" --kill >/dev/null || { result mutate-ipc.image FAIL "checkpoint failed"; exit 0; }
wait_for_pid_gone "$pid"
"$workloads/mutate" "$scratch/ipc.img" "$pid" "${MUTANTS:-1000}" "${SEED:-0x1bc}" |
	sed 's/^RESULT /RESULT mutate-ipc./'
pass_if mutate-ipc.no-stray-task "pid $pid is free again" wait_for_pid_gone "$pid"
pass_if mutate.module-unloads "rmmod cpt after all mutants" rmmod cpt
