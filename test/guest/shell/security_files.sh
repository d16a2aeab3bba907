# shellcheck shell=sh
# Hostile restarts aimed at the module's files (security review F1, F10,
# F11, F13): each must end in a clean errno and a message naming what was
# refused; a kernel warning or oops panics the guest and fails the boot.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# held KIND PREFIX [DIR]: checkpoints (--kill) a process holding one file of
# KIND (fd_race hold) into $scratch/KIND.img; its pid in $pid. Fails the
# check PREFIX.image otherwise.
held() {
	if ! start_workload "$1" "$workloads/fd_race" hold "$1" ${3:+"$3"}; then
		result "$2.image" FAIL "the holder did not start: $(tr '\n' ' ' <"$out")"
		return 1
	fi
	if ! "$cptctl" checkpoint "$pid" -o "$scratch/$1.img" --kill 2>"$scratch/$1.err"; then
		result "$2.image" FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/$1.err")"
		return 1
	fi
	wait_for_pid_gone "$pid"
}

# F1: an extra thread of the restoring process swaps files at the numbers the
# module's syscalls take (inotify_init1, timerfd_create) for 3 s of restarts.
fd_race() {
	held "$1" "fd-race-$1" || return
	"$workloads/fd_race" race "$scratch/$1.img" "$pid" 3 | sed "s/^RESULT /RESULT fd-race-$1./"
}

scenario_fd_race() {
	fd_race inotify
	fd_race timerfd
}

# edit_files JSON OUT NODE-EXPRESSION: rewrites every File of the image's JSON
# (inspect --json) for which the expression, of the File `f`, edits something;
# fails unless one did.
edit_files() {
	node -e '
		const fs = require("fs");
		const [src, dst, expr] = process.argv.slice(1);
		const doc = JSON.parse(fs.readFileSync(src, "utf8"));
		const edit = new Function("f", expr);
		let edited = 0;
		const walk = (v) => {
			if (Array.isArray(v)) return v.forEach(walk);
			if (v === null || typeof v !== "object") return;
			if ("kind" in v && "id" in v && edit(v)) edited++;
			Object.values(v).forEach(walk);
		};
		walk(doc);
		if (!edited) process.exit(1);
		fs.writeFileSync(dst, JSON.stringify(doc));
	' "$1" "$2" "$3"
}

# restart_fails PREFIX IMG WHAT: restarts IMG, which must fail by itself
# (within 60 s: a slow guest's restart takes 20 s; one that waits on an open
# never ends), naming WHAT, leaving no task of the tree ($pid).
restart_fails() {
	started=$(date +%s)
	timeout 60 "$cptctl" restart "$2" >"$scratch/$1.out" 2>"$scratch/$1.err"
	status=$? took=$(($(date +%s) - started))
	pass_if "$1.refused" "restart exited $status in ${took}s: $(tr '\n' ' ' <"$scratch/$1.err")" \
		sh -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && grep -q -- "$3" "$0"' \
		"$scratch/$1.err" "$status" "$took" "$3"
	pass_if "$1.nothing-left" "pid $pid is free" wait_for_pid_gone "$pid"
}

# F10: a pty slave File whose path is a FIFO, opened read-only: an open that
# would wait for a writer. The restart must fail at once, naming the FIFO.
scenario_pty_fifo() {
	if ! start_workload pty "$workloads/pty_session" "$scratch"; then
		result pty-fifo.image FAIL "the pty workload did not start: $(tr '\n' ' ' <"$out")"
		return
	fi
	"$cptctl" checkpoint "$pid" -o "$scratch/pty.img" --kill 2>"$scratch/pty.err" &&
		wait_for_pid_gone "$pid" && mkfifo "$scratch/fifo" &&
		"$cptctl" inspect "$scratch/pty.img" --json >"$scratch/pty.json" &&
		edit_files "$scratch/pty.json" "$scratch/fifo.json" "
			if (!String(f.kind).includes('PTY_SLAVE')) return false;
			f.path = '$scratch/fifo';
			f.flags = typeof f.flags === 'string' ? '0' : 0;
			return true;" &&
		"$cptctl" encode "$scratch/fifo.json" -o "$scratch/fifo.img" >/dev/null
	pass_if pty-fifo.image "an image whose pty slave is the FIFO $scratch/fifo" [ -s "$scratch/fifo.img" ]
	restart_fails pty-fifo "$scratch/fifo.img" "$scratch/fifo"
}

