# shellcheck shell=sh
# Queued unix messages with their senders' credentials (kmod/cpt_unix.c):
# what inspect shows of them, and hostile images of them.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# inspect names the credentials of the accepted connection's first message,
# the pair's SO_PASSCRED and the datagram socket's.
# Its cptctl calls go through one node (cptctl_serve).
inspect_unix_creds() {
	cptctl_serve || return
	inspect_shows unix-creds.inspect "$img" 'pair|datagram' \
		'stream pair [0-9]*, 2 queued \(11 bytes, 1 with credentials pid [0-9]* uid 1000 gid 1000\), named @cpt-creds-listen-' \
		'stream pair [0-9]*, 2 queued \(6 bytes, 2 with credentials pid [0-9]* uid 0 gid 0; pid [0-9]* uid 2000 gid 2000\), SO_PASSCRED' \
		'datagram pair [0-9]*, 2 queued \(11 bytes, 1 with credentials pid [0-9]* uid 5000 gid 5000\)' \
		'datagram bound to @cpt-creds-dgram-[0-9]*, 2 queued \(12 bytes, from \(unnamed\), 2 with credentials pid [0-9]* uid 3000 gid 3000; pid [0-9]* uid 4000 gid 4000\)'
	cptctl_in "$scratch/unix-creds.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited unix-creds.hostile-count "$scratch/unix-creds.json" UNIX_PAIR unixMessageCredentials \
		'.[0:1]' "bad queued messages' credentials"
	restart_file_edited unix-creds.hostile-pid "$scratch/unix-creds.json" UNIX_PAIR unixMessageCredentials \
		'map(if .pid != 0 then .pid = 4194303 else . end)' "cannot queue 5 saved bytes with credentials pid 4194303 uid 1000 gid 1000 again: -3"
	check_edited_restarts
}
