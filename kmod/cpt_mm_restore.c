// SPDX-License-Identifier: GPL-2.0
/*
 * The address space, restored (cpt_mm_save.c saves it). A restart runs in
 * the restoring task itself. It checks the whole record and opens every
 * mapped file before it touches anything (cpt_mm_restore_check.c), so that
 * a refusal leaves the task as it was. Then the task's own address space
 * goes: the vDSO and vvar this kernel gave it move to the saved addresses,
 * everything else is unmapped, the saved VMAs are mapped again and the
 * pages copied in.
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
