# shellcheck shell=sh
# The freeze's recvmmsg() take-back in a task that exits (issue 13): a
# thread killed by a sibling's core dump in a partial batch, judged by a
# checkpoint while it sleeps in coredump_task_exit(), runs the freeze's
# work from exit_task_work(), its files gone.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# eintr_core (test/workloads/eintr_core.c) dumps core into a pipe whose
# reader waits for $scratch/dump-go; a checkpoint starts meanwhile, and
# once it is in its freeze (cptctl's stack shows cpt_freeze, the main
# thread, the tree's first, judged and kicked in its first round: it
# sleeps in the dump's wait) the dump goes on, within the freeze's 10 s
# (the workload's core is small). The kernel must log no BUG, the process end, and
# cptctl end, whatever it answers.
scenario_eintr_core() {
	pattern=$(cat /proc/sys/kernel/core_pattern)
	lines=$(dmesg | wc -l)
	helper=$scratch/core-helper
	printf '#!/bin/sh\ntouch %s/dumping\nwhile [ ! -e %s/dump-go ]; do sleep 0.1; done\nwc -c >%s/core-bytes\n' \
		"$scratch" "$scratch" "$scratch" >"$helper"
	chmod +x "$helper"
	echo "|$helper" >/proc/sys/kernel/core_pattern
	start_workload core "$workloads/eintr_core" "$scratch" || {
		echo "$pattern" >/proc/sys/kernel/core_pattern
		result eintr-core.judged FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	}
	wait_until test -e "$scratch/dumping"
	dumping=$?
	timeout --foreground 120 "$cptctl" checkpoint "$pid" -o "$scratch/core.img" >"$scratch/cpt.out" 2>&1 &
	cpt=$!
	# cptctl is timeout's child: any task's kernel stack in the freeze
	wait_until sh -c 'grep -qs cpt_freeze /proc/[0-9]*/task/*/stack'
	judged=$?
	touch "$scratch/dump-go"
	wait "$cpt"
	status=$?
	wait_for_pid_gone "$pid"
	gone=$?
	wait_until test -e "$scratch/core-bytes"
	echo "$pattern" >/proc/sys/kernel/core_pattern
	pass_if eintr-core.judged "the dump began ($dumping: 0 is yes), then the checkpoint's freeze ($judged)" \
		eval '[ $dumping -eq 0 ] && [ $judged -eq 0 ]'
	pass_if eintr-core.checkpoint-ended "cptctl exited $status: $(tr '\n' ' ' <"$scratch/cpt.out")" [ "$status" -ne 124 ]
	pass_if eintr-core.exited "pid $pid gone; the dump's reader got $(cat "$scratch/core-bytes" 2>/dev/null) bytes" \
		[ $gone -eq 0 ]
	bugs=$(dmesg | tail -n +$((lines + 1)) | grep -E 'BUG:|Oops|general protection|WARNING:' | tr '\n' ' ')
	pass_if eintr-core.no-oops "kernel log since the start: ${bugs:-nothing of BUG, Oops, WARNING}" [ -z "$bugs" ]
	rm -f "$scratch/core.img"
}
