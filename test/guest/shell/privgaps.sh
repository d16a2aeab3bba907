# shellcheck shell=sh
# Issue 15, review finding F6: a file a restart opens again by its path must
# be one both the restarting caller and the file's opener, with the
# credentials the image saved for it, may open. Root restarts nobody's
# images here.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# held_image STEM MODE FILE: held_paths MODE FILE run as nobody, checkpointed
# --kill by root into $scratch/STEM.img (check reopen-creds.STEM.checkpoint),
# and its inspect --json in $scratch/STEM.json.
held_image() {
	checkpoint_service "reopen-creds.$1" "$1" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$workloads/held_paths" "$2" "$3" &&
		cptctl_in "$scratch/$1.json" /dev/stderr inspect --json "$scratch/$1.img"
}

# The restarts queued so far, checked; then nothing of $pid may be left.
check_refused() {
	check_edited_restarts
	[ -d "/proc/$pid" ] && kill -9 "$pid" && wait_for_pid_gone "$pid"
}

# Root's cptctl calls go through one node (cptctl_serve).
scenario_reopen_creds() {
	cptctl_serve || return
	chmod 0711 "$scratch"
	printf 'anyone-reads-it' >"$scratch/shared.txt"
	printf 'root-reads-it' >"$scratch/root-only.txt"
	chmod 0600 "$scratch/root-only.txt"
	printf 'mapped-by-nobody' >"$scratch/mapped.txt"

	# Unedited, the image of nobody's process restarts as root: its files are nobody's to open.
	held_image fd fd "$scratch/shared.txt" || return
	restart_service reopen-creds.unedited fd
	wait_for_pid_gone "$pid"

	# Edited to hold a file only root may read at its fd 3.
	restart_edited reopen-creds.edited-refused "$scratch/fd.json" \
		"(.recordList[] | select(.type == \"FILES\") | .message.files[] |
		select(.path == \"$scratch/shared.txt\") | .path) |= \"$scratch/root-only.txt\"" \
		"fd 3 $scratch/root-only.txt: refused to the image's opener's uid 65534" 5
	check_refused
	# The file it held made root's own since the checkpoint.
	chown root:root "$scratch/shared.txt"
	chmod 0600 "$scratch/shared.txt"
	restart_edited reopen-creds.chmod-refused "$scratch/fd.json" . \
		"fd 3 $scratch/shared.txt: refused to the image's opener's uid 65534" 5
	check_refused

	# A file mapped with no fd, made root's own since the checkpoint.
	held_image map map "$scratch/mapped.txt" || return
	chmod 0600 "$scratch/mapped.txt"
	restart_edited reopen-creds.mapped-refused "$scratch/map.json" . \
		"mapped file $scratch/mapped.txt: refused to the image's opener's uid 65534" 5
	check_refused
	rm -f "$scratch"/*.json
}

# A service's root process opens its log, root's own (mode 0600), and its
# child drops to nobody and writes on through the inherited fd; root
# checkpoints and restarts it: the file is opened again as root opened it.
# The same image edited so that the file's opener is nobody is refused.
# Root's cptctl calls go through one node (cptctl_serve).
scenario_priv_drop() {
	cptctl_serve || return
	: >"$scratch/root-log"
	chmod 0600 "$scratch/root-log"
	checkpoint_service priv-drop drop "$workloads/priv_drop" "$scratch/root-log" || return
	cptctl_in "$scratch/drop.json" /dev/stderr inspect --json "$scratch/drop.img"
	restart_service priv-drop drop
	wait_for_pid_gone "$pid"
	log=$(tr '\n' ' ' <"$scratch/root-log")
	pass_if priv-drop.log "root's log holds '$log'" [ "$log" = "before after " ]

	restart_edited priv-drop.opener-refused "$scratch/drop.json" \
		"(.recordList[] | select(.type == \"FILES\") | .message.files[] |
		select(.path == \"$scratch/root-log\") | .opener) |= (.fsuid = 65534 | .fsgid = 65534 | .fileCaps = 0)" \
		"$scratch/root-log: refused to the image's opener's uid 65534" 5
	check_refused
	rm -f "$scratch"/*.json
}

# as_grouped CMD...: CMD as nobody with the supplementary group users (100),
# root in a user namespace of its own that maps nobody's uid and gid only
# (setgroups denied): group 100 stays nobody's there, unmapped, and cannot
# be dropped.
as_grouped() {
	setpriv --reuid=nobody --regid=nogroup --groups=100 unshare --user --map-root-user --ipc "$@"
}

# Supplementary groups in a user namespace (docs/security.md): nobody with a
# group its namespace does not map checkpoints its process there and
# restarts it with --pidns in another namespace of its own; the image says
# "the caller's own unmapped groups", and the process has group 100 again.
# The single-quoted scripts are sh -c's and pass_if's eval's to expand.
# shellcheck disable=SC2016
scenario_userns_groups() {
	chmod 0666 /dev/cpt
	chmod 0711 "$scratch"
	d=$scratch/grouped
	mkdir -p "$d/held"
	printf 'nobody-reads-it' >"$d/file"
	chown -R nobody:nogroup "$d"
	as_grouped --pid --fork --mount-proc sh -c '
		"$0" fd "$1/file" "$1/held" >"$1/held.out" 2>&1 </dev/null &
		"$3" line "$1/held.out" READY || exit 9
		"$2" checkpoint $! -o "$1/held.img" --kill
	' "$workloads/held_paths" "$d" "$cptctl" "$waitfor" 2>"$scratch/grouped-checkpoint.err"
	status=$?
	pass_if userns-groups.checkpoint "nobody's checkpoint with group 100 unmapped exited $status: $(tr '\n' ' ' <"$scratch/grouped-checkpoint.err")" \
		[ "$status" -eq 0 ]
	inspect_shows userns-groups.image "$d/held.img" "^ *groups " "groups the caller.s own unmapped groups"

	as_grouped "$cptctl" restart --pidns "$d/held.img" --detach >"$scratch/grouped-restart.out" 2>"$scratch/grouped-restart.err"
	status=$?
	init=$(cat "$scratch/grouped-restart.out")
	held=$(cut -d' ' -f1 "/proc/$init/task/$init/children" 2>/dev/null)
	groups=$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/${held:-0}/status" 2>/dev/null | tr -d ' ')
	pass_if userns-groups.restart "nobody's restart --pidns exited $status, its process ${held:-none} has groups '$groups': $(tr '\n' ' ' <"$scratch/grouped-restart.err")" \
		eval '[ "$status" -eq 0 ] && [ "$groups" = 100 ]'
	touch "$d/held/go"
	wait_for_line "$d/held.out" "^RESULT content "
	line=$(grep "^RESULT content " "$d/held.out" | tail -n 1)
	pass_if userns-groups.content "${line:-no RESULT content line}" \
		eval 'case "$line" in "RESULT content PASS"*) true ;; *) false ;; esac'
	chmod 0600 /dev/cpt
}
