# shellcheck shell=sh
# What a restart re-creates must come back as it was, or the checkpoint
# refuses it by name: a user's service restarted by root (its socket file,
# its pty's slave node), and what has no path to reopen (a deleted working
# directory, FIFO, device node).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# A service running as nobody, restarted by root: its socket file and its
# pty's slave are nobody's again, with their modes, and a client running as
# nobody connects to it after the restart.
scenario_user_service() {
	checkpoint_service user-service svc setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/user_service" serve || return
	(wait_for_pid "$pid" && touch "$scratch/svc.d/go" &&
		as_nobody "$workloads/user_service" connect "$scratch/svc.d" >"$scratch/client.out" 2>&1) &
	client=$!
	cptctl_in /dev/stdout "$scratch/svc-restart.err" restart "$scratch/svc.img"
	status=$?
	wait "$client"
	pass_if user-service.exit-status "restarted service exited $status: $(tr '\n' ' ' <"$scratch/svc-restart.err")" [ "$status" -eq 0 ]
	pass_if user-service.client "a client running as nobody after the restart: $(tr '\n' ' ' <"$scratch/client.out")" \
		grep -q pong "$scratch/client.out"
	sed -n "s/^RESULT /RESULT user-service./p" "$out"
}

# refused NAME WHAT: the checkpoint of $pid fails, naming WHAT, and leaves it running.
refused() {
	cptctl_in /dev/stdout "$scratch/$1.err" checkpoint "$pid" -o "$scratch/$1.img"
	status=$?
	alive=$(test -d "/proc/$pid" && echo yes)
	named=$(grep -c "$2" "$scratch/$1.err")
	pass_if "deleted-refused.$1" "checkpoint exited $status, target alive: $alive: $(tr '\n' ' ' <"$scratch/$1.err")" \
		eval '[ "$status" -ne 0 ] && [ "$named" -gt 0 ] && [ "$alive" = yes ]'
	kill "$pid"
}

# What a restart has no path for: a deleted working directory. The
# checkpoint is refused by name, the target left running. (Deleted FIFOs
# and device nodes come back: deleted-nodes.ts.)
scenario_deleted_refused() {
	cd "$scratch" || return
	mkdir gone
	start_workload cwd sh -c 'cd gone && rmdir ../gone && echo READY && exec sleep 1000'
	refused cwd "working directory $scratch/gone (deleted) is deleted"
}
