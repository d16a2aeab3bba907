#!/bin/sh
# Runs in the guest: single-process checkpoint -> kill -> restart cycles,
# each workload checking its own state after the restart.
. "$(dirname "$0")/lib.sh"

cr_cycle cpu "$workloads/cpu_state" "$scratch/cpu.go"
