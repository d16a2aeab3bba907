# shellcheck shell=sh
# The compat layer's checks at load: the module loads with every check
# passed and says so in sysfs; each check, forced to fail with
# compat_fail=NAME, refuses the load with a message that names it, and
# cptctl check then shows that message. The driver loads the module again
# after the scenario.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

ko=$cpt_ko
params=/sys/module/cpt/parameters
verdict() { if [ "$2" -eq 0 ]; then result "compat.$1" PASS "$3"; else result "compat.$1" FAIL "$3"; fi; }
unloaded() { [ ! -d /sys/module/cpt ] && [ ! -e /dev/cpt ]; }

scenario_compat_checks() {
	if ! rmmod cpt; then
		result compat.load FAIL "the module could not be unloaded to begin"
		return
	fi

	dmesg -C
	insmod "$ko"
	verdict load $? "insmod without compat_fail: $(dmesg | grep 'cpt:' | tr '\n' ' ')"
	checks=$(cat $params/compat_checks 2>/dev/null)
	echo "$checks" | sed 's/^/COMPAT-CHECK /'
	[ -n "$checks" ] && ! echo "$checks" | grep -qv ' ok$'
	verdict all-ok $? "compat_checks: $(echo "$checks" | tr '\n' ',')"
	built=$(cat $params/compat_built_for 2>/dev/null)
	[ "$built" = "$(uname -r)" ]
	verdict built-for $? "compat_built_for '$built', running $(uname -r)"
	echo "CHECK-JSON $("$cptctl" check --json | tr -d '\n')"
	rmmod cpt

	for name in $(echo "$checks" | cut -d' ' -f1); do
		dmesg -C
		if insmod "$ko" compat_fail="$name" 2>/dev/null; then
			result "compat.forced-$name" FAIL "loaded although compat_fail=$name"
			rmmod cpt
			continue
		fi
		line=$(dmesg | grep "cpt: compat check $name failed: forced by compat_fail=$name")
		[ -n "$line" ] && unloaded
		verdict "forced-$name" $? "refused: $line"
	done

	dmesg -C
	insmod "$ko" compat_fail=no_such_check 2>/dev/null
	status=$?
	line=$(dmesg | grep 'cpt: compat_fail=no_such_check names no compat check')
	[ $status -ne 0 ] && [ -n "$line" ] && unloaded
	verdict unknown-name-refused $? "insmod exit $status: $line"

	# After a refused load, cptctl check fails and shows the kernel's reason.
	dmesg -C
	insmod "$ko" compat_fail=syscalls 2>/dev/null
	out=$("$cptctl" check 2>&1)
	status=$?
	echo "$out" | sed 's/^/CHECK-TEXT /'
	[ $status -ne 0 ] && echo "$out" | grep -q 'compat check syscalls failed: forced by compat_fail=syscalls' &&
		echo "$out" | grep -q dmesg
	verdict check-shows-refusal $? "cptctl check exit $status"

	# Refusals leave nothing behind: a normal load still works.
	insmod "$ko" && [ -c /dev/cpt ] && rmmod cpt
	verdict reload-after-refusals $? "insmod, /dev/cpt, rmmod after the refusals"
}
