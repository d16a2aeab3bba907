# shellcheck shell=sh
# Kernel objects that are not plain files, through cptctl's command line:
# what inspect shows of cycles' images, and a refusal's message.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# Between the SysV cycle's checkpoint and restart: its objects are removed
# with ipcrm (as another machine would lack them), and inspect shows them.
ipc_removed() {
	# shellcheck disable=SC2046 # ipcrm-args holds several words
	ipcrm $(cat "$scratch/ipcrm-args")
	pass_if ipc.ipcrm "ipcrm $(cat "$scratch/ipcrm-args") left: $(ipcs | grep -c 0x435054) objects of the workload" \
		sh -c '! ipcs | grep -q 0x435054'
	cptctl_in "$scratch/ipc.inspect" "$scratch/ipc.inspect" inspect "$img"
	pass_if inspect.sysv "inspect shows: $(grep -E '^(sysv ipc| ) +(shm|sem|msq) ' "$scratch/ipc.inspect" | tr -s ' ' | tr '\n' '|')" \
		sh -c 'grep -q "shm id .*key 0x43505401.*65536 bytes" "$0" && grep -q "sem id .*3 semaphores: 1 5 42" "$0" &&
			grep -q "msq id .*3 messages" "$0" && grep -q "removed while attached" "$0"' "$scratch/ipc.inspect"
}

# inspect_check CHECK SHOWN CMD...: inspects $img into $scratch/inspect.txt,
# and passes CHECK if CMD... succeeds, showing the first line matching SHOWN.
inspect_check() {
	cptctl_in "$scratch/inspect.txt" "$scratch/inspect.txt" inspect "$img"
	inspect_check=$1 shown=$2
	shift 2
	pass_if "$inspect_check" "inspect shows: $(grep -m 1 -- "$shown" "$scratch/inspect.txt" | tr -s ' ')" "$@"
}

# After the POSIX message queue cycle.
inspect_mqueue() {
	inspect_check inspect.mqueue 'mqueue' grep -q 'mqueue .*/cpt-test-mq, 4 messages' "$scratch/inspect.txt"
}

# After the pty cycle.
inspect_pty() {
	inspect_check inspect.pty 'pty [0-9]*:' grep -q \
		'pty-master .*pty 2: 100x30, .* 22 bytes unread by the master, 2 by the slave, controlling terminal of session' "$scratch/inspect.txt"
}

# After the inotify cycle.
inspect_inotify() {
	inspect_check inspect.inotify ' inotify ' \
		sh -c 'grep " inotify .*watching" "$0" | grep "/sub (wd 2, 0x100)" | grep -q "/file (wd 3, 0x2)"' "$scratch/inspect.txt"
}

# After the listening sockets' cycle.
inspect_unix_listener() {
	inspect_check inspect.unix-listener 'listening on' \
		sh -c 'grep -q "stream listening on $1/sock, backlog 8" "$0" &&
			grep -q "seqpacket listening on @cpt-test-" "$0" && grep -q "pair .*named .*/sock" "$0"' "$scratch/inspect.txt" "$scratch"
}

# Semaphore adjustments to undo at exit (semop with SEM_UNDO) are refused,
# naming the pid, and the process runs on.
scenario_semundo() {
	mkdir -p "$scratch/semundo"
	if ! start_workload semundo "$workloads/files_refused" semundo "$scratch/semundo"; then
		result semundo.ready FAIL "$(tr '\n' ' ' <"$out")"
		return
	fi
	cptctl_in /dev/stdout "$scratch/semundo.err" checkpoint "$pid" -o "$scratch/semundo.img" --kill
	status=$?
	pass_if semundo.refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/semundo.err")" \
		sh -c '[ "$1" -eq 4 ] && grep -q "pid $2: semaphore adjustments (semop() with SEM_UNDO)" "$0"' \
		"$scratch/semundo.err" "$status" "$pid"
	pass_if semundo.alive "pid $pid is still running" [ -d "/proc/$pid" ]
	touch "$scratch/semundo/go"
	wait_for_line "$out" "RESULT kept-running"
	sed -n "s/^RESULT /RESULT semundo./p" "$out"
}
