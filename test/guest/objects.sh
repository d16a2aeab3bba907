#!/bin/sh
# Runs in the guest: kernel objects that are not plain files, shared by the
# processes of a tree or outliving them: SysV IPC, POSIX message queues,
# ptys, inotify, listening unix sockets, through checkpoint -> kill ->
# restart, each workload checking itself after the restart.
. "$(dirname "$0")/lib.sh"

# SysV objects, removed with ipcrm after the checkpoint (as another machine
# would lack them), come back with their ids and contents.
mkdir -p "$scratch/ipc.d"
name=ipc out=$scratch/ipc.out img=$scratch/ipc.img
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/sysv_ipc" "$scratch/ipc.d")
if ! wait_for_line "$out" READY; then
	result ipc.ready FAIL "$(tr '\n' ' ' <"$out")"
	kill -9 "$pid" 2>/dev/null
elif cr_checkpoint; then
	# shellcheck disable=SC2046 # ipcrm-args holds several words
	ipcrm $(cat "$scratch/ipc.d/ipcrm-args")
	pass_if ipc.ipcrm "ipcrm $(cat "$scratch/ipc.d/ipcrm-args") left: $(ipcs | grep -c 0x435054) objects of the workload" \
		sh -c '! ipcs | grep -q 0x435054'
	"$cptctl" inspect "$scratch/ipc.img" >"$scratch/ipc.inspect" 2>&1
	pass_if inspect.sysv "inspect shows: $(grep -E '^(sysv ipc| ) +(shm|sem|msq) ' "$scratch/ipc.inspect" | tr -s ' ' | tr '\n' '|')" \
		sh -c 'grep -q "shm id .*key 0x43505401.*65536 bytes" "$0" && grep -q "sem id .*3 semaphores: 1 5 42" "$0" &&
			grep -q "msq id .*3 messages" "$0" && grep -q "removed while attached" "$0"' "$scratch/ipc.inspect"
	CR_POKE="touch $scratch/ipc.d/go" cr_restart
	sed -n "s/^RESULT /RESULT ipc./p" "$out"
fi

# A POSIX message queue, unlinked between checkpoint and restart.
mkdir -p "$scratch/mq.d"
CR_POKE="touch $scratch/mq.d/go" CR_BETWEEN='rm /dev/mqueue/cpt-test-mq; pass_if mq.unlinked "the queue is gone" test ! -e /dev/mqueue/cpt-test-mq' \
	cr_cycle mq "$workloads/posix_mq" cpt-test-mq "$scratch/mq.d"
"$cptctl" inspect "$scratch/mq.img" >"$scratch/mq.inspect" 2>&1
pass_if inspect.mqueue "inspect shows: $(grep -m 1 'mqueue' "$scratch/mq.inspect" | tr -s ' ')" \
	grep -q 'mqueue .*/cpt-test-mq, 4 messages' "$scratch/mq.inspect"

# A pty: a terminal-like root on the master, a shell-like session on the slave.
mkdir -p "$scratch/pty.d"
CR_POKE="touch $scratch/pty.d/go" cr_cycle pty "$workloads/pty_session" "$scratch/pty.d"
"$cptctl" inspect "$scratch/pty.img" >"$scratch/pty.inspect" 2>&1
pass_if inspect.pty "inspect shows: $(grep -m 1 'pty [0-9]*:' "$scratch/pty.inspect" | tr -s ' ')" \
	grep -q 'pty-master .*pty 2: 100x30, .* 22 bytes unread by the master, 2 by the slave, controlling terminal of session' "$scratch/pty.inspect"

# An inotify instance with a gap in its watch descriptors.
mkdir -p "$scratch/inotify.d"
CR_POKE="touch $scratch/inotify.d/go" cr_cycle inotify "$workloads/inotify_watch" "$scratch/inotify.d"
"$cptctl" inspect "$scratch/inotify.img" >"$scratch/inotify.inspect" 2>&1
pass_if inspect.inotify "inspect shows: $(grep -m 1 ' inotify ' "$scratch/inotify.inspect" | tr -s ' ')" \
	sh -c 'grep " inotify .*watching" "$0" | grep "/sub (wd 2, 0x100)" | grep -q "/file (wd 3, 0x2)"' "$scratch/inotify.inspect"

# Listening unix sockets, on a path and an abstract name, and a connection
# one of them accepted.
mkdir -p "$scratch/listener.d"
CR_POKE="touch $scratch/listener.d/go" cr_cycle listener "$workloads/unix_listener" "$scratch/listener.d"
"$cptctl" inspect "$scratch/listener.img" >"$scratch/listener.inspect" 2>&1
pass_if inspect.unix-listener "inspect shows: $(grep -m 1 'listening on' "$scratch/listener.inspect" | tr -s ' ')" \
	sh -c 'grep -q "stream listening on .*/listener.d/sock, backlog 8" "$0" &&
		grep -q "seqpacket listening on @cpt-test-" "$0" && grep -q "pair .*named .*/sock" "$0"' "$scratch/listener.inspect"

# Semaphore adjustments to undo at exit (semop with SEM_UNDO) are refused,
# naming the pid, and the process runs on.
out=$scratch/semundo.out
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/files_refused" semundo "$scratch/semundo.go")
if wait_for_line "$out" READY; then
	"$cptctl" checkpoint "$pid" -o "$scratch/semundo.img" --kill 2>"$scratch/semundo.err"
	status=$?
	pass_if semundo.refused "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/semundo.err")" \
		sh -c '[ "$1" -eq 4 ] && grep -q "pid $2: semaphore adjustments (semop() with SEM_UNDO)" "$0"' \
		"$scratch/semundo.err" "$status" "$pid"
	pass_if semundo.alive "pid $pid is still running" [ -d "/proc/$pid" ]
	touch "$scratch/semundo.go"
	wait_for_line "$out" "RESULT kept-running"
	sed -n "s/^RESULT /RESULT semundo./p" "$out"
else
	result semundo.ready FAIL "$(tr '\n' ' ' <"$out")"
fi
