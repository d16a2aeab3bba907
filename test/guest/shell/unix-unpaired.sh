# shellcheck shell=sh
# Unix sockets that are neither listeners nor pairs (kmod/cpt_unix_unpaired.c,
# File kinds UNIX_STREAM and UNIX_DGRAM): what inspect shows of them, hostile
# images, and what a checkpoint refuses by name, the tree left running.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the unix-unpaired cycle: inspect names each socket, its name, peer, queue and options.
# Its cptctl calls go through one node (cptctl_serve).
inspect_unix_unpaired() {
	cptctl_serve || return
	inspect_shows unix-unpaired.inspect "$img" 'unix-' \
		'stream unbound, shut down for reading, options SO_PASSCRED' \
		'stream bound to .*/stream, options SO_SNDBUF=131072, socket file 65534:65534 0640' \
		'seqpacket bound to @cpt-usk-seqpacket-' \
		'datagram bound to .*/dgram, 6 queued \(300017 bytes, from @cpt-usk-named-[0-9]*, \(unnamed\)\)' \
		'datagram bound to @cpt-usk-named-[0-9]*, connected to .*/dgram' \
		'datagram unbound, connected to .*/dgram'
	cptctl_in "$scratch/unix-unpaired.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited unix-unpaired.hostile-queue "$scratch/unix-unpaired.json" UNIX_DGRAM unixSocket '.addr = ""' "bad socket queue"
	restart_file_edited unix-unpaired.hostile-name "$scratch/unix-unpaired.json" UNIX_DGRAM unixSocket '.addr = "AQ'"$(printf 'A%.0s' $(seq 1 150))"'"' "malformed\|bad socket name"
	restart_file_edited unix-unpaired.hostile-sender "$scratch/unix-unpaired.json" UNIX_DGRAM unixSocket '.queue[0].sender = "AgA="' "malformed"
	check_edited_restarts
}

# What a checkpoint refuses by name, the tree left running with its socket.
# Its cptctl calls go through one node (cptctl_serve).
scenario_unix_refused() {
	cptctl_serve || return
	# A datagram queued with an fd (SCM_RIGHTS) is restored now: unix-dgram-rights.
	for kind in creds outside option listener-option; do
		case $kind in
		creds) why="fd 3: a queued message's credentials (SCM_CREDENTIALS) from a process that exited, pid [0-9]*, is not supported" ;;
		outside) why="fd 3: a unix datagram socket connected to an unnamed socket outside the tree is not supported" ;;
		option) why="fd 3: socket option SO_KEEPALIVE is not supported" ;;
		listener-option) why="fd 3: socket option SO_RCVLOWAT is not supported" ;;
		esac
		expect_refusal unix-refused "$kind" "$why" "$workloads/unix_refused" "$kind"
	done
}
