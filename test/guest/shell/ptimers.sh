# shellcheck shell=sh
# POSIX timers through cptctl's command line: a nobody process checkpointed
# and restarted by root (test/workloads/ptimers.c checks its own timers),
# a checkpoint refused for a timer on another process's CPU-time clock, and
# hostile images (edited through inspect --json and encode) whose timer
# would signal, or count the CPU time of, a process outside the tree.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# restart_edited NAME JQ WORDS: the nobody process's image with one timer
# edited by JQ; the restart must be refused, saying WORDS, and leave nothing.
restart_edited() {
	jq "(.recordList[] | select(.type == \"TASK\") | .message | select(.processAttrs != null) |
		.processAttrs.posixTimers[] | $2" "$scratch/user.json" >"$scratch/$1.json" &&
		"$cptctl" encode "$scratch/$1.json" -o "$scratch/$1.img" >/dev/null 2>"$scratch/$1.err" &&
		"$cptctl" restart --detach "$scratch/$1.img" >/dev/null 2>"$scratch/$1.err"
	status=$?
	refused=no
	[ "$status" -eq 5 ] && grep -q "$3" "$scratch/$1.err" && [ ! -d "/proc/$pid" ] && refused=yes
	pass_if "ptimers-user.$1-refused" "restart exited $status: $(tr '\n' ' ' <"$scratch/$1.err")" [ $refused = yes ]
	rm -f "$scratch/$1.json"
}

scenario_user_service() {
	checkpoint_service ptimers-user user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/ptimers" || return
	"$cptctl" inspect "$scratch/user.img" >"$scratch/inspect.out" 2>&1
	shown=no
	grep -q "POSIX timers: 7, next id 12" "$scratch/inspect.out" &&
		grep -q "timer 7 CLOCK_REALTIME, SIGEV_THREAD_ID to thread [0-9]* SIGRT4 value 0x5678, 0.[0-9]* s left, every 0.150 s" "$scratch/inspect.out" &&
		grep -q "timer 10 CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRT5 value 0x9abc, .*signal pending" "$scratch/inspect.out" &&
		grep -Eq "timer 0 CLOCK_THREAD_CPUTIME_ID of thread [0-9]+, SIGEV_NONE, (1999|2000)\.[0-9]+ s left" "$scratch/inspect.out" &&
		shown=yes
	pass_if ptimers-user.inspect "$(grep -A7 'POSIX timers' "$scratch/inspect.out" | tr '\n' ' ')" [ $shown = yes ]
	restart_service ptimers-user user
	wait_for_pid_gone "$pid"

	"$cptctl" inspect --json "$scratch/user.img" >"$scratch/user.json"
	# Timer 7 signals the worker thread: here init instead.
	restart_edited foreign-thread 'select(.id == 7) | .notifyThread) |= 1' \
		"pid $pid: POSIX timer 7 signals thread 1, not the process's"
	# Timer 9 counts the process's CPU time: here init's (make_process_cpuclock(1, CPUCLOCK_SCHED)).
	restart_edited foreign-clock 'select(.id == 9) | .clock) |= -14' \
		"pid $pid: POSIX timer 9: the CPU-time clock of pid 1 (another process)"
	rm -f "$scratch/user.json"

	if ! start_workload other setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/ptimers" "$scratch/user.d" other-clock; then
		result ptimers-user.other-cpu-clock-refused FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	id=$(sed -n 's/^READY //p' "$out")
	"$cptctl" checkpoint "$pid" -o "$scratch/other.img" --kill 2>"$scratch/other.err"
	status=$?
	refused=no
	[ "$status" -eq 4 ] && grep -q "pid $pid: POSIX timer $id: the CPU-time clock of pid 1 (another process)" "$scratch/other.err" &&
		[ -d "/proc/$pid" ] && refused=yes
	pass_if ptimers-user.other-cpu-clock-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/other.err")" [ $refused = yes ]
	kill "$pid" 2>/dev/null
}
