# shellcheck shell=bash
# Shared by vm/provision and vm/run: where things live and which guest kernel.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$VM_DIR")
CACHE_DIR=${CPT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cptctl}
# The one place the guest kernel is chosen; CPT_GUEST_ABI overrides it.
PINNED_ABI=6.1.0-56
CHOSEN_ABI=${CPT_GUEST_ABI:-$PINNED_ABI}
# Written by provisioning when the chosen ABI is gone from the archive.
RESOLVED_ABI_FILE=$CACHE_DIR/resolved-abi/$CHOSEN_ABI

say() { printf 'cpt-vm: %s\n' "$*" >&2; }
die() { say "error: $*"; exit "${DIE_STATUS:-126}"; }

# The guest kernel ABI (e.g. 6.1.0-56) in use: the chosen one, or the
# fallback provisioning settled on for it.
guest_abi() {
	if [ -s "$RESOLVED_ABI_FILE" ]; then
		cat "$RESOLVED_ABI_FILE"
	else
		printf '%s\n' "$CHOSEN_ABI"
	fi
}

kernel_dir() { printf '%s/kernels/%s\n' "$CACHE_DIR" "$1"; }

# vm/build-debug-kernel's output: its source, build tree, vmlinux, initramfs.
debug_kernel_dir() { printf '%s/debug-kernel\n' "$CACHE_DIR"; }
