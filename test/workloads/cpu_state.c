// SPDX-License-Identifier: GPL-2.0
/*
 * Registers across checkpoint/restart: AVX registers that stay in the
 * registers the whole time (no libc call in between: raw syscalls only),
 * general registers, TLS through the FS base. It waits for GO_FILE to appear
 * (written after the restart), then checks. Usage: cpu_state GO_FILE
 */
#include <asm/prctl.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static __thread uint64_t tls_marker = 0x7715c0ffee000001ULL;

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile ("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
		      : "rcx", "r11", "memory");
	return ret;
}

/* Spins on access(GO_FILE) through raw syscalls, with ymm0..ymm15 loaded. */
static int avx_survives(const char *go_file, uint8_t out[16][32])
{
	static const struct timespec tick = { 0, 20 * 1000 * 1000 };
	uint8_t pattern[16][32];
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			pattern[i][j] = (uint8_t)(i * 37 + j * 11 + 1);
	asm volatile (
		"vmovdqu 0(%0), %%ymm0\n\t"   "vmovdqu 32(%0), %%ymm1\n\t"
		"vmovdqu 64(%0), %%ymm2\n\t"  "vmovdqu 96(%0), %%ymm3\n\t"
		"vmovdqu 128(%0), %%ymm4\n\t" "vmovdqu 160(%0), %%ymm5\n\t"
		"vmovdqu 192(%0), %%ymm6\n\t" "vmovdqu 224(%0), %%ymm7\n\t"
		"vmovdqu 256(%0), %%ymm8\n\t" "vmovdqu 288(%0), %%ymm9\n\t"
		"vmovdqu 320(%0), %%ymm10\n\t" "vmovdqu 352(%0), %%ymm11\n\t"
		"vmovdqu 384(%0), %%ymm12\n\t" "vmovdqu 416(%0), %%ymm13\n\t"
		"vmovdqu 448(%0), %%ymm14\n\t" "vmovdqu 480(%0), %%ymm15\n\t"
		: : "r"(pattern) : "memory");
	/* Only raw syscalls until the registers are read back. */
	raw_syscall3(SYS_write, 1, (long)"READY\n", 6);
	while (raw_syscall3(SYS_access, (long)go_file, F_OK, 0) != 0)
		raw_syscall3(SYS_nanosleep, (long)&tick, 0, 0);
	asm volatile (
		"vmovdqu %%ymm0, 0(%0)\n\t"   "vmovdqu %%ymm1, 32(%0)\n\t"
		"vmovdqu %%ymm2, 64(%0)\n\t"  "vmovdqu %%ymm3, 96(%0)\n\t"
		"vmovdqu %%ymm4, 128(%0)\n\t" "vmovdqu %%ymm5, 160(%0)\n\t"
		"vmovdqu %%ymm6, 192(%0)\n\t" "vmovdqu %%ymm7, 224(%0)\n\t"
		"vmovdqu %%ymm8, 256(%0)\n\t" "vmovdqu %%ymm9, 288(%0)\n\t"
		"vmovdqu %%ymm10, 320(%0)\n\t" "vmovdqu %%ymm11, 352(%0)\n\t"
		"vmovdqu %%ymm12, 384(%0)\n\t" "vmovdqu %%ymm13, 416(%0)\n\t"
		"vmovdqu %%ymm14, 448(%0)\n\t" "vmovdqu %%ymm15, 480(%0)\n\t"
		: : "r"(out) : "memory");
	return memcmp(pattern, out, sizeof(pattern)) == 0;
}

int main(int argc, char **argv)
{
	uint8_t ymm[16][32];
	unsigned long fs_base = 0;
	pid_t pid = getpid();

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	check("avx-registers", avx_survives(argv[1], ymm), "ymm0..15 after restart: ymm15[0]=%u", ymm[15][0]);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base);
	check("tls", tls_marker == 0x7715c0ffee000001ULL && fs_base != 0,
	      "TLS marker %#llx, FS base %#lx", (unsigned long long)tls_marker, fs_base);
	check("pid", getpid() == pid && syscall(SYS_getpid) == pid, "pid %d, was %d", getpid(), pid);
	return check_exit_status();
}
