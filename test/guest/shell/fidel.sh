# shellcheck shell=sh
# Fidelity (issue 13): a device node opened again by path must still be the
# saved device; devices, memfds and segments whose state a restart cannot
# bring back exactly are refused by name at checkpoint, the process running
# on; hostile images of O_DIRECT fds and AIO rings are refused at restart.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the fidel-full cycle: its image restarted with DIR/full made another
# device (/dev/null's 1:3) is refused, naming the path and the saved device;
# an image whose device is edited to tun's (10:200) is refused by number.
# Its cptctl calls go through one node (cptctl_serve).
after_fidel_full() {
	cptctl_serve || return
	rm -f "$scratch/full"
	mknod "$scratch/full" c 1 3
	cptctl_in "$scratch/full.json" /dev/stderr inspect --json "$img"
	restart_edited fidel-full.other-device "$scratch/full.json" . \
		"$scratch/full is no longer character device 1:7" 5
	restart_edited fidel-full.hostile-rdev "$scratch/full.json" \
		'(.recordList[] | select(.type == "FILES") | .message.files[] | select(.path == "/dev/full") | .rdev) |= 2760' \
		'character device 10:200 is not supported' 5
	check_edited_restarts
	cptctl_in "$scratch/full.inspect" "$scratch/full.inspect" inspect "$img"
	pass_if fidel-full.inspect "$(grep -E 'full' "$scratch/full.inspect" | tr '\n' ' ')" \
		grep -Eq '1:7.*/dev/full|/dev/full.*1:7' "$scratch/full.inspect"
}

# A chrooted tree of nobody's (chroot_state DIR user), checkpointed --kill
# by nobody: nobody's restart is refused (a restart would chroot, which
# nobody may not), leaving nothing; root's restart brings it back, each
# process in its root.
scenario_chroot_user() {
	chmod 0666 /dev/cpt
	chmod 0711 "$scratch"
	mine=$scratch/nobody
	mkdir -p "$mine"
	chown nobody:nogroup "$mine"
	: >"$scratch/chroot-user.out"
	chown nobody:nogroup "$scratch/chroot-user.out"
	if ! start_workload chroot-user "$workloads/chroot_state" "$mine" user; then
		result chroot-user.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		chmod 0600 /dev/cpt
		return
	fi
	cptctl_as nobody /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$mine/user.img" --kill
	status=$?
	pass_if chroot-user.checkpoint "checkpoint by nobody exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" \
		[ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	refused_restart chroot-user.nocap-refused "$mine/user.img" 5 \
		"its root directory is $mine/jail (chroot): the restarting caller may not chroot (CAP_SYS_CHROOT)" nobody_cr
	pass_if chroot-user.nocap-nothing-left "pid $pid is not running" [ ! -d "/proc/$pid" ]
	chroot_restarted chroot-user "$mine/user.img" "$mine/go"
	chroot_private
	chmod 0600 /dev/cpt
}

# A tree of nobody's chrooted into a jail below a directory only root may
# search (chroot_state DIR private), checkpointed --kill by root: nobody's
# restart in a user namespace of its own, where it may chroot, cannot
# reach the jail and is refused by name, leaving nothing; root's restart
# brings it back (nobody's credentials are not asked to search above the
# jail: the chroot was root's).
chroot_private() {
	priv=$scratch/private
	mkdir -p "$priv"
	if ! start_workload chroot-private "$workloads/chroot_state" "$priv" private; then
		result chroot-private.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/private.img" --kill
	status=$?
	pass_if chroot-private.checkpoint "checkpoint by root exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" \
		[ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	chmod 0644 "$scratch/private.img"
	restart_option=--pidns
	refused_restart chroot-private.unreached-refused "$scratch/private.img" 5 \
		"its root directory $priv/jail (chroot) cannot be found by the restarting caller: -13" nobody_cr
	restart_option=
	left=$(grep -lx chroot_state /proc/[0-9]*/comm 2>/dev/null | tr '\n' ' ')
	pass_if chroot-private.unreached-nothing-left "chroot_state processes: ${left:-none}" [ -z "$left" ]
	chroot_restarted chroot-private "$scratch/private.img" "$priv/jail/go"
}

# chroot_restarted PREFIX IMG GO: root's restart of IMG, with GO made once
# $pid is back, must end well (PREFIX.exit-status); the restarted tree's
# checks are relayed as PREFIX's.
chroot_restarted() {
	(wait_for_pid "$pid" && touch "$3") &
	cptctl_in /dev/stdout "$scratch/restart.err" restart "$2"
	status=$?
	pass_if "$1.exit-status" "restart by root exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" \
		[ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT $1./p" "$out"
}

# Refused at checkpoint, by name, the process running on: devices whose
# open file holds the driver's state (kmsg's reader, a tun device), a block
# device, a hugetlb memfd and a SHM_NORESERVE segment with unreserved pages.
# Its checkpoints go through one node (cptctl_serve).
scenario_fidel_refused() {
	cptctl_serve || return
	# The nodes apart: expect_refusal makes a directory of each kind's name.
	mkdir -p "$scratch/nodes"
	mknod "$scratch/nodes/kmsg" c 1 11
	expect_refusal fidel-refused kmsg "fd [0-9]*: character device 1:11 ($scratch/nodes/kmsg) is not supported" \
		"$workloads/fidel" dev "$scratch/nodes/kmsg"
	kill "$pid" 2>/dev/null
	mknod "$scratch/nodes/blk" b 7 0
	expect_refusal fidel-refused block "fd [0-9]*: block device 7:0 ($scratch/nodes/blk) is not supported" \
		"$workloads/fidel" dev "$scratch/nodes/blk"
	kill "$pid" 2>/dev/null
	old_pages=$(cat /proc/sys/vm/nr_hugepages)
	echo 4 >/proc/sys/vm/nr_hugepages
	expect_refusal fidel-refused hugememfd "fd [0-9]*: hugetlb memfd (memfd_create(MFD_HUGETLB)) is not supported" \
		"$workloads/fidel" hugememfd
	kill "$pid" 2>/dev/null
	expect_refusal fidel-refused noreserve "SysV shm id [0-9]*: SHM_NORESERVE: 1 of its 2 huge pages" \
		"$workloads/fidel" noreserve
	kill "$pid" 2>/dev/null
	wait_for_pid_gone "$pid"
	echo "$old_pages" >/proc/sys/vm/nr_hugepages
}

# State a restart could only bring back changed, or has nothing to bring
# back from, refused at checkpoint (--kill) by name, the process running on
# as it was (fidel_gaps.c).
# fidel_gap KIND WHY: fidel_gaps KIND refused, saying WHY.
fidel_gap() {
	expect_refusal fidel-gaps "$1" "$2" "$workloads/fidel_gaps" "$1"
	kill "$pid" 2>/dev/null
}

# Its cptctl calls go through one node (cptctl_serve).
scenario_fidel_gaps() {
	cptctl_serve || return
	tmpfile='fd [0-9]*: O_TMPFILE file (open(O_TMPFILE), named or not by linkat()) is not supported'
	fidel_gap proc "fd [0-9]*: file of /proc (/proc/[0-9]*/status) is not supported: /proc names processes by pid"
	fidel_gap proc-cwd "working directory /proc/[0-9]* is in /proc: not supported"
	fidel_gap unix-deleted "fd [0-9]*: a unix listener whose socket file was removed is not supported"
	fidel_gap unix-renamed-taken "fd [0-9]*: unix socket bound to $scratch/unix-renamed-taken/sock, whose socket file is now $scratch/unix-renamed-taken/moved, is not supported: its name now names another file"
	fidel_gap hardlink "fd [0-9]*: deleted name a of a file with 1 other hard link is not supported"
	fidel_gap thread-fs "pid [0-9]*: thread [0-9]* has a working directory, root and umask of its own (unshare(CLONE_FS))"
	fidel_gap chroot-deleted "pid [0-9]*: its root directory $scratch/chroot-deleted/jail (deleted) (chroot) is not supported: no path from the checkpointer's root reaches it"
	fidel_gap tmpfile "$tmpfile"
	fidel_gap tmpfile-linked "$tmpfile"
	fidel_gap deleted-dir "fd [0-9]*: removed directory $scratch/deleted-dir/d (deleted) is not supported: no path reaches it"
	fidel_gap inotify-deleted "fd [0-9]*: inotify watch [0-9]*: no path the tree uses reaches what it watches"
	fidel_gap memfd-big "fd [0-9]*: nameless file memfd:fidel-big of 9437184 bytes (over 8388608) is not supported"
	# A pty whose master a process outside the tree holds.
	"$workloads/shell_tty" hold "$scratch/pts" &
	holder=$!
	mkdir -p "$scratch/tty"
	wait_until test -s "$scratch/pts" && cp "$scratch/pts" "$scratch/tty/pts"
	fidel_gap tty "fd [0-9]*: tty [0-9]*:[0-9]* ($(cat "$scratch/pts")) is not supported: neither a pty of the tree nor the shell's terminal"
	wait_for_pid_gone "$pid"
	kill "$holder"
}

# Hostile images, each refused at restart by name: an O_DIRECT fd whose
# file is now on tmpfs (no direct I/O), leaving nothing; AIO rings with each
# field out of range (refused in the restoring task's final step, which
# races the tree's building: cptctl exits 5 or 6, so the words are checked).
# Its cptctl calls go through one node (cptctl_serve).
scenario_fidel_hostile() {
	cptctl_serve || return
	mkdir -p "$scratch/direct" "$scratch/aio"
	start_workload direct "$workloads/fidel" direct "$scratch/direct"
	cptctl_in /dev/stdout "$scratch/direct-ckpt.err" checkpoint "$pid" -o "$scratch/direct.img" --kill &&
		cptctl_in "$scratch/direct.json" /dev/stderr inspect --json "$scratch/direct.img"
	pass_if fidel-hostile.direct-checkpoint "$(tr '\n' ' ' <"$scratch/direct-ckpt.err")" [ -s "$scratch/direct.json" ]
	: >/dev/shm/fidel-direct
	restart_edited fidel-hostile.direct-tmpfs "$scratch/direct.json" \
		'(.recordList[] | select(.type == "FILES") | .message.files[] | select(.flags != null and (.flags | tonumber) / 16384 % 2 >= 1) | .path) |= "/dev/shm/fidel-direct"' \
		'fd [0-9]*: cannot set O_DIRECT again on /dev/shm/fidel-direct' 5
	check_edited_restarts
	rm -f /dev/shm/fidel-direct

	start_workload aio "$workloads/aio_state" "$scratch/aio"
	cptctl_in /dev/stdout "$scratch/aio-ckpt.err" checkpoint "$pid" -o "$scratch/aio.img" --kill &&
		cptctl_in "$scratch/aio.json" /dev/stderr inspect --json "$scratch/aio.img"
	pass_if fidel-hostile.aio-checkpoint "$(tr '\n' ' ' <"$scratch/aio-ckpt.err")" [ -s "$scratch/aio.json" ]
	ring='(.recordList[] | select(.type == "MM") | .message.aioRings[0])'
	bad='bad AIO ring at 0x[0-9a-f]*'
	restart_edited fidel-hostile.aio-unaligned "$scratch/aio.json" "$ring.start |= ((. | tonumber) + 1 | tostring)" \
		"$bad: not page-aligned, out of order or out of range"
	restart_edited fidel-hostile.aio-kernel "$scratch/aio.json" "$ring.start |= \"18446744073709547520\"" \
		"$bad: not page-aligned, out of order or out of range"
	restart_edited fidel-hostile.aio-length "$scratch/aio.json" "$ring.length |= \"0\"" \
		"$bad: not page-aligned, out of order or out of range"
	restart_edited fidel-hostile.aio-max-reqs "$scratch/aio.json" "$ring.maxReqs |= 4294967295" \
		'AIO ring 0x[0-9a-f]*: .* events, .* bytes; io_setup(4294967295)'
	restart_edited fidel-hostile.aio-nr-events "$scratch/aio.json" "$ring.nrEvents |= . + 1" \
		'AIO ring 0x[0-9a-f]*: .* events, .* bytes; io_setup('
	restart_edited fidel-hostile.aio-head "$scratch/aio.json" "$ring.head |= 4294967295" \
		"$bad: head or tail past its events"
	restart_edited fidel-hostile.aio-tail "$scratch/aio.json" "$ring.tail |= 100000" \
		"$bad: head or tail past its events"
	restart_edited fidel-hostile.aio-field-missing "$scratch/aio.json" \
		'(.recordList[] | select(.type == "MM") | .message.aioRings[] | select((.eventRes // []) | length >= 2) | .eventRes) |= .[1:]' \
		"$bad: completions with fields missing"
	restart_edited fidel-hostile.aio-extra "$scratch/aio.json" \
		"$ring |= (.eventData += [\"1\"] | .eventObj += [\"1\"] | .eventRes += [\"1\"] | .eventRes2 += [\"1\"])" \
		"$bad: completions other than those from head to tail"
	check_edited_restarts
}
