# shellcheck shell=sh
# The attributes of an address space and of a process, for a nobody service
# that root checkpoints and restarts through cptctl's command line: its
# locked memory must come back under its own RLIMIT_MEMLOCK, without
# CAP_IPC_LOCK (test/workloads/mm_attrs.c checks its own).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_user() {
	# Without CAP_IPC_LOCK in its bounding set, so that a caller without it
	# may restart it too (below).
	checkpoint_service mm-attrs-user user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--bounding-set=-ipc_lock "$workloads/mm_attrs" || return
	restart_service mm-attrs-user user

	# Memory is locked again with the restarting caller's rights (the saved
	# credentials and limits come after it): a caller without CAP_IPC_LOCK,
	# under an RLIMIT_MEMLOCK below what the image locks, is refused by name
	# before the memory goes.
	prlimit --memlock=4096:4096 setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock \
		"$cptctl" restart "$scratch/user.img" --detach >/dev/null 2>"$scratch/over.err"
	status=$?
	# cptctl may name another task of the tree, whose restore was cancelled.
	dmesg | grep "cannot lock" >>"$scratch/over.err"
	refused=no
	grep -q "pid $pid: cannot lock .*, over RLIMIT_MEMLOCK 4 KiB" "$scratch/over.err" &&
		[ "$status" -eq 5 ] && [ ! -d "/proc/$pid" ] && refused=yes
	pass_if mm-attrs-user.memlock-refused "restart exited $status: $(tr '\n' ' ' <"$scratch/over.err")" \
		[ $refused = yes ]
	kill -KILL "$pid" 2>/dev/null || true
}

# The same image again, left waiting: a child subreaper whose child predates
# its becoming one must still die of SIGTERM once restarted.
scenario_subreaper_root() {
	checkpoint_service mm-attrs-subreaper root "$workloads/mm_attrs" || return
	read -r sub orphan <"$scratch/root.d/family"
	cptctl_in "$scratch/root-restart.out" "$scratch/root-restart.err" restart "$scratch/root.img" --detach
	read -r restored <"$scratch/root-restart.out"
	kill -TERM "$restored" 2>/dev/null
	gone=no
	wait_for_pid_gone "$restored" && gone=yes
	pass_if mm-attrs-subreaper.sigterm "restarted as ${restored:-nothing} ($(tr '\n' ' ' <"$scratch/root-restart.err")), SIGTERM: gone $gone" \
		[ "$restored" = "$pid" ] && [ $gone = yes ]
	kill -KILL "$restored" "$sub" "$orphan" 2>/dev/null || true

}
