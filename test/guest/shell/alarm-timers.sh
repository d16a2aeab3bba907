# shellcheck shell=sh
# Through cptctl's command line: alarm-clock timers
# held by a nobody process that had CAP_WAKE_ALARM when it made them
# (test/workloads/alarm_timers.c checks its own timers), restarted by a
# caller without CAP_WAKE_ALARM (refused: the caller could not make them)
# and by root; cptctl inspect; hostile images (edited through inspect --json
# and encode) with an absolute expiry or timerfd flags the module must refuse.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_alarm_user() {
	# One node for root's cptctl calls (lib.sh's cptctl_in); nobody's restart through its own (cptctl_as).
	cptctl_serve
	checkpoint_service alarm-timers-user user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=+wake_alarm --ambient-caps=+wake_alarm "$workloads/alarm_timers" user ||
		return
	inspect_shows alarm-timers-user.inspect "$scratch/user.img" 'CLOCK_.*(ALARM|ABSTIME)' \
		"timer [0-9]+ CLOCK_REALTIME_ALARM, SIGEV_NONE, [0-9.]+ s left \(at [0-9]+\.[0-9]+ s on its clock\)" \
		"timer [0-9]+ CLOCK_BOOTTIME_ALARM, SIGEV_NONE, [0-9.]+ s left, every 5.000 s" \
		"clock CLOCK_REALTIME, next in .*, TFD_TIMER_ABSTIME at [0-9]+\.[0-9]+ s, TFD_TIMER_CANCEL_ON_SET" \
		"clock CLOCK_BOOTTIME_ALARM, next in .*, 0 unread$"

	# nobody (with CAP_CHECKPOINT_RESTORE for the pid) cannot make an alarm timer.
	chmod 0666 /dev/cpt
	# Its stdout, which the restart reopens as the caller.
	chmod 0644 "$scratch/user.img"
	chmod 0666 "$scratch/user.out"
	refused_restart alarm-timers-user.no-wake-alarm-refused "$scratch/user.img" 5 \
		"an alarm clock: the caller lacks CAP_WAKE_ALARM" nobody_cr
	chmod 0600 /dev/cpt
	restart_service alarm-timers-user user
	wait_for_pid_gone "$pid"

	cptctl_in "$scratch/user.json" /dev/stderr inspect --json "$scratch/user.img"
	# An absolute expiry on a clock the wall clock does not move.
	restart_edited alarm-timers-user.bad-absolute-refused "$scratch/user.json" \
		'(.recordList[] | select(.type == "TASK") | .message |
		select(.processAttrs != null) | .processAttrs.posixTimers[] |
		select(.clock == 9) | .absoluteNs) |= "123"' \
		"POSIX timer [0-9]*: bad clock 9" 6
	# timerfd settime flags the kernel does not have, and an absolute expiry without TFD_TIMER_ABSTIME.
	restart_edited alarm-timers-user.bad-tfd-flags-refused "$scratch/user.json" \
		'(.recordList[] | select(.type == "FILES") | .message.files[] |
		select(.kind == "TIMERFD" and .timerSettimeFlags == 3) | .timerSettimeFlags) |= 7' \
		"timerfd settime flags" 6
	restart_edited alarm-timers-user.bad-tfd-absolute-refused "$scratch/user.json" \
		'(.recordList[] | select(.type == "FILES") | .message.files[] |
		select(.kind == "TIMERFD" and (.timerSettimeFlags // 0) == 0) | .timerAbsoluteNs) |= "5"' \
		"timerfd absolute expiry" 6
	check_edited_restarts
	rm -f "$scratch"/*.json
}
