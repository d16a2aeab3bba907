# shellcheck shell=sh
# The privilege model (docs/security.md, "Privilege model") as a matrix of
# callers and targets, driven by one C process through the module's ioctls
# (test/workloads/privmodel.c): cptctl's start-up per cell would cost
# minutes. The command line's own exit statuses and messages for these
# refusals are abort.sh's (scenario_unprivileged).
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

scenario_privmodel() {
	mkdir -p "$scratch/pm"
	# In an IPC namespace of its own: a checkpoint saves every SysV object
	# of the namespace (issue 12, F13), and one that an earlier scenario of
	# the boot left would make each restart fail on its id before the
	# refusal the cell expects.
	unshare --ipc "$workloads/privmodel" "$scratch/pm" "$scratch/privmodel-suid"
	# the module's own mode again, whatever became of the matrix
	chmod 0600 /dev/cpt
}
