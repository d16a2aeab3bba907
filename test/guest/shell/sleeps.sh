# shellcheck shell=sh
# Interrupted sleeps through cptctl's command line: a restart block cpt does
# not support is refused by name with the process left as it was, and an
# image whose restart block is hostile is refused before anything runs.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# restart_edited NAME JQ WORDS: the sleep image with its restart block
# edited by JQ; must be refused, the message saying WORDS.
restart_edited() {
	jq "(.recordList[] | select(.type == \"CPU\") | .message.restartBlock) |= ($2)" \
		"$scratch/sleep.json" >"$scratch/$1.json" &&
		"$cptctl" encode "$scratch/$1.json" -o "$scratch/$1.img" >/dev/null 2>"$scratch/$1.err" &&
		"$cptctl" restart --detach "$scratch/$1.img" 2>"$scratch/$1.err"
	status=$?
	pass_if "sleeps.$1-refused" "restart exited $status: $(tr '\n' ' ' <"$scratch/$1.err")" \
		grep -q "$3" "$scratch/$1.err"
}

# The image holds the sleep's restart block, with most of its 1000 s left.
has_nanosleep_block() {
	jq -e '.recordList[] | select(.type == "CPU") | .message.restartBlock |
		.kind == "NANOSLEEP" and (.leftNs | tonumber) > 900e9' "$scratch/sleep.json" >/dev/null
}

# The restart of the sleep succeeded, and it sleeps on (in restart_syscall).
asleep_again() { [ "$status" -eq 0 ] && grep -qE "^(219|230) " "/proc/$pid/syscall"; }

scenario_sleep_refusals() {
	start_workload cpu-clock "$workloads/sleeps" "$scratch" cpu-clock ||
		{ result sleeps.cpu-clock-refused FAIL "the workload never got ready: $(tail -n 3 "$out" | tr '\n' ' ')"; return; }
	"$cptctl" checkpoint "$pid" -o "$scratch/cpu.img" 2>"$scratch/cpu.err"
	status=$?
	refused=no
	[ "$status" -ne 0 ] && grep -q "posix_cpu_nsleep_restart" "$scratch/cpu.err" && refused=yes
	pass_if sleeps.cpu-clock-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/cpu.err")" [ $refused = yes ]
	touch "$scratch/go"
	wait_for_pid_gone "$pid"
	grep "^RESULT" "$out" | sed 's/^RESULT /RESULT sleeps./'

	sleep 1000 >/dev/null 2>&1 &
	pid=$!
	wait_until grep -q "^230 " "/proc/$pid/syscall"
	"$cptctl" checkpoint "$pid" -o "$scratch/sleep.img" --kill 2>"$scratch/sleep.err"
	wait "$pid" 2>/dev/null
	"$cptctl" inspect --json "$scratch/sleep.img" >"$scratch/sleep.json" 2>>"$scratch/sleep.err"
	pass_if sleeps.image-has-restart-block "the CPU record of a sleep 1000 has a NANOSLEEP restart block: $(tr '\n' ' ' <"$scratch/sleep.err")" \
		has_nanosleep_block
	restart_edited bad-clock '.clockid = 99' 'EBADMSG.*nanosleep restart block on clock 99'
	restart_edited kernel-rmtp '.rmtp = "18446612682070032384"' 'EBADMSG.*rmtp 0xffff888000000000'
	restart_edited futex-unaligned '.kind = "FUTEX_WAIT" | .clockid = 1 | .uaddr = "4097" | .bitset = 1' \
		'EBADMSG.*futex wait restart block on 0x1001'
	"$cptctl" restart --detach "$scratch/sleep.img" >/dev/null 2>"$scratch/restart.err"
	status=$?
	pass_if sleeps.restarted-asleep "the unedited image restarted ($status) and sleeps on: $(head -c 60 "/proc/$pid/syscall")" \
		asleep_again
	kill "$pid"
}
