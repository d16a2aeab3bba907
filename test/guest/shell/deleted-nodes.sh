# shellcheck shell=sh
# Deleted device nodes through cptctl's command line: a restart makes a
# deleted node again with mknod as the restarting caller, so a caller
# without CAP_MKNOD is refused by name; a packet-mode pipe holding data is
# refused at checkpoint.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# A nobody process holding a deleted /dev/null node root made for it:
# nobody (with CAP_CHECKPOINT_RESTORE) cannot make the node again, root can.
# Root's cptctl calls go through one node (cptctl_serve).
scenario_deleted_nodes_user() {
	cptctl_serve || return
	mkdir -p "$scratch/user.d"
	mknod -m 0666 "$scratch/user.d/null" c 1 3
	checkpoint_service deleted-nodes-user user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/deleted_nodes" user || return
	chmod 0666 /dev/cpt
	chmod 0644 "$scratch/user.img"
	chmod 0666 "$scratch/user.out"
	cptctl_as nobody_cr /dev/null "$scratch/nobody.err" restart --detach "$scratch/user.img"
	status=$?
	chmod 0600 /dev/cpt
	pass_if deleted-nodes-user.no-mknod-refused "restart by nobody exited $status: $(tr '\n' ' ' <"$scratch/nobody.err")" \
		eval '[ "$status" -eq 5 ] && grep -q "fd [0-9]*: .*deleted device node" "$scratch/nobody.err" && [ ! -d "/proc/$pid" ]'
	[ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null && wait_for_pid_gone "$pid"
	restart_service deleted-nodes-user user

	# Packet boundaries are not saved: a packet-mode pipe holding data is refused.
	start_workload packet "$workloads/deleted_nodes" packet "$scratch"
	cptctl_in /dev/stdout "$scratch/packet.err" checkpoint "$pid" -o "$scratch/packet.img"
	status=$?
	pass_if deleted-nodes-user.packet-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/packet.err")" \
		eval '[ "$status" -eq 4 ] && grep -q "fd [0-9]*: pipe data written in packet mode" "$scratch/packet.err" && [ -d "/proc/$pid" ]'
	kill "$pid"
}
