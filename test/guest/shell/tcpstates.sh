# shellcheck shell=sh
# TCP connections closing or half closed (test/workloads/tcp_states.c, the
# FINs given back after TCP repair mode in kmod/cpt_file_inet_tcp.c and
# cpt_compat_tcp.c): what inspect shows of them.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the tcp-states cycle: inspect names each closing state and shutdown.
after_tcp_states() {
	inspect_shows tcp-states.inspect "$img" 'TCP' \
		'TCP/IPv6 \[::1\]:[0-9]* connected to \[::1\]:[0-9]*, CLOSE_WAIT, shut down for reading, send queue 0 bytes from seq [0-9]* \(0 unsent\), receive queue 3000 bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, FIN_WAIT2, shut down for reading and writing, send queue 0 bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, shut down for reading, send queue 0 bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, FIN_WAIT1, shut down for writing, send queue [1-9][0-9]* bytes' \
		'TCP/IPv4 127\.0\.0\.1:[0-9]* connected to 127\.0\.0\.1:[0-9]*, LAST_ACK, shut down for reading and writing, send queue [1-9][0-9]* bytes' \
		'TCP/IPv6 \[::1\]:[0-9]* connected to \[::1\]:[0-9]*, CLOSING, shut down for reading and writing, send queue [1-9][0-9]* bytes'
}
