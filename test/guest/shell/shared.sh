# shellcheck shell=sh
# Objects shared between processes, through cptctl's command line: a
# refusal's message, and what inspect shows of cycles' images.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck disable=SC2016 # sh -c programs, single-quoted on purpose
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# A process whose fd table its parent, outside the checkpoint, shares is
# refused; the tree runs on and ends well.
scenario_outside() {
	if ! start_workload outside "$workloads/fd_table" "$scratch"; then
		result outside.ready FAIL "$(tr '\n' ' ' <"$out")"
		return
	fi
	sharer=$(tr ' ' '\n' <"/proc/$pid/task/$pid/children" | grep . | tail -n 1)
	cptctl_in /dev/stdout "$scratch/outside.err" checkpoint "$sharer" -o "$scratch/outside.img"
	status=$?
	pass_if outside.refused "checkpoint of the sharer $sharer exited $status: $(tr '\n' ' ' <"$scratch/outside.err")" \
		grep -q "fd table is shared with a task outside the tree" "$scratch/outside.err"
	touch "$scratch/go"
	wait_until test ! -d "/proc/$pid"
	pass_if outside.ran-on "the workload ended: $(grep -c PASS "$out") checks passed, $(grep -c FAIL "$out") failed: $(grep FAIL "$out" | tr '\n' ' ')" \
		sh -c '! grep -q FAIL "$0" && grep -q "RESULT private PASS" "$0"' "$out"
}

# A child sharing anonymous memory (MAP_SHARED|MAP_ANONYMOUS, through fork)
# with its parent and sibling, checkpointed without them, is refused with
# the pid of one of them; the tree runs on and ends well.
scenario_shmem_outside() {
	if ! start_workload shmem-outside "$workloads/shmem_tree" "$scratch"; then
		result shmem-outside.ready FAIL "$(tr '\n' ' ' <"$out")"
		return
	fi
	children=$(tr ' ' '\n' <"/proc/$pid/task/$pid/children" | grep .)
	child=$(echo "$children" | head -n 1)
	sibling=$(echo "$children" | tail -n 1)
	cptctl_in /dev/stdout "$scratch/shmem-outside.err" checkpoint "$child" -o "$scratch/shmem-outside.img"
	status=$?
	named=$(sed -n 's/.*shared anonymous memory shared with pid \([0-9]*\) outside the tree.*/\1/p' \
		"$scratch/shmem-outside.err" | head -n 1)
	pass_if shmem-outside.refused "checkpoint of the child $child (parent $pid, sibling $sibling) exited $status: $(tr '\n' ' ' <"$scratch/shmem-outside.err")" \
		sh -c '[ "$0" -ne 0 ] && { [ "$1" = "$2" ] || [ "$1" = "$3" ]; }' "$status" "$named" "$pid" "$sibling"
	pass_if shmem-outside.no-image "no image is left behind" test ! -s "$scratch/shmem-outside.img"
	touch "$scratch/go"
	wait_until test ! -d "/proc/$pid"
	pass_if shmem-outside.ran-on "the workload ended: $(grep -c PASS "$out") checks passed, $(grep -c FAIL "$out") failed: $(grep FAIL "$out" | tr '\n' ' ')" \
		sh -c '! grep -q FAIL "$0" && grep -q "RESULT children PASS" "$0"' "$out"
}

# After the shmem cycle: inspect shows one shared object in the parent's
# VMA, child A's two and child B's one, with its 4 written pages saved once.
inspect_shmem() {
	if cptctl_in "$scratch/shmem.inspect" "$scratch/shmem.inspect" inspect "$img"; then
		grep 'shared memory [0-9]* of 32768 bytes' "$scratch/shmem.inspect" >"$scratch/shmem.vmas"
		pass_if inspect.shmem "inspect shows: $(tr -s ' ' <"$scratch/shmem.vmas" | tr '\n' '|')" \
			sh -c '[ "$(wc -l <"$0")" -eq 4 ] && [ "$(sed "s/.*shared memory \([0-9]*\) of.*/\1/" "$0" | sort -u | wc -l)" -eq 1 ] &&
				[ "$(grep -c " 4/8 pages" "$0")" -eq 1 ] && [ "$(grep -c " 0/[0-9]* pages" "$0")" -eq 3 ]' "$scratch/shmem.vmas"
	else
		result inspect.shmem FAIL "$(tr '\n' ' ' <"$scratch/shmem.inspect")"
	fi
}

# After the shmem cycle: an image whose second process maps the shared
# memory with another size than the first made it with is refused by name
# (the first process restored already), and no task is left.
hostile_shmem() {
	cptctl_in "$scratch/shmem.json" "$scratch/shmem.json" inspect --json "$img" &&
		node_in /dev/stdout /dev/stderr '
const doc = JSON.parse(fs.readFileSync(args[0], "utf8"));
const mm = doc.recordList.filter((r) => r.type === "MM")[1].message;
mm.vmas.find((v) => v.kind === "SHMEM").shmemSize = "65536";
fs.writeFileSync(args[1], JSON.stringify(doc));' "$scratch/shmem.json" "$scratch/shmem-size.json" &&
		cptctl_in /dev/null /dev/null encode "$scratch/shmem-size.json" -o "$scratch/shmem-size.img"
	if [ $? -ne 0 ]; then
		result shmem.hostile-size FAIL "cannot make the mutant: $(tr '\n' ' ' <"$scratch/shmem.json" | cut -c 1-300)"
		return
	fi
	cptctl_in /dev/null "$scratch/shmem-size.err" restart "$scratch/shmem-size.img"
	status=$?
	# The refused task is killed before it can report: its note is in the kernel log.
	dmesg | grep 'image: shared memory' >"$scratch/shmem-size.log"
	pass_if shmem.hostile-size "restart exited $status: $(tr '\n' ' ' <"$scratch/shmem-size.err"); kernel log: $(cat "$scratch/shmem-size.log")" \
		sh -c '[ "$0" -ne 0 ] && grep -q "image: shared memory 1 of 65536 bytes, or 32768" "$1"' "$status" "$scratch/shmem-size.log"
	wait_until sh -c '! pgrep -x shmem_tree >/dev/null'
	pass_if shmem.hostile-no-task "no task of the refused restart is left: $(pgrep -x shmem_tree | tr '\n' ' ')" \
		sh -c '! pgrep -x shmem_tree >/dev/null'
}

# After the shmem cycle: what inspect shows, then hostile images.
# Its cptctl calls go through one node (cptctl_serve).
after_shmem() {
	cptctl_serve || return
	inspect_shmem
	hostile_shmem
}

# After the table cycle: inspect names the process whose fd table a process shares.
inspect_fd_table() {
	if cptctl_in "$scratch/table.inspect" "$scratch/table.inspect" inspect "$img"; then
		pass_if inspect.fd-table "inspect shows: $(grep -m 1 'fd table of' "$scratch/table.inspect")" \
			grep -q 'process, fd table of [0-9]' "$scratch/table.inspect"
	else
		result inspect.fd-table FAIL "$(tr '\n' ' ' <"$scratch/table.inspect")"
	fi
}

# After the pipeline cycle: inspect shows its pipes, with the data they held.
inspect_pipes() {
	if cptctl_in "$scratch/pipeline.inspect" "$scratch/pipeline.inspect" inspect "$img"; then
		pass_if inspect.pipes "inspect shows: $(grep -m 2 'pipe [0-9]' "$scratch/pipeline.inspect" | tr '\n' '|')" \
			grep -q 'pipe [0-9]*, [0-9]* bytes, holding [1-9]' "$scratch/pipeline.inspect"
	else
		result inspect.pipes FAIL "$(tr '\n' ' ' <"$scratch/pipeline.inspect")"
	fi
}
