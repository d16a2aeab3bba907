// SPDX-License-Identifier: GPL-2.0
/*
 * Feeds mutants of a real image to restart, through the module's ioctls as
 * cptctl does, and counts how each ended. Every mutant must end in a clean
 * errno or in a restored process (killed at once); a kernel warning panics
 * the guest and fails the run. Half the mutants get their CRCs fixed, so
 * that they reach the decoders instead of the checksum.
 * Usage: mutate IMAGE PID COUNT SEED
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "check.h"
#include "files.h"
#include "image.h"
#include "restart.h"
#include "session.h"

#define RECORD_OVERHEAD (sizeof(struct cpt_record_header) + 4)

static uint8_t *image;
static size_t image_len;

/* Recomputes every record's CRC that the framing still lets us find. */
static void fix_crcs(uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off + RECORD_OVERHEAD <= len) {
		struct cpt_record_header hdr;
		uint32_t crc;

		memcpy(&hdr, buf + off, sizeof(hdr));
		if (hdr.length > len - off - RECORD_OVERHEAD)
			return;
		crc = ~crc32c(~0U, buf + off, sizeof(hdr) + hdr.length);
		memcpy(buf + off + sizeof(hdr) + hdr.length, &crc, 4);
		off += RECORD_OVERHEAD + hdr.length;
	}
}

/* Offsets of the records, to aim some mutations at headers. */
static size_t record_offsets(size_t *offs, size_t max)
{
	size_t off = 0, n = 0;

	while (off + RECORD_OVERHEAD <= image_len && n < max) {
		struct cpt_record_header hdr;

		memcpy(&hdr, image + off, sizeof(hdr));
		offs[n++] = off;
		off += RECORD_OVERHEAD + hdr.length;
	}
	return n;
}

/* The ways mutate() changes an image. */
enum {
	TRUNCATED,
	BIT_FLIPS,
	RECORD_LENGTH,
	RECORD_TYPE,
	ABSURD_VALUE,
	VARINT,
	MUTATION_KINDS
};
static const char *const mutation_names[MUTATION_KINDS] = {
	[TRUNCATED] = "truncated",	   [BIT_FLIPS] = "bit flips",
	[RECORD_LENGTH] = "record length", [RECORD_TYPE] = "record type",
	[ABSURD_VALUE] = "absurd value",   [VARINT] = "varint",
};

/* Changes the image in buf (its length in *len): the kind of change made. */
static int mutate(uint8_t *buf, size_t *len)
{
	static const uint64_t absurd[] = {
		0,
		1,
		0xfff,
		0x7ffffffff000ULL,
		0x800000000000ULL,
		~0ULL,
		1ULL << 63,
		0xffffffffULL,
		0x100000000ULL,
	};
	size_t offs[64], n = record_offsets(offs, 64), at;
	uint64_t value;
	int i, flips;

	switch (next_random() % MUTATION_KINDS) {
	case TRUNCATED:
		*len = next_random() % *len;
		return TRUNCATED;
	case BIT_FLIPS:
		flips = 1 + next_random() % 8;
		for (i = 0; i < flips; i++)
			buf[next_random() % *len] ^= 1 << (next_random() % 8);
		return BIT_FLIPS;
	case RECORD_LENGTH:
		at = offs[next_random() % n] +
		     offsetof(struct cpt_record_header, length);
		value = absurd[next_random() %
			       (sizeof(absurd) / sizeof(absurd[0]))];
		if (next_random() % 2)
			value = (next_random() % 4096) - 2048 +
				((struct cpt_record_header *)(buf + at - 8))
					->length;
		memcpy(buf + at, &value, 8);
		return RECORD_LENGTH;
	case RECORD_TYPE:
		at = offs[next_random() % n] +
		     offsetof(struct cpt_record_header, type);
		buf[at] = next_random() % 32;
		return RECORD_TYPE;
	case ABSURD_VALUE:
		value = absurd[next_random() %
			       (sizeof(absurd) / sizeof(absurd[0]))];
		at = next_random() % (*len - 8);
		memcpy(buf + at, &value, 8);
		return ABSURD_VALUE;
	default: /* VARINT */
		/* A varint's continuation bits flipped: absurd sizes and counts. */
		at = next_random() % *len;
		buf[at] |= 0x80;
		if (at + 1 < *len)
			buf[at + 1] = 0xff;
		return VARINT;
	}
}

struct child_report {
	int subsys;
	int err;
	char msg[CPT_MESSAGE_MAX];
};

static void restore_child(int dev, int report_fd)
{
	struct child_report rep;
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	rep.subsys = restart_steps(dev);
	rep.err = errno;
	session_message(dev, rep.msg, sizeof(rep.msg));
	if (rep.err == EPROTO)
		_exit(125); /* RESTORE(MM) returned success: it never should */
	if (write(report_fd, &rep, sizeof(rep)) < 0)
		_exit(126);
	_exit(127);
}

/* Counts outcomes by errno (0: the mutant restored). */
static unsigned int outcomes[256];
static unsigned int oddities;

/*
 * How each mutant ended: the step (restart's first ones, a RESTORE step by
 * its subsystem, FINALIZE, or restored), the errno, and the module's words
 * with their numbers left out ("bad AIO ring at #: not page-aligned"): a
 * new one is a check of the module that no earlier mutant reached. How
 * many there were, and the mutant that reached the last new one, say how
 * far into the count the mutants still find new checks (the default
 * suite's counts rest on it).
 */
enum { STAGE_BEGIN = 60, STAGE_CLONE, STAGE_FINALIZE, STAGE_RESTORED };
#define WAYS_MAX 4096
static uint64_t ways_seen[WAYS_MAX];
static unsigned int ways, last_new_way, mutant_number;

static void outcome(int stage, int err, const char *msg)
{
	uint64_t hash = 14695981039346656037ULL;
	int in_number = 0;
	unsigned int i;

	outcomes[err & 255]++;
	hash = (hash ^ (unsigned int)stage) * 1099511628211ULL;
	hash = (hash ^ (unsigned int)err) * 1099511628211ULL;
	for (; *msg; msg++) {
		int digit = (*msg >= '0' && *msg <= '9') ||
			    (in_number &&
			     ((*msg >= 'a' && *msg <= 'f') || *msg == 'x'));

		if (digit && in_number)
			continue;
		in_number = digit;
		hash = (hash ^ (unsigned char)(digit ? '#' : *msg)) *
		       1099511628211ULL;
	}
	for (i = 0; i < ways; i++)
		if (ways_seen[i] == hash)
			return;
	if (ways < WAYS_MAX)
		ways_seen[ways++] = hash;
	last_new_way = mutant_number;
}

static void try_image(const uint8_t *buf, size_t len, pid_t pid)
{
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	struct child_report rep;
	int dev, img, report[2], status;
	pid_t child;
	ssize_t n;

	img = memfd_create("mutant", MFD_CLOEXEC);
	if (img < 0 || write(img, buf, len) != (ssize_t)len ||
	    lseek(img, 0, SEEK_SET)) {
		oddities++;
		return;
	}
	dev = restart_begin_why(img, rep.msg, sizeof(rep.msg));
	if (dev < 0) {
		outcome(STAGE_BEGIN, errno, rep.msg);
		goto out;
	}
	if (pipe2(report, O_CLOEXEC) || restart_next_pid(dev, pid)) {
		oddities++;
		goto out;
	}
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		restore_child(dev, report[1]);
	close(report[1]);
	if (child < 0) {
		outcome(STAGE_CLONE, errno, "");
		close(report[0]);
		goto out;
	}
	n = read(report[0], &rep, sizeof(rep));
	close(report[0]);
	if (n == sizeof(rep)) {
		outcome(rep.subsys, rep.err, rep.msg);
	} else if (ioctl(dev, CPT_IOC_FINALIZE, &fin)) {
		char msg[CPT_MESSAGE_MAX];
		int err = errno;

		session_message(dev, msg, sizeof(msg));
		outcome(STAGE_FINALIZE, err, msg);
	} else {
		outcome(STAGE_RESTORED, 0, "");
		kill(child, SIGKILL);
	}
	close(dev);
	dev = -1;
	if (waitpid(child, &status, 0) != child)
		oddities++;
out:
	if (dev >= 0)
		close(dev);
	close(img);
}

int main(int argc, char **argv)
{
	/* How many mutants of each kind were tried, without and with their CRCs fixed. */
	unsigned int tried[MUTATION_KINDS][2] = { 0 };
	unsigned int count, i, k, restored, kinds_missed = 0;
	char missed[256] = "";
	uint8_t *mutant;
	struct stat st;
	pid_t pid;
	int fd;

	if (argc != 5)
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return 2;
	image_len = st.st_size;
	image = mmap(NULL, image_len, PROT_READ, MAP_PRIVATE, fd, 0);
	mutant = malloc(image_len);
	pid = atoi(argv[2]);
	count = atoi(argv[3]);
	rng = strtoull(argv[4], NULL, 0) | 1;
	if (image == MAP_FAILED || !mutant)
		return 2;

	try_image(image, image_len, pid);
	check("unmutated-restores", outcomes[0] == 1,
	      "the image itself restores (errno %d)", outcomes[0] ? 0 : -1);
	outcomes[0] = 0;
	for (i = 0; i < count; i++) {
		size_t len = image_len;

		mutant_number = i + 1;
		memcpy(mutant, image, image_len);
		k = mutate(mutant, &len);
		if (i % 2)
			fix_crcs(mutant, len);
		tried[k][i % 2]++;
		try_image(mutant, len, pid);
	}
	restored = outcomes[0];
	for (i = 1; i < 256; i++)
		if (outcomes[i])
			printf("mutants ending in %s: %u\n", strerrorname_np(i),
			       outcomes[i]);
	printf("mutants restored (and killed): %u\n", restored);
	printf("mutants ended %u ways (step, errno, the module's words), the last new one at mutant %u of %u\n",
	       ways, last_new_way, count);
	/* The count is the scenario's (mutate.ts): each one must be tried. */
	check("mutants", count > 0 && mutant_number == count,
	      "%u of %u mutants tried", mutant_number, count);
	/* A short count (the default suite's) must still try every kind, both ways. */
	for (k = 0; k < MUTATION_KINDS; k++) {
		if (tried[k][0] && tried[k][1])
			continue;
		kinds_missed++;
		snprintf(missed + strlen(missed),
			 sizeof(missed) - strlen(missed),
			 " %s (%u with bad CRCs, %u fixed)", mutation_names[k],
			 tried[k][0], tried[k][1]);
	}
	check("every-kind", kinds_missed == 0,
	      "%u of %u kinds of mutation not tried both with CRCs fixed and not:%s",
	      kinds_missed, MUTATION_KINDS, kinds_missed ? missed : " none");
	check("mutants-clean", oddities == 0,
	      "%u mutants ended oddly (no errno, a lost child)", oddities);
	return check_exit_status();
}
