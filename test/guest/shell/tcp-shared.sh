# shellcheck shell=sh
# TCP connections the tree shares with a process outside it
# (test/workloads/tcp_shared.c; kmod/cpt_file_inet_tcp.c, cpt_compat_holders.c):
# checkpoint --kill would end them under that process, and is refused by
# name; a checkpoint leaving the tree running saves them.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# The tree (a child) holds both ends of three connections whose client
# ends its parent, outside the tree, holds too: through fork, through
# SCM_RIGHTS received, through SCM_RIGHTS still in flight.
scenario_tcp_shared() {
	mine=$scratch/shared
	mkdir -p "$mine"
	if ! start_workload shared "$workloads/tcp_shared" outside "$mine"; then
		result tcp-shared.leave-running FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	parent=$pid
	read -r child <"$mine/pid"
	read -r _ fork_fd _ scm_fd _ inflight_fd <"$mine/fds"
	cptctl_in /dev/stdout "$scratch/kill.err" checkpoint "$child" -o "$scratch/kill.img" --kill
	status=$?
	err=$(tr '\n' ' ' <"$scratch/kill.err")
	connection="TCP connection 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:[0-9]* is shared with"
	pass_if tcp-shared.refused-fork "checkpoint --kill exited $status: $err" \
		grep -q "fd $fork_fd of pid $child: $connection pid $parent outside the tree" "$scratch/kill.err"
	# Before any hold (cpt_inet_hold_tree()): the parent's connections never black-holed.
	pass_if tcp-shared.refused-before-holds "checkpoint --kill exited $status: $err" \
		grep -q "failed at CPT_IOC_SAVE(FILES): EOPNOTSUPP" "$scratch/kill.err"
	# Only the first note reaches the caller; each goes to the kernel log.
	dmesg | grep "fd [0-9]* of pid $child: TCP connection" >"$scratch/kill.log"
	log=$(tr '\n' ' ' <"$scratch/kill.log")
	pass_if tcp-shared.refused-scm "the kernel log says: $log" \
		grep -q "fd $scm_fd of pid $child: $connection pid $parent outside the tree" "$scratch/kill.log"
	pass_if tcp-shared.refused-in-flight "the kernel log says: $log" \
		grep -q "fd $inflight_fd of pid $child: $connection a holder in no fd table (an fd of it in flight" "$scratch/kill.log"
	state=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$child/status" 2>/dev/null)
	pass_if tcp-shared.alive "pid $child is in state ${state:-gone}" [ "${state:-Z}" != Z ]
	cptctl_in /dev/stdout "$scratch/running.err" checkpoint "$child" -o "$scratch/running.img"
	status=$?
	pass_if tcp-shared.leave-running "checkpoint leaving it running exited $status: $(tr '\n' ' ' <"$scratch/running.err")" \
		[ "$status" -eq 0 ]
	touch "$mine/go"
	wait_for_line "$out" "RESULT kept"
	sed -n "s/^RESULT kept/RESULT tcp-shared.kept/p" "$out"
}
