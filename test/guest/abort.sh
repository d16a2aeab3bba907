#!/bin/sh
# Runs in the guest: sessions that end early end cleanly. cptctl killed in the
# middle of saving 256 MiB leaves its target running untouched; a restart
# refuses an image from another kernel, saying so.
. "$(dirname "$0")/lib.sh"

# cptctl killed mid-checkpoint: the target goes on and checks its memory.
mkdir -p "$scratch/big"
"$workloads/mm_bench" "$scratch/big" 256 >"$scratch/big.out" 2>&1 &
pid=$!
wait_until test -e "$scratch/big/ready"
"$cptctl" checkpoint "$pid" -o "$scratch/big.img" >/dev/null 2>&1 &
cpt=$!
# Once pages are being written, the session is in the middle of SAVE(MM).
wait_until sh -c "[ \$(stat -c %s '$scratch/big.img' 2>/dev/null || echo 0) -gt 4000000 ]"
kill -9 "$cpt"
wait "$cpt" 2>/dev/null
pass_if abort.target-alive "pid $pid runs on after cptctl was killed" [ -d "/proc/$pid" ]
state=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$pid/status")
pass_if abort.target-not-frozen "pid $pid state $state" [ "$state" != D ]
touch "$scratch/big/go"
wait "$pid"
pass_if abort.target-intact "memory checked after the aborted checkpoint: $(tr '\n' ' ' <"$scratch/big.out")" \
	grep -q 'RESULT [^ ]* PASS' "$scratch/big.out"
pass_if abort.module-unloads "rmmod cpt after the aborted session" rmmod cpt
insmod "$repo/kmod/cpt.ko"

# An image from another kernel release is refused with a clear message.
"$workloads/counter" 1000 >/dev/null 2>&1 </dev/null &
pid=$!
"$cptctl" checkpoint "$pid" -o "$scratch/counter.img" --kill >/dev/null 2>&1
wait "$pid" 2>/dev/null
python3 "$repo/test/guest/rewrite-release.py" "$scratch/counter.img" "$scratch/other-kernel.img" 9.9.9-other
"$cptctl" restart "$scratch/other-kernel.img" 2>"$scratch/other.err"
status=$?
refused=no
[ "$status" -eq 5 ] && grep -q "9.9.9-other" "$scratch/other.err" && refused=yes
pass_if abort.other-kernel-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/other.err")" [ $refused = yes ]

# A restart whose pid is taken fails, naming the pid, and leaves nothing.
"$workloads/counter" 1000 >/dev/null 2>&1 </dev/null &
pid=$!
"$cptctl" checkpoint "$pid" -o "$scratch/running.img" >/dev/null 2>&1
"$cptctl" restart "$scratch/running.img" 2>"$scratch/taken.err"
status=$?
taken=no
[ "$status" -eq 5 ] && grep -q "$pid" "$scratch/taken.err" && taken=yes
pass_if abort.pid-taken-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/taken.err")" [ $taken = yes ]
pass_if abort.pid-taken-nothing-left "only the original counter has that name" \
	[ "$(pgrep -c -x counter)" -eq 1 ]
kill "$pid"
