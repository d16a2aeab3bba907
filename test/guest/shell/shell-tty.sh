# shellcheck shell=sh
# Shell jobs on a terminal (README "Shell jobs"): the guest has none, so
# test/workloads/shell_tty.c's `term` makes one with a pty for each side. The
# driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

shell_tty=$workloads/shell_tty

# A job in the foreground of its shell's terminal, with that terminal at
# fds 10-13 (/dev/tty, a dup of stdin, the device itself twice), is
# checkpointed; restarted without a terminal it is refused, naming why;
# restarted on another terminal it has that one instead, as its controlling
# terminal, in the foreground.
scenario_shell_tty() {
	mkdir -p "$scratch/d"
	"$shell_tty" term "$scratch/before.out" "$shell_tty" shell "$scratch/d" &
	term=$!
	if ! wait_for_line "$scratch/before.out" READY; then
		result shell-tty.checkpoint FAIL "the job never got ready: $(tr '\n' ' ' <"$scratch/before.out")"
		kill "$term"
		return
	fi
	pid=$(cat "$scratch/d/job.pid")
	"$cptctl" checkpoint "$pid" -o "$scratch/job.img" --kill 2>"$scratch/ckpt.err"
	status=$?
	pass_if shell-tty.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" [ $status -eq 0 ]
	# Refused, the job runs on: end it, and its shell with it.
	[ $status -eq 0 ] || kill "$pid"
	wait "$term"
	[ $status -eq 0 ] || return
	cptctl_in "$scratch/inspect.txt" "$scratch/inspect.txt" inspect "$scratch/job.img"
	pass_if shell-tty.inspect "inspect names the shell's terminal and its foreground group $pid" eval \
		"grep -q \"controlling terminal: the shell's (the restarting caller's), foreground group $pid\" '$scratch/inspect.txt' &&
		grep -q 'fd 10 .*/dev/tty (the shell.s terminal: the restarting caller.s, opened through /dev/tty)' '$scratch/inspect.txt' &&
		grep -q 'fd 12 .*pts/.*opened anew' '$scratch/inspect.txt'"

	# A caller with no controlling terminal (a session of its own) is refused.
	timeout 20 setsid -w "$cptctl" restart "$scratch/job.img" </dev/null >"$scratch/no-tty.out" 2>&1
	status=$?
	pass_if shell-tty.no-terminal-refused "restart without a terminal exited $status: $(tr '\n' ' ' <"$scratch/no-tty.out")" \
		eval "[ $status -ne 0 ] && grep -q 'process $pid had the shell.s terminal as its controlling terminal: the restarting caller has no controlling terminal' '$scratch/no-tty.out'"
	pass_if shell-tty.no-terminal-nothing-left "pid $pid is not running after the refused restart" [ ! -d "/proc/$pid" ]
	kill -9 "$pid" 2>/dev/null

	(wait_for_pid "$pid" && touch "$scratch/d/go") &
	timeout 40 "$shell_tty" term "$scratch/after.out" "$cptctl" restart "$scratch/job.img"
	status=$?
	pass_if shell-tty.exit-status "restart on a terminal exited $status: $(tail -n 5 "$scratch/after.out" | tr '\n' ' ')" [ $status -eq 0 ]
	# cptctl's progress on the terminal may precede a line.
	sed -n 's/.*\(RESULT shell-tty\.\)/\1/p' "$scratch/after.out"
}

# What cannot come back is refused at checkpoint, naming it, and the tree
# runs on: a process of the tree leading a session whose controlling
# terminal is outside the tree.
scenario_shell_tty_refused() {
	"$shell_tty" hold "$scratch/pts" &
	hold=$!
	mkdir -p "$scratch/l"
	if ! wait_until test -s "$scratch/pts" ||
		! start_workload leader "$shell_tty" leader "$scratch/l" "$(cat "$scratch/pts")"; then
		result shell-tty.leader-refused FAIL "the leader never got ready: $(tr '\n' ' ' <"$scratch/leader.out")"
		kill "$hold"
		return
	fi
	pid=$(cat "$scratch/l/job.pid")
	"$cptctl" checkpoint "$pid" -o "$scratch/leader.img" --kill 2>"$scratch/leader.err"
	status=$?
	pass_if shell-tty.leader-refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/leader.err")" \
		eval "[ $status -eq 4 ] && grep -q 'process $pid: its controlling terminal pts[0-9]* is outside the tree, of a session of the tree $pid: not supported' '$scratch/leader.err'"
	pass_if shell-tty.leader-alive "pid $pid is still running" [ -d "/proc/$pid" ]
	touch "$scratch/l/go"
	wait_for_pid_gone "$pid"
	kill "$hold"
}
