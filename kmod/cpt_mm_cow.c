// SPDX-License-Identifier: GPL-2.0
/*
 * Memory a process shares copy-on-write with its parent, found at
 * checkpoint. After a fork, parent and child map the same anonymous pages
 * at the same addresses until either writes; cpt_mm_save.c asks, for each
 * page of a child's private anonymous VMA that the parent maps too (the
 * same range, anonymous and private in both), whether the parent maps the
 * very same page there, and the Vma's in_parent runs say which did.
 *
 * The tree is frozen, so neither process writes meanwhile. A page that
 * moves under us (reclaim, migration, compaction) reads as not shared: a
 * wrong answer can only be a missed page, never a page of other content,
 * since a page two processes map is never written in place.
 */
#include <linux/hugetlb_inline.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/pkeys.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "cpt_compat.h"
#include "cpt_mm.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* The parent process of s->cur, a live process of the tree, or NULL. */
static struct task_struct *cpt_mm_cow_parent(struct cpt_session *s)
{
	const struct cpt_task *t = s->cur, *p;
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++) {
		p = &s->tasks[i];
		if (p != t && p->pid == t->ppid && cpt_task_is_leader(p) && !p->zombie)
			return p->task;
	}
	return NULL;
}

/*
 * The parent's mm is let go with mmput_async(): ours may be its last
 * reference (the parent killed and reaped during the checkpoint), and
 * mmput() would then tear it down here, taking its mmap_lock under the
 * child's (lockdep: recursive locking, seen on the debug kernel).
 *
 * Called with mm read-locked. The parent's mm is only tried, not waited
 * for: the comparison is worth no wait, nor a second mmap_lock taken in
 * an order lockdep would have to be told of. Without it, no page is
 * found shared.
 */
int cpt_mm_cow_begin(struct cpt_mm_cow *cow, struct cpt_session *s, struct mm_struct *mm)
{
	struct task_struct *parent = cpt_mm_cow_parent(s);

	memset(cow, 0, sizeof(*cow));
	cpt_pb_init(&cow->runs);
	if (!parent)
		return 0;
	cow->pfns = kmalloc_array(PTRS_PER_PTE, sizeof(*cow->pfns), GFP_KERNEL);
	if (!cow->pfns)
		return -ENOMEM;
	cow->parent_mm = get_task_mm(parent);
	if (cow->parent_mm && (cow->parent_mm == mm || !mmap_read_trylock(cow->parent_mm))) {
		mmput_async(cow->parent_mm);
		cow->parent_mm = NULL;
	}
	return 0;
}

void cpt_mm_cow_end(struct cpt_mm_cow *cow)
{
	if (cow->parent_mm) {
		mmap_read_unlock(cow->parent_mm);
		mmput_async(cow->parent_mm);
		cow->parent_mm = NULL;
	}
	cpt_pb_free(&cow->runs);
	kfree(cow->pfns);
	cow->pfns = NULL;
}

/*
 * Private anonymous memory that a fork would copy (VM_MAYWRITE, not
 * shared), not hugetlb memory; its pages may be small or huge (THP:
 * copy_page_range() shares a huge PMD whole, as fork() does). The
 * parent's may be locked, as at fork(), which leaves the child's copy
 * unlocked; the child's not: a restart shares no locked VMA of a child's,
 * which mlock() would have made its own. What a checkpoint marks in
 * parent and what a restart shares again.
 */
bool cpt_mm_cow_kind(struct vm_area_struct *vma, bool parent)
{
	return vma_is_anonymous(vma) && is_cow_mapping(vma->vm_flags) &&
	       !is_vm_hugetlb_page(vma) && !(vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) &&
	       (parent || !(vma->vm_flags & (VM_LOCKED | VM_LOCKONFAULT)));
}

/*
 * Whether a child's VMA and its parent's have the same access (read,
 * write, execute) and protection key. copy_page_range() copies the
 * parent's page table entries, write-protected but otherwise as they are,
 * not rebuilt from the child's vm_page_prot: fork() may, both VMAs being
 * alike then, but a child that mprotect()ed its copy since (a PROT_NONE
 * guard, a PROT_READ|PROT_EXEC JIT) would get the parent's access to its
 * pages. What a checkpoint marks in parent and what a restart shares again.
 */
bool cpt_mm_cow_alike(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	return !((vma->vm_flags ^ pvma->vm_flags) & VM_ACCESS_FLAGS) &&
	       vma_pkey(vma) == vma_pkey(pvma);
}

void cpt_mm_cow_vma(struct cpt_mm_cow *cow, struct vm_area_struct *vma)
{
	struct vm_area_struct *pvma;

	cow->parent_vma = NULL;
	cow->run_pages = 0;
	if (!cow->parent_mm || !vma->anon_vma || !cpt_mm_cow_kind(vma, false))
		return;
	pvma = vma_lookup(cow->parent_mm, vma->vm_start);
	if (pvma && pvma->vm_start == vma->vm_start && pvma->vm_end == vma->vm_end &&
	    pvma->anon_vma && cpt_mm_cow_kind(pvma, true) && cpt_mm_cow_alike(vma, pvma))
		cow->parent_vma = pvma;
}

/* Ends the pending run: a PageRun of the VMA's, unless there are too many. */
static void cpt_mm_cow_flush(struct cpt_mm_cow *cow)
{
	struct cpt_pb_buf run;

	if (!cow->run_pages)
		return;
	if (cow->nr_runs < CPT_MM_MAX_IN_PARENT_RUNS) {
		cpt_pb_init(&run);
		cpt_pb_u64(&run, CPT_PB_PAGE_RUN_START, cow->run_start);
		cpt_pb_u64(&run, CPT_PB_PAGE_RUN_NR_PAGES, cow->run_pages);
		cpt_pb_message(&cow->runs, CPT_PB_VMA_IN_PARENT, &run);
		cow->nr_runs++;
		cow->nr_pages += cow->run_pages;
	}
	cow->run_pages = 0;
}

static void cpt_mm_cow_add(struct cpt_mm_cow *cow, unsigned long start, unsigned long nr)
{
	if (cow->run_pages && cow->run_start + (cow->run_pages << PAGE_SHIFT) == start) {
		cow->run_pages += nr;
		return;
	}
	cpt_mm_cow_flush(cow);
	cow->run_start = start;
	cow->run_pages = nr;
}

void cpt_mm_cow_vma_done(struct cpt_mm_cow *cow, struct cpt_pb_buf *vma_msg)
{
	cpt_mm_cow_flush(cow);
	cpt_pb_raw(vma_msg, &cow->runs);
	cow->parent_vma = NULL;
}

/*
 * Of the nr pages from addr, all in one PMD's span, whose page frames
 * cow->pfns holds (CPT_MM_COW_NO_PAGE where the child maps no page), the
 * runs the parent maps at the same addresses.
 */
void cpt_mm_cow_compare(struct cpt_mm_cow *cow, unsigned long addr, unsigned int nr)
{
	DECLARE_BITMAP(same, PTRS_PER_PTE);
	struct mm_struct *mm = cow->parent_mm;
	unsigned long pfn;
	unsigned int i, j;
	pte_t *start_pte;
	spinlock_t *ptl;	/* the PMD's or the page table's */
	pmd_t *pmd;
	pmd_t pmdval;
	pte_t pte;

	if (!cow->parent_vma)
		return;
	pmd = cpt_compat_pmd(mm, addr);
	if (!pmd)
		return;
	bitmap_zero(same, PTRS_PER_PTE);
	pmdval = READ_ONCE(*pmd);
	if (pmd_none(pmdval))
		return;
	if (is_swap_pmd(pmdval) || pmd_trans_huge(pmdval) || pmd_devmap(pmdval)) {
		ptl = pmd_lock(mm, pmd);
		pmdval = *pmd;
		pfn = cpt_compat_thp_pfn(pmdval, addr);
		for (i = 0; pfn != CPT_MM_COW_NO_PAGE && i < nr; i++)
			if (cow->pfns[i] == pfn + i)
				__set_bit(i, same);
		spin_unlock(ptl);
		/* A huge page, a migration entry, or split meanwhile: looked at once only. */
		goto runs;
	}
	if (pmd_bad(pmdval))
		return;
	/* As for the child's: the parent's page tables stay under its mmap_lock. */
	start_pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	for (i = 0; i < nr; i++) {
		pte = ptep_get(start_pte + i);
		if (cow->pfns[i] != CPT_MM_COW_NO_PAGE && pte_present(pte) && !pte_special(pte) &&
		    pte_pfn(pte) == cow->pfns[i])
			__set_bit(i, same);
	}
	pte_unmap_unlock(start_pte, ptl);
runs:
	for (i = find_first_bit(same, nr); i < nr; i = find_next_bit(same, nr, j)) {
		j = find_next_zero_bit(same, nr, i);
		cpt_mm_cow_add(cow, addr + ((unsigned long)i << PAGE_SHIFT), j - i);
	}
}
