# shellcheck shell=sh
# A checkpoint reveals, and a restart grants, no more than its caller may
# read or get itself; a sandboxed process comes back sandboxed, or not at
# all. Unprivileged callers go through a 0666 /dev/cpt, as abort.sh's do.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# A directory of nobody's in the scenario's, for its images.
nobody_dir() {
	chmod 0711 "$scratch"
	mkdir -p "$scratch/nobody"
	chown nobody:nogroup "$scratch/nobody"
	echo "$scratch/nobody"
}

# The review's F4: a root-owned 0600 file, opened write-only by root,
# inherited by a nobody process, then unlinked. Its content is saved with a
# deleted file; nobody may not read it, so nobody's checkpoint must refuse
# by fd, and write the content nowhere. Root may read it: its checkpoint
# holds the content, which shows that the grep would have found it.
scenario_deleted_unreadable() {
	mine=$(nobody_dir)
	chmod 0666 /dev/cpt
	secret=$scratch/secret
	echo TOP-SECRET-F4 >"$secret"
	chmod 0600 "$secret"
	pid=$(sh -c 'exec 3>>"$0"; setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 1000 >/dev/null 2>&1 </dev/null & echo $!' "$secret")
	rm "$secret"
	as_nobody "$cptctl" checkpoint "$pid" -o "$mine/f4.img" 2>"$scratch/f4.err"
	status=$?
	leaked=$(grep -rla TOP-SECRET-F4 "$mine" 2>/dev/null)
	pass_if creds.deleted-unreadable-refused "nobody's checkpoint exited $status: $(tr '\n' ' ' <"$scratch/f4.err")" \
		[ "$status" -eq 4 ] && grep -q "fd 3: .*may not read" "$scratch/f4.err"
	pass_if creds.deleted-unreadable-not-saved "files holding the content: '$leaked'; target alive: $(test -d "/proc/$pid" && echo yes)" \
		[ -z "$leaked" ] && [ -d "/proc/$pid" ]
	"$cptctl" checkpoint "$pid" -o "$scratch/root-f4.img" 2>"$scratch/root-f4.err"
	status=$?
	pass_if creds.deleted-root-saved "root's checkpoint exited $status, content saved: $(grep -ca TOP-SECRET-F4 "$scratch/root-f4.img" 2>/dev/null): $(tr '\n' ' ' <"$scratch/root-f4.err")" \
		[ "$status" -eq 0 ] && grep -qa TOP-SECRET-F4 "$scratch/root-f4.img"
	kill "$pid"
	chmod 0600 /dev/cpt
}
