# shellcheck shell=sh
# Checkpoints whose image cannot be written to the end: the file system
# fills up (ENOSPC), or the reader of `-o -` goes away (EPIPE). Even with
# --kill, the target runs on untouched, no partial image is left behind, and
# cptctl says what failed and what to do.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# start_mm DIR MIB: mm_bench with MIB MiB written, its pid in $pid.
start_mm() {
	mkdir -p "$1"
	"$workloads/mm_bench" "$1" "$2" >"$1.out" 2>&1 </dev/null &
	pid=$!
	wait_until test -e "$1/ready"
}

# after_failed_checkpoint PREFIX DIR: the target is alive, not frozen, and
# once told to go on, finds its memory as it was.
after_failed_checkpoint() {
	pass_if "$1-target-alive" "pid $pid runs on" [ -d "/proc/$pid" ]
	state=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
	pass_if "$1-target-not-frozen" "pid $pid state $state" eval '[ -n "$state" ] && [ "$state" != D ] && [ "$state" != T ]'
	touch "$2/go"
	wait "$pid"
	pass_if "$1-target-intact" "the target checked its memory: $(tr '\n' ' ' <"$2.out")" \
		grep -q 'RESULT [^ ]* PASS' "$2.out"
}

# A 2 MiB tmpfs and a process with 16 MiB: the image cannot fit.
scenario_enospc() {
	mnt=$scratch/small
	mkdir -p "$mnt"
	mount -t tmpfs -o size=2m cpt-small "$mnt"
	start_mm "$scratch/mm" 16
	cptctl_in /dev/stdout "$scratch/enospc.err" checkpoint "$pid" -o "$mnt/full.img" --kill
	status=$?
	said=$(tr '\n' ' ' <"$scratch/enospc.err")
	pass_if faults.enospc-refused "checkpoint exited $status: $said" \
		eval '[ "$status" -eq 4 ] && grep -q ENOSPC "$scratch/enospc.err" && grep -q "full.img" "$scratch/enospc.err"'
	pass_if faults.enospc-says-what-to-do "cptctl said: $said" grep -q "free space\|another place" "$scratch/enospc.err"
	left=$(find "$mnt" -mindepth 1 | tr '\n' ' ')
	pass_if faults.enospc-no-partial-image "left in $mnt: $left" [ -z "$left" ]
	after_failed_checkpoint faults.enospc "$scratch/mm"
	umount "$mnt"
	pass_if faults.enospc-module-unloads "rmmod cpt after the failed checkpoint" rmmod cpt
	insmod "$cpt_ko"
}

# `-o -` into a reader that takes 64 KiB of a 16 MiB image and exits.
scenario_epipe() {
	start_mm "$scratch/mm" 16
	{
		"$cptctl" checkpoint "$pid" -o - --kill 2>"$scratch/epipe.err"
		echo $? >"$scratch/epipe.status"
	} | head -c 65536 >"$scratch/head.out"
	status=$(cat "$scratch/epipe.status")
	said=$(tr '\n' ' ' <"$scratch/epipe.err")
	pass_if faults.epipe-refused "checkpoint exited $status after the reader took $(stat -c %s "$scratch/head.out") bytes: $said" \
		eval '[ "$status" -eq 4 ] && grep -q EPIPE "$scratch/epipe.err"'
	pass_if faults.epipe-says-what-to-do "cptctl said: $said" grep -q "went away" "$scratch/epipe.err"
	after_failed_checkpoint faults.epipe "$scratch/mm"
	pass_if faults.epipe-module-unloads "rmmod cpt after the failed checkpoint" rmmod cpt
	insmod "$cpt_ko"
}
