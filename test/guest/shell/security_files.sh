# shellcheck shell=sh
# Hostile restarts aimed at the module's files (security review F1, F10,
# F11, F13): each must end in a clean errno and a message naming what was
# refused; a kernel warning or oops panics the guest and fails the boot.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# held KIND PREFIX [DIR]: checkpoints (--kill) a process holding one file of
# KIND (fd_race hold) into $scratch/KIND.img; its pid in $pid. Fails the
# check PREFIX.image otherwise. $hold_as: fd_race's mode, hold unless set;
# $tid: the holder's second thread, if it has one.
held() {
	if ! start_workload "$1" "$workloads/fd_race" "${hold_as:-hold}" "$1" ${3:+"$3"}; then
		result "$2.image" FAIL "the holder did not start: $(tr '\n' ' ' <"$out")"
		return 1
	fi
	tid=$(ls "/proc/$pid/task" | grep -vx "$pid" | head -n 1)
	if ! cptctl_in /dev/stdout "$scratch/$1.err" checkpoint "$pid" -o "$scratch/$1.img" --kill; then
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

# F1, by a sharer of the fd table: the restoring process's second thread, a
# task of the tree, clones a process sharing the table (CLONE_FILES) once the
# FILES restore waits for it, and that process swaps fds for 3 s of restarts
# of a unix pair with an eventfd in flight (SCM_RIGHTS).
scenario_fd_race_sharer() {
	hold_as=hold-threaded held rights fd-race-sharer || return
	"$workloads/fd_race" race-sharer "$scratch/rights.img" "$pid" "${tid:-0}" 3 |
		sed "s/^RESULT /RESULT fd-race-sharer./"
}

# The same for sockets (unix pair, listener, unpaired datagram sockets, a TCP
# listener), which a restart makes with socket() and names by fd for
# setsockopt(), bind(), connect() and listen(): refused while the sharer
# swaps fds, and then restarted without one, the holder finding each of its
# sockets at its fd as it made it (fd_race's sockets-* checks).
scenario_fd_race_sockets() {
	mkdir -p "$scratch/sockets.d"
	hold_as=hold-threaded held sockets fd-race-sockets "$scratch/sockets.d" || return
	"$workloads/fd_race" race-sharer "$scratch/sockets.img" "$pid" "${tid:-0}" 3 |
		sed "s/^RESULT /RESULT fd-race-sockets./"
	restart_service fd-race-sockets sockets
}

# edit_files JSON OUT NODE-EXPRESSION: rewrites every File of the image's JSON
# (inspect --json) for which the expression, the body of a function of the
# File `f`, edits something; fails unless one did. Run by cptctl_in's node
# (node_in).
edit_files() {
	node_in /dev/stdout /dev/stderr "
		const [src, dst] = args;
		const doc = JSON.parse(fs.readFileSync(src, 'utf8'));
		const edit = (f) => {
			$3
		};
		let edited = 0;
		const walk = (v) => {
			if (Array.isArray(v)) return v.forEach(walk);
			if (v === null || typeof v !== 'object') return;
			if ('kind' in v && 'id' in v && edit(v)) edited++;
			Object.values(v).forEach(walk);
		};
		walk(doc);
		if (!edited) return 1;
		fs.writeFileSync(dst, JSON.stringify(doc));" "$1" "$2"
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
	cptctl_in /dev/stdout "$scratch/pty.err" checkpoint "$pid" -o "$scratch/pty.img" --kill &&
		wait_for_pid_gone "$pid" && mkfifo "$scratch/fifo" &&
		cptctl_in "$scratch/pty.json" /dev/stderr inspect "$scratch/pty.img" --json &&
		edit_files "$scratch/pty.json" "$scratch/fifo.json" "
			if (!String(f.kind).includes('PTY_SLAVE')) return false;
			f.path = '$scratch/fifo';
			f.flags = typeof f.flags === 'string' ? '0' : 0;
			return true;" &&
		cptctl_in /dev/null /dev/stderr encode "$scratch/fifo.json" -o "$scratch/fifo.img"
	pass_if pty-fifo.image "an image whose pty slave is the FIFO $scratch/fifo" [ -s "$scratch/fifo.img" ]
	restart_fails pty-fifo "$scratch/fifo.img" "$scratch/fifo"
}

# F11: a listener on a path of all 108 bytes of sun_path, whose name the
# kernel keeps as 111 bytes (the NUL after sun_path): it restarts, listening
# on that path again. F13: the same image with its backlog made 2^32-1
# restarts with the backlog clamped to net.core.somaxconn, as listen() does.
scenario_unix_long() {
	held listener unix-long "$scratch" || return
	path=$(awk -v d="$scratch" 'BEGIN { s = d "/"; while (length(s) < 108) s = s "l"; print s }')
	cptctl_in "$scratch/long.out" "$scratch/long.err" restart "$scratch/listener.img" --detach
	restored=$(cat "$scratch/long.out")
	pass_if unix-long.restarted "restart: $(tr '\n' ' ' <"$scratch/long.err")" [ "$restored" = "$pid" ]
	pass_if unix-long.listening "$path in /proc/net/unix" grep -q " $path\$" /proc/net/unix
	kill -9 "$pid" 2>/dev/null
	wait_for_pid_gone "$pid"
	cptctl_in "$scratch/listener.json" /dev/stderr inspect "$scratch/listener.img" --json &&
		edit_files "$scratch/listener.json" "$scratch/backlog.json" "
			if (!('unixBacklog' in f)) return false;
			f.unixBacklog = typeof f.unixBacklog === 'string' ? '4294967295' : 4294967295;
			return true;" &&
		cptctl_in /dev/null /dev/stderr encode "$scratch/backlog.json" -o "$scratch/backlog.img"
	cptctl_in "$scratch/backlog.out" "$scratch/backlog.err" restart "$scratch/backlog.img" --detach
	restored=$(cat "$scratch/backlog.out")
	max=$(cat /proc/sys/net/core/somaxconn)
	backlog=$(ss -xlnH | awk -v p="$path" '$5 == p { print $4 }')
	pass_if unix-long.backlog-clamped "restarted $restored: backlog $backlog (somaxconn $max) $(tr '\n' ' ' <"$scratch/backlog.err")" \
		[ "$backlog" = "$max" ]
	kill -9 "$pid" 2>/dev/null
	wait_for_pid_gone "$pid"
}

# seconds_since START: the seconds (to 0.1) since START, a `date +%s.%N`.
seconds_since() { echo "$(date +%s.%N) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# F12: a process with some 21,000 fds (6,000 epoll instances, 2,000 unix
# pairs, 2,000 pipes, a pty open at 1,000 fds) checkpoints and restarts, each
# in less than 40 s on a slow guest: every lookup by fd, file, socket, pipe
# or pty is O(1), none a scan of the tree's files. The debug kernel (KASAN,
# lockdep, kmemleak on every allocation and lock) took 50 and 103 s: the
# limit is stretched by CPT_GUEST_TIME_SCALE, as the waits are.
scenario_many_fds() {
	limit=$((40 * ${CPT_GUEST_TIME_SCALE:-1}))
	if ! start_workload many "$workloads/many_fds" "$scratch"; then
		result many-fds.checkpoint FAIL "the workload did not start: $(tr '\n' ' ' <"$out")"
		return
	fi
	started=$(date +%s.%N)
	cptctl_in /dev/stdout "$scratch/many.err" checkpoint "$pid" -o "$scratch/many.img" --kill
	status=$? took=$(seconds_since "$started")
	pass_if many-fds.checkpoint "checkpoint of $(sed -n 's/^READY //p' "$out") exited $status in ${took}s $(tr '\n' ' ' <"$scratch/many.err")" \
		awk -v s="$status" -v t="$took" -v l="$limit" 'BEGIN { exit !(s == 0 && t < l) }'
	wait_for_pid_gone "$pid"
	started=$(date +%s.%N)
	restored=$(ulimit -n 30000 && "$cptctl" restart "$scratch/many.img" --detach 2>"$scratch/many.err")
	status=$? took=$(seconds_since "$started")
	pass_if many-fds.restart "restart exited $status in ${took}s $(tr '\n' ' ' <"$scratch/many.err")" \
		awk -v s="$status" -v t="$took" -v l="$limit" -v r="$restored" -v p="$pid" 'BEGIN { exit !(s == 0 && t < l && r == p) }'
	touch "$scratch/go"
	wait_for_pid_gone "$pid"
	sed -n "s/^RESULT /RESULT many-fds./p" "$out"
}

# named_pairs NAME...: for each NAME (a path, or @ and an abstract name),
# the image of the socket pair holder ($scratch/pair.img) with its first end
# named NAME, in $scratch/named-N.img (N from 1); all the edits by
# cptctl_in's node (node_in).
named_pairs() {
	node_in /dev/stdout /dev/stderr '
		const [src, ...names] = args;
		for (const [i, name] of names.entries()) {
			const doc = JSON.parse(fs.readFileSync(src, "utf8"));
			/* The File of the first pair end: the one with a pairId. */
			const ends = [];
			(function find(v) {
				if (Array.isArray(v)) return v.forEach(find);
				if (v === null || typeof v !== "object") return;
				if (String(v.kind).includes("UNIX_PAIR") && "pairId" in v) ends.push(v);
				Object.values(v).forEach(find);
			})(doc);
			if (!ends.length) return 1;
			const path = name.startsWith("@") ? Buffer.concat([Buffer.from([0]), Buffer.from(name.slice(1))]) : Buffer.from(name);
			for (const end of ends.filter((e) => e.id === ends[0].id))
				end.unixAddr = Buffer.concat([Buffer.from([1, 0]), path]).toString("base64");
			fs.writeFileSync(`${src}.${i + 1}`, JSON.stringify(doc));
		}' "$scratch/pair.json" "$@" || return
	n=1
	for _ in "$@"; do
		cptctl_in /dev/null /dev/stderr encode "$scratch/pair.json.$n" -o "$scratch/named-$n.img" || return
		n=$((n + 1))
	done
}

# F13: an end of a socket pair gets its saved name without bind(), so only
# a name its restorer could have bound: not an abstract name another socket
# holds, not a path that is no socket; a free abstract name comes back.
scenario_unix_names() {
	held=$(sh -c '"$@" >/dev/null 2>&1 & echo $!' sh "$workloads/fd_race" hold abstract cpt-held-name)
	wait_until grep -q " @cpt-held-name\$" /proc/net/unix
	held pair unix-names || return
	: >"$scratch/plain"
	cptctl_in "$scratch/pair.json" /dev/stderr inspect "$scratch/pair.img" --json &&
		named_pairs @cpt-held-name "$scratch/plain" @cpt-free-name
	pass_if unix-names.image "the pair's image, its end named three ways" [ -s "$scratch/named-3.img" ]
	restart_fails unix-names-held "$scratch/named-1.img" "@cpt-held-name"
	restart_fails unix-names-not-socket "$scratch/named-2.img" "$scratch/plain"
	cptctl_in "$scratch/free.out" "$scratch/free.err" restart "$scratch/named-3.img" --detach
	restored=$(cat "$scratch/free.out")
	pass_if unix-names.free-restored "restart: $(tr '\n' ' ' <"$scratch/free.err")" [ "$restored" = "$pid" ]
	pass_if unix-names.free-named "@cpt-free-name in /proc/net/unix" grep -q " @cpt-free-name\$" /proc/net/unix
	kill -9 "$pid" "$held" 2>/dev/null
	wait_for_pid_gone "$pid"
}
