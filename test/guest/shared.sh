#!/bin/sh
# Runs in the guest: kernel objects shared between the processes of a tree
# (open file descriptions, pipes with data in flight) and files no path
# reaches (deleted, memfd) through checkpoint -> kill -> restart, each
# workload checking itself after the restart.
. "$(dirname "$0")/lib.sh"

mkdir -p "$scratch/pipeline.d" "$scratch/shared.d"
CR_POKE="touch $scratch/pipeline.d/go" cr_cycle pipeline "$workloads/pipeline" "$scratch/pipeline.d"
CR_POKE="touch $scratch/shared.d/go" cr_cycle shared "$workloads/shared_fds" "$scratch/shared.d"
mkdir -p "$scratch/anon.d" "$scratch/unix.d"
CR_POKE="touch $scratch/anon.d/go" cr_cycle anon "$workloads/files_anon" "$scratch/anon.d"
CR_POKE="touch $scratch/unix.d/go" cr_cycle unix "$workloads/unix_pairs" "$scratch/unix.d"

# inspect shows the pipes of the pipeline's image, with the data they held.
if "$cptctl" inspect "$scratch/pipeline.img" >"$scratch/pipeline.inspect" 2>&1; then
	pass_if inspect.pipes "inspect shows: $(grep -m 2 'pipe [0-9]' "$scratch/pipeline.inspect" | tr '\n' '|')" \
		grep -q 'pipe [0-9]*, [0-9]* bytes, holding [1-9]' "$scratch/pipeline.inspect"
else
	result inspect.pipes FAIL "$(tr '\n' ' ' <"$scratch/pipeline.inspect")"
fi
