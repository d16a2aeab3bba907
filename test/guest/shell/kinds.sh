# shellcheck shell=sh
# What cptctl says when a restart fails where no task can report it: a
# restoring task that dies in its final step (its fds, the report pipe's
# among them, are gone), and a later process of the tree that fails while
# the others are cancelled. Hostile images of epoll_kept: one target of an
# epoll instance moved to fd 900, which no fd of the process has.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# epoll_target_to_900 IN OUT N: the image IN with the first plain target of
# the epoll instance of the Nth process (0: the root) at fd 900.
epoll_target_to_900() {
	node -e '
const fs = require("fs");
const [src, dst, nth] = process.argv.slice(1);
const doc = JSON.parse(fs.readFileSync(src, "utf8"));
const files = doc.recordList.filter((r) => r.type === "FILES")[Number(nth)].message.files;
const ep = files.find((f) => f.kind === "EPOLL");
const watched = new Set((ep.epollWatches ?? []).map((w) => w.target ?? 0));
const i = ep.epollTargets.findIndex((t, j) => !watched.has(j));
ep.epollTargets[i].fd = 900;
fs.writeFileSync(dst, JSON.stringify(doc));' "$1" "$scratch/edited.json" "$3" &&
		"$cptctl" encode "$scratch/edited.json" -o "$2" >/dev/null
}

scenario_restart_why() {
	mkdir -p "$scratch/why"
	start_workload why "$workloads/epoll_kept" "$scratch/why" ||
		{ result restart-why.died-says-why FAIL "the workload never got ready: $(tail -n 3 "$out" | tr '\n' ' ')"; return; }
	child=$(pgrep -P "$pid" | head -n 1)
	"$cptctl" checkpoint "$pid" -o "$scratch/why.img" --kill >/dev/null 2>"$scratch/ckpt.err" ||
		{ result restart-why.died-says-why FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/ckpt.err")"; return; }
	wait_for_pid_gone "$pid"
	"$cptctl" inspect --json "$scratch/why.img" >"$scratch/why.json" 2>&1 &&
		epoll_target_to_900 "$scratch/why.json" "$scratch/root.img" 0 &&
		epoll_target_to_900 "$scratch/why.json" "$scratch/child.img" 1 ||
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
