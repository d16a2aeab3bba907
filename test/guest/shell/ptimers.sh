# shellcheck shell=sh
# POSIX timers through cptctl's command line: a nobody process checkpointed
# and restarted by root (test/workloads/ptimers.c checks its own timers),
# a checkpoint refused for a timer on another process's CPU-time clock, and
# hostile images (edited through inspect --json and encode) whose timer
# would signal, or count the CPU time of, a process outside the tree.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# timer_edited NAME JQ WORDS: the nobody process's image with one timer
# edited by JQ; its restart must be refused (5), saying WORDS, and leave
# nothing (lib.sh's restart_edited).
timer_edited() {
	restart_edited "ptimers-user.$1-refused" "$scratch/user.json" \
		"(.recordList[] | select(.type == \"TASK\") | .message | select(.processAttrs != null) |
		.processAttrs.posixTimers[] | $2" "$3" 5
}

# Its cptctl calls go through one node (cptctl_serve).
scenario_user_service() {
	cptctl_serve || return
	checkpoint_service ptimers-user user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/ptimers" || return
	inspect_shows ptimers-user.inspect "$scratch/user.img" 'POSIX timers|timer [0-9]+ CLOCK' \
		"POSIX timers: 7, next id 12" \
		"timer 7 CLOCK_REALTIME, SIGEV_THREAD_ID to thread [0-9]* SIGRT4 value 0x5678, 0.[0-9]* s left, every 0.150 s" \
		"timer 10 CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRT5 value 0x9abc, .*signal pending" \
		"timer 0 CLOCK_THREAD_CPUTIME_ID of thread [0-9]+, SIGEV_NONE, (1999|2000)\.[0-9]+ s left"
	restart_service ptimers-user user
	wait_for_pid_gone "$pid"

	cptctl_in "$scratch/user.json" /dev/stderr inspect --json "$scratch/user.img"
	# Timer 7 signals the worker thread: here init instead.
	timer_edited foreign-thread 'select(.id == 7) | .notifyThread) |= 1' \
		"pid $pid: POSIX timer 7 signals thread 1, not the process's"
	# Timer 9 counts the process's CPU time: here init's (make_process_cpuclock(1, CPUCLOCK_SCHED)).
	timer_edited foreign-clock 'select(.id == 9) | .clock) |= -14' \
		"pid $pid: POSIX timer 9: the CPU-time clock of pid 1 (another process)"
	check_edited_restarts
	rm -f "$scratch"/*.json

	if ! start_workload other setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/ptimers" "$scratch/user.d" other-clock; then
		result ptimers-user.other-cpu-clock-refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	id=$(sed -n 's/^READY //p' "$out")
	cptctl_in /dev/stdout "$scratch/other.err" checkpoint "$pid" -o "$scratch/other.img" --kill
	status=$?
	refused=no
	[ "$status" -eq 4 ] && grep -q "pid $pid: POSIX timer $id: the CPU-time clock of pid 1 (another process)" "$scratch/other.err" &&
		[ -d "/proc/$pid" ] && refused=yes
	pass_if ptimers-user.other-cpu-clock-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/other.err")" [ $refused = yes ]
	kill "$pid" 2>/dev/null
}
