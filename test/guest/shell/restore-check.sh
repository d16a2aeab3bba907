# shellcheck shell=sh
# A restoring task whose RESTORE step fails its entry check (out of turn)
# fails the restart: FINALIZE reports the step's error at once instead of
# waiting for a task that will never park (test/workloads/restore_check.c).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_restore_check() {
	if ! start_workload check "$workloads/cpu_state" "$scratch/go"; then
		result restore-check.step-refused FAIL "cpu_state never said READY"
		return
	fi
	if ! cptctl_in /dev/null "$scratch/check.err" checkpoint "$pid" -o "$scratch/check.img" --kill; then
		result restore-check.step-refused FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/check.err")"
		return
	fi
	wait_for_pid_gone "$pid"
	"$workloads/restore_check" "$scratch/check.img" "$pid" | sed 's/^RESULT /RESULT restore-check./'
	pass_if restore-check.pid-free "pid $pid is free again" wait_for_pid_gone "$pid"
}
