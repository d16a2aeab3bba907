# shellcheck shell=sh
# The compat layer's checks at load: the module loads with every check
# passed and says so in sysfs; each check, forced to fail with
# compat_fail=NAME (alone, or among others: one load forces many, each
# named in its own line), refuses the load with a message that names it,
# and cptctl check then shows that message. The driver loads the module
# again after the scenario.
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
	cptctl_in "$scratch/check.json" /dev/stderr check --json
	text_of check_json "$scratch/check.json"
	echo "CHECK-JSON $check_json"
	rmmod cpt

	# One check forced alone refuses the load: the first and the last.
	names=$(echo "$checks" | cut -d' ' -f1)
	for end in first last; do
		name=$(echo "$names" | sed -n "$([ $end = first ] && echo 1p || echo '$p')")
		dmesg -C
		if insmod "$ko" compat_fail="$name" 2>/dev/null; then
			result "compat.alone-$end" FAIL "loaded although compat_fail=$name"
			rmmod cpt
			continue
		fi
		line=$(dmesg | grep "cpt: compat check $name failed: forced by compat_fail=$name")
		[ -n "$line" ] && [ "$(dmesg | grep -c 'cpt: compat check .* failed')" -eq 1 ] && unloaded
		verdict "alone-$end" $? "compat_fail=$name refused: $line"
	done

	# Every check forced in a few loads (a module parameter holds at most
	# 1,024 bytes): each load is refused, each check named in a line of its
	# own, and the load's last line counts them all.
	forced_load() {
		dmesg -C
		if insmod "$ko" compat_fail="$(echo "$@" | tr ' ' ,)" 2>/dev/null; then
			for name in "$@"; do result "compat.forced-$name" FAIL "loaded although compat_fail named it"; done
			rmmod cpt
			return
		fi
		log=$(dmesg | grep 'cpt:')
		counted=$(echo "$log" | grep -c "cpt: load refused: $# compat checks forced to fail")
		for name in "$@"; do
			line=$(echo "$log" | grep "cpt: compat check $name failed: forced by compat_fail=$name")
			[ -n "$line" ] && [ "$counted" -eq 1 ] && unloaded
			verdict "forced-$name" $? "refused with $# forced ($counted summary line): $line"
		done
	}
	# shellcheck disable=SC2086 # the names, one argument each
	set -- $names
	while [ $# -gt 0 ]; do
		chunk= n=0
		while [ $# -gt 0 ] && [ $n -lt 20 ]; do
			chunk="$chunk $1" n=$((n + 1))
			shift
		done
		# shellcheck disable=SC2086
		forced_load $chunk
	done

	dmesg -C
	insmod "$ko" compat_fail=release,no_such_check 2>/dev/null
	status=$?
	line=$(dmesg | grep 'cpt: compat_fail=no_such_check names no compat check')
	[ $status -ne 0 ] && [ -n "$line" ] && unloaded
	verdict unknown-name-refused $? "insmod exit $status: $line"

	# After a refused load, cptctl check fails and shows the kernel's reason.
	dmesg -C
	insmod "$ko" compat_fail=syscalls 2>/dev/null
	cptctl_in "$scratch/check.out" "$scratch/check.out" check
	status=$?
	sed 's/^/CHECK-TEXT /' "$scratch/check.out"
	[ $status -ne 0 ] && grep -q 'compat check syscalls failed: forced by compat_fail=syscalls' "$scratch/check.out" &&
		grep -q dmesg "$scratch/check.out"
	verdict check-shows-refusal $? "cptctl check exit $status"

	# Refusals leave nothing behind: a normal load still works.
	insmod "$ko" && [ -c /dev/cpt ] && rmmod cpt
	verdict reload-after-refusals $? "insmod, /dev/cpt, rmmod after the refusals"
}
