// SPDX-License-Identifier: GPL-2.0
/*
 * The address space, restored (cpt_mm_save.c saves it). A restart runs in
 * the restoring task itself. It checks the whole record and opens every
 * mapped file before it touches anything, so that a refusal leaves the
 * task as it was. Then the task's own address space goes: the vDSO and
 * vvar this kernel gave it move to the saved addresses, everything else is
 * unmapped, the saved VMAs are mapped again and the pages copied in.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/hugetlb_inline.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/pgtable.h>
#include <linux/pkeys.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/swapops.h>
#include <linux/userfaultfd_k.h>
#include <linux/xarray.h>

#include "cpt_compat.h"
#include "cpt_mm.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

/* A saved VMA, as decoded; path points into the record, without a NUL. */
struct cpt_mm_vma {
	u64 start;
	u64 end;
	u64 pgoff;
	u64 vm_flags;
	u32 prot;
	u32 flags;
	u32 kind;
	u32 shm_id;		/* SYSV_SHM */
	u32 shmem_id;		/* SHMEM */
	u64 shmem_size;
	u64 huge_page_size;	/* hugetlb memory */
	u32 path_len;
	const char *path;
	struct cpt_opener opener;	/* FILE: who opened it */
	int open_flags;
	struct file *file;
	struct cpt_pb_field rec;	/* the Vma message itself, for its in_parent runs */
	struct cpt_mm_cow_runs cow;
};

/* The current task's vvar and vDSO. */
struct cpt_mm_specials {
	unsigned long vvar;
	unsigned long vvar_end;
	unsigned long vdso;
	unsigned long vdso_end;
};

/* A restart's working state. */
struct cpt_mm_restore {
	struct cpt_mm_vma *vmas;
	unsigned int nr_vmas;
	unsigned int vdso;		/* indices in vmas */
	unsigned int vvar;
	u64 facts[CPT_MM_NR_FACTS];
	unsigned long auxv[AT_VECTOR_SIZE];
	unsigned int auxv_len;
	const char *exe;
	u32 exe_len;
	struct cpt_opener exe_opener;
	struct file *exe_file;
	u64 nr_pages;
	u32 mlockall;			/* MCL_FUTURE, MCL_ONFAULT */
	u32 membarrier;			/* MEMBARRIER_CMD_REGISTER_* */
	struct cpt_mm_specials cur;
	struct cpt_mm_aio_ring *aio_rings;
	unsigned int nr_aio_rings;
	char *path;			/* PATH_MAX bytes */
	struct page **pages;		/* CPT_MM_GUP_BATCH entries */
	u32 nr_in_parent_runs;		/* all VMAs' */
	struct page *bounce[CPT_MM_COW_BATCH];	/* in_parent pages, read to compare */
};

static int cpt_mm_bad(const char *what)
{
	cpt_note("image: bad address space record: %s\n", what);
	return -EBADMSG;
}

static int cpt_mm_bad_vma(const struct cpt_mm_vma *v, const char *what)
{
	cpt_note("image: bad VMA %#llx-%#llx: %s\n", v->start, v->end, what);
	return -EBADMSG;
}

/* An absolute path, without NULs; an empty one is no path. */
static int cpt_mm_get_path(const struct cpt_pb_field *f, const char **path, u32 *len)
{
	if (f->wire != CPT_PB_BYTES || f->len >= PATH_MAX)
		return -EBADMSG;
	if (f->len && (f->data[0] != '/' || memchr(f->data, 0, f->len)))
		return -EBADMSG;
	*path = f->len ? (const char *)f->data : NULL;
	*len = f->len;
	return 0;
}

static int cpt_mm_decode_vma(const struct cpt_pb_field *vf, struct cpt_mm_vma *v)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	v->rec = *vf;
	cpt_pb_for_each_subfield(&r, vf, &f) {
		switch (f.num) {
		case CPT_PB_VMA_IN_PARENT:
			/* Decoded once counted: cpt_mm_decode_in_parent() */
			if (++v->cow.nr > CPT_MM_MAX_IN_PARENT_RUNS)
				cpt_pb_fail(&r, -EBADMSG);
			break;
		case CPT_PB_VMA_START:
			cpt_pb_read_u64(&r, &f, &v->start);
			break;
		case CPT_PB_VMA_END:
			cpt_pb_read_u64(&r, &f, &v->end);
			break;
		case CPT_PB_VMA_PROT:
			cpt_pb_read_u32(&r, &f, &v->prot);
			break;
		case CPT_PB_VMA_FLAGS:
			cpt_pb_read_u32(&r, &f, &v->flags);
			break;
		case CPT_PB_VMA_PGOFF:
			cpt_pb_read_u64(&r, &f, &v->pgoff);
			break;
		case CPT_PB_VMA_PATH:
			cpt_pb_fail(&r, cpt_mm_get_path(&f, &v->path, &v->path_len));
			break;
		case CPT_PB_VMA_KIND:
			cpt_pb_read_u32(&r, &f, &v->kind);
			break;
		case CPT_PB_VMA_VM_FLAGS:
			cpt_pb_read_u64(&r, &f, &v->vm_flags);
			break;
		case CPT_PB_VMA_SYSV_SHM_ID:
			cpt_pb_read_u32(&r, &f, &v->shm_id);
			break;
		case CPT_PB_VMA_SHMEM_ID:
			cpt_pb_read_u32(&r, &f, &v->shmem_id);
			break;
		case CPT_PB_VMA_SHMEM_SIZE:
			cpt_pb_read_u64(&r, &f, &v->shmem_size);
			break;
		case CPT_PB_VMA_HUGE_PAGE_SIZE:
			cpt_pb_read_u64(&r, &f, &v->huge_page_size);
			break;
		case CPT_PB_VMA_OPENER:
			cpt_pb_fail(&r, cpt_opener_decode(&v->opener, &f));
			break;
		default:	/* a newer writer's field */
			break;
		}
	}
	return cpt_pb_end(&r);
}

static int cpt_mm_decode_fact(struct cpt_mm_restore *rs, const struct cpt_pb_field *f)
{
	unsigned int i;

	for (i = 0; i < CPT_MM_NR_FACTS; i++)
		if (f->num == cpt_mm_fact_fields[i])
			return cpt_pb_get_u64(f, &rs->facts[i]);
	return 0;	/* a newer writer's field */
}

static int cpt_mm_decode(struct cpt_mm_restore *rs, const void *data, size_t len)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int nr = 0, nr_aio = 0;
	u64 word;

	cpt_pb_for_each_field(&r, data, len, &f) {
		if (f.num == CPT_PB_MM_VMAS && ++nr > CPT_MM_MAX_VMAS)
			return cpt_mm_bad("too many VMAs");
		if (f.num == CPT_PB_MM_AIO_RINGS && ++nr_aio > CPT_MM_MAX_AIO_RINGS)
			return cpt_mm_bad("too many AIO rings");
	}
	if (cpt_pb_end(&r))
		return cpt_mm_bad("malformed");
	rs->vmas = kvcalloc(max(nr, 1U), sizeof(*rs->vmas), GFP_KERNEL_ACCOUNT);
	if (!rs->vmas)
		return -ENOMEM;
	if (nr_aio) {
		rs->aio_rings = kvcalloc(nr_aio, sizeof(*rs->aio_rings), GFP_KERNEL_ACCOUNT);
		if (!rs->aio_rings)
			return -ENOMEM;
	}

	cpt_pb_for_each_field(&r, data, len, &f) {
		switch (f.num) {
		case CPT_PB_MM_VMAS:
			/* Counted above: the array has room for every one. */
			cpt_pb_fail(&r, cpt_mm_decode_vma(&f, &rs->vmas[rs->nr_vmas++]));
			break;
		case CPT_PB_MM_AUXV:
			if (rs->auxv_len == AT_VECTOR_SIZE)
				return cpt_mm_bad("auxv too long");
			if (cpt_pb_read_u64(&r, &f, &word))
				rs->auxv[rs->auxv_len++] = word;
			break;
		case CPT_PB_MM_EXE:
			cpt_pb_fail(&r, cpt_mm_get_path(&f, &rs->exe, &rs->exe_len));
			break;
		case CPT_PB_MM_EXE_OPENER:
			cpt_pb_fail(&r, cpt_opener_decode(&rs->exe_opener, &f));
			break;
		case CPT_PB_MM_NR_PAGES:
			cpt_pb_read_u64(&r, &f, &rs->nr_pages);
			break;
		case CPT_PB_MM_MLOCKALL:
			cpt_pb_read_u32(&r, &f, &rs->mlockall);
			break;
		case CPT_PB_MM_MEMBARRIER:
			cpt_pb_read_u32(&r, &f, &rs->membarrier);
			break;
		case CPT_PB_MM_AIO_RINGS:
			/* Counted above too. */
			cpt_pb_fail(&r, cpt_mm_aio_decode(&f, &rs->aio_rings[rs->nr_aio_rings++]));
			break;
		default:
			cpt_pb_fail(&r, cpt_mm_decode_fact(rs, &f));
		}
	}
	return cpt_pb_end(&r) ? cpt_mm_bad("malformed") : 0;
}

/* Every VMA's in_parent runs, no more than a checkpoint writes in all. */
static int cpt_mm_decode_in_parent(struct cpt_mm_restore *rs)
{
	struct cpt_mm_vma *v;
	unsigned int i;
	int ret;

	for (i = 0; i < rs->nr_vmas; i++) {
		v = &rs->vmas[i];
		if (!v->cow.nr)
			continue;
		rs->nr_in_parent_runs += v->cow.nr;
		if (rs->nr_in_parent_runs > CPT_MM_MAX_IN_PARENT_RUNS)
			return cpt_mm_bad("too many in_parent runs");
		ret = cpt_mm_cow_decode(&v->rec, &v->cow);
		if (ret)
			return ret == -EBADMSG ? cpt_mm_bad("malformed in_parent run") : ret;
	}
	for (i = 0; rs->nr_in_parent_runs && i < CPT_MM_COW_BATCH; i++) {
		rs->bounce[i] = alloc_page(GFP_KERNEL);
		if (!rs->bounce[i])
			return -ENOMEM;
	}
	return 0;
}

/* Whether the image may carry pages for a VMA. */
static bool cpt_mm_vma_has_data(const struct cpt_mm_vma *v)
{
	switch (v->kind) {
	case CPT_PB_VMA_KIND_ANON:
	case CPT_PB_VMA_KIND_HEAP:
	case CPT_PB_VMA_KIND_STACK:
	case CPT_PB_VMA_KIND_SHMEM:
		return true;
	case CPT_PB_VMA_KIND_FILE:
		return !(v->flags & MAP_SHARED);
	default:
		return false;
	}
}

/*
 * hugetlb memory: pages of a size this architecture has (whether this
 * kernel has them is for hugetlb_file_setup() and the mapped file to say),
 * the VMA and its offset aligned to them, of a kind that can be hugetlb.
 */
static int cpt_mm_check_hugetlb_vma(const struct cpt_mm_vma *v)
{
	const u64 size = v->huge_page_size;

	if (size != PMD_SIZE && size != PUD_SIZE)
		return cpt_mm_bad_vma(v, "a huge page size other than 2 MiB or 1 GiB");
	if (v->pgoff > TASK_SIZE >> PAGE_SHIFT ||
	    !IS_ALIGNED(v->start | v->end | (v->pgoff << PAGE_SHIFT), size))
		return cpt_mm_bad_vma(v, "hugetlb memory not aligned to its pages");
	if (v->flags & MAP_GROWSDOWN)
		return cpt_mm_bad_vma(v, "hugetlb memory that grows down");
	switch (v->kind) {
	case CPT_PB_VMA_KIND_SHMEM:
		if (!IS_ALIGNED(v->shmem_size, size))
			return cpt_mm_bad_vma(v, "a hugetlb object not a multiple of its pages");
		return 0;
	case CPT_PB_VMA_KIND_ANON:
	case CPT_PB_VMA_KIND_FILE:
	case CPT_PB_VMA_KIND_SYSV_SHM:
		return 0;
	default:
		return cpt_mm_bad_vma(v, "hugetlb memory of a kind that has none");
	}
}

static int cpt_mm_check_vma(const struct cpt_mm_vma *v, u64 prev_end)
{
	u32 type = v->flags & (MAP_SHARED | MAP_PRIVATE);
	bool is_file = v->kind == CPT_PB_VMA_KIND_FILE;
	int ret;

	if (!PAGE_ALIGNED(v->start) || !PAGE_ALIGNED(v->end) || v->start >= v->end)
		return cpt_mm_bad_vma(v, "not page-aligned or empty");
	if (v->start < prev_end || v->end > TASK_SIZE)
		return cpt_mm_bad_vma(v, "out of order, overlapping or out of range");
	if (v->prot & ~CPT_MM_PROT)
		return cpt_mm_bad_vma(v, "unknown protection bits");
	if ((v->flags & ~(MAP_SHARED | MAP_PRIVATE | MAP_GROWSDOWN)) ||
	    (type != MAP_SHARED && type != MAP_PRIVATE))
		return cpt_mm_bad_vma(v, "unknown mapping flags");
	if (v->kind > CPT_PB_VMA_KIND_SYSV_SHM)
		return cpt_mm_bad_vma(v, "unknown kind");
	if (!v->path == is_file)
		return cpt_mm_bad_vma(v, "a path only a file mapping has, or lacks");
	if ((v->flags & MAP_GROWSDOWN) && v->kind != CPT_PB_VMA_KIND_ANON &&
	    v->kind != CPT_PB_VMA_KIND_STACK)
		return cpt_mm_bad_vma(v, "only anonymous memory grows down");
	if ((v->vm_flags & VM_HUGEPAGE) && (v->vm_flags & VM_NOHUGEPAGE))
		return cpt_mm_bad_vma(v, "both MADV_HUGEPAGE and MADV_NOHUGEPAGE");
	if ((v->vm_flags & VM_LOCKONFAULT) && !(v->vm_flags & VM_LOCKED))
		return cpt_mm_bad_vma(v, "locked on fault but not locked");
	/* As madvise(MADV_WIPEONFORK) allows it: MAP_HUGETLB memory is a file's. */
	if ((v->vm_flags & VM_WIPEONFORK) && (type != MAP_PRIVATE || is_file || v->huge_page_size))
		return cpt_mm_bad_vma(v, "MADV_WIPEONFORK on memory other than private anonymous");
	if (v->huge_page_size) {
		ret = cpt_mm_check_hugetlb_vma(v);
		if (ret)
			return ret;
	}
	if (v->cow.nr) {
		if (v->huge_page_size || (v->kind != CPT_PB_VMA_KIND_ANON &&
					  v->kind != CPT_PB_VMA_KIND_HEAP &&
					  v->kind != CPT_PB_VMA_KIND_STACK))
			return cpt_mm_bad_vma(v, "in_parent pages in other than anonymous memory");
		ret = cpt_mm_cow_check(&v->cow, v->start, v->end);
		if (ret)
			return ret;
	}

	switch (v->kind) {
	case CPT_PB_VMA_KIND_FILE:
		if (v->pgoff > (ULONG_MAX >> PAGE_SHIFT) - ((v->end - v->start) >> PAGE_SHIFT))
			return cpt_mm_bad_vma(v, "file offset out of range");
		return 0;
	case CPT_PB_VMA_KIND_SHMEM:
		/* Its object was made by mmap(): no bigger than an address space. */
		if (type != MAP_SHARED || !v->shmem_id || !v->shmem_size ||
		    !PAGE_ALIGNED(v->shmem_size) || v->shmem_size > TASK_SIZE ||
		    v->pgoff > (ULONG_MAX >> PAGE_SHIFT) - ((v->end - v->start) >> PAGE_SHIFT))
			return cpt_mm_bad_vma(v, "shared memory not shared, or of no object");
		return 0;
	case CPT_PB_VMA_KIND_SYSV_SHM:
		if (type != MAP_SHARED || v->shm_id > INT_MAX ||
		    v->pgoff > (ULONG_MAX >> PAGE_SHIFT) - ((v->end - v->start) >> PAGE_SHIFT))
			return cpt_mm_bad_vma(v, "a SysV attachment not shared, or out of range");
		return 0;
	case CPT_PB_VMA_KIND_ANON:
	case CPT_PB_VMA_KIND_HEAP:
	case CPT_PB_VMA_KIND_STACK:
	case CPT_PB_VMA_KIND_VDSO:
	case CPT_PB_VMA_KIND_VVAR:
		return type == MAP_PRIVATE ? 0 : cpt_mm_bad_vma(v, "shared private memory");
	default:
		return cpt_mm_bad_vma(v, "unknown kind");
	}
}

/* AIO rings in order, where no VMA is: a restart maps them there. */
static int cpt_mm_check_aio_rings(const struct cpt_mm_restore *rs)
{
	const struct cpt_mm_aio_ring *ring;
	unsigned int i, vi = 0;
	u64 prev_end = 0;
	int ret;

	for (i = 0; i < rs->nr_aio_rings; i++) {
		ring = &rs->aio_rings[i];
		ret = cpt_mm_aio_check(ring, prev_end);
		if (ret)
			return ret;
		prev_end = ring->start + ring->length;
		while (vi < rs->nr_vmas && rs->vmas[vi].end <= ring->start)
			vi++;
		if (vi < rs->nr_vmas && rs->vmas[vi].start < prev_end) {
			cpt_note("image: the AIO ring at %#llx overlaps a VMA\n", ring->start);
			return -EBADMSG;
		}
	}
	return 0;
}

/* Everything in the record, checked before anything changes. */
static int cpt_mm_check(struct cpt_mm_restore *rs)
{
	unsigned int i, nr_vdso = 0, nr_vvar = 0;
	u64 prev_end = 0, data_pages = 0;
	const struct cpt_mm_vma *v;
	int ret;

	for (i = 0; i < rs->nr_vmas; i++) {
		v = &rs->vmas[i];
		ret = cpt_mm_check_vma(v, prev_end);
		if (ret)
			return ret;
		prev_end = v->end;
		if (cpt_mm_vma_has_data(v))
			data_pages += (v->end - v->start) >> PAGE_SHIFT;
		if (v->kind == CPT_PB_VMA_KIND_VDSO) {
			rs->vdso = i;
			nr_vdso++;
		}
		if (v->kind == CPT_PB_VMA_KIND_VVAR) {
			rs->vvar = i;
			nr_vvar++;
		}
	}
	if (nr_vdso != 1 || nr_vvar != 1)
		return cpt_mm_bad("not exactly one vDSO and one vvar");
	ret = cpt_mm_check_aio_rings(rs);
	if (ret)
		return ret;
	if (rs->nr_pages > data_pages)
		return cpt_mm_bad("more pages than the VMAs may hold");

	for (i = 0; i < CPT_MM_NR_FACTS; i++)
		if (rs->facts[i] < PAGE_SIZE || rs->facts[i] >= TASK_SIZE)
			return cpt_mm_bad("an mm bound out of range");
	for (i = 0; i < ARRAY_SIZE(cpt_mm_fact_pairs); i++)
		if (rs->facts[cpt_mm_fact_pairs[i][0]] > rs->facts[cpt_mm_fact_pairs[i][1]])
			return cpt_mm_bad("mm bounds out of order");
	if (rs->auxv_len % 2 || (rs->auxv_len && rs->auxv[rs->auxv_len - 2] != AT_NULL))
		return cpt_mm_bad("auxv without its AT_NULL end");
	if (!rs->exe)
		return cpt_mm_bad("no executable");
	if ((rs->mlockall & ~(MCL_FUTURE | MCL_ONFAULT)) ||
	    (rs->mlockall && !(rs->mlockall & MCL_FUTURE)))
		return cpt_mm_bad("mlockall() flags other than MCL_FUTURE and MCL_ONFAULT");
	if (rs->membarrier & ~CPT_MEMBARRIER_REGISTRATIONS)
		return cpt_mm_bad("unknown membarrier registrations");
	return 0;
}

/*
 * Locked memory within the restoring task's rights, which are still the
 * caller's (the saved credentials and limits come after the memory), as
 * mmap(MAP_LOCKED) and mlockall() judge them (mm/mmap.c's
 * mlock_future_check(), can_do_mlock()): the kernel checks each mapping
 * again, but by then the task's memory is gone, so a refusal is made here,
 * by name.
 */
static int cpt_mm_check_locked(struct cpt_mm_restore *rs)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	const struct cpt_mm_vma *v;
	u64 locked = 0;
	unsigned int i;

	if (capable(CAP_IPC_LOCK))
		return 0;
	for (i = 0; i < rs->nr_vmas; i++) {
		v = &rs->vmas[i];
		if ((v->vm_flags & VM_LOCKED) && v->kind != CPT_PB_VMA_KIND_VDSO &&
		    v->kind != CPT_PB_VMA_KIND_VVAR)
			locked += (v->end - v->start) >> PAGE_SHIFT;
	}
	if (locked > limit || (rs->mlockall && !limit)) {
		cpt_note("pid %d: cannot lock %llu KiB%s, over RLIMIT_MEMLOCK %lu KiB\n",
			 task_pid_nr(current),
			 locked << (PAGE_SHIFT - 10),
			 rs->mlockall ? " and mlockall(MCL_FUTURE)" : "",
			 limit << (PAGE_SHIFT - 10));
		return -EPERM;
	}
	return 0;
}

/* The membarrier() registrations, all of which this kernel must offer. */
static int cpt_mm_check_membarrier(struct cpt_mm_restore *rs)
{
	long offered;

	if (!rs->membarrier)
		return 0;
	offered = cpt_sys(cpt_sym.sys_membarrier, MEMBARRIER_CMD_QUERY, 0, 0, 0, 0);
	if (offered >= 0 && !(rs->membarrier & ~offered))
		return 0;
	cpt_note("pid %d: cannot restore membarrier registrations %#x: this kernel offers %#lx\n",
		 task_pid_nr(current), rs->membarrier, offered);
	return -EOPNOTSUPP;
}

/*
 * Whether a task uses the restoring task's memory, which is about to go,
 * other than its own threads parked in the session.
 */
static int cpt_mm_check_alone(struct cpt_session *s)
{
	if (!cpt_session_threads_parked(s) ||
	    cpt_mm_shared_with_others(current, current->mm)) {
		cpt_note("pid %d: cannot restore into a task that shares its memory\n",
			 task_pid_nr(current));
		return -EBUSY;
	}
	return 0;
}

/*
 * The saved vvar and vDSO must have this kernel's layout, since the current
 * ones move to their place.
 */
static int cpt_mm_check_specials(struct cpt_mm_restore *rs)
{
	VMA_ITERATOR(vmi, current->mm, 0);
	const struct cpt_mm_vma *vdso = &rs->vmas[rs->vdso], *vvar = &rs->vmas[rs->vvar];
	struct cpt_mm_specials *cur = &rs->cur;
	struct mm_struct *mm = current->mm;
	unsigned int nr_vdso = 0, nr_vvar = 0;
	struct vm_area_struct *vma;
	const char *name;

	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		switch (cpt_mm_special(vma, &name)) {
		case CPT_PB_VMA_KIND_VDSO:
			cur->vdso = vma->vm_start;
			cur->vdso_end = vma->vm_end;
			nr_vdso++;
			break;
		case CPT_PB_VMA_KIND_VVAR:
			cur->vvar = vma->vm_start;
			cur->vvar_end = vma->vm_end;
			nr_vvar++;
			break;
		}
	}
	mmap_read_unlock(mm);
	if (nr_vdso != 1 || nr_vvar != 1) {
		cpt_note("pid %d: cannot restore into a task without its vDSO\n",
			 task_pid_nr(current));
		return -EOPNOTSUPP;
	}
	if (vdso->end - vdso->start != cur->vdso_end - cur->vdso ||
	    vvar->end - vvar->start != cur->vvar_end - cur->vvar ||
	    vdso->start - vvar->start != cur->vdso - cur->vvar) {
		cpt_note("image: vDSO/vvar %#llx-%#llx, %#llx-%#llx differ from this kernel's\n",
			 vvar->start, vvar->end, vdso->start, vdso->end);
		return -EOPNOTSUPP;
	}
	return 0;
}

static bool cpt_same_opener(const struct cpt_mm_vma *a, const struct cpt_mm_vma *b)
{
	return a->opener.saved == b->opener.saved && a->opener.len == b->opener.len &&
	       (!a->opener.len || !memcmp(a->opener.data, b->opener.data, a->opener.len));
}

/*
 * A mapped file, opened as its opener did (cpt_task_open(): both the
 * caller and the opener's credentials must be allowed to open it so); only
 * a regular one, and without blocking on a FIFO that replaced it since the
 * check.
 */
static struct file *cpt_mm_open(struct cpt_session *s, struct cpt_mm_restore *rs,
				const char *what, const char *path, u32 len, int flags,
				const struct cpt_opener *opener)
{
	struct file *file;
	struct path p;
	bool regular;
	int ret;

	memcpy(rs->path, path, len);
	rs->path[len] = '\0';
	ret = kern_path(rs->path, LOOKUP_FOLLOW, &p);
	if (ret)
		goto fail;
	regular = d_is_reg(p.dentry);
	path_put(&p);
	ret = -ESTALE;
	if (!regular)
		goto fail;
	file = cpt_task_open(s, what, rs->path, flags | O_NONBLOCK | O_NOCTTY | O_LARGEFILE,
			     opener);
	ret = PTR_ERR_OR_ZERO(file);
	if (ret)
		goto fail;
	if (S_ISREG(file_inode(file)->i_mode))
		return file;
	fput(file);
	ret = -ESTALE;
fail:
	cpt_note("cannot open %s for a restart: %d%s\n", rs->path, ret,
		 ret == -ESTALE ? " (no longer a regular file)" : "");
	return ERR_PTR(ret);
}

static bool cpt_mm_noexec(struct file *file)
{
	const struct path *path = &file->f_path;

	return (path->mnt->mnt_flags & MNT_NOEXEC) ||
	       (path->mnt->mnt_sb->s_iflags & SB_I_NOEXEC);
}

/* The executable, as prctl(PR_SET_MM_EXE_FILE) would accept it. */
static int cpt_mm_open_exe(struct cpt_session *s, struct cpt_mm_restore *rs)
{
	struct file *file;
	int ret;

	if (!checkpoint_restore_ns_capable(current_user_ns())) {
		cpt_note("restoring the executable link needs CAP_CHECKPOINT_RESTORE\n");
		return -EPERM;
	}
	file = cpt_mm_open(s, rs, "executable", rs->exe, rs->exe_len, O_RDONLY, &rs->exe_opener);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rs->exe_file = file;
	if (cpt_mm_noexec(file))
		ret = -EACCES;
	else
		ret = inode_permission(file_mnt_user_ns(file), file_inode(file), MAY_EXEC);
	if (ret)
		cpt_note("cannot restore executable %s: %d\n", rs->path, ret);
	return ret;
}

/* A shared anonymous or hugetlb object could not be made: which VMA wanted it. */
static int cpt_mm_open_failed(struct cpt_mm_vma *v)
{
	int ret = PTR_ERR(v->file);

	v->file = NULL;
	if (v->huge_page_size)
		cpt_note("pid %d: cannot restore hugetlb memory %#llx-%#llx: %d%s\n",
			 task_pid_nr(current), v->start, v->end, ret,
			 ret == -ENOMEM ? " (too few free huge pages: vm.nr_hugepages)" :
			 ret == -ENODEV ? " (no such page size here)" : "");
	else
		cpt_note("pid %d: cannot restore %#llx-%#llx: %d\n", task_pid_nr(current),
			 v->start, v->end, ret);
	return ret;
}

/*
 * Every mapped file, opened now so that a missing one refuses the restart
 * cleanly; and every shared anonymous object, made by the first VMA that
 * maps it.
 */
static int cpt_mm_open_files(struct cpt_session *s, struct cpt_mm_restore *rs)
{
	struct cpt_mm_vma *v, *prev = NULL;
	unsigned int i;

	for (i = 0; i < rs->nr_vmas; i++) {
		v = &rs->vmas[i];
		if (v->kind == CPT_PB_VMA_KIND_SHMEM) {
			v->file = cpt_mm_shmem_restore(s, v->shmem_id, v->shmem_size, v->vm_flags,
						       v->huge_page_size);
			if (IS_ERR(v->file))
				return cpt_mm_open_failed(v);
			continue;
		}
		/* Private MAP_HUGETLB memory: its own object, reserved when mapped. */
		if (v->kind == CPT_PB_VMA_KIND_ANON && v->huge_page_size) {
			v->file = cpt_mm_hugetlb_setup((v->pgoff << PAGE_SHIFT) + v->end - v->start,
						       VM_NORESERVE, v->huge_page_size);
			if (IS_ERR(v->file))
				return cpt_mm_open_failed(v);
			continue;
		}
		if (v->kind != CPT_PB_VMA_KIND_FILE)
			continue;
		/* A shared writable mapping needs a writable file, as mmap() does. */
		v->open_flags = O_RDONLY;
		if ((v->flags & MAP_SHARED) &&
		    ((v->prot & PROT_WRITE) || (v->vm_flags & VM_MAYWRITE)))
			v->open_flags = O_RDWR;
		/* A library's few VMAs share one file, of one opener. */
		if (prev && prev->path_len == v->path_len &&
		    !memcmp(prev->path, v->path, v->path_len) &&
		    prev->open_flags == v->open_flags && cpt_same_opener(prev, v)) {
			v->file = get_file(prev->file);
		} else {
			v->file = cpt_mm_open(s, rs, "mapped file", v->path, v->path_len,
					      v->open_flags, &v->opener);
			if (IS_ERR(v->file)) {
				int ret = PTR_ERR(v->file);

				v->file = NULL;
				return ret;
			}
			prev = v;
		}
		/* mmap() maps a hugetlbfs file with its own page size: it must be the saved one. */
		if (cpt_mm_huge_page_size(v->file) != v->huge_page_size) {
			cpt_note("%.*s is not a file of %llu KiB pages, as mapped at %#llx-%#llx\n",
				 (int)v->path_len, v->path,
				 (v->huge_page_size ?: PAGE_SIZE) >> 10, v->start, v->end);
			return -ESTALE;
		}
	}
	return cpt_mm_open_exe(s, rs);
}

/*
 * Private hugetlb memory reserves its huge pages when it is mapped, past
 * the point of no return: counted first against what each pool has free,
 * so that a restart that cannot have them fails by name, the task whole.
 * Shared objects reserved theirs when they were made.
 */
static int cpt_mm_check_huge_pages(struct cpt_mm_restore *rs)
{
	struct {
		struct hstate *h;
		unsigned long want;
	} pools[HUGE_MAX_HSTATE] = {};
	unsigned long free, resv;
	const struct cpt_mm_vma *v;
	struct hstate *h;
	unsigned int i, j;

	for (i = 0; i < rs->nr_vmas; i++) {
		v = &rs->vmas[i];
		if (!v->huge_page_size || !(v->flags & MAP_PRIVATE) ||
		    (v->vm_flags & VM_NORESERVE))
			continue;
		h = hstate_file(v->file);
		for (j = 0; j < ARRAY_SIZE(pools) - 1 && pools[j].h && pools[j].h != h; j++)
			;
		pools[j].h = h;
		pools[j].want += (v->end - v->start) / v->huge_page_size;
		free = READ_ONCE(h->free_huge_pages);
		resv = READ_ONCE(h->resv_huge_pages);
		free = free > resv ? free - resv : 0;
		if (pools[j].want > free) {
			snprintf(rs->path, PATH_MAX, "%lu huge pages of %llu KiB wanted, %lu %s",
				 pools[j].want, v->huge_page_size >> 10, free,
				 "free (vm.nr_hugepages)");
			cpt_note("pid %d: cannot restore hugetlb memory %#llx-%#llx: %s\n",
				 task_pid_nr(current), v->start, v->end, rs->path);
			return -ENOMEM;
		}
	}
	return 0;
}

int cpt_mm_mremap(unsigned long from, unsigned long len, unsigned long to)
{
	struct pt_regs regs = {
		.di = from,
		.si = len,
		.dx = len,
		.r10 = MREMAP_MAYMOVE | MREMAP_FIXED,
		.r8 = to,
	};
	long ret;

	ret = cpt_sym.sys_mremap(&regs);
	if (IS_ERR_VALUE(ret))
		return ret;
	return ret == to ? 0 : -EFAULT;
}

/* Moves the current vvar and vDSO, keeping their offset, by to - from. */
static int cpt_mm_shift_specials(struct cpt_mm_specials *cur, unsigned long from,
				 unsigned long to)
{
	int ret;

	ret = cpt_mm_mremap(cur->vvar, cur->vvar_end - cur->vvar, cur->vvar - from + to);
	if (!ret)
		ret = cpt_mm_mremap(cur->vdso, cur->vdso_end - cur->vdso, cur->vdso - from + to);
	if (ret)
		return ret;
	cur->vvar = cur->vvar - from + to;
	cur->vvar_end = cur->vvar_end - from + to;
	cur->vdso = cur->vdso - from + to;
	cur->vdso_end = cur->vdso_end - from + to;
	return 0;
}

/*
 * Unmaps everything of the current task's but its vvar and vDSO, which
 * move to the saved addresses: the vDSO's mremap hook tells the kernel
 * where its code now is. The ioctl's caller loses all its memory here.
 */
static int cpt_mm_clear(struct cpt_mm_restore *rs)
{
	struct cpt_mm_specials *cur = &rs->cur;
	unsigned long lo = min(cur->vvar, cur->vdso), hi = max(cur->vvar_end, cur->vdso_end);
	unsigned long span = hi - lo;
	unsigned long to = min(rs->vmas[rs->vvar].start, rs->vmas[rs->vdso].start);
	unsigned long tmp;
	int ret;

	ret = vm_munmap(0, lo);
	if (!ret && cur->vvar_end < cur->vdso)
		ret = vm_munmap(cur->vvar_end, cur->vdso - cur->vvar_end);
	if (!ret && cur->vdso_end < cur->vvar)
		ret = vm_munmap(cur->vdso_end, cur->vvar - cur->vdso_end);
	if (!ret && hi < TASK_SIZE)
		ret = vm_munmap(hi, TASK_SIZE - hi);
	if (ret || to == lo)
		return ret;

	/* mremap() cannot move onto an overlapping range: go by a free one. */
	if (to < hi && lo < to + span) {
		tmp = max(lo, to) + span;
		if (tmp > TASK_SIZE - span) {
			tmp = min(lo, to);
			if (tmp < span + SZ_16M)
				return -ENOMEM;
			tmp -= span;
		}
		ret = cpt_mm_shift_specials(cur, lo, tmp);
		if (ret)
			return ret;
		lo = tmp;
	}
	return cpt_mm_shift_specials(cur, lo, to);
}

/*
 * Private hugetlb memory without write access is mapped writable until its
 * pages are in (cpt_mm_protect()): GUP refuses a forced write to hugetlb
 * memory that is not writable (mm/gup.c's check_vma_flags()), which
 * cpt_mm_dest_pages() would make.
 */
static bool cpt_mm_written_then_protected(const struct cpt_mm_vma *v)
{
	return v->huge_page_size && (v->flags & MAP_PRIVATE) && !(v->prot & PROT_WRITE);
}

/* The saved protection of the VMAs mapped writable for their pages. */
static int cpt_mm_protect(struct cpt_mm_restore *rs)
{
	const struct cpt_mm_vma *v;
	unsigned int i;
	long ret;

	for (i = 0; i < rs->nr_vmas; i++) {
		v = &rs->vmas[i];
		if (!cpt_mm_written_then_protected(v))
			continue;
		ret = cpt_sys(cpt_sym.sys_mprotect, v->start, v->end - v->start, v->prot, 0, 0);
		if (ret) {
			cpt_note("cannot protect %#llx-%#llx again: %ld\n", v->start, v->end, ret);
			return ret;
		}
	}
	return 0;
}

static int cpt_mm_map_vma(const struct cpt_mm_vma *v)
{
	unsigned long flags = MAP_FIXED_NOREPLACE, off = 0, addr;
	u32 prot = v->prot;
	struct file *file = NULL;

	switch (v->kind) {
	case CPT_PB_VMA_KIND_FILE:
		file = v->file;
		off = v->pgoff << PAGE_SHIFT;
		flags |= v->flags & (MAP_SHARED | MAP_PRIVATE);
		break;
	case CPT_PB_VMA_KIND_SHMEM:
		/* The object the tree's processes share, made by the first. */
		file = v->file;
		off = v->pgoff << PAGE_SHIFT;
		flags |= MAP_SHARED;
		break;
	case CPT_PB_VMA_KIND_SYSV_SHM:
		return cpt_ipc_attach(v->shm_id, v->start, v->end - v->start,
				      v->pgoff << PAGE_SHIFT, v->prot, v->huge_page_size);
	case CPT_PB_VMA_KIND_ANON:
		/* MAP_HUGETLB memory: its object, made by cpt_mm_open_files() */
		if (v->huge_page_size) {
			file = v->file;
			off = v->pgoff << PAGE_SHIFT;
			flags |= MAP_PRIVATE;
			break;
		}
		fallthrough;
	default:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	}
	flags |= v->flags & MAP_GROWSDOWN;
	/* Sparse reservations (sanitizers, language runtimes) must not be charged. */
	if (v->vm_flags & VM_NORESERVE)
		flags |= MAP_NORESERVE;
	if (cpt_mm_written_then_protected(v))
		prot |= PROT_WRITE;
	addr = vm_mmap(file, v->start, v->end - v->start, prot, flags, off);
	if (IS_ERR_VALUE(addr)) {
		cpt_note("cannot map %#llx-%#llx again%s: %ld\n", v->start, v->end,
			 v->huge_page_size ? " with its huge pages" : "", (long)addr);
		return (int)(long)addr;
	}
	return 0;
}

/*
 * mmap() (and shmat()) take a new VMA's flags from mm->def_flags too: the
 * VMA is born with its madvise() flags, so that it merges with no
 * neighbour that lacks them, and khugepaged learns of MADV_HUGEPAGE; and
 * locked, as mmap(MAP_LOCKED) locks, populated unless on fault, within
 * RLIMIT_MEMLOCK or CAP_IPC_LOCK. KSM learns of a mergeable VMA only
 * through madvise().
 */
static int cpt_mm_map_vma_flags(const struct cpt_mm_vma *v)
{
	struct mm_struct *mm = current->mm;
	long ret;

	if (v->kind == CPT_PB_VMA_KIND_VDSO || v->kind == CPT_PB_VMA_KIND_VVAR)
		return 0;	/* moved there already */
	mmap_write_lock(mm);
	mm->def_flags = v->vm_flags & (CPT_MM_ADVICE | VM_LOCKED | VM_LOCKONFAULT);
	mmap_write_unlock(mm);
	ret = cpt_mm_map_vma(v);
	if (ret || !(v->vm_flags & VM_MERGEABLE))
		return ret;
	ret = cpt_sys(cpt_sym.sys_madvise, v->start, v->end - v->start, MADV_MERGEABLE, 0, 0);
	if (ret)
		cpt_note("cannot make %#llx-%#llx mergeable again: %ld\n", v->start, v->end, ret);
	return ret;
}

/*
 * The AIO contexts, with the restorer's madvise() and mlock() flags for new
 * memory (mm->def_flags) gone, as io_setup() maps their rings. Each saved
 * range is kept free first: a new ring, or the tools' memory, goes elsewhere.
 */
static int cpt_mm_restore_aio(struct cpt_mm_restore *rs)
{
	struct cpt_mm_aio_tools tools = {};
	struct mm_struct *mm = current->mm;
	unsigned int i;
	int ret = 0;

	if (!rs->nr_aio_rings)
		return 0;
	mmap_write_lock(mm);
	mm->def_flags = 0;
	mmap_write_unlock(mm);
	for (i = 0; !ret && i < rs->nr_aio_rings; i++)
		ret = cpt_mm_aio_reserve(&rs->aio_rings[i]);
	if (!ret)
		ret = cpt_mm_aio_prepare(&tools);
	for (i = 0; !ret && i < rs->nr_aio_rings; i++)
		ret = cpt_mm_aio_restore(&tools, &rs->aio_rings[i]);
	cpt_mm_aio_finish(&tools);
	return ret;
}

/*
 * What the process asked of memory it maps later (mlockall(MCL_FUTURE)),
 * and its membarrier() registrations, made again by the task itself: the
 * kernel's checks apply.
 */
static int cpt_mm_set_future(struct cpt_mm_restore *rs)
{
	unsigned long registrations = rs->membarrier;
	struct mm_struct *mm = current->mm;
	unsigned int bit;
	long ret;

	/* The restorer's mlockall(MCL_FUTURE) and the like are not the image's. */
	mmap_write_lock(mm);
	mm->def_flags = 0;
	mmap_write_unlock(mm);
	if (rs->mlockall) {
		ret = cpt_sys(cpt_sym.sys_mlockall, rs->mlockall, 0, 0, 0, 0);
		if (ret) {
			cpt_note("pid %d: mlockall(%#x) failed: %ld\n", task_pid_nr(current),
				 rs->mlockall, ret);
			return ret;
		}
	}
	for_each_set_bit(bit, &registrations, BITS_PER_TYPE(rs->membarrier)) {
		ret = cpt_sys(cpt_sym.sys_membarrier, BIT(bit), 0, 0, 0, 0);
		if (ret) {
			cpt_note("pid %d: membarrier registration %#lx failed: %ld\n",
				 task_pid_nr(current), BIT(bit), ret);
			return ret;
		}
	}
	return 0;
}

/*
 * Shared memory mapped without write access: the pages of its shmem object
 * itself, which the VMA shows.
 */
static long cpt_mm_shmem_pages(unsigned long addr, unsigned long nr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct file *file = NULL;
	struct page *page = ERR_PTR(-EFAULT);
	pgoff_t index = 0;
	long got;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file && addr + (nr << PAGE_SHIFT) <= vma->vm_end) {
		file = get_file(vma->vm_file);
		index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	}
	mmap_read_unlock(mm);
	if (!file)
		return -EFAULT;
	for (got = 0; got < nr; got++) {
		page = shmem_read_mapping_page(file->f_mapping, index + got);
		if (IS_ERR(page))
			break;
		pages[got] = page;
	}
	fput(file);
	return got ?: PTR_ERR(page);
}

/*
 * The restored pages of [addr, addr + nr pages), with a reference each, to
 * read the image into. Private memory is written as a debugger would:
 * copied on write, through a missing PROT_WRITE.
 */
static long cpt_mm_dest_pages(const struct cpt_mm_vma *v, unsigned long addr,
			      unsigned long nr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	long got;

	unsigned int gup_flags = FOLL_WRITE | FOLL_FORCE;

	/*
	 * Shared hugetlb memory has no shmem object to write into: its pages,
	 * faulted in for reading, are the object's (hugetlbfs's page cache).
	 */
	if (!(v->flags & MAP_PRIVATE) && !(v->prot & PROT_WRITE)) {
		if (!v->huge_page_size)
			return cpt_mm_shmem_pages(addr, nr, pages);
		gup_flags = FOLL_FORCE;
	}
	mmap_read_lock(mm);
	got = get_user_pages(addr, nr, gup_flags, pages, NULL);
	mmap_read_unlock(mm);
	return got ?: -EFAULT;
}

/* One CPT_REC_PAGES record, checked against the VMAs, copied into memory. */
static int cpt_mm_read_run(struct cpt_session *s, struct cpt_mm_restore *rs,
			   unsigned int *vi, u64 *prev_end, u64 *left)
{
	struct cpt_pages_header hdr;
	const struct cpt_mm_vma *v;
	struct cpt_record_io io;
	u64 length, end, addr, n;
	long got, i;
	int ret;

	ret = cpt_record_read_begin(&s->img, &io, CPT_REC_PAGES,
				    sizeof(hdr) + (u64)CPT_RECORD_MAX_PAGES * PAGE_SIZE,
				    &length);
	if (!ret)
		ret = cpt_record_read_data(&io, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	if (!hdr.nr_pages || hdr.nr_pages > CPT_RECORD_MAX_PAGES || hdr.nr_pages > *left ||
	    length != sizeof(hdr) + hdr.nr_pages * PAGE_SIZE ||
	    !PAGE_ALIGNED(hdr.start) || hdr.start < *prev_end || hdr.start >= TASK_SIZE)
		return cpt_mm_bad("pages out of order, or more than it counts");
	end = hdr.start + hdr.nr_pages * PAGE_SIZE;
	while (*vi < rs->nr_vmas && rs->vmas[*vi].end <= hdr.start)
		(*vi)++;
	v = *vi < rs->nr_vmas ? &rs->vmas[*vi] : NULL;
	if (!v || hdr.start < v->start || end > v->end || !cpt_mm_vma_has_data(v))
		return cpt_mm_bad("pages outside the VMAs that hold data");

	/* The image goes straight into the restored pages, with no mmap_lock held. */
	for (addr = hdr.start; addr < end; addr += got << PAGE_SHIFT) {
		n = min_t(u64, (end - addr) >> PAGE_SHIFT, CPT_MM_GUP_BATCH);
		ret = cpt_mm_cow_in_parent(&rs->vmas[*vi].cow, addr, &n);
		if (ret < 0)
			return ret;
		if (ret) {
			ret = cpt_mm_cow_read(&io, addr, n, rs->bounce);
			if (ret)
				return ret;
			got = n;
			cond_resched();
			continue;
		}
		got = cpt_mm_dest_pages(v, addr, n, rs->pages);
		if (got < 0) {
			cpt_note("cannot write restored memory at %#llx: %ld%s\n", addr, got,
				 v->huge_page_size ? " (no free huge page: vm.nr_hugepages)" : "");
			return got;
		}
		ret = cpt_record_read_pages(&io, rs->pages, got);
		for (i = 0; i < got; i++) {
			set_page_dirty_lock(rs->pages[i]);
			put_page(rs->pages[i]);
		}
		if (ret)
			return ret;
		cond_resched();
	}
	ret = cpt_record_read_end(&io);
	if (ret)
		return ret;
	*prev_end = end;
	*left -= hdr.nr_pages;
	return 0;
}

static int cpt_mm_read_pages(struct cpt_session *s, struct cpt_mm_restore *rs)
{
	u64 left = rs->nr_pages, prev_end = 0;
	unsigned int vi = 0;
	int ret;

	while (left) {
		ret = cpt_mm_read_run(s, rs, &vi, &prev_end, &left);
		if (ret)
			return ret;
	}
	for (vi = 0; vi < rs->nr_vmas; vi++) {
		ret = cpt_mm_cow_all_read(&rs->vmas[vi].cow);
		if (ret)
			return ret;
	}
	s->stats.pages_written += rs->nr_pages;
	return 0;
}

static void cpt_mm_set_facts(struct cpt_mm_restore *rs)
{
	struct mm_struct *mm = current->mm;
	const u64 *facts = rs->facts;

	/* Under the write lock, brk() sees old or new bounds, never a mix. */
	mmap_write_lock(mm);
	spin_lock(&mm->arg_lock);
	mm->start_code = facts[CPT_MM_START_CODE];
	mm->end_code = facts[CPT_MM_END_CODE];
	mm->start_data = facts[CPT_MM_START_DATA];
	mm->end_data = facts[CPT_MM_END_DATA];
	mm->start_brk = facts[CPT_MM_START_BRK];
	mm->brk = facts[CPT_MM_BRK];
	mm->start_stack = facts[CPT_MM_START_STACK];
	mm->arg_start = facts[CPT_MM_ARG_START];
	mm->arg_end = facts[CPT_MM_ARG_END];
	mm->env_start = facts[CPT_MM_ENV_START];
	mm->env_end = facts[CPT_MM_ENV_END];
	spin_unlock(&mm->arg_lock);
	memset(mm->saved_auxv, 0, sizeof(mm->saved_auxv));
	memcpy(mm->saved_auxv, rs->auxv, rs->auxv_len * sizeof(rs->auxv[0]));
	mmap_write_unlock(mm);
}

static void cpt_mm_restore_free(struct cpt_mm_restore *rs)
{
	unsigned int i;

	for (i = 0; i < rs->nr_vmas; i++) {
		if (rs->vmas[i].file)
			fput(rs->vmas[i].file);
		kvfree(rs->vmas[i].cow.runs);
	}
	for (i = 0; i < CPT_MM_COW_BATCH; i++)
		if (rs->bounce[i])
			__free_page(rs->bounce[i]);
	if (rs->exe_file)
		fput(rs->exe_file);
	kvfree(rs->vmas);
	kvfree(rs->aio_rings);
	kfree(rs->pages);
	kfree(rs->path);
	kfree(rs);
}

int cpt_mm_restore(struct cpt_session *s)
{
	struct cpt_mm_restore *rs;
	unsigned int i;
	size_t len;
	void *msg;
	int ret;

	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return -ENOMEM;
	msg = cpt_record_read(&s->img, CPT_REC_MM, &len);
	if (IS_ERR(msg)) {
		kfree(rs);
		return PTR_ERR(msg);
	}
	rs->path = kmalloc(PATH_MAX, GFP_KERNEL);
	rs->pages = kmalloc_array(CPT_MM_GUP_BATCH, sizeof(*rs->pages), GFP_KERNEL);
	ret = rs->path && rs->pages ? 0 : -ENOMEM;
	if (!ret)
		ret = cpt_mm_decode(rs, msg, len);
	if (!ret)
		ret = cpt_mm_decode_in_parent(rs);
	if (!ret)
		ret = cpt_mm_check(rs);
	if (!ret)
		ret = cpt_mm_check_alone(s);
	if (!ret)
		ret = cpt_mm_aio_check_current();
	if (!ret)
		ret = cpt_mm_check_specials(rs);
	if (!ret)
		ret = cpt_mm_check_locked(rs);
	if (!ret)
		ret = cpt_mm_check_membarrier(rs);
	if (!ret)
		ret = cpt_mm_open_files(s, rs);
	if (!ret)
		ret = cpt_mm_check_huge_pages(rs);
	if (ret)
		goto out;

	/* The point of no return: on failure from here on, the task dies. */
	cpt_task_forget_user_pointers();
	ret = cpt_mm_clear(rs);
	if (!ret)
		ret = cpt_sym.replace_mm_exe_file(current->mm, rs->exe_file);
	for (i = 0; !ret && i < rs->nr_vmas; i++)
		ret = cpt_mm_map_vma_flags(&rs->vmas[i]);
	for (i = 0; !ret && i < rs->nr_vmas; i++)
		ret = cpt_mm_cow_share(s, &rs->vmas[i].cow, rs->vmas[i].start, rs->vmas[i].end);
	if (!ret)
		ret = cpt_mm_read_pages(s, rs);
	if (!ret)
		ret = cpt_mm_restore_aio(rs);
	if (!ret)
		ret = cpt_mm_protect(rs);
	if (!ret)
		ret = cpt_mm_set_future(rs);
	if (!ret)
		cpt_mm_set_facts(rs);
	else
		cpt_note("pid %d: restoring its memory failed: %d\n",
			 task_pid_nr(current), ret);
out:
	cpt_mm_restore_free(rs);
	kvfree(msg);
	return ret;
}
