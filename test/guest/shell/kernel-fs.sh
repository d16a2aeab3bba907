# shellcheck shell=sh
# Files of the kernel's file systems (kmod/cpt_file_kernel_fs.c): what a
# checkpoint refuses of them (an open sysfs attribute read in part, a
# cgroup's cpu.pressure holding a pressure trigger, tracefs's trace_pipe, a
# working directory in a cgroup, a namespace file through a bind mount, an
# inotify watch on a cgroup's file), naming the fd (or directory), path and
# file system and leaving the process be; and a
# restart of a cgroup's directory fd once the cgroup was removed and made
# again, which must fail naming the fd rather than open the new cgroup.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_kernel_fs_refused() {
	cptctl_serve || return
	expect_refusal kernel-fs-refused sysfs \
		"fd 3: file of sysfs (/sys/kernel/mm/transparent_hugepage/enabled) is not supported: its open file holds" \
		"$workloads/kernel_fs" refused sysfs
	expect_refusal kernel-fs-refused psi \
		"fd 3: file of cgroup2 (/sys/fs/cgroup/cpt-kfs-psi-[0-9]*/cpu.pressure) is not supported: its open file holds the cgroup's state" \
		"$workloads/kernel_fs" refused psi
	expect_refusal kernel-fs-refused tracefs \
		"fd 3: file of tracefs (.*/tracing/trace_pipe) is not supported: its open file holds the tracer's state" \
		"$workloads/kernel_fs" refused tracefs
	expect_refusal kernel-fs-refused cwd \
		"working directory /sys/fs/cgroup/cpt-kfs-cwd-[0-9]* is in cgroup2: not supported (a restart would enter its path unchecked" \
		"$workloads/kernel_fs" refused cwd
	expect_refusal kernel-fs-refused nsfs \
		"fd 3: file of nsfs (.*/nsfs/netns) is not supported: a namespace file: a restart would open whatever namespace the path names then" \
		"$workloads/kernel_fs" refused nsfs
	expect_refusal kernel-fs-refused nsfs-path \
		"fd 3: file of nsfs (.*/nsfs-path/netns) is not supported: a namespace file" \
		"$workloads/kernel_fs" refused nsfs-path
	expect_refusal kernel-fs-refused inotify \
		"fd 3: inotify watch 1 on /sys/fs/cgroup/cpt-kfs-inotify-[0-9]*/cgroup.events (cgroup2) is not supported: in a file system of kernel objects: a restart would add it by path" \
		"$workloads/kernel_fs" refused inotify
	expect_refusal kernel-fs-refused fanotify \
		"fd 3: fanotify mark 0 (mask 0x2, ignored 0x0): in a file system of kernel objects: a restart would add it by path" \
		"$workloads/kernel_fs" refused fanotify

	cg=/sys/fs/cgroup/cpt-kfs-moved
	mkdir -p "$scratch/moved"
	if ! mkdir "$cg" || ! start_workload moved "$workloads/kernel_fs" hold "$cg" "$scratch/moved"; then
		result kernel-fs-refused.moved-checkpoint FAIL "no cgroup $cg or no workload: $(tr '\n' ' ' <"$out")"
		rmdir "$cg"
		return
	fi
	cptctl_in /dev/null "$scratch/moved-ckpt.err" checkpoint "$pid" -o "$scratch/moved.img" --kill
	status=$?
	pass_if kernel-fs-refused.moved-checkpoint "checkpoint exited $status: $(tr '\n' ' ' <"$scratch/moved-ckpt.err")" \
		[ "$status" -eq 0 ]
	wait_for_pid_gone "$pid"
	rmdir "$cg" && mkdir "$cg"
	cptctl_in /dev/null "$scratch/moved.err" restart --detach "$scratch/moved.img"
	status=$?
	refused=no
	[ "$status" -ne 0 ] && grep -q "fd 3: $cg is another inode than at the checkpoint ([0-9]* of cgroup2, was [0-9]*): removed and made again, or another boot or machine" \
		"$scratch/moved.err" && [ ! -d "/proc/$pid" ] && refused=yes
	pass_if kernel-fs-refused.moved-cgroup "restart exited $status: $(tr '\n' ' ' <"$scratch/moved.err")" [ $refused = yes ]
	[ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null && wait_for_pid_gone "$pid"

	# The image's fields 140 and 141 edited: one without the other and a
	# magic of no such file system are malformed; without both (as an
	# image from before them), a path now in cgroup2 is refused saying so.
	kfs_dir='(.recordList | map(.type) | index("FILES")) as $i |
		(.recordList[$i].message.files | map(.kind) | index("DIRECTORY")) as $f |
		.recordList[$i].message.files[$f]'
	if cptctl_in "$scratch/moved.json" "$scratch/moved-json.err" inspect --json "$scratch/moved.img"; then
		restart_edited kernel-fs-refused.hostile-half "$scratch/moved.json" "$kfs_dir |= del(.kernelFsIno)" \
			"bad kernel object (a magic without an inode, or an inode without a magic)" 6
		restart_edited kernel-fs-refused.hostile-magic "$scratch/moved.json" "$kfs_dir.kernelFsMagic |= 4660" \
			"bad kernel object (a magic of no file system whose directories are kept)" 6
		restart_edited kernel-fs-refused.predates "$scratch/moved.json" \
			"$kfs_dir |= del(.kernelFsIno, .kernelFsMagic)" \
			"fd 3: $cg is in cgroup2, but its image names no object of it: the image predates the module saving them" 5
		check_edited_restarts
	else
		for check in hostile-half hostile-magic predates; do
			result "kernel-fs-refused.$check" FAIL "inspect --json: $(tr '\n' ' ' <"$scratch/moved-json.err")"
		done
	fi
	rmdir "$cg"
}
