# shellcheck shell=sh
# A checkpoint reveals, and a restart grants, no more than its caller may
# read or get itself; a sandboxed process comes back sandboxed, or not at
# all. Unprivileged callers go through a 0666 /dev/cpt, as abort.sh's do.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# A directory of nobody's in the scenario's, for its images.
nobody_dir() {
	chmod 0711 "$scratch"
	mkdir -p "$scratch/nobody"
	chown nobody:nogroup "$scratch/nobody"
	echo "$scratch/nobody"
}

# The review's F4: a root-owned 0600 file, opened write-only by root,
# inherited by a nobody process, then unlinked. Its content is saved with a
# deleted file; nobody may not read it, so nobody's checkpoint must refuse
# by fd, and write the content nowhere. Root may read it: its checkpoint
# holds the content, which shows that the grep would have found it (GNU
# grep, whose -a reads the binary images as text: lib.sh's is busybox's).
scenario_deleted_unreadable() {
	mine=$(nobody_dir)
	chmod 0666 /dev/cpt
	secret=$scratch/secret
	echo TOP-SECRET-F4 >"$secret"
	chmod 0600 "$secret"
	pid=$(sh -c 'exec 3>>"$0"; setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 1000 >/dev/null 2>&1 </dev/null & echo $!' "$secret")
	# Until its exec of sleep, root's setpriv (then not dumpable, its uid
	# changed) is no process nobody may ptrace: the checkpoint would fail
	# at INIT, not at the fd (it did once, in a boot of 2026-12-08 00:38).
	wait_for_exe "$pid" "$(command -v sleep)"
	rm "$secret"
	cptctl_as nobody /dev/stdout "$scratch/f4.err" checkpoint "$pid" -o "$mine/f4.img"
	status=$?
	leaked=$(command grep -rla TOP-SECRET-F4 "$mine" 2>/dev/null)
	pass_if creds.deleted-unreadable-refused "nobody's checkpoint exited $status: $(tr '\n' ' ' <"$scratch/f4.err")" \
		eval '[ "$status" -eq 4 ] && grep -q "fd 3: .*may not read" "$scratch/f4.err"'
	pass_if creds.deleted-unreadable-not-saved "files holding the content: '$leaked'; target alive: $(test -d "/proc/$pid" && echo yes)" \
		eval '[ -z "$leaked" ] && [ -d "/proc/$pid" ]'
	cptctl_in /dev/stdout "$scratch/root-f4.err" checkpoint "$pid" -o "$scratch/root-f4.img"
	status=$?
	pass_if creds.deleted-root-saved "root's checkpoint exited $status, content saved: $(command grep -ca TOP-SECRET-F4 "$scratch/root-f4.img" 2>/dev/null): $(tr '\n' ' ' <"$scratch/root-f4.err")" \
		eval '[ "$status" -eq 0 ] && command grep -qa TOP-SECRET-F4 "$scratch/root-f4.img"'
	kill "$pid"
	chmod 0600 /dev/cpt
}

# sandbox_cycle NAME SETPRIV_OPTIONS...: the sandbox_state workload, started
# under setpriv with those options (and $sandbox_extra as its own),
# checkpointed (--kill) and restarted by root; its checks come out as
# NAME.CHECK. Leaves the image in $scratch/NAME.img.
sandbox_cycle() {
	cycle=$1
	shift
	mkdir -p "$scratch/$cycle.d"
	chmod 0777 "$scratch/$cycle.d"
	# shellcheck disable=SC2086 # no extra argument at all when unset
	if ! start_workload "$cycle" setpriv "$@" "$workloads/sandbox_state" "$scratch/$cycle.d" ${sandbox_extra:-}; then
		result "$cycle.checkpoint" FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return 1
	fi
	cptctl_in /dev/stdout "$scratch/$cycle-ckpt.err" checkpoint "$pid" -o "$scratch/$cycle.img" --kill
	status=$?
	pass_if "$cycle.checkpoint" "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/$cycle-ckpt.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$scratch/$cycle.d/go") &
	cptctl_in /dev/stdout "$scratch/$cycle-restart.err" restart "$scratch/$cycle.img"
	status=$?
	pass_if "$cycle.exit-status" "restarted workload exited $status: $(tr '\n' ' ' <"$scratch/$cycle-restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT $cycle./p" "$out"
}

# The review's F6: a sandboxed process (no_new_privs, a reduced bounding
# set, inheritable capabilities, securebits) comes back with its sandbox,
# as root's service and as nobody's, restarted by root. A restart grants
# no capability its caller lacks, and restores no sandbox it may not set:
# nobody, with CAP_CHECKPOINT_RESTORE but no CAP_SETPCAP, can restart
# neither the sandboxed image nor that image edited to hold every
# capability. Root's cptctl calls go through one node (cptctl_serve).
scenario_sandbox_kept() {
	cptctl_serve || return
	sandbox_cycle sandbox-root --nnp --bounding-set=-sys_boot --inh-caps=+net_bind_service \
		--securebits=+noroot
	chmod 0711 "$scratch"
	sandbox_cycle sandbox-nobody --reuid=nobody --regid=nogroup --clear-groups --nnp \
		--bounding-set=-sys_boot --inh-caps=+net_bind_service
	chmod 0666 /dev/cpt
	# nobody may open all that the image holds: only the sandbox is refused
	chmod 0644 "$scratch/sandbox-nobody.img"
	chmod 0666 "$scratch/sandbox-nobody.out"
	cptctl_as nobody_cr /dev/null "$scratch/sandbox.err" restart "$scratch/sandbox-nobody.img" --detach
	status=$?
	pass_if creds.sandbox-beyond-caller-refused "nobody's restart of the sandboxed image exited $status: $(tr '\n' ' ' <"$scratch/sandbox.err")" \
		eval '[ "$status" -eq 5 ] && grep -q "inheritable capabilities .* cannot set them" "$scratch/sandbox.err"'
	set_task_fields "$scratch/sandbox-nobody.img" "$scratch/all-caps.img" capPermitted=0x1ffffffffff \
		capEffective=0x1ffffffffff
	chmod 0644 "$scratch/all-caps.img"
	cptctl_as nobody_cr /dev/null "$scratch/all-caps.err" restart "$scratch/all-caps.img" --detach
	status=$?
	pass_if creds.caps-beyond-caller-refused "restart of an image with every capability exited $status: $(cat "$scratch/all-caps.err" "$scratch/fields.err" | tr '\n' ' ')" \
		eval '[ "$status" -eq 5 ] && grep -q "permitted capabilities .* cannot set them" "$scratch/all-caps.err"'
	pass_if creds.refused-nothing-left "no sandbox_state runs after the refused restarts" \
		[ "$(pgrep -c -x sandbox_state)" -eq 0 ]
	chmod 0600 /dev/cpt
}

# set_task_fields IN OUT KEY=VALUE...: IN's image with those TASK fields (hex
# capability sets) changed, as a hostile image would have them; the errors
# of inspect and encode in $scratch/fields.err.
set_task_fields() {
	in=$1 edited=$2
	shift 2
	cptctl_in "$scratch/fields.json" "$scratch/fields.err" inspect --json "$in" &&
		python3 - "$scratch/fields.json" "$@" <<'PY' &&
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
changes = dict(arg.split('=', 1) for arg in sys.argv[2:])
for record in doc['recordList']:
    if record.get('type') == 'TASK':
        record.pop('payload', None)
        like = record['message'].get('capBset')
        for key, value in changes.items():
            record['message'][key] = value if isinstance(like, str) and like.startswith('0x') else str(int(value, 16))
json.dump(doc, open(path, 'w'))
PY
		cptctl_in /dev/stdout "$scratch/fields.err" encode "$scratch/fields.json" -o "$edited"
}

# A process under a seccomp filter (uname() fails with EPERM) comes back
# with it, and with the rest of its sandbox (seccomp.sh tests the filters
# themselves, and what stays refused).
scenario_seccomp_kept() {
	sandbox_extra=seccomp sandbox_cycle sandbox-seccomp --nnp --bounding-set=-sys_boot
}

# The review's F13: a restart puts the task in its saved cwd only if the
# caller may enter it, as chdir() checks. nobody's process sits in a
# directory of nobody's, which root then makes its own, mode 0700: nobody's
# restart is refused, naming the directory; root's would be allowed.
scenario_cwd_refused() {
	mine=$(nobody_dir)
	chmod 0666 /dev/cpt
	mkdir -p "$mine/cwd"
	chown nobody:nogroup "$mine/cwd"
	pid=$(as_nobody sh -c 'cd "$0" && exec sleep 1000 >/dev/null 2>&1 </dev/null & echo $!' "$mine/cwd")
	wait_for_cwd "$pid" "$mine/cwd"
	cptctl_as nobody /dev/stdout "$scratch/cwd-ckpt.err" checkpoint "$pid" -o "$mine/cwd.img" --kill
	wait_for_pid_gone "$pid"
	chown root:root "$mine/cwd"
	chmod 0700 "$mine/cwd"
	cptctl_as nobody_cr /dev/null "$scratch/cwd.err" restart "$mine/cwd.img" --detach
	status=$?
	pass_if creds.cwd-needs-chdir-rights "nobody's restart into root's 0700 directory exited $status: $(cat "$scratch/cwd-ckpt.err" "$scratch/cwd.err" | tr '\n' ' ')" \
		eval '[ "$status" -eq 5 ] && grep -q "working directory $mine/cwd: refused to the restarting caller" "$scratch/cwd.err" && [ ! -d "/proc/$pid" ]'
	kill "$pid" 2>/dev/null
	chmod 0600 /dev/cpt
}

# Paths a restored task uses without opening them are looked up with its
# own credentials too, each directory on the way searched as its chdir()
# or bind() would have: root's restart of nobody's process is refused
# - into nobody's directory below one root made private (0700) since the
#   checkpoint, naming the working directory and nobody's ids; with the
#   directory searchable again, the same restart goes through;
# - with a unix listener whose directory root took (0755, not nobody's to
#   write) since: root may make the socket file there, nobody could not.
# Root's cptctl calls go through cptctl_in: the restarted tree is killed
# and gone before the next restart, which fails.
# shellcheck disable=SC2016
scenario_paths_task_creds() {
	mine=$(nobody_dir)
	mkdir -p "$mine/outer/inner"
	chown -R nobody:nogroup "$mine/outer"
	pid=$(as_nobody sh -c 'cd "$0" && exec sleep 1000 >/dev/null 2>&1 </dev/null & echo $!' "$mine/outer/inner")
	wait_for_cwd "$pid" "$mine/outer/inner"
	taken_then_refused creds.cwd-below-private-refused cwd "$mine/outer" 0700 "working directory $mine/outer/inner"
	chmod 0755 "$mine/outer"
	cptctl_in "$scratch/cwd-again.out" "$scratch/cwd-again.err" restart "$mine/cwd.img" --detach
	status=$?
	restored=$(cat "$scratch/cwd-again.out")
	pass_if creds.cwd-searchable-restarts "with $mine/outer searchable again, root's restart exited $status, pid $restored in $(readlink "/proc/$pid/cwd"): $(tr '\n' ' ' <"$scratch/cwd-again.err")" \
		eval '[ "$status" -eq 0 ] && [ "$restored" = "$pid" ] && [ "$(readlink "/proc/$pid/cwd")" = "$mine/outer/inner" ]'
	kill "$pid" 2>/dev/null
	wait_for_pid_gone "$pid"

	mkdir -p "$mine/sockdir"
	chown nobody:nogroup "$mine/sockdir"
	pid=$(as_nobody sh -c '"$0" "$1" >"$1.out" 2>&1 </dev/null & echo $!' "$workloads/unix_listener" "$mine/sockdir")
	wait_for_line "$mine/sockdir.out" "^READY"
	taken_then_refused creds.bind-dir-refused bind "$mine/sockdir" 0755 "unix socket.s directory $mine/sockdir"
}

# taken_then_refused CHECK STEM DIR MODE WHAT: root checkpoints nobody's
# $pid --kill into $mine/STEM.img, makes DIR root's with MODE, and restarts
# it: refused (exit 5), naming WHAT (a grep pattern) and nobody's ids,
# with nothing left.
# shellcheck disable=SC2016
taken_then_refused() {
	stem=$2 what=$5
	cptctl_in /dev/stdout "$scratch/$stem-ckpt.err" checkpoint "$pid" -o "$mine/$stem.img" --kill
	wait_for_pid_gone "$pid"
	chown root:root "$3"
	chmod "$4" "$3"
	cptctl_in /dev/null "$scratch/$stem.err" restart "$mine/$stem.img" --detach
	status=$?
	pass_if "$1" "root's restart of nobody's $stem image with $3 root's ($4) since exited $status: $(cat "$scratch/$stem-ckpt.err" "$scratch/$stem.err" | tr '\n' ' ')" \
		eval '[ "$status" -eq 5 ] && grep -q "$what: refused to the image.s uid 65534" "$scratch/$stem.err" && [ ! -d "/proc/$pid" ]'
	kill "$pid" 2>/dev/null
	wait_for_pid_gone "$pid"
}
