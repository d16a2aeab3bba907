# shellcheck shell=sh
# File locks and memfds through cptctl's command line: a tree run,
# checkpointed and restarted by an unprivileged user; leases and SIGIO
# owners refused; what inspect shows of the locks.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# The flocks tree of test/workloads/flocks.c, as nobody from start to end.
scenario_flocks_user() { cycle_as_nobody flocks-user "$workloads/flocks" tree; }

# What is not restored is refused by name, the process unharmed: a lease
# being broken (its holder's time to answer cannot be set back), an owner
# for SIGIO outside the tree, O_ASYNC on a device whose signals are not saved.
# Its cptctl calls go through one node (cptctl_serve).
scenario_flocks_refused() {
	cptctl_serve || return
	expect_refusal flocks-refused lease-breaking "fd 5: lease being broken" "$workloads/flocks" refused lease-breaking
	expect_refusal flocks-refused owner-outside \
		"fd 5: its owner for SIGIO (F_SETOWN), process [0-9]*, is not a live task" \
		"$workloads/flocks" refused owner-outside
	expect_refusal flocks-refused async-device "fd 5: O_ASYNC on a file of this kind" \
		"$workloads/flocks" refused async-device
}

# After the flocks cycle: inspect names each lock with its owner and range, and the seals.
inspect_shows_locks() {
	for want in 'POSIX lock: POSIX write bytes 0-9 through fd 3' \
		'POSIX lock: POSIX read bytes 20-29 through fd 3' 'locked: OFD write bytes 60-69' \
		'locked: flock write' 'locked: flock read' \
		'cpt-sealed.*seals F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE' 'cpt-plain.*seals F_SEAL_SEAL'; do
		grep -q "$want" "$1" || return 1
	done
}

# locks_edited NAME JQ WORDS: the flocks image with the first process's
# Files record edited by JQ; its restart must be refused, the message saying WORDS.
locks_edited() {
	restart_edited "flocks.$1" "$scratch/flocks.json" "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		.recordList[\$i].message |= ($2)" "$3"
}

# Its cptctl calls go through one node (cptctl_serve).
inspect_locks() {
	cptctl_serve || return
	# Hostile images: no lock the restarting caller could not take itself, no bad range.
	cptctl_in "$scratch/flocks.json" "$scratch/json.err" inspect --json "$img"
	ro=$(jq '(.recordList | map(.type) | index("FILES")) as $i |
		.recordList[$i].message.fds[] | select(.fd == 6) | .fileId' "$scratch/flocks.json")
	locks_edited hostile-write-lock-on-read-only ".posixLocks[0].fileId = $ro" \
		"its POSIX lock needs it open for writing"
	locks_edited hostile-lock-range '.posixLocks[0].end = "9223372036854775808"' \
		"bad range of a file lock"
	check_edited_restarts
	if cptctl_in "$scratch/flocks.inspect" "$scratch/flocks.inspect" inspect "$img"; then
		pass_if flocks.inspect "inspect shows: $(grep -oE '(locked: .*|POSIX lock: .*|seals .*)' "$scratch/flocks.inspect" | sort -u | tr '\n' '|')" \
			inspect_shows_locks "$scratch/flocks.inspect"
	else
		result flocks.inspect FAIL "$(tr '\n' ' ' <"$scratch/flocks.inspect")"
	fi
}
