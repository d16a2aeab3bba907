# shellcheck shell=sh
# What cptctl says when a restart fails where no task can report it: a
# restoring task that dies in its final step (its fds, the report pipe's
# among them, are gone), and a later process of the tree that fails while
# the others are cancelled. Hostile images of epoll_kept: one target of an
# epoll instance moved to fd 900, which no fd of the process has.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# epoll_targets_to_900 IN: the image IN with the first plain target of the
# epoll instance of the root, then of its child, at fd 900: $scratch/root.img
# and $scratch/child.img (one jq edits both, json_edit; cptctl_in's node
# encodes them).
epoll_targets_to_900() {
	nth=0	# the root's Files record is the first, its child's the second
	for stem in root child; do
		json_edit "$scratch/$stem.json" "$1" "([.recordList | to_entries[] | select(.value.type == \"FILES\") | .key] |
			.[$nth]) as \$r |
			(.recordList[\$r].message.files | map(.kind == \"EPOLL\") | index(true)) as \$e |
			[.recordList[\$r].message.files[\$e].epollWatches[]? | .target // 0] as \$watched |
			(.recordList[\$r].message.files[\$e].epollTargets | [range(0; length)] |
				map(select(. as \$j | \$watched | any(.[]; . == \$j) | not)) | .[0]) as \$t |
			.recordList[\$r].message.files[\$e].epollTargets[\$t].fd = 900"
		nth=1
	done
	json_edits_made
	[ ! -s "$scratch/edited-jq.err" ] || { cat "$scratch/edited-jq.err" >&2; return 1; }
	cptctl_in /dev/null /dev/stderr encode "$scratch/root.json" -o "$scratch/root.img" &&
		cptctl_in /dev/null /dev/stderr encode "$scratch/child.json" -o "$scratch/child.img"
}

# Every cptctl call through one node (cptctl_serve): what the restarts say
# is run()'s, as bin/cptctl's would be.
scenario_restart_why() {
	cptctl_serve || return
	mkdir -p "$scratch/why"
	start_workload why "$workloads/epoll_kept" "$scratch/why" ||
		{ result restart-why.died-says-why FAIL "the workload never got ready: $(tail -n 3 "$out" | tr '\n' ' ')"; return; }
	child=$(pgrep -P "$pid" | head -n 1)
	cptctl_in /dev/null "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/why.img" --kill ||
		{ result restart-why.died-says-why FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/ckpt.err")"; return; }
	wait_for_pid_gone "$pid"
	cptctl_in "$scratch/why.json" "$scratch/why.json" inspect --json "$scratch/why.img" &&
		epoll_targets_to_900 "$scratch/why.json" ||
		{ result restart-why.died-says-why FAIL "cannot make the images: $(head -c 300 "$scratch/why.json")"; return; }

	# The root's own final step fails: it dies with nothing to report on.
	cptctl_in /dev/null "$scratch/root.err" restart "$scratch/root.img"
	status=$?
	said=no
	grep -q "pid $pid failed at its final step" "$scratch/root.err" && grep -q "cannot watch fd 900" "$scratch/root.err" &&
		grep -q "SIGKILL" "$scratch/root.err" && [ "$status" -ne 0 ] && said=yes
	pass_if restart-why.died-says-why "restart exited $status: $(tr '\n' ' ' <"$scratch/root.err")" [ $said = yes ]

	# The child's final step fails; the grandchild, waiting its turn, is cancelled.
	wait_for_pid_gone "$pid"
	cptctl_in /dev/null "$scratch/child.err" restart "$scratch/child.img"
	status=$?
	said=no
	grep -q "pid $child failed at its final step" "$scratch/child.err" && grep -q "cannot watch fd 900" "$scratch/child.err" &&
		[ "$status" -ne 0 ] && said=yes
	pass_if restart-why.later-refusal-named "restart exited $status: $(tr '\n' ' ' <"$scratch/child.err")" [ $said = yes ]
}
