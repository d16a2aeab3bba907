# shellcheck shell=sh
# POSIX timers through cptctl's command line: a nobody process checkpointed
# and restarted by root (test/workloads/ptimers.c checks its own timers),
# and a checkpoint refused for a timer on another process's CPU-time clock.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_user_service() {
	chmod 0711 "$scratch"
	mkdir -p "$scratch/user.d"
	chown nobody "$scratch/user.d"
	if ! start_workload user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/ptimers" "$scratch/user.d"; then
		result ptimers-user.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	"$cptctl" checkpoint "$pid" -o "$scratch/user.img" --kill 2>"$scratch/ckpt.err"
	status=$?
	pass_if ptimers-user.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$scratch/user.d/go") &
	"$cptctl" restart "$scratch/user.img" 2>"$scratch/restart.err"
	status=$?
	pass_if ptimers-user.exit-status "restarted process exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT ptimers-user./p" "$out"

	if ! start_workload other setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/ptimers" "$scratch/user.d" other-clock; then
		result ptimers-user.other-cpu-clock-refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	id=$(sed -n 's/^READY //p' "$out")
	"$cptctl" checkpoint "$pid" -o "$scratch/other.img" --kill 2>"$scratch/other.err"
	status=$?
	pass_if ptimers-user.other-cpu-clock-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/other.err")" \
		[ "$status" -eq 4 ] && grep -q "pid $pid: POSIX timer $id: .*CPU-time clock of pid 1" "$scratch/other.err" &&
		[ -d "/proc/$pid" ]
	kill "$pid" 2>/dev/null
}
