# shellcheck shell=sh
# seccomp: a process comes back under the filters (or strict mode) it had,
# shared as they were between threads and between a parent and its child;
# what cannot come back exactly is refused by name.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# The number of seccomp filters image $1 holds (-1: none); counted by
# cptctl_in's node (node_in).
image_filters() {
	cptctl_in "$scratch/filters.json" /dev/stderr inspect --json "$1" &&
		node_in "$scratch/filters.count" /dev/stderr '
			const s = JSON.parse(fs.readFileSync(args[0], "utf8")).seccomp;
			console.log(s ? s.filters.length : -1);' "$scratch/filters.json" &&
		cat "$scratch/filters.count"
}

# seccomp_checkpoint NAME MODE [PREFIX...]: seccomp_state MODE under PREFIX,
# checkpointed (--kill) to $scratch/NAME.img; check NAME.checkpoint.
seccomp_checkpoint() {
	cycle=$1 mode=$2
	shift 2
	checkpoint_service "$cycle" "$cycle" "$@" "$workloads/seccomp_state" "$mode"
}

# seccomp_restart NAME [CALLER]: restarts $scratch/NAME.img (as cptctl_as CALLER),
# lets it go and reports its checks as NAME.CHECK, and NAME.exit-status.
seccomp_restart() {
	cycle=$1
	shift
	restart_service "$cycle" "$cycle" "$@"
}

# Two filters (ERRNO with SECCOMP_FILTER_FLAG_LOG, KILL), then strict mode.
# inspect shows the filters; the image edited so that the second filter is
# installed over itself (a loop) is refused as malformed. Its cptctl calls
# go through one node (cptctl_serve).
scenario_seccomp_filters() {
	cptctl_serve || return
	seccomp_checkpoint seccomp-filter filter || return
	cptctl_in "$scratch/inspect.txt" "$scratch/inspect.txt" inspect "$scratch/seccomp-filter.img"
	pass_if seccomp-filter.inspect "inspect: $(grep -A2 '^seccomp filters' "$scratch/inspect.txt" | tr '\n' ' ')" \
		eval 'grep -q "filter 1 over none, 4 instructions, flags LOG" "$scratch/inspect.txt" &&
			grep -q "filter 2 over filter 1, 4 instructions$" "$scratch/inspect.txt" &&
			grep -q "no_new_privs no, seccomp filter (filter 2 last)" "$scratch/inspect.txt"'
	cptctl_in "$scratch/loop.json" "$scratch/loop.err" inspect --json "$scratch/seccomp-filter.img" &&
		python3 - "$scratch/loop.json" <<'PY' && cptctl_in /dev/null "$scratch/loop.err" encode "$scratch/loop.json" -o "$scratch/loop.img"
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
for record in doc['recordList']:
    if record.get('type') == 'SECCOMP':
        record.pop('payload', None)
        record['message']['filters'][1]['parent'] = 2
json.dump(doc, open(path, 'w'))
PY
	cptctl_in /dev/null "$scratch/loop.err" restart "$scratch/loop.img"
	status=$?
	pass_if seccomp-filter.loop-refused "restart of a filter installed over itself exited $status: $(tr '\n' ' ' <"$scratch/loop.err")" \
		eval '[ "$status" -eq 6 ] && grep -q "EBADMSG" "$scratch/loop.err" && [ ! -d "/proc/$pid" ]'
	seccomp_restart seccomp-filter
	seccomp_checkpoint seccomp-strict strict && seccomp_restart seccomp-strict
}

# Threads synced with TSYNC share their filter: after the restart a second
# TSYNC succeeds, which it would not if each thread had a copy.
scenario_seccomp_tsync() {
	seccomp_checkpoint seccomp-tsync tsync && seccomp_restart seccomp-tsync
}

# A parent and its child share their first filter and each have their own
# over it: three filters. Restarted, then checkpointed again, they still
# hold three (copies would be four), and check themselves.
scenario_seccomp_fork() {
	seccomp_checkpoint seccomp-fork fork || return
	first=$(image_filters "$scratch/seccomp-fork.img")
	# The restart, which waits for the tree, through cptctl_in's node; the
	# checkpoint beside it by bin/cptctl.
	(wait_for_pid "$pid" && "$cptctl" checkpoint "$pid" -o "$scratch/seccomp-fork2.img" --kill \
		>/dev/null 2>"$scratch/seccomp-fork2.err") &
	cptctl_in /dev/null /dev/null restart "$scratch/seccomp-fork.img"
	wait
	second=$(image_filters "$scratch/seccomp-fork2.img")
	pass_if seccomp-fork.shared-prefix "filters in the image: $first; after a restart and a checkpoint again: $second: $(tr '\n' ' ' <"$scratch/seccomp-fork2.err")" \
		eval '[ "$first" -eq 3 ] && [ "$second" -eq 3 ]'
	wait_for_pid_gone "$pid"
	cp "$scratch/seccomp-fork2.img" "$scratch/seccomp-fork.img"
	seccomp_restart seccomp-fork
}

# nobody with no_new_privs installs its filters, and restarts them itself
# (CAP_CHECKPOINT_RESTORE, no CAP_SYS_ADMIN); without no_new_privs in the
# image, nobody's restart is refused: seccomp() would refuse it too. Root's
# cptctl calls go through one node (cptctl_serve); nobody's through its own (cptctl_as).
scenario_seccomp_nobody() {
	chmod 0666 /dev/cpt
	cptctl_serve || return
	seccomp_checkpoint seccomp-nobody filter setpriv --reuid=nobody --regid=nogroup --clear-groups --nnp || return
	chmod 0644 "$scratch/seccomp-nobody.img"
	chmod 0666 "$scratch/seccomp-nobody.out"
	cptctl_in "$scratch/nnp.json" "$scratch/no-nnp.err" inspect --json "$scratch/seccomp-nobody.img" &&
		python3 - "$scratch/nnp.json" <<'PY' && cptctl_in /dev/stdout "$scratch/no-nnp.err" encode "$scratch/nnp.json" -o "$scratch/no-nnp.img"
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
for record in doc['recordList']:
    if record.get('type') == 'TASK':
        record.pop('payload', None)
        record['message']['noNewPrivs'] = False
json.dump(doc, open(path, 'w'))
PY
	chmod 0644 "$scratch/no-nnp.img"
	cptctl_as nobody_cr /dev/null "$scratch/no-nnp.err" restart "$scratch/no-nnp.img" --detach
	status=$?
	pass_if seccomp-nobody.no-nnp-refused "nobody's restart of the image without no_new_privs exited $status: $(tr '\n' ' ' <"$scratch/no-nnp.err")" \
		eval '[ "$status" -eq 5 ] && grep -q "without no_new_privs: installing them needs CAP_SYS_ADMIN" "$scratch/no-nnp.err"'
	seccomp_restart seccomp-nobody nobody_cr
	chmod 0600 /dev/cpt
}

# A filter with a user-notification listener cannot come back as it was:
# the checkpoint is refused by name, and leaves the process running.
scenario_seccomp_listener_refused() {
	mkdir -p "$scratch/listener.d"
	if ! start_workload listener "$workloads/seccomp_state" listener "$scratch/listener.d"; then
		result seccomp.listener-refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/listener.err" checkpoint "$pid" -o "$scratch/listener.img" --kill
	status=$?
	pass_if seccomp.listener-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/listener.err")" \
		eval '[ "$status" -eq 4 ] && grep -q "pid $pid: a seccomp filter with a user-notification listener" "$scratch/listener.err"'
	pass_if seccomp.listener-refused-alive "pid $pid still running after the refusal" [ -d "/proc/$pid" ]
	kill "$pid"
}
