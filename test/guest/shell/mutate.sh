# shellcheck shell=sh
# Restart fed with mutants of a cycle's image (test/workloads/mutate.c): each
# must end in a clean errno or a restored process (a kernel warning panics
# the guest and fails the boot), leaving nothing behind.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# mutants PREFIX SEED: $count mutants (mutate.ts gives the count) of $img,
# whose saved pid is $pid; then nothing is left and the module unloads.
mutants() {
	"$workloads/mutate" "$img" "$pid" "${count:?mutate.ts gives the count}" "$2" | sed "s/^RESULT /RESULT $1./"
	pass_if "$1.no-stray-task" "pid $pid is free again" wait_for_pid_gone "$pid"
	pass_if "$1.module-unloads" "rmmod cpt after all mutants" rmmod cpt
	insmod "$cpt_ko"
}

mutate_cpu() { mutants mutate 0x5eed; }
mutate_files() { mutants mutate-files 0xf17e5; }
mutate_netlink() { mutants mutate-netlink 0x7e71; }
mutate_packet() { mutants mutate-packet 0x9ac7; }
# The mutants that restore make the image's SysV objects again, and nothing
# removes them: later scenarios of the boot would find their ids taken.
mutate_ipc() {
	mutants mutate-ipc 0x1bc
	ipcrm --all
}
