#!/bin/sh
# Runs in the guest: kernel objects shared between the processes of a tree
# (open file descriptions, pipes with data in flight) and files no path
# reaches (deleted, memfd) through checkpoint -> kill -> restart, each
# workload checking itself after the restart.
. "$(dirname "$0")/lib.sh"

mkdir -p "$scratch/pipeline.d" "$scratch/shared.d"
CR_POKE="touch $scratch/pipeline.d/go" cr_cycle pipeline "$workloads/pipeline" "$scratch/pipeline.d"
CR_POKE="touch $scratch/shared.d/go" cr_cycle shared "$workloads/shared_fds" "$scratch/shared.d"
mkdir -p "$scratch/anon.d" "$scratch/unix.d" "$scratch/table.d"
CR_POKE="touch $scratch/table.d/go" cr_cycle table "$workloads/fd_table" "$scratch/table.d"

# A process whose fd table its parent, outside the checkpoint, shares is
# refused; the tree runs on and ends well.
mkdir -p "$scratch/outside.d"
out=$scratch/outside.out
pid=$(sh -c '"$@" >"$0" 2>&1 </dev/null & echo $!' "$out" "$workloads/fd_table" "$scratch/outside.d")
if wait_for_line "$out" READY; then
	sharer=$(tr ' ' '\n' <"/proc/$pid/task/$pid/children" | grep . | tail -n 1)
	"$cptctl" checkpoint "$sharer" -o "$scratch/outside.img" 2>"$scratch/outside.err"
	status=$?
	pass_if outside.refused "checkpoint of the sharer $sharer exited $status: $(tr '\n' ' ' <"$scratch/outside.err")" \
		grep -q "fd table is shared with a task outside the tree" "$scratch/outside.err"
	touch "$scratch/outside.d/go"
	wait_until test ! -d "/proc/$pid"
	pass_if outside.ran-on "the workload ended: $(grep -c PASS "$out") checks passed, $(grep -c FAIL "$out") failed" \
		sh -c '! grep -q FAIL "$0" && grep -q "RESULT private PASS" "$0"' "$out"
else
	result outside.ready FAIL "$(tr '\n' ' ' <"$out")"
fi
if "$cptctl" inspect "$scratch/table.img" >"$scratch/table.inspect" 2>&1; then
	pass_if inspect.fd-table "inspect shows: $(grep -m 1 'fd table of' "$scratch/table.inspect")" \
		grep -q 'process, fd table of [0-9]' "$scratch/table.inspect"
else
	result inspect.fd-table FAIL "$(tr '\n' ' ' <"$scratch/table.inspect")"
fi
CR_POKE="touch $scratch/anon.d/go" cr_cycle anon "$workloads/files_anon" "$scratch/anon.d"
CR_POKE="touch $scratch/unix.d/go" cr_cycle unix "$workloads/unix_pairs" "$scratch/unix.d"

# inspect shows the pipes of the pipeline's image, with the data they held.
if "$cptctl" inspect "$scratch/pipeline.img" >"$scratch/pipeline.inspect" 2>&1; then
	pass_if inspect.pipes "inspect shows: $(grep -m 2 'pipe [0-9]' "$scratch/pipeline.inspect" | tr '\n' '|')" \
		grep -q 'pipe [0-9]*, [0-9]* bytes, holding [1-9]' "$scratch/pipeline.inspect"
else
	result inspect.pipes FAIL "$(tr '\n' ' ' <"$scratch/pipeline.inspect")"
fi
