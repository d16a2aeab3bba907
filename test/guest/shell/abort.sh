# shellcheck shell=sh
# Sessions that end early end cleanly, and restart refuses what it cannot
# run, through cptctl's command line: killed mid-checkpoint, images from
# elsewhere, unprivileged callers, progress on a terminal, ptrace access.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# Whether the file $1 exists and holds more than $2 bytes.
bigger_than() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]; }

# cptctl killed mid-checkpoint of 256 MiB: the target goes on and checks its memory.
scenario_killed_mid_save() {
	mkdir -p "$scratch/big"
	"$workloads/mm_bench" "$scratch/big" 256 >"$scratch/big.out" 2>&1 &
	pid=$!
	wait_until test -e "$scratch/big/ready"
	"$cptctl" checkpoint "$pid" -o "$scratch/big.img" >/dev/null 2>&1 &
	cpt=$!
	# Once pages are being written, the session is in the middle of SAVE(MM).
	wait_until bigger_than "$scratch/big.img" 4000000
	kill -9 "$cpt"
	wait "$cpt"
	status=$?
	pass_if abort.killed-mid-save "cptctl ended with status $status (137: our SIGKILL), $(stat -c %s "$scratch/big.img" 2>/dev/null) bytes written" \
		[ "$status" -eq 137 ]
	pass_if abort.target-alive "pid $pid runs on after cptctl was killed" [ -d "/proc/$pid" ]
	state=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$pid/status")
	pass_if abort.target-not-frozen "pid $pid state $state" [ "$state" != D ]
	touch "$scratch/big/go"
	wait "$pid"
	pass_if abort.target-intact "memory checked after the aborted checkpoint: $(tr '\n' ' ' <"$scratch/big.out")" \
		grep -q 'RESULT [^ ]* PASS' "$scratch/big.out"
	pass_if abort.module-unloads "rmmod cpt after the aborted session" rmmod cpt
	insmod "$cpt_ko"
	# What the SIGKILL left is a cut image, not one to round-trip.
	rm -f "$scratch/big.img"
}

# Images restart refuses, saying why: another kernel's, one whose pid is in
# use (leaving nothing), one needing an xstate feature this CPU lacks.
scenario_refused_images() {
	cptctl_serve || return
	counter_checkpointed "$scratch/counter.img"
	python3 "$repo/test/guest/rewrite-header.py" "$scratch/counter.img" "$scratch/other-kernel.img" release 9.9.9-other
	cptctl_in /dev/stdout "$scratch/other.err" restart "$scratch/other-kernel.img"
	status=$?
	refused=no
	[ "$status" -eq 5 ] && grep -q "9.9.9-other" "$scratch/other.err" && refused=yes
	pass_if abort.other-kernel-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/other.err")" [ $refused = yes ]

	start_counter
	cptctl_in /dev/null /dev/null checkpoint "$pid" -o "$scratch/running.img"
	cptctl_in /dev/stdout "$scratch/taken.err" restart "$scratch/running.img"
	status=$?
	taken=no
	[ "$status" -eq 5 ] && grep -q "$pid" "$scratch/taken.err" && taken=yes
	pass_if abort.pid-taken-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/taken.err")" [ $taken = yes ]
	pass_if abort.pid-taken-nothing-left "only the original counter has that name" \
		[ "$(pgrep -c -x counter)" -eq 1 ]
	kill "$pid"

	# AMX tile data, xstate bit 18, which the emulated CPU does not have.
	python3 "$repo/test/guest/rewrite-header.py" "$scratch/counter.img" "$scratch/other-cpu.img" xfeatures-or 0x40000
	cptctl_in /dev/stdout "$scratch/other-cpu.err" restart "$scratch/other-cpu.img"
	status=$?
	refused=no
	[ "$status" -eq 5 ] && grep -q "xstate features" "$scratch/other-cpu.err" && refused=yes
	pass_if abort.other-cpu-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/other-cpu.err")" [ $refused = yes ]
}

# Unprivileged callers: nobody checkpoints its own process; restarting it
# needs CAP_CHECKPOINT_RESTORE (the kernel's rule for choosing a pid), and
# even with it, a root process's image is refused: its credentials are not
# nobody's to give.
scenario_unprivileged() {
	chmod 0666 /dev/cpt
	mine=$scratch/nobody
	chmod 0711 "$scratch"
	mkdir -p "$mine"
	chown nobody:nogroup "$mine"
	pid=$(as_nobody sh -c '"$0" 1000 >/dev/null 2>&1 </dev/null & echo $!' "$workloads/counter")
	wait_for_exe "$pid" "$workloads/counter"
	cptctl_as nobody /dev/stdout "$scratch/own.err" checkpoint "$pid" -o "$mine/own.img" --kill
	status=$?
	pass_if abort.unprivileged-checkpoint "nobody's checkpoint of its own pid $pid exited $status: $(tr '\n' ' ' <"$scratch/own.err")" \
		[ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	cptctl_as nobody /dev/null "$scratch/nocap.err" restart "$mine/own.img" --detach
	status=$?
	refused=no
	[ "$status" -eq 5 ] && grep -q "EPERM" "$scratch/nocap.err" && [ ! -d "/proc/$pid" ] && refused=yes
	pass_if abort.unprivileged-restart-needs-cap "restart without CAP_CHECKPOINT_RESTORE exited $status: $(tr '\n' ' ' <"$scratch/nocap.err")" \
		[ $refused = yes ]
	restored=$(cptctl_as nobody_cr /dev/stdout "$scratch/cap.err" restart "$mine/own.img" --detach)
	owner=$(stat -c %U "/proc/$restored" 2>/dev/null)
	pass_if abort.unprivileged-restart "restart with CAP_CHECKPOINT_RESTORE gave pid '$restored' (saved $pid) owned by '$owner': $(tr '\n' ' ' <"$scratch/cap.err")" \
		eval '[ "$restored" = "$pid" ] && [ "$owner" = nobody ]'
	caps=$(sed -n 's/^CapEff:\t//p' "/proc/$restored/status" 2>/dev/null)
	pass_if abort.unprivileged-restart-no-caps "the restored process's effective capabilities: $caps" [ "$caps" = 0000000000000000 ]
	kill "$restored" 2>/dev/null
	counter_checkpointed "$mine/root.img"
	chmod 0644 "$mine/root.img"
	cptctl_as nobody_cr /dev/null "$scratch/root.err" restart "$mine/root.img" --detach
	status=$?
	refused=no
	[ "$status" -eq 5 ] && grep -q "CAP_SETUID" "$scratch/root.err" && [ ! -d "/proc/$pid" ] && refused=yes
	pass_if abort.root-image-refused "nobody's restart of root's image exited $status: $(tr '\n' ' ' <"$scratch/root.err")" \
		[ $refused = yes ]
	start_counter
	cptctl_as nobody /dev/stdout "$scratch/theirs.err" checkpoint "$pid" -o "$mine/theirs.img"
	status=$?
	pass_if abort.unprivileged-checkpoint-of-root-refused "nobody's checkpoint of root's pid $pid exited $status: $(tr '\n' ' ' <"$scratch/theirs.err")" \
		eval '[ "$status" -eq 4 ] && grep -q EPERM "$scratch/theirs.err" && [ -d "/proc/$pid" ]'
	kill "$pid"
	chmod 0600 /dev/cpt
}

# On a terminal, checkpoint and restart of 256 MiB show their progress.
scenario_tty_progress() {
	mkdir -p "$scratch/tty"
	"$workloads/mm_bench" "$scratch/tty" 256 >"$scratch/tty.out" 2>&1 </dev/null &
	pid=$!
	wait_until test -e "$scratch/tty/ready"
	script -qec "'$cptctl' checkpoint $pid -o '$scratch/tty.img' --kill" "$scratch/tty-checkpoint.log" >/dev/null
	pass_if abort.tty-checkpoint-progress "the terminal showed: $(tr '\r' '\n' <"$scratch/tty-checkpoint.log" | grep MiB | tail -n 2 | tr '\n' '|')" \
		grep -q "saving MM, .* MiB" "$scratch/tty-checkpoint.log"
	wait "$pid" 2>/dev/null
	(wait_for_pid "$pid" && touch "$scratch/tty/go") &
	script -qec "'$cptctl' restart '$scratch/tty.img'" "$scratch/tty-restart.log" >/dev/null
	pass_if abort.tty-restart-progress "the terminal showed: $(tr '\r' '\n' <"$scratch/tty-restart.log" | grep MiB | tail -n 2 | tr '\n' '|')" \
		grep -q "restoring 1 task, .* MiB of 256" "$scratch/tty-restart.log"
	pass_if abort.tty-restart-intact "the restarted process checked its memory: $(tr '\n' ' ' <"$scratch/tty.out")" \
		grep -q "RESULT [^ ]* PASS" "$scratch/tty.out"
}

# Checkpointing needs the kernel's ptrace access, LSMs included: with Yama's
# ptrace_scope at 3 not even root may attach, so checkpoint must refuse.
# (Scope 3 cannot be lowered again until reboot: the scenario runs last.)
scenario_ptrace_access() {
	start_counter
	if echo 3 >/proc/sys/kernel/yama/ptrace_scope; then
		cptctl_in /dev/stdout "$scratch/yama.err" checkpoint "$pid" -o "$scratch/yama.img"
		status=$?
		pass_if abort.ptrace-access-required "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/yama.err")" \
			[ "$status" -eq 4 ]
		pass_if abort.ptrace-refused-target-alive "pid $pid still running" [ -d "/proc/$pid" ]
	else
		result abort.ptrace-access-required FAIL "Yama is not available in this kernel"
	fi
	kill "$pid"
}

# A service run as a non-root user, checkpointed and restarted by root: its
# processes stay counted as that user's (the count RLIMIT_NPROC limits), and
# after the restart it forks, execs and reaps, which made the kernel warn
# (dec_rlimit_ucounts) when the count did not follow the restored
# credentials. The count is back where it was once the service exits.
scenario_nproc_user() {
	# nobody's cptctl_as nodes would count among its processes.
	cptctl_as_stop_all
	chmod 0711 "$scratch"
	baseline=$(as_nobody "$workloads/nproc_user" probe)
	mkdir -p "$scratch/nproc.d"
	if ! start_workload nproc setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/nproc_user" "$scratch/nproc.d"; then
		result nproc.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/nproc.img" --kill
	status=$?
	pass_if nproc.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$scratch/nproc.d/go") &
	cptctl_in /dev/stdout "$scratch/restart.err" restart "$scratch/nproc.img"
	status=$?
	pass_if nproc.exit-status "restarted service exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT nproc./p" "$out"
	after=$(as_nobody "$workloads/nproc_user" probe)
	pass_if nproc.count-after-exit "nobody may fork $after processes once the restored service exited, $baseline before it started" \
		eval '[ -n "$baseline" ] && [ "$after" = "$baseline" ]'
}
