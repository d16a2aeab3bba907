# shellcheck shell=sh
# The attributes of an address space and of a process, for a nobody service
# that root checkpoints and restarts through cptctl's command line: its
# locked memory must come back under its own RLIMIT_MEMLOCK, without
# CAP_IPC_LOCK (test/workloads/mm_attrs.c checks its own).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_user() {
	chmod 0711 "$scratch"
	mkdir -p "$scratch/user.d"
	chown nobody "$scratch/user.d"
	if ! start_workload user setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$workloads/mm_attrs" "$scratch/user.d"; then
		result mm-attrs-user.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	"$cptctl" checkpoint "$pid" -o "$scratch/user.img" --kill 2>"$scratch/ckpt.err"
	status=$?
	pass_if mm-attrs-user.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	(wait_for_pid "$pid" && touch "$scratch/user.d/go") &
	"$cptctl" restart "$scratch/user.img" 2>"$scratch/restart.err"
	status=$?
	pass_if mm-attrs-user.exit-status "restarted service exited $status: $(tr '\n' ' ' <"$scratch/restart.err")" [ "$status" -eq 0 ]
	sed -n "s/^RESULT /RESULT mm-attrs-user./p" "$out"

	echo "# memlock: $(date +%s.%N) start"
	# Its RLIMIT_MEMLOCK lowered below what it locks, without CAP_IPC_LOCK:
	# the restart is refused, by name, before the memory goes.
	"$cptctl" inspect --json "$scratch/user.img" >"$scratch/user.json"
	node -e '
		const fs = require("fs");
		const image = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		const walk = (o) => {
			if (Array.isArray(o)) return o.forEach(walk);
			if (o === null || typeof o !== "object") return;
			if (o.resource === 8 && "max" in o) {
				o.cur = typeof o.cur === "string" ? "4096" : 4096;
				o.max = typeof o.max === "string" ? "4096" : 4096;
			}
			Object.values(o).forEach(walk);
		};
		walk(image);
		fs.writeFileSync(process.argv[2], JSON.stringify(image));
	' "$scratch/user.json" "$scratch/low.json"
	"$cptctl" encode "$scratch/low.json" -o "$scratch/low.img" >/dev/null 2>"$scratch/encode.err"
	echo "# memlock: $(date +%s.%N) encoded"
	timeout 30 "$cptctl" restart "$scratch/low.img" --detach >/dev/null 2>"$scratch/low.err"
	status=$?
	echo "# memlock: $(date +%s.%N) restarted"
	dmesg | tail -5 >>"$scratch/low.err"
	refused=no
	grep -q "pid $pid: cannot lock .*, over RLIMIT_MEMLOCK 4 KiB" "$scratch/low.err" &&
		[ "$status" -ne 0 ] && [ ! -d "/proc/$pid" ] && refused=yes
	pass_if mm-attrs-user.memlock-refused "restart exited $status: $(cat "$scratch/encode.err" "$scratch/low.err" | tr '\n' ' ')" \
		[ $refused = yes ]
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$scratch/user.json" "$scratch/low.json"
}

# The same image again, left waiting: a child subreaper whose child predates
# its becoming one must still die of SIGTERM once restarted.
scenario_subreaper_root() {
	chmod 0711 "$scratch"
	mkdir -p "$scratch/root.d"
	if ! start_workload root "$workloads/mm_attrs" "$scratch/root.d"; then
		result mm-attrs-subreaper.checkpoint FAIL "the workload never got ready: $(tr '\n' ' ' <"$out")"
		return
	fi
	"$cptctl" checkpoint "$pid" -o "$scratch/root.img" --kill 2>"$scratch/ckpt.err"
	status=$?
	pass_if mm-attrs-subreaper.checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/ckpt.err")" [ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	echo "# subreaper: $(date +%s.%N) checkpointed"
	read -r sub orphan <"$scratch/root.d/family"
	restored=$("$cptctl" restart "$scratch/root.img" --detach --stats 2>"$scratch/restart.err")
	echo "# subreaper: $(date +%s.%N) restarted: $(tr "\n" " " <"$scratch/restart.err")"; ps -eo pid,ppid,stat,wchan:20,args | sed "s/^/# ps /"
	kill -TERM "$restored" 2>/dev/null
	gone=no
	wait_for_pid_gone "$restored" && gone=yes
	pass_if mm-attrs-subreaper.sigterm "restarted as ${restored:-nothing} ($(tr '\n' ' ' <"$scratch/restart.err")), SIGTERM: gone $gone" \
		[ "$restored" = "$pid" ] && [ $gone = yes ]
	kill -KILL "$restored" "$sub" "$orphan" 2>/dev/null || true
	echo "# subreaper: $(date +%s.%N) done"

}
