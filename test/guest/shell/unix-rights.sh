# shellcheck shell=sh
# Files in flight in queued unix messages (SCM_RIGHTS; kmod/cpt_unix_rights.c):
# what inspect shows of them, hostile images of them, a leave-running checkpoint
# that leaves them queued, and what a checkpoint refuses.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# The first FILES record's (the root's, the receiver's) first UNIX_PAIR, its
# stream end, edited by JQ (given the File as .): restart_edited's CHECK,
# JSON and WORDS.
restart_carrier_edited() {
	restart_edited "$1" "$2" "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		(.recordList[\$i].message.files | map(.kind) | index(\"UNIX_PAIR\")) as \$f |
		.recordList[\$i].message.files[\$f] |= ($3)" "$4"
}

# inspect names the files each queued message carries, and those only in
# flight; hostile images of them, and one whose pair end lacks its other
# end, are refused at restart.
inspect_unix_rights() {
	inspect_shows unix-rights.inspect "$img" 'pair|in flight' \
		'stream pair [0-9]+, 3 queued \(16 bytes, 2 carrying files \([0-9]+; [0-9]+, [0-9]+\)\)' \
		'datagram pair [0-9]+, 3 queued \([0-9]+ bytes, 2 carrying files \([0-9]+; ([0-9]+), \1\)\)' \
		'in flight: file [0-9]+ .*pipe [0-9]+' \
		'in flight: file [0-9]+ .*counter 5' \
		'in flight: file [0-9]+ .*127\.0\.0\.1'
	cptctl_in "$scratch/unix-rights.json" "$scratch/json.err" inspect --json "$img"
	restart_carrier_edited unix-rights.hostile-count "$scratch/unix-rights.json" \
		'.unixMessageFds |= .[0:1]' "bad queued messages' fds in flight"
	restart_carrier_edited unix-rights.hostile-id "$scratch/unix-rights.json" \
		'.unixMessageFds |= map(.fileIds = ((.fileIds // []) | map(999999)))' \
		"a queued message names no file"
	restart_carrier_edited unix-rights.hostile-self "$scratch/unix-rights.json" \
		'.id as $self | .unixMessageFds |= map(.fileIds = ((.fileIds // []) | map($self)))' \
		"a queued message carries a file not in flight"
	restart_carrier_edited unix-rights.hostile-uncarried "$scratch/unix-rights.json" \
		'.unixMessageFds |= []' "is in flight, but no message of its process carries it"
	restart_carrier_edited unix-rights.hostile-too-many "$scratch/unix-rights.json" \
		'.unixMessageFds[0].fileIds |= [range(254) | 1]' "malformed File"
	restart_file_edited unix-rights.hostile-lone-end "$scratch/unix-rights.json" UNIX_PAIR pairId \
		'4000' "a unix pair whose other end the image lacks"
	check_edited_restarts
}

# A checkpoint that leaves the tree running leaves every message queued,
# with its files: the workload's own checks after it pass as without it.
scenario_unix_rights_running() {
	mkdir -p "$scratch/running"
	if ! start_workload running "$workloads/unix_rights" "$scratch/running"; then
		result unix-rights-running.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in "$scratch/running.ckpt" "$scratch/running.ckpt" checkpoint "$pid" -o "$scratch/running.img"
	status=$?
	pass_if unix-rights-running.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/running.ckpt")" \
		eval '[ "$status" -eq 0 ] && [ -d "/proc/$pid" ]'
	touch "$scratch/running/go"
	wait_for_line "$out" "RESULT sender"
	sed -n "s/^RESULT /RESULT unix-rights-running./p" "$out"
}

# Refused by name, the tree running on: a unix socket in flight that
# carries files itself.
scenario_unix_rights_refused() {
	expect_refusal unix-rights-refused nested \
		"fd 3: a unix socket in flight (SCM_RIGHTS) with fds in flight in its queue is not supported" \
		"$workloads/unix_rights" nested
}

# After the unix-dgram-rights cycle: inspect shows the datagrams carrying
# files; hostile images of them (the root's first UNIX_DGRAM is fd 3, the
# bound socket, its first datagram carrying two files) are refused.
after_unix_dgram_rights() {
	inspect_shows unix-dgram-rights.inspect "$img" 'datagram|in flight' \
		'datagram bound to .*/srv, 4 queued \(20 bytes, from @cpt-udr-named-[0-9]+, \(unnamed\), 3 carrying files \([0-9]+, ([0-9]+); \1, \1; [0-9]+\)\)' \
		'in flight: file [0-9]+ .*counter 5' \
		'in flight: file [0-9]+ .*pipe [0-9]+'
	cptctl_in "$scratch/udr.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited unix-dgram-rights.hostile-id "$scratch/udr.json" UNIX_DGRAM unixSocket \
		'.queue[0].fds.fileIds = [999999, 999999]' "a queued message names no file"
	restart_file_edited unix-dgram-rights.hostile-uncarried "$scratch/udr.json" UNIX_DGRAM unixSocket \
		'.queue |= map(del(.fds))' "is in flight, but no message of its process carries it"
	check_edited_restarts
}

# Refused by name, the tree running on: a file in flight in a bound
# datagram socket's queue that a restart could not give back (O_ASYNC).
scenario_unix_dgram_rights_refused() {
	expect_refusal unix-dgram-rights-refused async \
		"fd 3: a file in flight with O_ASYNC, a SIGIO owner or a lease is not supported" \
		"$workloads/unix_dgram_rights" refused
}

# After the unix-pending-rights cycle: inspect shows which messages of the
# listener's (fd 3's) pending connections carry files, the pipe's read end
# in the first connection's first message and the child's; hostile images
# of them are refused.
after_unix_pending_rights() {
	inspect_shows unix-pending-rights.inspect "$img" 'listening|in flight' \
		'stream listening on .*/srv, backlog 8, SO_PASSCRED, socket file [^;]*; not accepted yet: pair [0-9]+ \(2 queued \(14 bytes, 2 with credentials [^)]*, 2 carrying files \(([0-9]+), [0-9]+; [0-9]+\)\)\), pair [0-9]+ \(1 queued \(5 bytes, 1 with credentials [^)]*, 1 carrying files \(\1\)\)\), pair [0-9]+ \(1 queued \(5 bytes, 1 with credentials [^)]*\)\)' \
		'in flight: file [0-9]+ .*pipe [0-9]+' \
		'in flight: file [0-9]+ .*memfd:cpt-upr'
	cptctl_in "$scratch/upr.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited unix-pending-rights.hostile-id "$scratch/upr.json" UNIX_LISTENER unixPending \
		'map(.rights = ((.rights // []) | map(.fileIds = ((.fileIds // []) | map(999999)))))' "a queued message names no file"
	restart_file_edited unix-pending-rights.hostile-count "$scratch/upr.json" UNIX_LISTENER unixPending \
		'.[0].rights |= .[0:1]' "malformed File"
	restart_file_edited unix-pending-rights.hostile-too-many "$scratch/upr.json" UNIX_LISTENER unixPending \
		'.[0].rights[0].fileIds |= [range(254) | 1]' "malformed File"
	restart_file_edited unix-pending-rights.hostile-uncarried "$scratch/upr.json" UNIX_LISTENER unixPending \
		'map(del(.rights))' "is in flight, but no message of its process carries it"
	check_edited_restarts
}

# A checkpoint that leaves the tree running leaves every pending connection
# with its messages and their files: the workload's own checks after it
# pass as without it. Then a refusal: a pending connection's message
# carrying a unix socket that carries files itself, the tree running on.
scenario_unix_pending_rights_running() {
	mkdir -p "$scratch/upr"
	if ! start_workload upr "$workloads/unix_pending_rights" "$scratch/upr"; then
		result unix-pending-rights-running.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
	else
		cptctl_in "$scratch/upr.ckpt" "$scratch/upr.ckpt" checkpoint "$pid" -o "$scratch/upr.img"
		status=$?
		pass_if unix-pending-rights-running.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/upr.ckpt")" \
			eval '[ "$status" -eq 0 ] && [ -d "/proc/$pid" ]'
		touch "$scratch/upr/go"
		wait_for_line "$out" "RESULT child"
		sed -n "s/^RESULT /RESULT unix-pending-rights-running./p" "$out"
	fi
	expect_refusal unix-pending-rights-running nested \
		"fd 3: a unix socket in flight (SCM_RIGHTS) with fds in flight in its queue is not supported" \
		"$workloads/unix_pending_rights" nested
}
