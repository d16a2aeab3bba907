// SPDX-License-Identifier: GPL-2.0
/*
 * A child's memory shared copy-on-write with its parent again at restart
 * (cpt_mm_cow.c records it). A restart restores the tree's processes in
 * tree order, each parking once restored, so a child restores its memory
 * while its parent's is whole and still. For a private anonymous VMA with
 * in_parent runs, mapped at the same range in both, the child does for
 * that VMA what fork()'s dup_mmap() does: links it to the parent's
 * anon_vma (anon_vma_fork()) and copies the parent's page table entries,
 * write-protecting both (copy_page_range(), which shares a transparent
 * huge page's PMD whole); then it drops what lies outside the runs, which
 * its image fills as for any VMA (a huge page mapped across the boundary
 * is split in the child only, as a write after fork() splits it).
 *
 * A restart maps VMAs afresh, side by side: the kernel merges adjacent
 * ones that nothing keeps apart any more (their own anon_vmas, or page
 * offsets a mremap() left), in the child as in the parent. The VMA that
 * holds the saved range is cut back to it first, in both (a cut of the
 * parent's only restores the range its checkpoint found, since the child's
 * runs were recorded only where both had it).
 *
 * The runs are only the image's word: every page in them is read from the
 * image all the same and compared with the parent's page now mapped, and
 * one that differs is written, copied on write, so the child's memory is
 * its image's whatever the runs say. Anything else (no parked parent, a
 * VMA of another kind in the parent, or with other access or protection
 * key than the child's, memory the child locked, a VMA that cannot be
 * cut) keeps the child's full copy.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <asm/tlbflush.h>

#include "cpt_compat.h"
#include "cpt_image.h"
#include "cpt_mm.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

static int cpt_mm_cow_decode_run(const struct cpt_pb_field *rf, struct cpt_mm_page_run *run)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_subfield(&r, rf, &f) {
		switch (f.num) {
		case CPT_PB_PAGE_RUN_START:
			cpt_pb_read_u64(&r, &f, &run->start);
			break;
		case CPT_PB_PAGE_RUN_NR_PAGES:
			cpt_pb_read_u64(&r, &f, &run->nr_pages);
			break;
		default:	/* a newer writer's field */
			break;
		}
	}
	return cpt_pb_end(&r);
}

/*
 * The in_parent runs of a Vma message, which cr->nr counted: an array of
 * them in cr->runs (freed with kvfree()).
 */
int cpt_mm_cow_decode(const struct cpt_pb_field *vma_field, struct cpt_mm_cow_runs *cr)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 i = 0;

	cr->runs = kvcalloc(cr->nr, sizeof(*cr->runs), GFP_KERNEL_ACCOUNT);
	if (!cr->runs)
		return -ENOMEM;
	cpt_pb_for_each_subfield(&r, vma_field, &f) {
		if (f.num != CPT_PB_VMA_IN_PARENT)
			continue;
		if (i == cr->nr)	/* the message changed under us: it cannot */
			return -EBADMSG;
		cpt_pb_fail(&r, cpt_mm_cow_decode_run(&f, &cr->runs[i++]));
	}
	return cpt_pb_end(&r) ?: (i == cr->nr ? 0 : -EBADMSG);
}

/* Runs of pages, in order, apart, within [start, end). */
int cpt_mm_cow_check(const struct cpt_mm_cow_runs *cr, u64 start, u64 end)
{
	const struct cpt_mm_page_run *run;
	u64 prev_end = start;
	u32 i;

	for (i = 0; i < cr->nr; i++) {
		run = &cr->runs[i];
		if (!PAGE_ALIGNED(run->start) || run->start < prev_end || run->start >= end ||
		    !run->nr_pages || run->nr_pages > (end - run->start) >> PAGE_SHIFT) {
			cpt_note("image: bad VMA %#llx-%#llx: %s\n", start, end,
				 "in_parent pages out of order or range");
			return -EBADMSG;
		}
		prev_end = run->start + (run->nr_pages << PAGE_SHIFT);
	}
	return 0;
}

/* The restoring task's parent, parked with its memory restored, or NULL. */
static struct mm_struct *cpt_mm_cow_parked_parent_mm(struct cpt_session *s)
{
	const struct cpt_task *t = s->cur, *p;
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++) {
		p = &s->tasks[i];
		if (p != t && p->pid == t->ppid && cpt_task_is_leader(p) && !p->zombie &&
		    p->state == CPT_RESTORE_PARKED && p->task)
			return get_task_mm(p->task);
	}
	return NULL;
}

/* A VMA that holds [start, end), of a kind a fork shares (cpt_mm_cow_kind()). */
static bool cpt_mm_cow_shareable(struct vm_area_struct *vma, unsigned long start,
				 unsigned long end, bool parent)
{
	return vma && vma->vm_start <= start && end <= vma->vm_end && cpt_mm_cow_kind(vma, parent);
}

/* Drops the child's copies of [from, to): the image fills it as any VMA. */
static int cpt_mm_cow_drop(unsigned long from, unsigned long to)
{
	long ret;

	if (from >= to)
		return 0;
	ret = cpt_sys(cpt_sym.sys_madvise, from, to - from, MADV_DONTNEED, 0, 0);
	if (ret)
		cpt_note("pid %d: cannot drop %#lx-%#lx shared with its parent: %ld\n",
			 task_pid_nr(current), from, to, ret);
	return ret;
}

/*
 * Whether the VMAs the child and its parked parent map at [start, end)
 * are of a kind a fork shares, alike (cpt_mm_cow_alike()), the child's
 * still without pages. Under both mmap_locks.
 */
static bool cpt_mm_cow_may_share(struct vm_area_struct *vma, struct vm_area_struct *pvma,
				 unsigned long start, unsigned long end)
{
	/* A new VMA has no anon_vma until a page is written into it. */
	if (!cpt_mm_cow_shareable(vma, start, end, false) || vma->anon_vma ||
	    !cpt_mm_cow_shareable(pvma, start, end, true) || !pvma->anon_vma)
		return false;
	if (cpt_mm_cow_alike(vma, pvma))
		return true;
	/* No checkpoint records such runs: the image's own pages fill it. */
	cpt_note("image: pid %d: %#lx-%#lx %s: its own pages fill it\n", task_pid_nr(current),
		 start, end, "said to be its parent's, whose access differs");
	return false;
}

/*
 * After the current task mapped its VMAs, before their pages are read:
 * [start, end)'s pages from the parent, shared copy-on-write, those of
 * the runs only. Past the restart's point of no return: a failure kills.
 * Where the VMAs cannot be cut to the range (split_vma(): max_map_count,
 * no memory), nothing is shared and the image fills the child's VMA.
 */
int cpt_mm_cow_share(struct cpt_session *s, struct cpt_mm_cow_runs *cr, unsigned long start,
		     unsigned long end)
{
	struct mm_struct *mm = current->mm, *pmm;
	struct vm_area_struct *vma, *pvma;
	unsigned long from = start;
	int ret = 0, cut;
	u32 i;

	if (!cr->nr)
		return 0;
	pmm = cpt_mm_cow_parked_parent_mm(s);
	if (!pmm)
		return 0;
	if (pmm == mm) {	/* CLONE_VM: nothing to share, and no lock to take twice */
		mmput(pmm);
		return 0;
	}
	/* fork()'s order: the parent's mmap_lock, then the child's. */
	if (mmap_write_lock_killable(pmm)) {
		mmput(pmm);
		return -EINTR;
	}
	mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING);
	vma = vma_lookup(mm, start);
	pvma = vma_lookup(pmm, start);
	if (cpt_mm_cow_may_share(vma, pvma, start, end)) {
		cut = cpt_compat_vma_cut(mm, vma, start, end) ?:
		      cpt_compat_vma_cut(pmm, pvma, start, end);
		if (cut) {
			cpt_note("pid %d: cannot cut %#lx-%#lx: %d; its image fills it\n",
				 task_pid_nr(current), start, end, cut);
		} else {
			ret = cpt_sym.anon_vma_fork(vma, pvma);
			if (!ret)
				ret = cpt_sym.copy_page_range(vma, pvma);
			/* As dup_mmap() does: the parent's entries lost their write access. */
			cpt_sym.flush_tlb_mm_range(pmm, 0UL, TLB_FLUSH_ALL, 0UL, true);
			cr->shared = !ret;
		}
	}
	mmap_write_unlock(mm);
	mmap_write_unlock(pmm);
	mmput(pmm);
	if (ret) {
		cpt_note("pid %d: cannot share %#lx-%#lx with its parent: %d\n",
			 task_pid_nr(current), start, end, ret);
		return ret;
	}
	if (!cr->shared)
		return 0;
	for (i = 0; !ret && i < cr->nr; i++) {
		ret = cpt_mm_cow_drop(from, cr->runs[i].start);
		from = cr->runs[i].start + (cr->runs[i].nr_pages << PAGE_SHIFT);
	}
	return ret ?: cpt_mm_cow_drop(from, end);
}

/* The image's pages of a shared VMA must cover its runs, or they would stay the parent's. */
static int cpt_mm_cow_lacks(const struct cpt_mm_page_run *run)
{
	cpt_note("image: pid %d lacks pages of %#llx-%#llx that it says are its parent's\n",
		 task_pid_nr(current), run->start, run->start + (run->nr_pages << PAGE_SHIFT));
	return -EBADMSG;
}

/*
 * 1 if the page at addr, read in address order, lies in a run of a shared
 * VMA, else 0; *nr cut to the pages from addr that are alike. A run's
 * pages must all be read, from its start on.
 */
int cpt_mm_cow_in_parent(struct cpt_mm_cow_runs *cr, unsigned long addr, u64 *nr)
{
	const struct cpt_mm_page_run *run;
	u64 run_end;

	if (!cr->shared)
		return 0;
	while (cr->next < cr->nr) {
		run = &cr->runs[cr->next];
		run_end = run->start + (run->nr_pages << PAGE_SHIFT);
		if (addr < run->start) {
			*nr = min(*nr, (run->start - addr) >> PAGE_SHIFT);
			return 0;
		}
		if (addr < run_end) {
			if (addr != max(cr->done, run->start))
				return cpt_mm_cow_lacks(run);
			*nr = min3(*nr, (u64)CPT_MM_COW_BATCH, (run_end - addr) >> PAGE_SHIFT);
			cr->done = addr + (*nr << PAGE_SHIFT);
			return 1;
		}
		if (cr->done != run_end)
			return cpt_mm_cow_lacks(run);
		cr->next++;
	}
	return 0;
}

/* Once every page is read: whether the runs of a shared VMA were all. */
int cpt_mm_cow_all_read(const struct cpt_mm_cow_runs *cr)
{
	const struct cpt_mm_page_run *run;
	u32 i;

	for (i = cr->next; cr->shared && i < cr->nr; i++) {
		run = &cr->runs[i];
		if (i + 1 < cr->nr || cr->done != run->start + (run->nr_pages << PAGE_SHIFT))
			return cpt_mm_cow_lacks(run);
	}
	return 0;
}

/* The page the current task maps at addr, for writing or reading, with a reference. */
static struct page *cpt_mm_cow_page(unsigned long addr, unsigned int gup_flags)
{
	struct mm_struct *mm = current->mm;
	struct page *page;
	long got;

	mmap_read_lock(mm);
	got = get_user_pages(addr, 1, gup_flags | FOLL_FORCE, &page, NULL);
	mmap_read_unlock(mm);
	if (got == 1)
		return page;
	cpt_note("cannot write restored memory at %#lx: %ld\n", addr, got);
	return ERR_PTR(got < 0 ? got : -EFAULT);
}

static bool cpt_mm_cow_same(struct page *a, struct page *b)
{
	void *pa = kmap_local_page(a), *pb = kmap_local_page(b);
	bool same = !memcmp(pa, pb, PAGE_SIZE);

	kunmap_local(pb);
	kunmap_local(pa);
	return same;
}

/*
 * nr pages of a run from the image at addr: each one the parent's page
 * already holds is left shared; any other is copied on write and written.
 */
int cpt_mm_cow_read(struct cpt_record_io *io, unsigned long addr, unsigned int nr,
		    struct page **bounce)
{
	struct page *page;
	unsigned int i;
	bool same;
	int ret;

	ret = cpt_record_read_pages(io, bounce, nr);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++, addr += PAGE_SIZE) {
		page = cpt_mm_cow_page(addr, 0);
		if (IS_ERR(page))
			return PTR_ERR(page);
		same = cpt_mm_cow_same(page, bounce[i]);
		put_page(page);
		if (same)
			continue;
		page = cpt_mm_cow_page(addr, FOLL_WRITE);
		if (IS_ERR(page))
			return PTR_ERR(page);
		copy_highpage(page, bounce[i]);
		set_page_dirty_lock(page);
		put_page(page);
	}
	return 0;
}
