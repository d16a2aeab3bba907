# shellcheck shell=sh
# The module's next ids and pid reservations against hostile callers
# (security review F3, F7, F13), driven through /dev/cpt by
# test/workloads/nextid_limits.c.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_nextid_limits() {
	chmod 0666 /dev/cpt
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$workloads/nextid_limits" unprivileged
	chmod 0600 /dev/cpt
	"$workloads/nextid_limits" leak 200
	mkdir -p "$scratch/pts"
	if mount -t devpts -o newinstance,max=4,ptmxmode=0666 devpts "$scratch/pts"; then
		"$workloads/nextid_limits" pty-max "$scratch/pts"
		umount "$scratch/pts"
	else
		result nextid.pty-max-honoured FAIL "cannot mount a devpts instance with max=4"
	fi
	"$workloads/nextid_limits" pidns
	"$workloads/nextid_limits" flood 3 20
}
