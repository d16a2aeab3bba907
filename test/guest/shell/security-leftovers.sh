# shellcheck shell=sh
# The review's last findings (issue 12): a checkpoint that leaves objects
# shared with processes outside the tree as they were, a restarted thread
# that fails half-way and must not live on, and FPU registers that follow
# the restored task from one CPU to another.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

voluntary_switches() { sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$1/status"; }
blocked_in_read() { [ "$(cat "/proc/$1/wchan")" = eventfd_read ]; }
eventfd_count() { sed -n 's/^eventfd-count:[[:space:]]*//p' "/proc/$1/fdinfo/$2"; }

# F13: two eventfds at 0 (a semaphore and a plain one), each with a reader
# blocked on it outside the tree. The checkpoint of the tree, which holds
# both, must read their state without a probe: no reader wakes (each would
# switch in and out once), no counter moves.
scenario_eventfd_outside() {
	if ! start_workload eventfd "$workloads/eventfd_outside"; then
		result eventfd-outside.checkpoint FAIL "eventfd_outside never said READY"
		return
	fi
	# shellcheck disable=SC2046 # the READY line's words, on purpose
	set -- $(sed -n 's/^READY //p' "$out")
	root=$1 sem_reader=$2 plain_reader=$3 sem_fd=$4 plain_fd=$5
	wait_until blocked_in_read "$sem_reader" && wait_until blocked_in_read "$plain_reader"
	sem_before=$(voluntary_switches "$sem_reader") plain_before=$(voluntary_switches "$plain_reader")
	cptctl_in /dev/null "$scratch/eventfd.err" checkpoint "$root" -o "$scratch/eventfd.img"
	status=$?
	sem_after=$(voluntary_switches "$sem_reader") plain_after=$(voluntary_switches "$plain_reader")
	pass_if eventfd-outside.checkpoint "checkpoint of the tree exited $status: $(tr '\n' ' ' <"$scratch/eventfd.err")" \
		[ "$status" -eq 0 ]
	pass_if eventfd-outside.no-wakeup \
		"the readers outside the tree switched $sem_before -> $sem_after (semaphore) and $plain_before -> $plain_after (plain) times" \
		eval '[ "$sem_before" = "$sem_after" ] && [ "$plain_before" = "$plain_after" ] && [ -n "$sem_after" ]'
	counts="$(eventfd_count "$pid" "$sem_fd") $(eventfd_count "$pid" "$plain_fd")"
	pass_if eventfd-outside.counters-unchanged "counters after the checkpoint: $counts" [ "$counts" = "0 0" ]
	cptctl_in "$scratch/eventfd.json" "$scratch/eventfd.json" inspect --json "$scratch/eventfd.img"
	kinds=$(python3 - "$scratch/eventfd.json" <<'PY'
import json, sys
found = []
def walk(node):
    if isinstance(node, dict):
        if node.get('kind') == 'EVENTFD':
            found.append('semaphore' if node.get('eventfdSemaphore') else 'plain')
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(json.load(open(sys.argv[1])))
print(' '.join(sorted(set(found))))
PY
)
	pass_if eventfd-outside.semaphore-saved "the image's eventfds: $kinds" [ "$kinds" = "plain semaphore" ]
	kill -KILL "$root" "$sem_reader" "$plain_reader" "$pid" 2>/dev/null
	wait_for_pid_gone "$root"
}

# F14: a thread of a restarted process fails its final step after it began
# to change (its RLIMIT_NOFILE raised beyond fs.nr_open in the image, which
# prlimit() refuses once its signal state is applied). Through cptctl, the
# restart fails naming the thread, its final step and the kill; through
# the module's ioctls with tasks that would linger (thread_half), the
# thread never comes back to user space and its process dies.
# Its cptctl calls go through one node (cptctl_serve), ended before rmmod.
scenario_thread_half() {
	cptctl_serve || return
	if ! start_workload half "$workloads/thread_half" hold; then
		result thread-half.cptctl-refused FAIL "thread_half never said READY"
		return
	fi
	tid=$(sed -n 's/^READY //p' "$out")
	cptctl_in /dev/null "$scratch/half.err" checkpoint "$pid" -o "$scratch/half.img" --kill
	wait_for_pid_gone "$pid"
	nr_open=$(cat /proc/sys/fs/nr_open)
	cptctl_in "$scratch/half.json" /dev/stderr inspect --json "$scratch/half.img" &&
		python3 - "$scratch/half.json" "$tid" "$((nr_open + 1))" <<'PY' &&
import json, sys
path, tid, hard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
doc = json.load(open(path))
edited = 0
for record in doc['recordList']:
    message = record.get('message', {})
    if record.get('type') == 'TASK' and int(message.get('pid', 0)) == tid:
        record.pop('payload', None)
        for limit in message['rlimits']:
            if int(limit.get('resource', 0)) == 7:  # RLIMIT_NOFILE
                limit['max'] = str(hard) if isinstance(limit.get('max'), str) else hard
                edited += 1
if edited != 1:
    sys.exit('the thread %d has no RLIMIT_NOFILE to edit' % tid)
json.dump(doc, open(path, 'w'))
PY
		cptctl_in /dev/null "$scratch/half-encode.err" encode "$scratch/half.json" -o "$scratch/half-edited.img"
	cptctl_in /dev/null "$scratch/restart.err" restart "$scratch/half-edited.img"
	status=$?
	pass_if thread-half.cptctl-refused "restart exited $status: $(cat "$scratch/restart.err" "$scratch/half.err" "$scratch/half-encode.err" 2>/dev/null | tr '\n' ' ')" \
		eval '[ "$status" -ne 0 ] && grep -q "pid $tid failed at its final step (-EPERM), killed by SIGKILL" "$scratch/restart.err" &&
			grep -q "rlimit 7" "$scratch/restart.err"'
	pass_if thread-half.cptctl-nothing-left "pid $pid and thread $tid are free" wait_for_pid_gone "$pid"
	"$workloads/thread_half" restore "$scratch/half-edited.img" "$pid" "$tid"
	pass_if thread-half.nothing-left "pid $pid is free again" wait_for_pid_gone "$pid"
	cptctl_stop
	pass_if thread-half.module-unloads "rmmod cpt after the failed restarts" rmmod cpt
	insmod "$cpt_ko"
}

# F14: the saved FPU registers reach user mode even when the restored task
# returns there on a CPU that still holds its builder's (test/workloads/
# fpu_migrate.c); needs a guest with 2 CPUs.
scenario_fpu_migrate() {
	if ! start_workload cpu "$workloads/cpu_state" "$scratch/go"; then
		result fpu-migrate.registers-after-migration FAIL "cpu_state never said READY"
		return
	fi
	"$cptctl" checkpoint "$pid" -o "$scratch/cpu.img" --kill >/dev/null 2>"$scratch/cpu.err" ||
		result fpu-migrate.registers-after-migration FAIL "checkpoint: $(tr '\n' ' ' <"$scratch/cpu.err")"
	wait_for_pid_gone "$pid"
	"$workloads/fpu_migrate" "$scratch/cpu.img" "$pid" "$scratch/go" 5 | sed 's/^RESULT /RESULT fpu-migrate./'
	pass_if fpu-migrate.nothing-left "pid $pid is free again" wait_for_pid_gone "$pid"
}
