# shellcheck shell=sh
# Packet sockets (test/workloads/packet_sockets.c): what inspect shows,
# hostile images, an interface renamed since; a restart by a caller without
# CAP_NET_RAW; what a checkpoint refuses by name.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the packet cycle: inspect names each socket; edited images.
after_packet() {
	cptctl_serve || return
	inspect_shows packet.inspect "$img" 'packet' \
		'packet raw ethertype 0x88b5 on lo \(index 1\), memberships promisc on lo x2, options PACKET_VERSION=TPACKET_V2, PACKET_AUXDATA, PACKET_ORIGDEV, PACKET_RESERVE=16$' \
		'packet datagram ethertype 0x88b6 on lo \(index 1\), memberships allmulti on lo, options SO_RCVBUF=131072$' \
		'packet raw no ethertype on every interface, options PACKET_LOSS$'
	cptctl_in "$scratch/packet.json" "$scratch/json.err" inspect --json "$img"
	restart_file_edited packet.renamed "$scratch/packet.json" PACKET packet \
		'.ifname = "nosuch0"' "fd 3: packet socket: interface nosuch0 (index 1) is named lo"
	restart_file_edited packet.hostile-type "$scratch/packet.json" PACKET packet \
		'.type = 10' "bad packet socket type or protocol"
	restart_file_edited packet.hostile-version "$scratch/packet.json" PACKET packet \
		'.version = 3' "bad packet socket option"
	restart_file_edited packet.hostile-membership "$scratch/packet.json" PACKET packet \
		'.memberships[0].count = 65' "malformed File"
	check_edited_restarts
}

# A process that made a packet socket, then dropped CAP_NET_RAW: a restart
# by a caller without CAP_NET_RAW is refused naming it, nothing left behind;
# root's restart of the same image goes on.
scenario_packet_nocap() {
	mkdir -p "$scratch/nocap"
	if ! start_workload nocap "$workloads/packet_sockets" nocap "$scratch/nocap"; then
		result packet-nocap.refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/ckpt.err" checkpoint "$pid" -o "$scratch/nocap.img" --kill ||
		{ result packet-nocap.refused FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/ckpt.err")"; return; }
	wait_for_pid_gone "$pid"
	setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
		timeout --foreground 60 "$cptctl" restart --detach "$scratch/nocap.img" >/dev/null 2>"$scratch/noraw.err"
	status=$?
	pass_if packet-nocap.refused "restart without CAP_NET_RAW exited $status: $(tr '\n' ' ' <"$scratch/noraw.err")" \
		sh -c '[ "$0" -ne 0 ] && [ ! -d "/proc/$1" ] && grep -q "fd 3: cannot make its packet socket again: -1 (a packet socket needs CAP_NET_RAW)" "$2"' \
		"$status" "$pid" "$scratch/noraw.err"
	(wait_for_pid "$pid" && touch "$scratch/nocap/go") &
	timeout --foreground 60 "$cptctl" restart "$scratch/nocap.img" 2>"$scratch/restart.err"
	status=$?
	pass_if packet-nocap.exit-status "restart by root exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT packet-nocap./p" "$out"
}

scenario_packet_refused() {
	expect_refusal packet-refused ring \
		"fd 3: packet socket with a mapped ring (PACKET_RX_RING) is not supported" \
		"$workloads/packet_sockets" refused ring
	expect_refusal packet-refused fanout \
		"fd 3: packet socket in a fanout group (PACKET_FANOUT) is not supported" \
		"$workloads/packet_sockets" refused fanout
	expect_refusal packet-refused queued \
		"fd 3: packet socket with 1 packets queued is not supported" \
		"$workloads/packet_sockets" refused queued
}
