# shellcheck shell=sh
# Unix listeners' connections not accepted yet and SO_PASSCRED
# (kmod/cpt_unix_listener.c): what inspect shows of them, hostile images of
# them, and what a checkpoint refuses by name, the tree left running.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the unix-pending cycle: inspect shows each listener's pending
# connections in order, with their queues and credentials, and the
# connecting ends; hostile images of them are refused.
# Its cptctl calls go through one node (cptctl_serve).
inspect_unix_pending() {
	cptctl_serve || return
	inspect_shows unix-pending.inspect "$img" 'listening|not accepted' \
		'stream listening on @cpt-pending-stream-[0-9]*, backlog 8, SO_PASSCRED; not accepted yet: pair [0-9]* \(1 queued \(5 bytes, 1 with credentials pid [0-9]* uid 0 gid 0\)\), pair [0-9]* \(1 queued \(6 bytes, .*\), pair [0-9]* \(1 queued \(5 bytes, .*\), pair [0-9]* \(1 queued \(5 bytes' \
		'seqpacket listening on .*/seq, backlog 8, socket file .*; not accepted yet: pair [0-9]* \(2 queued \(4 bytes' \
		'stream pair [0-9]*, 0 queued \(0 bytes\), connecting end of a connection not accepted yet'
	cptctl_in "$scratch/unix-pending.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited unix-pending.hostile-pair-id "$scratch/unix-pending.json" UNIX_LISTENER unixPending \
		'map(.pairId = 0)' "malformed File"
	restart_file_edited unix-pending.hostile-credentials "$scratch/unix-pending.json" UNIX_LISTENER unixPending \
		'map(.credentials = .credentials + .credentials)' "malformed File"
	restart_file_edited unix-pending.hostile-unmatched "$scratch/unix-pending.json" UNIX_LISTENER unixPending \
		'.[0].pairId = 4000' "a connection not accepted yet that no listener restored before it has"
	restart_file_edited unix-pending.hostile-listener-flag "$scratch/unix-pending.json" UNIX_LISTENER unixPendingConnection \
		'true' "bad socket pair's state"
	check_edited_restarts
}

# What a checkpoint refuses by name, the tree left running with its listener.
# Its cptctl calls go through one node (cptctl_serve).
scenario_unixext_refused() {
	cptctl_serve || return
	for kind in refused-outside refused-order; do
		case $kind in
		refused-outside) why="fd 3: a connection not accepted yet from a socket outside the tree is not supported" ;;
		refused-order) why="fd 3: a connection not accepted yet by a listener saved before it is not supported" ;;
		esac
		expect_refusal unixext-refused "$kind" "$why" "$workloads/unix_pending" "$kind"
	done
}
