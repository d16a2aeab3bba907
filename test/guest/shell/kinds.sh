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
# and $scratch/child.img (one node edits both, cptctl_in's encodes them).
epoll_targets_to_900() {
	node -e '
const fs = require("fs");
const [src, dir] = process.argv.slice(1);
for (const [nth, stem] of ["root", "child"].entries()) {
  const doc = JSON.parse(fs.readFileSync(src, "utf8"));
  const files = doc.recordList.filter((r) => r.type === "FILES")[nth].message.files;
  const ep = files.find((f) => f.kind === "EPOLL");
  const watched = new Set((ep.epollWatches ?? []).map((w) => w.target ?? 0));
  const i = ep.epollTargets.findIndex((t, j) => !watched.has(j));
  ep.epollTargets[i].fd = 900;
  fs.writeFileSync(`${dir}/${stem}.json`, JSON.stringify(doc));
}' "$1" "$scratch" &&
		cptctl_in /dev/null /dev/stderr encode "$scratch/root.json" -o "$scratch/root.img" &&
		cptctl_in /dev/null /dev/stderr encode "$scratch/child.json" -o "$scratch/child.img"
}

# The restarts under test go through bin/cptctl; the other calls through
# one node (cptctl_serve).
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
	"$cptctl" restart "$scratch/root.img" >/dev/null 2>"$scratch/root.err"
	status=$?
	said=no
	grep -q "pid $pid failed at its final step" "$scratch/root.err" && grep -q "cannot watch fd 900" "$scratch/root.err" &&
		grep -q "SIGKILL" "$scratch/root.err" && [ "$status" -ne 0 ] && said=yes
	pass_if restart-why.died-says-why "restart exited $status: $(tr '\n' ' ' <"$scratch/root.err")" [ $said = yes ]

	# The child's final step fails; the grandchild, waiting its turn, is cancelled.
	wait_for_pid_gone "$pid"
	"$cptctl" restart "$scratch/child.img" >/dev/null 2>"$scratch/child.err"
	status=$?
	said=no
	grep -q "pid $child failed at its final step" "$scratch/child.err" && grep -q "cannot watch fd 900" "$scratch/child.err" &&
		[ "$status" -ne 0 ] && said=yes
	pass_if restart-why.later-refusal-named "restart exited $status: $(tr '\n' ' ' <"$scratch/child.err")" [ $said = yes ]
}
