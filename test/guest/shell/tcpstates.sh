# shellcheck shell=sh
# TCP connections closing or half closed (test/workloads/tcp_states.c, the
# FINs given back after TCP repair mode in kmod/cpt_file_inet_tcp.c and
# cpt_compat_tcp.c): what inspect shows of them.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# tcp_edited CHECK STATE JQ WORDS: restart_edited with the InetSocket of
# the first connection in state STATE of the root's Files record edited by
# JQ, refused saying WORDS.
tcp_edited() {
	restart_edited "$1" "$scratch/tcp.json" "(.recordList | map(.type) | index(\"FILES\")) as \$i |
		(.recordList[\$i].message.files | map(.inet.state == $2 and .inet.type == 1) | index(true)) as \$f |
		.recordList[\$i].message.files[\$f].inet |= ($3)" "$4"
}

# After the tcp-states cycle: inspect names each closing state and shutdown;
# images whose connection's state or shutdown is one its state does not
# have, or not a state a restart makes, are refused by name.
after_tcp_states() {
	cptctl_serve || return
	inspect_shows tcp-states.inspect "$img" 'TCP' \
		'TCP/IPv6 \[::1\]:[0-9]* connected to \[::1\]:[0-9]*, CLOSE_WAIT, shut down for reading, send queue 0 bytes from seq [0-9]* \(0 unsent\), receive queue 3000 bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, FIN_WAIT2, shut down for reading and writing, send queue 0 bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, shut down for reading, send queue 0 bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, FIN_WAIT1, shut down for writing, send queue [1-9][0-9]* bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, LAST_ACK, shut down for reading and writing, send queue [1-9][0-9]* bytes' \
		'TCP/IPv6 \[::1\]:[0-9]* connected to \[::1\]:[0-9]*, CLOSING, shut down for reading and writing, send queue [1-9][0-9]* bytes'
	cptctl_in "$scratch/tcp.json" "$scratch/json.err" inspect --json "$img"
	# CLOSE_WAIT 8 has its peer's FIN: reading shut down; FIN_WAIT2 5 sent its own.
	tcp_edited tcp-states.hostile-close-wait-shutdown 8 '.tcpShutdown = 0' "bad TCP connection state"
	tcp_edited tcp-states.hostile-fin-wait2-shutdown 5 '.tcpShutdown = 1' "bad TCP connection state"
	tcp_edited tcp-states.hostile-shutdown-bits 1 '.tcpShutdown = 5' "bad TCP connection state"
	tcp_edited tcp-states.hostile-shutdown-max 9 '.tcpShutdown = 4294967295' "bad TCP connection state"
	# SYN_RECV 3, TIME_WAIT 6, NEW_SYN_RECV 12, beyond the states; SYN_SENT 2 with a connection's fields.
	tcp_edited tcp-states.hostile-syn-recv 1 '.state = 3' "bad socket state"
	tcp_edited tcp-states.hostile-time-wait 4 '.state = 6' "bad socket state"
	tcp_edited tcp-states.hostile-new-syn-recv 11 '.state = 12' "bad socket state"
	tcp_edited tcp-states.hostile-state-max 8 '.state = 4294967295' "bad socket state"
	tcp_edited tcp-states.hostile-syn-sent 1 '.state = 2' "bad socket state"
	# Another closing state than its FINs: FIN_WAIT1 4 made CLOSING 11 without the peer's FIN.
	tcp_edited tcp-states.hostile-closing 4 '.state = 11' "bad TCP connection state"
	tcp_edited tcp-states.hostile-syn-seq 1 '.tcpSynSeq = 1' "bad TCP connection state"
	check_edited_restarts
}
