# shellcheck shell=sh
# hugetlb memory (MAP_HUGETLB private and shared, a hugetlbfs file mapped
# shared and private, a SysV SHM_HUGETLB segment) through checkpoint -> kill
# -> restart; inspect; hostile images; and a restart that cannot have its
# huge pages, refused by name. The guest reserves a few huge pages for it
# (vm.nr_hugepages), given back at the end.
. test/guest/shell/lib.sh

HUGE_PAGES=10

# hugetlb_edited NAME JS WORDS: $scratch/again.img with its MM records' VMAs
# edited by the JavaScript function JS (given a record's vmas, it returns
# them edited); its restart must be refused, the message saying WORDS, and
# leave no process behind. The 22 MB JSON is parsed and written by
# cptctl_in's node (node_in: its numbers are at most 32-bit, the 64-bit
# ones strings), some 1 s under emulation where a jq took 5 to 9.
hugetlb_edited() {
	edited=$1 words=$3
	node_in /dev/null "$scratch/$edited.err" "const doc = JSON.parse(fs.readFileSync(args[0], 'utf8'));
		for (const record of doc.recordList) if (record.type === 'MM') record.message.vmas = ($2)(record.message.vmas);
		fs.writeFileSync(args[1], JSON.stringify(doc));" "$scratch/again.json" "$scratch/$edited.json" &&
		cptctl_in /dev/null "$scratch/$edited.err" encode "$scratch/$edited.json" -o "$scratch/$edited.img" &&
		cptctl_in /dev/null "$scratch/$edited.err" restart --detach "$scratch/$edited.img"
	status=$?
	pass_if "hugetlb.$edited" "restart exited $status: $(tr '\n' ' ' <"$scratch/$edited.err")" \
		eval 'grep -q "$words" "$scratch/$edited.err" && [ ! -d "/proc/$again_pid" ]'
}

scenario_hugetlb() {
	# One node for every cptctl call (lib.sh's cptctl_in).
	cptctl_serve
	old_pages=$(cat /proc/sys/vm/nr_hugepages)
	echo "$HUGE_PAGES" >/proc/sys/vm/nr_hugepages
	free=$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)
	pass_if hugetlb.reserved "$free huge pages free of $HUGE_PAGES asked" [ "$free" -ge "$HUGE_PAGES" ]
	mkdir -p "$scratch/huge"
	mount -t hugetlbfs none "$scratch/huge"

	if checkpoint_service hugetlb hugetlb "$workloads/hugetlb_state" "$scratch/huge"; then
		cptctl_in "$scratch/inspect.txt" "$scratch/inspect.txt" inspect "$scratch/hugetlb.img"
		pass_if inspect.hugetlb "inspect shows: $(grep -E 'hugetlb' "$scratch/inspect.txt" | tr -s ' ' | tr '\n' '|')" \
			eval 'grep -Eq " anon .*pages +hugetlb 2048 KiB pages" "$scratch/inspect.txt" &&
				grep -q "shared memory .*hugetlb 2048 KiB pages" "$scratch/inspect.txt" &&
				grep -q "huge/file, hugetlb 2048 KiB pages" "$scratch/inspect.txt" &&
				grep -q "shm id .*hugetlb 2048 KiB pages" "$scratch/inspect.txt" &&
				grep -q "shm .*2097152 bytes .*hugetlb 2048 KiB pages" "$scratch/inspect.txt"'
		restart_service hugetlb hugetlb
	fi
	[ -f "$scratch/hugetlb.d/shm-id" ] && ipcrm -m "$(cat "$scratch/hugetlb.d/shm-id")" 2>/dev/null

	# Again, to restart it where it cannot be.
	mkdir -p "$scratch/again.d"
	if start_workload again "$workloads/hugetlb_state" "$scratch/huge" "$scratch/again.d" &&
		cptctl_in /dev/stdout "$scratch/again-ckpt.err" checkpoint "$pid" -o "$scratch/again.img" --kill; then
		again_pid=$pid
		wait_for_pid_gone "$again_pid"
		cptctl_in "$scratch/again.json" "$scratch/json.err" inspect --json "$scratch/again.img" ||
			echo "# inspect --json: $(cat "$scratch/json.err")"
		# No free huge page left: refused by name, nothing left running.
		echo 0 >/proc/sys/vm/nr_hugepages
		echo "# $(grep -E '^HugePages_(Total|Free|Rsvd|Surp)' /proc/meminfo | tr -s ' \n' ' ')"
		cptctl_in /dev/null "$scratch/nopages.err" restart --detach "$scratch/again.img"
		status=$?
		pass_if hugetlb.no-huge-pages "restart exited $status: $(tr '\n' ' ' <"$scratch/nopages.err") $(ps -o pid,stat,wchan:24,comm -p "$again_pid" | tail -n +2)" \
			eval '[ "$status" -ne 0 ] && grep -q "hugetlb memory" "$scratch/nopages.err" &&
				grep -q "vm.nr_hugepages" "$scratch/nopages.err" &&
				grep -Eq "cannot restore (hugetlb memory )?0x[0-9a-f]+-0x[0-9a-f]+" "$scratch/nopages.err" &&
				[ ! -d "/proc/$again_pid" ]'
		echo "$HUGE_PAGES" >/proc/sys/vm/nr_hugepages
		hugetlb_edited hostile-page-size \
			"(vmas) => vmas.map((v) => (String(v.hugePageSize ?? 0) !== '0' ? { ...v, hugePageSize: '3145728' } : v))" \
			"a huge page size other than 2 MiB or 1 GiB"
		# The driver round-trips every image left here (inspect --json, encode),
		# some 17 MB each under emulation: hugetlb.img, of the same workload,
		# stands for these two.
		rm -f "$scratch/again.img" "$scratch/hostile-page-size.img" "$scratch"/*.json
	else
		result hugetlb.no-huge-pages FAIL "the second run was not checkpointed: $(tr '\n' ' ' <"$scratch/again-ckpt.err")"
		kill "$pid" 2>/dev/null
	fi
	[ -f "$scratch/again.d/shm-id" ] && ipcrm -m "$(cat "$scratch/again.d/shm-id")" 2>/dev/null
	umount "$scratch/huge"
	echo "$old_pages" >/proc/sys/vm/nr_hugepages
}
