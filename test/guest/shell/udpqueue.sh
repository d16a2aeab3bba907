# shellcheck shell=sh
# UDP datagrams queued (test/workloads/udp_queue.c): what inspect shows,
# hostile images; what a checkpoint refuses by name, the tree left running.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the udp-queue cycle: inspect shows each queue; edited images.
after_udp_queue() {
	inspect_shows udp-queue.inspect "$img" 'UDP' \
		'UDP/IPv4 bound to 127\.0\.0\.1:[0-9]+, options SO_RCVBUF=400000, queue 5 datagrams \(66515 bytes\): 5 bytes from 127\.0\.0\.1:[0-9]+, 0 bytes from 127\.0\.0\.1:[0-9]+, 1000 bytes from 127\.0\.0\.1:[0-9]+, 65507 bytes from 127\.0\.0\.1:[0-9]+, 3 bytes from 127\.0\.0\.1:[0-9]+$' \
		'UDP/IPv6 bound to \[::1\]:[0-9]+, options IPV6_V6ONLY, queue 4 datagrams \(65008 bytes\): 0 bytes from \[::1\]:[0-9]+, 7 bytes from \[::1\]:[0-9]+, 65000 bytes from \[::1\]:[0-9]+, 1 bytes from \[::1\]:[0-9]+$' \
		'UDP/IPv6 bound to \[::\]:[0-9]+, queue 3 datagrams \(40012 bytes\): 12 bytes from 127\.0\.0\.1:[0-9]+, 0 bytes from 127\.0\.0\.1:[0-9]+, 40000 bytes from 127\.0\.0\.1:[0-9]+$' \
		'UDP-Lite/IPv4 bound to 127\.0\.0\.1:[0-9]+, queue 3 datagrams \(2009 bytes\)' \
		'UDP/IPv4 127\.0\.0\.1:[0-9]+ connected to 127\.0\.0\.1:[0-9]+, queue 3 datagrams \(30004 bytes\)'
	cptctl_in "$scratch/udp.json" "$scratch/json.err" inspect --json "$img"
	# The first INET File is fd 3, the IPv4 socket with its queue.
	restart_file_edited udp-queue.hostile-source "$scratch/udp.json" INET inet \
		'.udpQueue[0].source = "AgA="' "malformed File"
	restart_file_edited udp-queue.hostile-family "$scratch/udp.json" INET inet \
		'.udpQueue[1].source = "CgAANQAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAA=="' "bad UDP socket queue"
	restart_file_edited udp-queue.hostile-truesize "$scratch/udp.json" INET inet \
		'.udpQueue[2].truesize = 1000000' "malformed File"
	restart_file_edited udp-queue.hostile-unbound "$scratch/udp.json" INET inet \
		'.local = ""' "bad UDP socket queue"
	check_edited_restarts
}

# After the udp-cork cycle: inspect shows what is corked; edited images.
after_udp_cork() {
	inspect_shows udp-cork.inspect "$img" 'corked|UDP_CORK' \
		'UDP/IPv4 bound to 127\.0\.0\.1:[0-9]+, corked 25100 bytes to 127\.0\.0\.1:[0-9]+ from 127\.0\.0\.1:[0-9]+$' \
		'UDP/IPv4 bound to 127\.0\.0\.1:[0-9]+, options UDP_CORK, corked 4039 bytes to 127\.0\.0\.1:[0-9]+ from 127\.0\.0\.1:[0-9]+$' \
		'UDP/IPv6 bound to \[::1\]:[0-9]+, options IPV6_V6ONLY, corked 30007 bytes to \[::1\]:[0-9]+ from \[::1\]:[0-9]+$' \
		'UDP/IPv6 bound to \[::\]:[0-9]+, corked 1512 bytes to \[::ffff:127\.0\.0\.1\]:[0-9]+ from \[::ffff:127\.0\.0\.1\]:[0-9]+$' \
		'UDP-Lite/IPv4 bound to 127\.0\.0\.1:[0-9]+, corked 2009 bytes' \
		'UDP/IPv4 127\.0\.0\.1:[0-9]+ connected to 127\.0\.0\.1:[0-9]+, corked 3004 bytes' \
		'UDP/IPv4 bound to 127\.0\.0\.1:[0-9]+, options UDP_CORK$'
	cptctl_in "$scratch/cork.json" "$scratch/json.err" inspect --json "$img"
	# The first INET File is fd 3, more4's sender; its source 127.0.0.1:port
	# is AgA + the port + AAEA...: bytes 6 to 8 (00 01 00) are AAEA.
	restart_file_edited udp-cork.hostile-port "$scratch/cork.json" INET inet \
		'.udpCorkSource = "AgAAAX8AAAEAAAAAAAAAAA=="' "bad UDP corked data"
	restart_file_edited udp-cork.hostile-family "$scratch/cork.json" INET inet \
		'.udpCorkDest = "CgAANQAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAA=="' "bad UDP corked data"
	restart_file_edited udp-cork.hostile-unbound "$scratch/cork.json" INET inet \
		'.local = ""' "bad UDP corked data"
	restart_file_edited udp-cork.hostile-source "$scratch/cork.json" INET inet \
		'.udpCorkSource |= (.[0:8] + "AAIA" + .[12:])' \
		"corked to 127\.0\.0\.1:[0-9]* from 127\.0\.0\.2:[0-9]* do not cork so again (the source address differs"
	check_edited_restarts
}

# What a checkpoint refuses by name, the tree left running with its state.
scenario_udp_queue_refused() {
	expect_refusal udp-queue-refused corked \
		"fd 3: UDP socket on 127.0.0.1:[0-9]* with corked data: IP_TTL given with the send is not supported" \
		"$workloads/udp_queue" refused corked
	expect_refusal udp-queue-refused rcvbuf \
		"fd 4: UDP socket on 127.0.0.1:[0-9]*: its datagrams queued take more than its receive buffer" \
		"$workloads/udp_queue" refused rcvbuf
}
