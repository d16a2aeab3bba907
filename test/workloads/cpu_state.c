// SPDX-License-Identifier: GPL-2.0
/*
 * Registers across checkpoint/restart: AVX and general registers that stay
 * in the registers the whole time (the wait is in assembly, raw syscalls
 * only), TLS through the FS base, and PKRU (protection keys' rights,
 * where the CPU has them). It waits for GO_FILE to appear (written after
 * the restart), then checks. Usage: cpu_state GO_FILE
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static __thread uint64_t tls_marker = 0x7715c0ffee000001ULL;

/* What the general registers hold across the checkpoint. */
static const uint64_t gp_pattern[5] = {
	0x1111222233334444ULL, 0x5555666677778888ULL, 0x9999aaaabbbbccccULL,
	0xddddeeeeffff0001ULL, 0x0123456789abcdefULL,
};

/*
 * Loads ymm0..ymm15 and rbx, r12..r15 with patterns, says READY, and spins
 * on access(GO_FILE) and nanosleep() in assembly, so that nothing but the
 * checkpoint and restart can touch those registers; then stores them.
 */
static void hold_registers(const char *go_file, uint8_t ymm[16][32],
			   uint64_t gp[5])
{
	static const struct timespec tick = { 0, 20 * 1000 * 1000 };
	static const char ready[] = "READY\n";
	uint8_t pattern[16][32];
	const struct timespec *tickp = &tick;
	const char *readyp = ready;
	const uint8_t *patp = &pattern[0][0];
	const uint64_t *gpatp = gp_pattern;
	uint8_t *ymmp = &ymm[0][0];
	uint64_t *gpp = gp;
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			pattern[i][j] = (uint8_t)(i * 37 + j * 11 + 1);
	asm volatile("mov %[pat], %%rdi\n\t"
		     "vmovdqu 0(%%rdi), %%ymm0\n\t"
		     "vmovdqu 32(%%rdi), %%ymm1\n\t"
		     "vmovdqu 64(%%rdi), %%ymm2\n\t"
		     "vmovdqu 96(%%rdi), %%ymm3\n\t"
		     "vmovdqu 128(%%rdi), %%ymm4\n\t"
		     "vmovdqu 160(%%rdi), %%ymm5\n\t"
		     "vmovdqu 192(%%rdi), %%ymm6\n\t"
		     "vmovdqu 224(%%rdi), %%ymm7\n\t"
		     "vmovdqu 256(%%rdi), %%ymm8\n\t"
		     "vmovdqu 288(%%rdi), %%ymm9\n\t"
		     "vmovdqu 320(%%rdi), %%ymm10\n\t"
		     "vmovdqu 352(%%rdi), %%ymm11\n\t"
		     "vmovdqu 384(%%rdi), %%ymm12\n\t"
		     "vmovdqu 416(%%rdi), %%ymm13\n\t"
		     "vmovdqu 448(%%rdi), %%ymm14\n\t"
		     "vmovdqu 480(%%rdi), %%ymm15\n\t"
		     "mov %[gpat], %%rdi\n\t"
		     "mov 0(%%rdi), %%rbx\n\t"
		     "mov 8(%%rdi), %%r12\n\t"
		     "mov 16(%%rdi), %%r13\n\t"
		     "mov 24(%%rdi), %%r14\n\t"
		     "mov 32(%%rdi), %%r15\n\t"
		     "mov $1, %%eax\n\t" /* write(1, "READY\n", 6) */
		     "mov $1, %%edi\n\t"
		     "mov %[ready], %%rsi\n\t"
		     "mov $6, %%edx\n\t"
		     "syscall\n"
		     "1:\n\t"
		     "mov $21, %%eax\n\t" /* access(go_file, F_OK) */
		     "mov %[go], %%rdi\n\t"
		     "xor %%esi, %%esi\n\t"
		     "syscall\n\t"
		     "test %%rax, %%rax\n\t"
		     "jz 2f\n\t"
		     "mov $35, %%eax\n\t" /* nanosleep(&tick, NULL) */
		     "mov %[tick], %%rdi\n\t"
		     "xor %%esi, %%esi\n\t"
		     "syscall\n\t"
		     "jmp 1b\n"
		     "2:\n\t"
		     "mov %[ymm], %%rdi\n\t"
		     "vmovdqu %%ymm0, 0(%%rdi)\n\t"
		     "vmovdqu %%ymm1, 32(%%rdi)\n\t"
		     "vmovdqu %%ymm2, 64(%%rdi)\n\t"
		     "vmovdqu %%ymm3, 96(%%rdi)\n\t"
		     "vmovdqu %%ymm4, 128(%%rdi)\n\t"
		     "vmovdqu %%ymm5, 160(%%rdi)\n\t"
		     "vmovdqu %%ymm6, 192(%%rdi)\n\t"
		     "vmovdqu %%ymm7, 224(%%rdi)\n\t"
		     "vmovdqu %%ymm8, 256(%%rdi)\n\t"
		     "vmovdqu %%ymm9, 288(%%rdi)\n\t"
		     "vmovdqu %%ymm10, 320(%%rdi)\n\t"
		     "vmovdqu %%ymm11, 352(%%rdi)\n\t"
		     "vmovdqu %%ymm12, 384(%%rdi)\n\t"
		     "vmovdqu %%ymm13, 416(%%rdi)\n\t"
		     "vmovdqu %%ymm14, 448(%%rdi)\n\t"
		     "vmovdqu %%ymm15, 480(%%rdi)\n\t"
		     "mov %[gp], %%rdi\n\t"
		     "mov %%rbx, 0(%%rdi)\n\t"
		     "mov %%r12, 8(%%rdi)\n\t"
		     "mov %%r13, 16(%%rdi)\n\t"
		     "mov %%r14, 24(%%rdi)\n\t"
		     "mov %%r15, 32(%%rdi)\n\t"
		     :
		     : [pat] "m"(patp), [gpat] "m"(gpatp), [ready] "m"(readyp),
		       [go] "m"(go_file), [tick] "m"(tickp), [ymm] "m"(ymmp),
		       [gp] "m"(gpp)
		     : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "rbx", "r12",
		       "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3",
		       "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

/*
 * PKRU as this process sets it: key 1 denied, every other key open. Not
 * the kernel's default for a new process (every key but 0 denied), which
 * a restoring process has.
 */
#define PKRU_HELD 0x0000000cU

/* Whether the kernel enabled protection keys (CPUID.7.0:ECX.OSPKE). */
static int has_ospke(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1U << 4));
}

static unsigned int rdpkru(void)
{
	unsigned int eax, edx;

	asm volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static void wrpkru(unsigned int pkru)
{
	asm volatile(".byte 0x0f, 0x01, 0xef" : : "a"(pkru), "c"(0), "d"(0));
}

static int avx_intact(const uint8_t ymm[16][32])
{
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			if (ymm[i][j] != (uint8_t)(i * 37 + j * 11 + 1))
				return 0;
	return 1;
}

int main(int argc, char **argv)
{
	uint8_t ymm[16][32];
	uint64_t gp[5];
	unsigned long fs_base = 0;
	pid_t pid = getpid();
	int pkeys = has_ospke();

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pkeys)
		wrpkru(PKRU_HELD);
	hold_registers(argv[1], ymm, gp);
	check("avx-registers", avx_intact(ymm),
	      "ymm0..15 after restart: ymm15[0]=%u", ymm[15][0]);
	check("gp-registers", !memcmp(gp, gp_pattern, sizeof(gp)),
	      "rbx %#llx, r12 %#llx, r13 %#llx, r14 %#llx, r15 %#llx",
	      (unsigned long long)gp[0], (unsigned long long)gp[1],
	      (unsigned long long)gp[2], (unsigned long long)gp[3],
	      (unsigned long long)gp[4]);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base);
	check("tls", tls_marker == 0x7715c0ffee000001ULL && fs_base != 0,
	      "TLS marker %#llx, FS base %#lx", (unsigned long long)tls_marker,
	      fs_base);
	if (pkeys)
		check("pkru", rdpkru() == PKRU_HELD, "PKRU %#x, set to %#x",
		      rdpkru(), PKRU_HELD);
	else
		check("pkru", 1,
		      "this CPU has no protection keys: no PKRU to compare");
	check("pid", getpid() == pid && syscall(SYS_getpid) == pid,
	      "pid %d, was %d", getpid(), pid);
	return check_exit_status();
}
