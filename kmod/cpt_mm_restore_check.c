// SPDX-License-Identifier: GPL-2.0
/*
 * The address space's restart, before its point of no return: the MM
 * record decoded and checked whole (each VMA, the facts, the locked
 * memory, membarrier, the AIO rings, the vDSO and vvar), the mapped files
 * and the executable opened, the huge pages counted, so that a refusal
 * leaves the restoring task as it was (cpt_mm_restore.c does the rest).
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
#include "cpt_mm_restore.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

int cpt_mm_bad(const char *what)
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

int cpt_mm_decode(struct cpt_mm_restore *rs, const void *data, size_t len)
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
int cpt_mm_decode_in_parent(struct cpt_mm_restore *rs)
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
bool cpt_mm_vma_has_data(const struct cpt_mm_vma *v)
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
int cpt_mm_check(struct cpt_mm_restore *rs)
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
int cpt_mm_check_locked(struct cpt_mm_restore *rs)
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
int cpt_mm_check_membarrier(struct cpt_mm_restore *rs)
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
int cpt_mm_check_alone(struct cpt_session *s)
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
int cpt_mm_check_specials(struct cpt_mm_restore *rs)
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
int cpt_mm_open_files(struct cpt_session *s, struct cpt_mm_restore *rs)
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
int cpt_mm_check_huge_pages(struct cpt_mm_restore *rs)
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
