#!/bin/sh
# Runs in the guest (vm/run): every foundation check in one boot. Each check
# prints "RESULT <name> PASS|FAIL <detail>"; the ava test reads them.
cd "$(dirname "$0")/../.." || exit 1
workloads=test/workloads/build

result() { echo "RESULT $1 $2 $3"; }

bin/cptctl check --json >/tmp/check.json
result cptctl-check-status "$([ $? -eq 0 ] && echo PASS || echo FAIL)" "exit status of cptctl check --json"
echo "CHECK-JSON $(tr -d '\n' </tmp/check.json)"

$workloads/handshake_rules

# Unloading after use must succeed; while a file is open it must not.
exec 3<>/dev/cpt
if rmmod cpt 2>/dev/null; then
	result rmmod-refused-while-open FAIL "rmmod succeeded with /dev/cpt open"
	insmod kmod/cpt.ko
else
	result rmmod-refused-while-open PASS "rmmod refused while /dev/cpt is open"
fi
exec 3>&-
if rmmod cpt && [ ! -e /dev/cpt ] && [ ! -d /sys/module/cpt ]; then
	result rmmod-after-use PASS "unloaded, /dev/cpt gone"
else
	result rmmod-after-use FAIL "rmmod failed or left /dev/cpt behind"
fi
if insmod kmod/cpt.ko && [ -c /dev/cpt ] && $workloads/handshake_rules >/dev/null && rmmod cpt; then
	result reload-cycle PASS "loaded, used and unloaded again"
else
	result reload-cycle FAIL "second load/use/unload cycle failed"
fi
