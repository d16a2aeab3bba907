// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for memory shared copy-on-write after a fork
 * (cpt_mm_cow.c finds it at checkpoint, cpt_mm_cow_restore.c shares it
 * again at restart):
 *
 * - Transparent huge pages: a present PMD that is pmd_trans_huge() and not
 *   device memory maps a huge page of HPAGE_PMD_NR small pages, the frames
 *   from pmd_pfn() on, in address order; an anonymous one if PageAnon()
 *   (not the huge zero page); cpt_compat_thp_pfn() is the one place that
 *   reads a frame from such a PMD. copy_page_range() shares a huge PMD
 *   whole (copy_huge_pmd()), as fork() does.
 * - A VMA cut at a saved boundary: split_vma() (mm/mmap.c, not exported),
 *   as munmap() and mprotect() cut one, the anon_vma and page offset kept.
 * - anon_vma_fork(), copy_page_range() and flush_tlb_mm_range(), which
 *   fork()'s dup_mmap() calls per VMA (none exported).
 *
 * The prototypes of anon_vma_fork(), copy_page_range() and split_vma()
 * are checked at build time, against the headers' (flush_tlb_mm_range()'s
 * is in no header a module sees). Checked at load:
 * - thp_pmd: a 2 MiB MADV_HUGEPAGE region of the loader's, written here,
 *   is mapped by a huge PMD found by cpt_compat_pmd(), whose frame for a
 *   small page inside is the page get_user_pages() gives for it (untested
 *   where the kernel gives the loader no huge page: THP disabled or none
 *   free; or where the walk misses it three times, a migration entry in
 *   the PMD maybe);
 * - vma_cut: a 3-page mapping of the loader's cut to its middle page is
 *   three VMAs, the middle one that page exactly.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgtable.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>

#include "cpt_compat.h"
#include "cpt_mm.h"
#include "cpt_symbols.h"

/* kallsyms gives an address: the type it is called through is the kernel's. */
static_assert(__same_type(&anon_vma_fork, cpt_sym.anon_vma_fork));
static_assert(__same_type(&copy_page_range, cpt_sym.copy_page_range));
static_assert(__same_type(&split_vma, cpt_sym.split_vma));
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/* One PMD's page frames fit the comparison's array (cpt_mm_cow.pfns). */
static_assert(HPAGE_PMD_NR == PTRS_PER_PTE);
#endif

/* The PMD that maps addr in mm, or NULL; under mm's mmap_lock. */
pmd_t *cpt_compat_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pud_t pudval;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	pudval = READ_ONCE(*pud);
	if (pud_none(pudval) || pud_bad(pudval))
		return NULL;
	return pmd_offset(pud, addr);
}

/*
 * The frame of the small page at addr of the anonymous transparent huge
 * page pmd maps, or CPT_MM_COW_NO_PAGE if pmd maps no such page (not
 * present, a page table, device memory, the huge zero page). pmd is a
 * value read under the PMD's lock, used after it maybe: the tree is
 * frozen, and a frame gone stale since can only miss a shared page
 * (cpt_mm_cow.c).
 */
unsigned long cpt_compat_thp_pfn(pmd_t pmd, unsigned long addr)
{
	if (!pmd_present(pmd) || !pmd_trans_huge(pmd) || pmd_devmap(pmd) ||
	    !PageAnon(pmd_page(pmd)))
		return CPT_MM_COW_NO_PAGE;
	return pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
}

/*
 * vma of mm cut to [start, end), which it holds: the pieces outside become
 * VMAs of their own. Under mm's mmap_lock, held for writing.
 */
int cpt_compat_vma_cut(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end)
{
	int ret = 0;

	if (WARN_ON_ONCE(start < vma->vm_start || end > vma->vm_end || start >= end))
		return -EINVAL;
	if (vma->vm_start < start)
		ret = cpt_sym.split_vma(mm, vma, start, 1);
	if (!ret && vma->vm_end > end)
		ret = cpt_sym.split_vma(mm, vma, end, 0);
	return ret;
}

/* An anonymous private mapping of the loader's, len bytes, or an errno. */
static unsigned long cpt_compat_cow_map(unsigned long len)
{
	return vm_mmap(NULL, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/* The frame the huge PMD at addr maps there, looked up as a checkpoint does. */
static unsigned long cpt_compat_thp_pfn_at(struct mm_struct *mm, unsigned long addr)
{
	unsigned long pfn = CPT_MM_COW_NO_PAGE;
	spinlock_t *ptl;	/* the PMD's */
	pmd_t *pmd;

	mmap_read_lock(mm);
	pmd = cpt_compat_pmd(mm, addr);
	if (pmd) {
		ptl = pmd_lock(mm, pmd);
		pfn = cpt_compat_thp_pfn(*pmd, addr);
		spin_unlock(ptl);
	}
	mmap_read_unlock(mm);
	return pfn;
}

int cpt_check_thp_pmd(void)
{
	struct mm_struct *mm = current->mm;
	unsigned long map, huge, addr, pfn;
	struct page *page;
	int ret, tries;
	long got;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) || !mm)
		return cpt_compat_untested("no transparent huge pages here");
	map = cpt_compat_cow_map(2 * SZ_2M);
	if (IS_ERR_VALUE(map))
		return cpt_compat_fail("cannot map 4 MiB to test huge pages in: %ld", (long)map);
	huge = ALIGN(map, SZ_2M);
	addr = huge + 5 * PAGE_SIZE;
	ret = cpt_sys(cpt_sym.sys_madvise, huge, SZ_2M, MADV_HUGEPAGE, 0, 0);
	if (ret) {
		ret = cpt_compat_untested("madvise(MADV_HUGEPAGE) failed: %d", ret);
		goto out;
	}
	mmap_read_lock(mm);
	got = get_user_pages(addr, 1, FOLL_WRITE, &page, NULL);
	mmap_read_unlock(mm);
	if (got != 1) {
		ret = cpt_compat_fail("cannot write the region to test huge pages in: %ld", got);
		goto out;
	}
	/*
	 * A miss is retried: the PMD may hold a migration entry a while
	 * (compaction). One that stays is untested, not a failure: a walk
	 * that finds no huge page only misses shared pages.
	 */
	for (tries = 0; tries < 3; tries++) {
		pfn = cpt_compat_thp_pfn_at(mm, addr);
		if (pfn != CPT_MM_COW_NO_PAGE || !PageTransCompound(page))
			break;
		cond_resched();
	}
	if (pfn == CPT_MM_COW_NO_PAGE && PageTransCompound(page))
		ret = cpt_compat_untested("%d tries found no huge PMD as cpt looks for a huge page",
					  tries);
	else if (pfn == CPT_MM_COW_NO_PAGE)
		ret = cpt_compat_untested("no huge page given (THP disabled or none free)");
	else if (pfn != page_to_pfn(page))
		ret = cpt_compat_fail("a huge PMD's frame for a small page is %#lx, not %#lx", pfn,
				      page_to_pfn(page));
	put_page(page);
out:
	vm_munmap(map, 2 * SZ_2M);
	return ret;
}

int cpt_check_vma_cut(void)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma, *lo, *hi;
	unsigned long map, mid;
	int ret;

	if (!mm)
		return cpt_compat_untested("the loader has no memory to cut");
	map = cpt_compat_cow_map(3 * PAGE_SIZE);
	if (IS_ERR_VALUE(map))
		return cpt_compat_fail("cannot map 3 pages to cut: %ld", (long)map);
	mid = map + PAGE_SIZE;
	mmap_write_lock(mm);
	vma = vma_lookup(mm, mid);
	ret = vma ? cpt_compat_vma_cut(mm, vma, mid, mid + PAGE_SIZE) : -ENOENT;
	lo = vma_lookup(mm, map);
	hi = vma_lookup(mm, mid + PAGE_SIZE);
	if (ret)
		ret = cpt_compat_fail("cannot cut a VMA: %d", ret);
	else if (vma->vm_start != mid || vma->vm_end != mid + PAGE_SIZE || !lo || !hi ||
		 lo->vm_end != mid || hi->vm_start != mid + PAGE_SIZE)
		ret = cpt_compat_fail("a VMA cut to its middle page is %#lx-%#lx, not that page",
				      vma->vm_start - map, vma->vm_end - map);
	mmap_write_unlock(mm);
	vm_munmap(map, 3 * PAGE_SIZE);
	return ret;
}
