/* SPDX-License-Identifier: GPL-2.0 */
/* What the address space's save (cpt_mm_save.c) and restore (cpt_mm_restore.c) halves share. */
#ifndef CPT_MM_H
#define CPT_MM_H

#include <linux/mman.h>
#include <linux/types.h>

#include "cpt_pb.h"
#include "cpt_symbols.h"

struct cpt_session;
struct cpt_pb_buf;
struct file;
struct files_struct;
struct mm_struct;
struct task_struct;
struct vm_area_struct;

/*
 * Far above the kernel's default vm.max_map_count; bounds what a record
 * may make a restart allocate.
 */
#define CPT_MM_MAX_VMAS (256U * 1024)
/* Pages taken per get_user_pages*() call, and moved per image call. */
#define CPT_MM_GUP_BATCH 64U

#define CPT_MM_PROT (PROT_READ | PROT_WRITE | PROT_EXEC)
/* What madvise() sets on a VMA, and a restart gives back. */
#define CPT_MM_ADVICE (VM_HUGEPAGE | VM_NOHUGEPAGE | VM_DONTDUMP | VM_DONTCOPY |	\
		       VM_WIPEONFORK | VM_SEQ_READ | VM_RAND_READ)

/* The mm's facts: its code, data, brk, stack, argument and environment bounds. */
enum {
	CPT_MM_START_CODE, CPT_MM_END_CODE,
	CPT_MM_START_DATA, CPT_MM_END_DATA,
	CPT_MM_START_BRK, CPT_MM_BRK,
	CPT_MM_START_STACK,
	CPT_MM_ARG_START, CPT_MM_ARG_END,
	CPT_MM_ENV_START, CPT_MM_ENV_END,
	CPT_MM_NR_FACTS
};

/* Each fact's field of the Mm message. */
extern const u32 cpt_mm_fact_fields[CPT_MM_NR_FACTS];

/* Bounds that must come in order, as prctl(PR_SET_MM_MAP) wants them. */
#define CPT_MM_NR_FACT_PAIRS 5
extern const u8 cpt_mm_fact_pairs[CPT_MM_NR_FACT_PAIRS][2];

/*
 * [vdso] or [vvar] for this kernel's own mappings, 0 for a VMA that is not a
 * kernel special mapping, -EOPNOTSUPP for any other (uprobes' area...).
 */
int cpt_mm_special(struct vm_area_struct *vma, const char **name);

/*
 * Whether a file is what MAP_SHARED | MAP_ANONYMOUS memory is mapped from:
 * a kernel-internal shmem file named "dev/zero" (shmem_zero_setup()).
 */
bool cpt_mm_is_shared_anon(struct file *file);

/*
 * hugetlb memory (cpt_mm_save.c): the page size of a hugetlbfs file, 0 for
 * any other file; and whether a file is what MAP_HUGETLB | MAP_ANONYMOUS
 * memory is mapped from (hugetlb_file_setup(HUGETLB_ANON_FILE) on the
 * kernel's internal mount), unlike a hugetlbfs file with a name, a SysV
 * SHM_HUGETLB segment or a hugetlb memfd.
 */
unsigned long cpt_mm_huge_page_size(struct file *file);
bool cpt_mm_is_anon_hugetlb(struct file *file);

/* Whether a task other than the target's threads uses its mm (CLONE_VM). */
bool cpt_mm_shared_with_others(struct task_struct *task, struct mm_struct *mm);

/*
 * Shared anonymous memory by identity across the tree (cpt_mm_shmem.c).
 * cpt_mm_shmem_save(): a VMA's object id and size, refusing an object that
 * a process outside the tree maps. cpt_mm_shmem_save_pages(): calls fn for
 * each range of the VMA's page offsets that no earlier VMA saved.
 * cpt_mm_shmem_restore(): the object of an id, made by its first VMA; of
 * huge pages (MAP_HUGETLB) if huge_page_size is not 0.
 */
typedef int (*cpt_mm_shmem_pages_fn)(void *arg, unsigned long first, unsigned long last);
int cpt_mm_shmem_save(struct cpt_session *s, struct vm_area_struct *vma, u32 *id, u64 *size);
int cpt_mm_shmem_save_pages(struct cpt_session *s, struct vm_area_struct *vma,
			    cpt_mm_shmem_pages_fn fn, void *arg);
struct file *cpt_mm_shmem_restore(struct cpt_session *s, u32 id, u64 size,
				  unsigned long vm_flags, u64 huge_page_size);
/*
 * A MAP_HUGETLB object of size bytes and pages of huge_page_size, its pages
 * reserved unless vm_flags has VM_NORESERVE; not noted.
 */
struct file *cpt_mm_hugetlb_setup(u64 size, unsigned long vm_flags, u64 huge_page_size);

/* mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) in the current task. */
int cpt_mm_mremap(unsigned long from, unsigned long len, unsigned long to);

/*
 * AIO contexts and their rings (cpt_mm_aio.c). A checkpoint: whether a
 * VMA's file is an AIO ring, which cpt_mm_aio_save() adds to rings (an
 * AioRing), refusing by name a context with requests in flight;
 * cpt_mm_aio_save_done() refuses contexts without their ring. A restart:
 * cpt_mm_aio_decode() and cpt_mm_aio_check() (before anything changes),
 * cpt_mm_aio_reserve() keeps each saved range free, then with the tools of
 * cpt_mm_aio_prepare(), cpt_mm_aio_restore() makes each context again.
 */
struct cpt_mm_aio_ring {
	u64 start;
	u64 length;
	u32 max_reqs;
	u32 nr_events;
	u32 head;
	u32 tail;
	u32 nr_saved;			/* the unreaped completions */
	struct cpt_pb_field field;	/* the AioRing, in the record */
};

/* Between prepare and finish, the task is in an fd table of the module's own. */
struct cpt_mm_aio_tools {
	struct cpt_ubuf ub;		/* the context id, an iocb and pointers to it */
	struct files_struct *shared;	/* the task's fd table, given back by finish */
	bool own_fds;			/* entered: the iocb reads a pipe at an fd there */
};

/* Far above the kernel's default fs.aio-max-nr (65536) contexts. */
#define CPT_MM_MAX_AIO_RINGS (64U * 1024)

bool cpt_mm_is_aio_ring(struct file *file);
int cpt_mm_aio_save(struct task_struct *task, struct vm_area_struct *vma,
		    struct cpt_pb_buf *rings);
int cpt_mm_aio_save_done(struct task_struct *task, struct mm_struct *mm, unsigned int nr_saved);
int cpt_mm_aio_decode(const struct cpt_pb_field *rf, struct cpt_mm_aio_ring *ring);
int cpt_mm_aio_check(const struct cpt_mm_aio_ring *ring, u64 prev_end);
int cpt_mm_aio_check_current(void);
int cpt_mm_aio_reserve(const struct cpt_mm_aio_ring *ring);
int cpt_mm_aio_prepare(struct cpt_mm_aio_tools *tools);
void cpt_mm_aio_finish(struct cpt_mm_aio_tools *tools);
int cpt_mm_aio_restore(struct cpt_mm_aio_tools *tools, const struct cpt_mm_aio_ring *ring);

/*
 * cpt_mm_cow.c: the pages of a child's private anonymous memory that are
 * its parent's too (Vma.in_parent), compared while the child's mm is
 * scanned. At most CPT_MM_MAX_IN_PARENT_RUNS runs per Mm, which bounds
 * what they add to its record; the pages past them are only not marked.
 */
#define CPT_MM_MAX_IN_PARENT_RUNS (64U * 1024)
/* In pfns: a page the child does not map (an empty or swap PTE). */
#define CPT_MM_COW_NO_PAGE ULONG_MAX

struct cpt_mm_cow {
	struct mm_struct *parent_mm;		/* read-locked; NULL: nothing to compare */
	struct vm_area_struct *parent_vma;	/* of the VMA being scanned, or NULL */
	unsigned long *pfns;			/* the child's page frames of one PMD's span */
	struct cpt_pb_buf runs;			/* the VMA's in_parent fields so far */
	unsigned long run_start;		/* the run still growing */
	unsigned long run_pages;
	unsigned int nr_runs;			/* of the whole Mm */
	u64 nr_pages;
};

int cpt_mm_cow_begin(struct cpt_mm_cow *cow, struct cpt_session *s, struct mm_struct *mm);
void cpt_mm_cow_end(struct cpt_mm_cow *cow);
bool cpt_mm_cow_kind(struct vm_area_struct *vma, bool parent);
bool cpt_mm_cow_alike(struct vm_area_struct *vma, struct vm_area_struct *pvma);
void cpt_mm_cow_vma(struct cpt_mm_cow *cow, struct vm_area_struct *vma);
void cpt_mm_cow_compare(struct cpt_mm_cow *cow, unsigned long addr, unsigned int nr);
void cpt_mm_cow_vma_done(struct cpt_mm_cow *cow, struct cpt_pb_buf *vma_msg);

/*
 * cpt_mm_cow_restore.c: a restart maps a child's in_parent pages from its
 * restored parent again, shared copy-on-write as a fork left them, rather
 * than copying them in.
 */
struct cpt_record_io;

struct cpt_mm_page_run {
	u64 start;
	u64 nr_pages;
};

/* A saved VMA's in_parent runs, in order, and whether they are shared again. */
struct cpt_mm_cow_runs {
	struct cpt_mm_page_run *runs;
	u32 nr;
	u32 next;		/* the first run not wholly below the pages being read */
	u64 done;		/* the pages of runs[next] read up to here */
	bool shared;
};

/* Pages read from the image at a time for a comparison with the parent's. */
#define CPT_MM_COW_BATCH 16U

int cpt_mm_cow_decode(const struct cpt_pb_field *vma_field, struct cpt_mm_cow_runs *cr);
int cpt_mm_cow_check(const struct cpt_mm_cow_runs *cr, u64 start, u64 end);
int cpt_mm_cow_share(struct cpt_session *s, struct cpt_mm_cow_runs *cr, unsigned long start,
		     unsigned long end);
int cpt_mm_cow_in_parent(struct cpt_mm_cow_runs *cr, unsigned long addr, u64 *nr);
int cpt_mm_cow_all_read(const struct cpt_mm_cow_runs *cr);
int cpt_mm_cow_read(struct cpt_record_io *io, unsigned long addr, unsigned int nr,
		    struct page **bounce);

#endif /* CPT_MM_H */
