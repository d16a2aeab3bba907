# shellcheck shell=sh
# Socket options every socket kind saves (test/workloads/sockopts.c): what
# inspect shows, hostile images, what a checkpoint refuses by name.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# After the sockopts cycle: inspect shows each socket's options; edited
# images: a filter the kernel's checker refuses, a filter cut short, a
# congestion control this kernel lacks, a timestamping flag a checkpoint
# never saves.
after_sockopts() {
	cptctl_serve || return
	inspect_shows sockopts.inspect "$img" 'SO_' \
		'TCP/IPv4 listening on 127.0.0.1:[0-9]+, backlog 4, options TCP_DEFER_ACCEPT=7, TCP_CONGESTION=reno, SO_RCVTIMEO=1.500000s, SO_SNDTIMEO=2.000000s, SO_TIMESTAMPNS_NEW, SO_ATTACH_FILTER \(1 instructions\), SO_LOCK_FILTER' \
		'UDP/IPv4 bound to 127.0.0.1:[0-9]+, options SO_RCVTIMEO=0.300000s, SO_TIMESTAMP, SO_ATTACH_FILTER \(4 instructions\)' \
		'raw protocol 253/IPv4 .*SO_SNDTIMEO=0.040000s, SO_TIMESTAMPING=0x18$' \
		'stream pair [0-9]+, .*options SO_RCVBUF=100000, SO_SNDBUF=80000, SO_RCVTIMEO=0.200000s, SO_PEEK_OFF=2$' \
		'stream pair [0-9]+, .*options SO_SNDBUF=120000, SO_SNDTIMEO=0.700000s$' \
		'datagram pair [0-9]+, .*options SO_TIMESTAMPNS, SO_ATTACH_FILTER \(4 instructions\), SO_LOCK_FILTER$' \
		'datagram pair [0-9]+, .*options SO_TIMESTAMPING_NEW=0x8$' \
		'stream pair [0-9]+, .*options SO_RCVBUF=6000, SO_SNDBUF=8000$' \
		'listening on @cpt-sockopts-listener-[0-9]+, backlog 4, options SO_RCVBUF=140000, SO_SNDBUF=160000, SO_RCVTIMEO=0.248000s' \
		'datagram bound to @cpt-sockopts-dgram-[0-9]+, options SO_RCVTIMEO=3.000000s, SO_TIMESTAMP_NEW' \
		'netlink route unbound, options SO_RCVTIMEO=0.160000s, SO_TIMESTAMP, SO_ATTACH_FILTER \(1 instructions\)$' \
		'packet datagram no ethertype on every interface, options SO_SNDTIMEO=0.124000s, SO_TIMESTAMPNS, SO_ATTACH_FILTER \(1 instructions\), SO_LOCK_FILTER$'
	cptctl_in "$scratch/sockopts.json" "$scratch/json.err" inspect --json "$img"
	# One instruction that is no return: bpf_check_classic() refuses it.
	restart_file_edited sockopts.hostile-filter "$scratch/sockopts.json" INET socketOptions \
		'.filter = "AAAAAAAAAAA="' \
		"fd 3: cannot attach its socket filter of 1 instructions again: -22 (the kernel's checker refused the program)"
	restart_file_edited sockopts.hostile-filter-length "$scratch/sockopts.json" INET socketOptions \
		'.filter = "AAAAAAAAAA=="' "malformed File"
	restart_file_edited sockopts.hostile-congestion "$scratch/sockopts.json" INET inet \
		'.tcpCongestion = "nosuchcc"' \
		"fd 3: cannot set TCP_CONGESTION to nosuchcc again: -2 (this kernel has no such algorithm)"
	restart_file_edited sockopts.hostile-opt-id "$scratch/sockopts.json" INET socketOptions \
		'.timestamping = 128' "bad socket option"
	# Odd: SO_SNDBUF sets twice what it is given, SO_SNDBUFFORCE too.
	restart_file_edited sockopts.hostile-odd-sndbuf "$scratch/sockopts.json" INET inet \
		'.sndbuf = 8001' "fd 3: SO_SNDBUF 8001 is no size setsockopt() sets (it sets 8000)"
	check_edited_restarts
}

# sockopts refused KIND, refused at checkpoint naming fd 3's option WHAT.
sockopts_refused_option() {
	expect_refusal sockopts-refused "$1" "fd 3: socket option $2 is not supported" \
		"$workloads/sockopts" refused "$1"
}

# Without bpf() (the debug kernel has no CONFIG_BPF_SYSCALL) no eBPF filter
# can be attached: its checks fail at once, saying so, instead of waiting
# for a workload that never gets ready.
scenario_sockopts_refused() {
	if "$workloads/sockopts" probe-bpf >"$scratch/probe-bpf.out" 2>&1; then
		sockopts_refused_option ebpf "an eBPF socket filter (SO_ATTACH_BPF)"
	else
		for check in ebpf ebpf-alive ebpf-kept; do
			result "sockopts-refused.$check" FAIL \
				"this kernel attaches no eBPF filter: $(tr '\n' ' ' <"$scratch/probe-bpf.out")"
		done
	fi
	sockopts_refused_option opt-id "SO_TIMESTAMPING with SOF_TIMESTAMPING_OPT_ID (its counter)"
	sockopts_refused_option unix-queued "SO_TIMESTAMP\\* with messages queued (the times they were sent)"
	sockopts_refused_option errqueue "messages in its error queue (MSG_ERRQUEUE: transmit timestamps, errors)"
	sockopts_refused_option tcp-unread "TCP receive timestamps (SO_TIMESTAMP\\*) with data unread (when it came)"
	sockopts_refused_option unix-sndbuf "SO_SNDBUF raised, with more queued to its peer than the default holds"
}
