# shellcheck shell=sh
# Unprivileged checkpoint/restart in a user namespace (issue 15): nobody,
# with no capability, runs a process tree in a user and pid namespace of
# its own (unshare --user --map-root-user --pid), checkpoints it there, and
# restarts it with `cptctl restart --pidns` inside another user namespace of
# its own (`unshare --user --map-root-user`: cptctl, a threaded node
# process, cannot make one itself): the tree gets its pids again, in the new
# pid namespace, and checks itself (test/workloads/tree_state.c). Without
# --pidns the same restart is refused: the initial pid namespace's pids are
# not nobody's to choose. The privilege matrix (privmodel) asserts the
# namespace's cells through the ioctls.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# as_nobody_ns CMD...: CMD as nobody, root in a user namespace of its own
# (uid and gid 0 mapped to nobody's, setgroups denied), with its own IPC
# namespace: a checkpoint saves every SysV object of its IPC namespace that
# it may read, and another scenario's would not be nobody's to restore.
as_nobody_ns() { as_nobody unshare --user --map-root-user --ipc "$@"; }

# The single-quoted scripts are sh -c's and pass_if's eval's to expand.
# shellcheck disable=SC2016
scenario_userns() {
	chmod 0666 /dev/cpt
	chmod 0711 "$scratch"
	d=$scratch/nobody
	mkdir -p "$d/tree"
	chown -R nobody:nogroup "$d"
	# The tree in nobody's namespaces: sh is the pid namespace's init,
	# the tree's root its child; checkpointed --kill from inside.
	as_nobody_ns --pid --fork --mount-proc sh -c '
		"$0" "$1/tree" >"$1/tree.out" 2>&1 </dev/null &
		"$3" line "$1/tree.out" READY || exit 9
		echo $! >"$1/root.pid"
		"$2" checkpoint $! -o "$1/tree.img" --kill
	' "$workloads/tree_state" "$d" "$cptctl" "$waitfor" 2>"$scratch/checkpoint.err"
	status=$?
	pass_if userns.checkpoint "nobody's checkpoint of its tree (root pid $(cat "$d/root.pid" 2>/dev/null) in its pid namespace) exited $status: $(tr '\n' ' ' <"$scratch/checkpoint.err")" \
		[ "$status" -eq 0 ]

	# Without a pid namespace of its own: no pid of the initial one.
	as_nobody_ns "$cptctl" restart "$d/tree.img" --detach >/dev/null 2>"$scratch/own-pidns.err"
	status=$?
	pass_if userns.initial-pidns-refused "nobody's restart in the initial pid namespace exited $status: $(tr '\n' ' ' <"$scratch/own-pidns.err")" \
		eval '[ "$status" -eq 5 ] && grep -q "CAP_CHECKPOINT_RESTORE" "$scratch/own-pidns.err"'

	# Into a file: the pid namespace's init, cptctl's fork, keeps its stdout.
	as_nobody_ns "$cptctl" restart --pidns "$d/tree.img" --detach >"$scratch/restart.out" 2>"$scratch/restart.err"
	status=$?
	restored=$(cat "$scratch/restart.out")
	owner=$(stat -c %U "/proc/$restored" 2>/dev/null)
	pass_if userns.restart "nobody's restart --pidns in a user namespace of its own exited $status, the namespace's init $restored owned by '$owner': $(tr '\n' ' ' <"$scratch/restart.err")" \
		eval '[ "$status" -eq 0 ] && [ "$owner" = nobody ]'
	# The tree's own checks once it goes on: pids, groups and session.
	# Not zombie-status: the root reads its zombie's state in /proc, which
	# here is the initial pid namespace's (--pidns mounts none), where the
	# zombie's pid is another process's.
	touch "$d/tree/go"
	wait_for_line "$d/tree.out" "^RESULT all-exited "
	for tree_check in root-ids subtree-A subtree-B subtree-C subtree-D all-exited; do
		line=$(grep "^RESULT $tree_check " "$d/tree.out" | tail -n 1)
		pass_if "userns.tree-$tree_check" "${line:-no RESULT $tree_check line}" \
			eval 'case "$line" in "RESULT $tree_check PASS"*) true ;; *) false ;; esac'
	done
	chmod 0600 /dev/cpt
}

# A plain user's own tree, checkpointed where it runs (the initial user and
# pid namespaces), restarted with `cptctl restart --pidns` alone: nobody,
# with no capability and group 100 as a supplementary group, lacks
# CAP_SYS_ADMIN for the pid namespace, so cptctl makes a user namespace for
# the tree too, which maps nobody's uid and gid to themselves; group 100,
# unmapped there, comes back all the same (test/workloads/userns_tree.c
# checks its pids, ids, a file only group 100 may read, its files, fork and
# exec, and the namespace). With user namespaces disabled, the restart is
# refused up front, naming the sysctl.
caller_nobody_100='--reuid=nobody --regid=nogroup --groups=100'
# shellcheck disable=SC2086 # the options, a word each
as_nobody_100() { setpriv $caller_nobody_100 "$@"; }

# shellcheck disable=SC2016
scenario_userns_plain() {
	chmod 0666 /dev/cpt
	chmod 0711 "$scratch"
	d=$scratch/plain
	mkdir -p "$d/tree"
	chown -R nobody:nogroup "$d"
	install -m 0040 -o root -g 100 /dev/null "$d/tree/group-only"
	caps=$(as_nobody_100 grep CapEff /proc/self/status | tr -d ' \t')
	as_nobody_100 sh -c '"$0" "$1/tree" >"$1/tree.out" 2>&1 </dev/null & echo $! >"$1/root.pid"' \
		"$workloads/userns_tree" "$d"
	pid=$(cat "$d/root.pid")
	wait_for_line "$d/tree.out" "^READY"
	cptctl_as nobody_100 /dev/stdout "$scratch/plain-checkpoint.err" checkpoint "$pid" -o "$d/tree.img" --kill
	status=$?
	pass_if userns-plain.checkpoint "nobody ($caps) checkpointed its tree (root pid $pid), exited $status: $(tr '\n' ' ' <"$scratch/plain-checkpoint.err")" \
		eval '[ "$status" -eq 0 ] && [ "$caps" = CapEff:0000000000000000 ]'
	wait_for_pid_gone "$pid"

	max=$(cat /proc/sys/user/max_user_namespaces)
	echo 0 >/proc/sys/user/max_user_namespaces
	cptctl_as nobody_100 /dev/null "$scratch/plain-disabled.err" restart --pidns "$d/tree.img" --detach
	status=$?
	echo "$max" >/proc/sys/user/max_user_namespaces
	pass_if userns-plain.disabled-refused "nobody's restart --pidns with user.max_user_namespaces 0 exited $status, pid $pid $(test -d "/proc/$pid" && echo exists || echo free): $(tr '\n' ' ' <"$scratch/plain-disabled.err")" \
		eval '[ "$status" -eq 5 ] && grep -q "sysctl user.max_user_namespaces is 0" "$scratch/plain-disabled.err" && [ ! -d "/proc/$pid" ]'

	cptctl_as nobody_100 "$scratch/plain-restart.out" "$scratch/plain-restart.err" restart --pidns "$d/tree.img" --detach
	status=$?
	init=$(cat "$scratch/plain-restart.out")
	owner=$(stat -c %U "/proc/$init" 2>/dev/null)
	ns=$(readlink "/proc/$init/ns/user")
	groups=$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$init/status" 2>/dev/null | tr -d ' ')
	pass_if userns-plain.restart "nobody's restart --pidns exited $status, the namespace's init $init owned by '$owner', groups '$groups', in user namespace $ns (ours $(readlink /proc/self/ns/user)): $(tr '\n' ' ' <"$scratch/plain-restart.err")" \
		eval '[ "$status" -eq 0 ] && [ "$owner" = nobody ] && [ "$groups" = 100 ] && [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/user)" ] && grep -q "new user namespace" "$scratch/plain-restart.err"'
	touch "$d/tree/go"
	wait_for_line "$d/tree.out" "^RESULT all-exited "
	for tree_check in pids ids files fork-exec userns all-exited; do
		line=$(grep "^RESULT $tree_check " "$d/tree.out" | tail -n 1)
		pass_if "userns-plain.tree-$tree_check" "${line:-no RESULT $tree_check line}" \
			eval 'case "$line" in "RESULT $tree_check PASS"*) true ;; *) false ;; esac'
	done
	chmod 0600 /dev/cpt
}
