# shellcheck shell=sh
# Hostile hugetlb images (test/workloads/hugetlb_untouched.c's: every kind
# of hugetlb mapping, no huge page saved, a small image), edited with jq and
# cptctl encode: each restart must be refused with a clean errno and a
# message naming what is wrong, leave no task behind, and the unedited image
# must restart right after it (a failed hostile restart once left every
# later restart of the boot hanging). Every cptctl call but the last restart
# goes through lib.sh's cptctl_in: one node for the scenario.
. test/guest/shell/lib.sh

HOSTILE_HUGE_PAGES=8

# The segment the workload made (kept after its kill, as SysV segments are)
# or a restart made again: removed, so that the next restart makes it.
hostile_remove_segment() {
	[ -f "$scratch/hostile.d/shm-id" ] && read -r segment <"$scratch/hostile.d/shm-id" && ipcrm -m "$segment" 2>/dev/null
	true
}

# The tree a restart --detach left running (the root waits for its go): killed.
hostile_kill_tree() {
	for task in $(ps -o pid= --ppid "$1" 2>/dev/null) "$1"; do
		kill -9 "$task" 2>/dev/null
	done
	wait_for_pid_gone "$1"
}

# hostile_edit CHECK JQ: $scratch/hostile.json edited by JQ (a jq filter
# over the whole document), for hostile_encode_all.
hostile_edit() {
	json_edit "$scratch/$1.json" "$scratch/hostile.json" "$2"
	hostile_edits="${hostile_edits:-} $1"
}

# hostile_encode_all: every hostile_edit's JSON made (one jq) and encoded.
hostile_encode_all() {
	json_edits_made
	for edit in $hostile_edits; do
		cptctl_in /dev/null "$scratch/$edit-encode.err" encode "$scratch/$edit.json" -o "$scratch/$edit.img"
	done
	rm -f "$scratch"/*.json
}

# hostile_restart CHECK WORDS: CHECK's encoded image restarted --detach:
# refused (CHECK), saying WORDS, with no task of the tree left. A restart
# left hanging by the one before it hangs the scenario, which the driver
# reports as timed out, with the guest's processes.
hostile_restart() {
	edit=$1 words=$2
	hostile_remove_segment
	if [ ! -f "$scratch/$edit.img" ]; then
		text_of flat "$scratch/edited-jq.err" "$scratch/$edit-encode.err"
		result "hugetlb-hostile.$edit" FAIL "the edit was not made: $flat"
		return
	fi
	cptctl_in /dev/null "$scratch/$edit.err" restart --detach "$scratch/$edit.img"
	status=$?
	text_of flat "$scratch/$edit.err"
	pass_if "hugetlb-hostile.$edit" "restart exited $status: $flat" \
		eval '[ "$status" -ne 0 ] && grep -q "$words" "$scratch/$edit.err" &&
			[ ! -d "/proc/$hostile_pid" ]'
	[ -d "/proc/$hostile_pid" ] && hostile_kill_tree "$hostile_pid"
}

# After every refusal, the unedited image restarts (then-restarts), its
# tree killed: a failed hostile restart once left every later restart of
# the boot hanging. Through bin/cptctl, which exits: the restored root is
# its restarter's child, which cptctl_in's node would leave unreaped.
# `timeout --foreground`: in a process group of its own, timeout would make
# the restored child's group differ from its saved one.
hostile_then_restarts() {
	hostile_remove_segment
	timeout --foreground 30 "$cptctl" restart --detach "$scratch/hostile.img" >/dev/null 2>"$scratch/again.err"
	status=$?
	pass_if "hugetlb-hostile.then-restarts" \
		"the unedited image's restart exited $status: $(tr '\n' ' ' <"$scratch/again.err")" \
		eval '[ "$status" -eq 0 ] && [ -d "/proc/$hostile_pid" ]'
	hostile_kill_tree "$hostile_pid"
}

# jq: JQ applied to every VMA with huge pages of every MM record.
huge_vmas() {
	echo "(.recordList[] | select(.type == \"MM\") | .message.vmas[] |
		select(((.hugePageSize // 0) | tostring) != \"0\")) |= ($1)"
}

# jq: JQ applied to the first VMA of kind KIND with huge pages of the root's MM record.
huge_vma() {
	echo "(first(.recordList[] | select(.type == \"MM\")) | .message.vmas) |=
		((map(((.hugePageSize // 0) | tostring) != \"0\" and (.kind // \"ANON\") == \"$1\") | index(true)) as \$i |
		.[\$i] |= ($2))"
}

# jq: JQ applied to the SysV segments of the IPC record.
segments() {
	echo "(.recordList[] | select(.type == \"IPC\") | .message.shms[]) |= ($1)"
}

scenario_hugetlb_hostile() {
	cptctl_serve
	old_pages=$(cat /proc/sys/vm/nr_hugepages)
	echo "$HOSTILE_HUGE_PAGES" >/proc/sys/vm/nr_hugepages
	mkdir -p "$scratch/huge"
	mount -t hugetlbfs none "$scratch/huge"
	if ! checkpoint_service hugetlb-hostile hostile "$workloads/hugetlb_untouched" "$scratch/huge"; then
		umount "$scratch/huge"
		echo "$old_pages" >/proc/sys/vm/nr_hugepages
		return
	fi
	hostile_pid=$pid
	cptctl_in "$scratch/hostile.json" "$scratch/json.err" inspect --json "$scratch/hostile.img" ||
		echo "# inspect --json: $(cat "$scratch/json.err")"

	hostile_edit page-size "$(huge_vmas '.hugePageSize = "3145728"')"
	hostile_edit gigantic "$(huge_vmas '.hugePageSize = "1073741824"')"
	hostile_edit unaligned-offset "$(huge_vma SYSV_SHM '.pgoff = "1"')"
	hostile_edit file-small-pages "$(huge_vma FILE 'del(.hugePageSize)')"
	# A 64 TiB shared object: more huge pages than there are, reserved before anything changes.
	hostile_edit shmem-reserve "$(huge_vma SHMEM '.shmemSize = "70368744177664"')"
	# Past the point of no return: the task dies, its tree with it.
	hostile_edit sysv-small-pages "$(huge_vma SYSV_SHM 'del(.hugePageSize)')"
	# The first pages of the image moved into the hugetlbfs file mapped shared, which has none saved.
	hostile_edit pages-outside \
		"(first(.recordList[] | select(.type == \"MM\")) | .message.vmas |
			map(select(.kind == \"FILE\" and .flags == 1 and .hugePageSize != null)) | first | .start) as \$at |
		(.recordList | map(.type == \"PAGES\") | index(true)) as \$p | .recordList[\$p].start = \$at"
	hostile_edit segment-gigantic "$(segments '.hugePageSize = "1073741824"')"
	hostile_edit segment-small-pages "$(segments 'del(.hugePageSize)')"
	hostile_encode_all

	hostile_restart page-size "a huge page size other than 2 MiB or 1 GiB"
	hostile_restart gigantic "not aligned to its pages"
	hostile_restart unaligned-offset "not aligned to its pages"
	hostile_restart file-small-pages "is not a file of 4 KiB pages"
	hostile_restart shmem-reserve "too few free huge pages"
	hostile_restart sysv-small-pages "its pages are not of"
	hostile_restart pages-outside "pages outside the VMAs"
	hostile_restart segment-gigantic "cannot make it again"
	hostile_restart segment-small-pages "its pages are not of"
	hostile_then_restarts
	# The edited images, refused, are left out of the driver's round trip.
	set --
	for edit in $hostile_edits; do set -- "$@" "$scratch/$edit.img"; done
	rm -f "$@"

	hostile_remove_segment
	umount "$scratch/huge"
	echo "$old_pages" >/proc/sys/vm/nr_hugepages
}

# Private hugetlb memory made read-only after it was written
# (test/workloads/hugetlb_readonly.c) through checkpoint -> kill -> restart:
# its pages are written in although the mapping is read-only.
scenario_hugetlb_readonly() {
	old_pages=$(cat /proc/sys/vm/nr_hugepages)
	echo "$HOSTILE_HUGE_PAGES" >/proc/sys/vm/nr_hugepages
	mkdir -p "$scratch/huge"
	mount -t hugetlbfs none "$scratch/huge"
	if checkpoint_service hugetlb-readonly readonly "$workloads/hugetlb_readonly" "$scratch/huge"; then
		restart_service hugetlb-readonly readonly
	fi
	umount "$scratch/huge"
	echo "$old_pages" >/proc/sys/vm/nr_hugepages
}
