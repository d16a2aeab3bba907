// SPDX-License-Identifier: GPL-2.0
/*
 * The address space, saved. A checkpoint writes one CPT_REC_MM record (every VMA,
 * and the mm's own facts: code, data, brk, stack, arguments, environment,
 * auxv, exe), then CPT_REC_PAGES records with the memory only the process
 * holds: its anonymous pages, the copied-on-write pages of its private file
 * mappings included, and the pages of its shared anonymous memory that no
 * process of the tree saved before (cpt_mm_shmem.c). What a file or this
 * kernel keeps (file pages, the vDSO) is not copied.
 *
 * cpt_mm_restore.c makes it again.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/hugetlb_inline.h>
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
#include <uapi/linux/magic.h>

#include "cpt_compat.h"
#include "cpt_mm.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

/* A run of contiguous pages, all inside one VMA, that the image carries. */
struct cpt_mm_run {
	unsigned long start;
	unsigned long nr_pages;
};

/* A checkpoint's working state; its buffers serve every VMA and page. */
struct cpt_mm_save {
	struct cpt_session *s;
	struct task_struct *task;
	struct mm_struct *mm;
	struct cpt_mm_run *runs;
	size_t nr_runs;
	size_t max_runs;
	unsigned long vma_start;	/* runs never merge across VMAs */
	u64 nr_pages;
	u64 nr_scanned;			/* pages of the mappings looked at */
	struct vm_area_struct *shmem_vma;	/* the one cpt_mm_scan_shmem() scans */
	unsigned int nr_vdso;
	unsigned int nr_vvar;
	char *path;			/* PATH_MAX bytes */
	struct page **pages;		/* CPT_MM_GUP_BATCH entries */
	struct cpt_pb_buf aio_rings;	/* the Mm's AioRings, its last fields */
	unsigned int nr_aio_rings;
	struct cpt_mm_cow cow;		/* the pages the parent maps too */
};

/* Not a VMA kind of the image: an AIO ring goes as an AioRing. */
#define CPT_MM_KIND_AIO_RING 0x10000

const u32 cpt_mm_fact_fields[CPT_MM_NR_FACTS] = {
	[CPT_MM_START_CODE] = CPT_PB_MM_START_CODE,
	[CPT_MM_END_CODE] = CPT_PB_MM_END_CODE,
	[CPT_MM_START_DATA] = CPT_PB_MM_START_DATA,
	[CPT_MM_END_DATA] = CPT_PB_MM_END_DATA,
	[CPT_MM_START_BRK] = CPT_PB_MM_START_BRK,
	[CPT_MM_BRK] = CPT_PB_MM_BRK,
	[CPT_MM_START_STACK] = CPT_PB_MM_START_STACK,
	[CPT_MM_ARG_START] = CPT_PB_MM_ARG_START,
	[CPT_MM_ARG_END] = CPT_PB_MM_ARG_END,
	[CPT_MM_ENV_START] = CPT_PB_MM_ENV_START,
	[CPT_MM_ENV_END] = CPT_PB_MM_ENV_END,
};

const u8 cpt_mm_fact_pairs[CPT_MM_NR_FACT_PAIRS][2] = {
	{ CPT_MM_START_CODE, CPT_MM_END_CODE },
	{ CPT_MM_START_DATA, CPT_MM_END_DATA },
	{ CPT_MM_START_BRK, CPT_MM_BRK },
	{ CPT_MM_ARG_START, CPT_MM_ARG_END },
	{ CPT_MM_ENV_START, CPT_MM_ENV_END },
};

static void cpt_mm_get_facts(struct mm_struct *mm, unsigned long *facts)
{
	spin_lock(&mm->arg_lock);
	facts[CPT_MM_START_CODE] = mm->start_code;
	facts[CPT_MM_END_CODE] = mm->end_code;
	facts[CPT_MM_START_DATA] = mm->start_data;
	facts[CPT_MM_END_DATA] = mm->end_data;
	facts[CPT_MM_START_BRK] = mm->start_brk;
	facts[CPT_MM_BRK] = mm->brk;
	facts[CPT_MM_START_STACK] = mm->start_stack;
	facts[CPT_MM_ARG_START] = mm->arg_start;
	facts[CPT_MM_ARG_END] = mm->arg_end;
	facts[CPT_MM_ENV_START] = mm->env_start;
	facts[CPT_MM_ENV_END] = mm->env_end;
	spin_unlock(&mm->arg_lock);
}

int cpt_mm_special(struct vm_area_struct *vma, const char **name)
{
	*name = NULL;
	if (vma->vm_file || vma_is_anonymous(vma))
		return 0;
	if (vma->vm_ops->name)
		*name = vma->vm_ops->name(vma);
	if (!*name)
		return -EOPNOTSUPP;
	if (!strcmp(*name, "[vvar]"))
		return CPT_PB_VMA_KIND_VVAR;
	if (!strcmp(*name, "[vdso]") &&
	    vma->vm_start == (unsigned long)vma->vm_mm->context.vdso)
		return CPT_PB_VMA_KIND_VDSO;
	return -EOPNOTSUPP;
}

/* SysV segments and memfds are shmem files too, but by other names. */
bool cpt_mm_is_shared_anon(struct file *file)
{
	return file->f_mapping->a_ops == &shmem_aops &&
	       IS_PRIVATE(file_inode(file)) &&
	       !strcmp(file->f_path.dentry->d_name.name, "dev/zero");
}

/*
 * Whether a restart could not open a file by its path: it was deleted, or
 * it never had a name (memfd, anonymous inodes: their d_path() is made up).
 */
static bool cpt_mm_nameless(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;

	return d_unlinked(dentry) || (dentry->d_op && dentry->d_op->d_dname);
}

unsigned long cpt_mm_huge_page_size(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (inode->i_sb->s_magic != HUGETLBFS_MAGIC)
		return 0;
	return huge_page_size(hstate_inode(inode));
}

/*
 * mmap(MAP_HUGETLB | MAP_ANONYMOUS) makes a file of its own on one of
 * hugetlbfs's kernel mounts, where no name can be made: SysV segments are
 * S_PRIVATE there, and memfds are named "memfd:...".
 */
bool cpt_mm_is_anon_hugetlb(struct file *file)
{
	return cpt_mm_huge_page_size(file) &&
	       (file->f_path.mnt->mnt_flags & MNT_INTERNAL) &&
	       !IS_PRIVATE(file_inode(file)) &&
	       !strcmp(file->f_path.dentry->d_name.name, HUGETLB_ANON_FILE);
}

/* hugetlb memory: MAP_HUGETLB, a hugetlbfs file or a SHM_HUGETLB segment. */
static int cpt_mm_hugetlb_kind(struct vm_area_struct *vma, const char **why)
{
	struct file *file = vma->vm_file;

	*why = "hugetlb memory of an unknown kind";
	if (!file)
		return -EOPNOTSUPP;
	if (file->f_op == cpt_sym.shm_file_operations_huge)
		return CPT_PB_VMA_KIND_SYSV_SHM;
	if (!cpt_mm_huge_page_size(file) ||
	    vma_kernel_pagesize(vma) != cpt_mm_huge_page_size(file))
		return -EOPNOTSUPP;
	if (cpt_mm_is_anon_hugetlb(file))
		return (vma->vm_flags & VM_MAYSHARE) ? CPT_PB_VMA_KIND_SHMEM : CPT_PB_VMA_KIND_ANON;
	if (IS_PRIVATE(file_inode(file)) || cpt_mm_nameless(file)) {
		*why = "hugetlb memory of a deleted file, a memfd or other file without a name";
		return -EOPNOTSUPP;
	}
	return CPT_PB_VMA_KIND_FILE;
}

/* The kind of a VMA a restart can recreate, or a negative errno and why not. */
static int cpt_mm_vma_kind(struct vm_area_struct *vma, const char **why)
{
	struct mm_struct *mm = vma->vm_mm;
	struct file *file = vma->vm_file;
	const char *name;
	int kind;

	if (is_vm_hugetlb_page(vma))
		return cpt_mm_hugetlb_kind(vma, why);
	kind = cpt_mm_special(vma, &name);
	if (kind) {
		*why = name ?: "a special mapping";
		return kind;
	}
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP)) {
		*why = "device memory";
		return -EOPNOTSUPP;
	}
	if (userfaultfd_armed(vma)) {
		*why = "memory registered with userfaultfd";
		return -EOPNOTSUPP;
	}
	if (vma_pkey(vma)) {
		*why = "memory with a protection key";
		return -EOPNOTSUPP;
	}
	if (!file) {
		if (vma->vm_flags & VM_MAYSHARE) {
			*why = "shared memory without a file";
			return -EOPNOTSUPP;
		}
		/* The tests of /proc/PID/maps for [heap] and [stack]. */
		if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
			return CPT_PB_VMA_KIND_HEAP;
		if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
			return CPT_PB_VMA_KIND_STACK;
		return CPT_PB_VMA_KIND_ANON;
	}
	if ((vma->vm_flags & VM_MAYSHARE) && cpt_mm_is_shared_anon(file))
		return CPT_PB_VMA_KIND_SHMEM;
	if (file->f_op == cpt_sym.shm_file_operations)
		return CPT_PB_VMA_KIND_SYSV_SHM;
	/* Saved with its AIO context (cpt_mm_aio.c), not as a VMA. */
	if (cpt_mm_is_aio_ring(file))
		return CPT_MM_KIND_AIO_RING;
	if (!S_ISREG(file_inode(file)->i_mode)) {
		*why = "a mapping of a device or special file";
		return -EOPNOTSUPP;
	}
	if (IS_PRIVATE(file_inode(file))) {
		*why = "a kernel-internal file";
		return -EOPNOTSUPP;
	}
	/* A restart finds files by name. */
	if (cpt_mm_nameless(file)) {
		*why = "a deleted file, or a memfd or other file without a name";
		return -EOPNOTSUPP;
	}
	return CPT_PB_VMA_KIND_FILE;
}

static int cpt_mm_add_run(struct cpt_mm_save *sv, unsigned long start,
			  unsigned long nr_pages)
{
	struct cpt_mm_run *last = sv->nr_runs ? &sv->runs[sv->nr_runs - 1] : NULL;
	struct cpt_mm_run *runs;
	size_t max;

	sv->nr_pages += nr_pages;
	if (last && last->start >= sv->vma_start &&
	    last->start + (last->nr_pages << PAGE_SHIFT) == start) {
		last->nr_pages += nr_pages;
		return 0;
	}
	if (sv->nr_runs == sv->max_runs) {
		max = max_t(size_t, 256, sv->max_runs * 2);
		runs = kvrealloc(sv->runs, sv->max_runs * sizeof(*runs),
				 max * sizeof(*runs), GFP_KERNEL_ACCOUNT);
		if (!runs)
			return -ENOMEM;
		sv->runs = runs;
		sv->max_runs = max;
	}
	sv->runs[sv->nr_runs].start = start;
	sv->runs[sv->nr_runs].nr_pages = nr_pages;
	sv->nr_runs++;
	return 0;
}

/*
 * Whether a private mapping's PTE holds memory of the process's own: an
 * anonymous page, present or swapped out. The zero page, page cache pages
 * and empty PTEs hold nothing. Called under the PTE lock.
 */
static int cpt_mm_pte_held(pte_t pte)
{
	swp_entry_t entry;
	unsigned long pfn;

	if (pte_none(pte))
		return 0;
	if (pte_present(pte)) {
		pfn = pte_pfn(pte);
		if (pte_special(pte) || !pfn_valid(pfn))
			return 0;
		return PageAnon(pfn_to_page(pfn));
	}
	entry = pte_to_swp_entry(pte);
	/* Only anonymous memory is swapped out through PTEs. */
	if (!non_swap_entry(entry))
		return 1;
	if (is_migration_entry(entry))
		return PageAnon(pfn_swap_entry_to_page(entry));
	/* A marker (uffd-wp) on an otherwise empty PTE. */
	if (is_pte_marker_entry(entry))
		return 0;
	if (is_hwpoison_entry(entry) || is_swapin_error_entry(entry))
		return -EIO;
	return -EOPNOTSUPP;	/* device-private memory */
}

/* The same for a huge PMD, under the PMD lock. */
static int cpt_mm_pmd_held(pmd_t pmd)
{
	if (pmd_devmap(pmd))
		return -EOPNOTSUPP;
	/* The huge zero page is not anonymous. */
	if (pmd_present(pmd))
		return PageAnon(pmd_page(pmd));
	if (is_pmd_migration_entry(pmd))
		return PageAnon(pfn_swap_entry_to_page(pmd_to_swp_entry(pmd)));
	return -EOPNOTSUPP;
}

static bool cpt_mm_pmd_is_leaf(pmd_t pmd)
{
	return is_swap_pmd(pmd) || pmd_trans_huge(pmd) || pmd_devmap(pmd);
}

/* Adds the held pages of one PMD's span [addr, end) of a private VMA. */
static int cpt_mm_scan_pmd(struct cpt_mm_save *sv, struct vm_area_struct *vma,
			   pmd_t *pmd, unsigned long addr, unsigned long end)
{
	DECLARE_BITMAP(held, PTRS_PER_PTE);
	unsigned int nr = (end - addr) >> PAGE_SHIFT;
	unsigned long pfn;
	unsigned int i, j;
	pte_t *start_pte;
	spinlock_t *ptl;	/* the PMD's or the page table's */
	pmd_t pmdval;
	pte_t pte;
	int ret = 0;

	pmdval = READ_ONCE(*pmd);
	if (pmd_none(pmdval))
		return 0;
	if (cpt_mm_pmd_is_leaf(pmdval)) {
		ptl = pmd_lock(sv->mm, pmd);
		pmdval = *pmd;
		if (cpt_mm_pmd_is_leaf(pmdval)) {
			ret = cpt_mm_pmd_held(pmdval);
			spin_unlock(ptl);
			if (ret <= 0)
				return ret;
			pfn = cpt_compat_thp_pfn(pmdval, addr);
			if (sv->cow.parent_vma && pfn != CPT_MM_COW_NO_PAGE) {
				for (i = 0; i < nr; i++)
					sv->cow.pfns[i] = pfn + i;
				cpt_mm_cow_compare(&sv->cow, addr, nr);
			}
			return cpt_mm_add_run(sv, addr, nr);
		}
		/* Split meanwhile: a page table now. */
		spin_unlock(ptl);
		if (pmd_none(pmdval))
			return 0;
	}
	if (pmd_bad(pmdval))
		return 0;

	/*
	 * Under mmap_lock, a page table of a VMA is not freed: only
	 * khugepaged's collapse does that, with the lock held for writing.
	 */
	bitmap_zero(held, PTRS_PER_PTE);
	start_pte = pte_offset_map_lock(sv->mm, pmd, addr, &ptl);
	for (i = 0; i < nr; i++) {
		pte = ptep_get(start_pte + i);
		ret = cpt_mm_pte_held(pte);
		if (ret < 0)
			break;
		if (ret)
			__set_bit(i, held);
		if (sv->cow.parent_vma)
			sv->cow.pfns[i] = ret && pte_present(pte) ? pte_pfn(pte) :
								    CPT_MM_COW_NO_PAGE;
	}
	pte_unmap_unlock(start_pte, ptl);
	if (ret < 0)
		return ret;
	cpt_mm_cow_compare(&sv->cow, addr, nr);

	for (i = find_first_bit(held, nr); i < nr; i = find_next_bit(held, nr, j)) {
		j = find_next_zero_bit(held, nr, i);
		ret = cpt_mm_add_run(sv, addr + ((unsigned long)i << PAGE_SHIFT), j - i);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A private VMA's own pages, found in its page tables: nothing is faulted
 * in, so untouched memory costs nothing, and swapped-out pages count.
 */
static int cpt_mm_scan_private(struct cpt_mm_save *sv, struct vm_area_struct *vma)
{
	unsigned long addr, next, end = vma->vm_end;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pud_t pudval;
	int ret;

	/* Without an anon_vma, no page of the VMA was ever written. */
	if (!vma->anon_vma)
		return 0;
	for (addr = vma->vm_start; addr < end; addr = next) {
		pgd = pgd_offset(sv->mm, addr);
		if (pgd_none(*pgd) || pgd_bad(*pgd)) {
			next = pgd_addr_end(addr, end);
			continue;
		}
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(*p4d) || p4d_bad(*p4d)) {
			next = p4d_addr_end(addr, end);
			continue;
		}
		pud = pud_offset(p4d, addr);
		pudval = READ_ONCE(*pud);
		if (pud_none(pudval) || pud_bad(pudval)) {
			if (pud_leaf(pudval))
				return -EOPNOTSUPP;
			next = pud_addr_end(addr, end);
			continue;
		}
		next = pmd_addr_end(addr, end);
		ret = cpt_mm_scan_pmd(sv, vma, pmd_offset(pud, addr), addr, next);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/*
 * The entry of a hugetlb page at addr in the page tables (what mm/hugetlb.c's
 * generic huge_pte_offset() finds): a PUD for 1 GiB pages, a PMD for 2 MiB.
 */
static pte_t *cpt_mm_huge_pte(struct mm_struct *mm, unsigned long addr, unsigned long size)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (!pgd_present(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (!p4d_present(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (size == PUD_SIZE)
		return (pte_t *)pud;
	if (!pud_present(*pud))
		return NULL;
	return (pte_t *)pmd_offset(pud, addr);
}

/*
 * A private hugetlb VMA's own pages: the anonymous huge pages its page
 * tables hold, each saved whole (its base pages). Only shared mappings
 * share their page tables (huge_pmd_share()), so under mmap_lock these
 * stay; a page of the hugetlbfs file itself, not yet copied on write,
 * is the file's.
 */
static int cpt_mm_scan_hugetlb(struct cpt_mm_save *sv, struct vm_area_struct *vma)
{
	struct hstate *h = hstate_vma(vma);
	unsigned long addr, size = huge_page_size(h);
	spinlock_t *ptl;	/* the PMD's, or the mm's for a PUD */
	pte_t *ptep;
	int ret;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += size) {
		ptep = cpt_mm_huge_pte(sv->mm, addr, size);
		if (!ptep)
			continue;
		ptl = huge_pte_lockptr(h, sv->mm, ptep);
		spin_lock(ptl);
		ret = cpt_mm_pte_held(huge_ptep_get(ptep));
		spin_unlock(ptl);
		if (ret > 0)
			ret = cpt_mm_add_run(sv, addr, size >> PAGE_SHIFT);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/*
 * The first page at or after *index, up to last, that a shmem file holds
 * in memory or in swap; on success *index is that page and *end the index
 * after the folio that holds it.
 */
static bool cpt_mm_shmem_find(struct address_space *mapping, pgoff_t *index,
			      pgoff_t last, pgoff_t *end, bool hugetlb)
{
	XA_STATE(xas, &mapping->i_pages, *index);
	struct folio *folio;
	bool found = false;
	void *entry;

	rcu_read_lock();
	while ((entry = xas_find(&xas, last))) {
		if (xas_retry(&xas, entry))
			continue;
		*index = xas.xa_index;
		if (xa_is_value(entry)) {
			*end = *index + 1;
			found = true;
			break;
		}
		folio = entry;
		if (!folio_try_get_rcu(folio)) {
			xas_reset(&xas);
			continue;
		}
		if (unlikely(folio != xas_reload(&xas))) {
			folio_put(folio);
			xas_reset(&xas);
			continue;
		}
		/* hugetlbfs indexes its page cache by huge page. */
		if (hugetlb)
			*end = *index + 1;
		else
			*end = max(folio->index + folio_nr_pages(folio), *index + 1);
		folio_put(folio);
		found = true;
		break;
	}
	rcu_read_unlock();
	return found;
}

/*
 * Shared anonymous memory keeps its pages in its shmem file, whether this
 * process ever touched them or not (another process may have, before a
 * fork): the file, not the page tables, says which pages exist. Called
 * for the range [first, last] of the VMA's page offsets that no VMA saved
 * before (cpt_mm_shmem_save_pages()).
 */
static int cpt_mm_scan_shmem(void *arg, unsigned long first, unsigned long last)
{
	struct cpt_mm_save *sv = arg;
	struct vm_area_struct *vma = sv->shmem_vma;
	struct address_space *mapping = vma->vm_file->f_mapping;
	/* A hugetlb object's page cache counts in huge pages; its VMAs are aligned to them. */
	unsigned int order = is_vm_hugetlb_page(vma) ? huge_page_order(hstate_vma(vma)) : 0;
	pgoff_t index = first >> order, end;
	int ret;

	sv->nr_scanned += last - first + 1;
	last >>= order;
	while (index <= last && cpt_mm_shmem_find(mapping, &index, last, &end, order)) {
		end = min(end, last + 1);
		ret = cpt_mm_add_run(sv, vma->vm_start +
				     (((index << order) - vma->vm_pgoff) << PAGE_SHIFT),
				     (end - index) << order);
		if (ret)
			return ret;
		index = end;
		cond_resched();
	}
	return 0;
}

static int cpt_mm_refuse(struct cpt_mm_save *sv, struct vm_area_struct *vma,
			 const char *why, int err)
{
	cpt_note("pid %d: cannot checkpoint %#lx-%#lx: %s\n",
		 task_pid_nr(sv->task), vma->vm_start, vma->vm_end, why);
	return err;
}

/* The path of a mapped file, as the checkpointing caller sees it. */
static char *cpt_mm_file_path(struct cpt_mm_save *sv, struct file *file)
{
	char *name = d_path(&file->f_path, sv->path, PATH_MAX);

	if (!IS_ERR(name) && *name != '/')
		name = ERR_PTR(-EOPNOTSUPP);
	return name;
}

/* Finds the pages of a VMA the image carries. */
static int cpt_mm_scan_vma(struct cpt_mm_save *sv, struct vm_area_struct *vma, int kind)
{
	int ret;

	sv->vma_start = vma->vm_start;
	switch (kind) {
	case CPT_PB_VMA_KIND_SHMEM:
		sv->shmem_vma = vma;
		return cpt_mm_shmem_save_pages(sv->s, vma, cpt_mm_scan_shmem, sv);
	case CPT_PB_VMA_KIND_FILE:
		/* The file keeps a shared mapping's data. */
		if (vma->vm_flags & VM_MAYSHARE)
			return 0;
		fallthrough;
	case CPT_PB_VMA_KIND_ANON:
	case CPT_PB_VMA_KIND_HEAP:
	case CPT_PB_VMA_KIND_STACK:
		sv->nr_scanned += vma_pages(vma);
		if (is_vm_hugetlb_page(vma))
			ret = cpt_mm_scan_hugetlb(sv, vma);
		else
			ret = cpt_mm_scan_private(sv, vma);
		if (ret == -EIO)
			return cpt_mm_refuse(sv, vma, "a page lost to a memory or swap error",
					     ret);
		if (ret == -EOPNOTSUPP)
			return cpt_mm_refuse(sv, vma, "device or huge-PUD memory", ret);
		return ret;
	default:
		return 0;	/* vdso and vvar: this kernel's own */
	}
}

static int cpt_mm_save_vma(struct cpt_mm_save *sv, struct vm_area_struct *vma,
			   struct cpt_pb_buf *msg)
{
	const unsigned long vm_flags = vma->vm_flags;
	struct cpt_pb_buf v;
	const char *why = NULL;
	char *path = NULL;
	u32 prot = 0, flags, shmem_id = 0;
	u64 shmem_size = 0;
	int kind, ret;

	kind = cpt_mm_vma_kind(vma, &why);
	if (kind < 0)
		return cpt_mm_refuse(sv, vma, why, kind);
	if (kind == CPT_MM_KIND_AIO_RING) {
		sv->nr_aio_rings++;
		return cpt_mm_aio_save(sv->task, vma, &sv->aio_rings);
	}
	if (kind == CPT_PB_VMA_KIND_FILE) {
		path = cpt_mm_file_path(sv, vma->vm_file);
		if (IS_ERR(path))
			return cpt_mm_refuse(sv, vma, "the mapped file has no usable path",
					     PTR_ERR(path));
	}
	if (kind == CPT_PB_VMA_KIND_SHMEM) {
		ret = cpt_mm_shmem_save(sv->s, vma, &shmem_id, &shmem_size);
		if (ret)
			return ret;
	}
	if (kind == CPT_PB_VMA_KIND_VDSO)
		sv->nr_vdso++;
	if (kind == CPT_PB_VMA_KIND_VVAR)
		sv->nr_vvar++;

	if (vm_flags & VM_READ)
		prot |= PROT_READ;
	if (vm_flags & VM_WRITE)
		prot |= PROT_WRITE;
	if (vm_flags & VM_EXEC)
		prot |= PROT_EXEC;
	flags = (vm_flags & VM_MAYSHARE) ? MAP_SHARED : MAP_PRIVATE;
	if (vm_flags & VM_GROWSDOWN)
		flags |= MAP_GROWSDOWN;

	cpt_pb_init(&v);
	cpt_pb_u64(&v, CPT_PB_VMA_START, vma->vm_start);
	cpt_pb_u64(&v, CPT_PB_VMA_END, vma->vm_end);
	cpt_pb_u64(&v, CPT_PB_VMA_PROT, prot);
	cpt_pb_u64(&v, CPT_PB_VMA_FLAGS, flags);
	if (path) {
		cpt_pb_u64(&v, CPT_PB_VMA_PGOFF, vma->vm_pgoff);
		cpt_pb_string(&v, CPT_PB_VMA_PATH, path);
		cpt_opener_save(&v, CPT_PB_VMA_OPENER, vma->vm_file);
	}
	if (kind == CPT_PB_VMA_KIND_SYSV_SHM) {
		cpt_pb_u64(&v, CPT_PB_VMA_PGOFF, vma->vm_pgoff);
		cpt_pb_u64(&v, CPT_PB_VMA_SYSV_SHM_ID, cpt_ipc_shm_id(vma->vm_file));
	}
	if (kind == CPT_PB_VMA_KIND_SHMEM) {
		cpt_pb_u64(&v, CPT_PB_VMA_PGOFF, vma->vm_pgoff);
		cpt_pb_u64(&v, CPT_PB_VMA_SHMEM_ID, shmem_id);
		cpt_pb_u64(&v, CPT_PB_VMA_SHMEM_SIZE, shmem_size);
	}
	if (is_vm_hugetlb_page(vma)) {
		/* MAP_HUGETLB memory is a file's too: at this offset in it. */
		if (kind == CPT_PB_VMA_KIND_ANON)
			cpt_pb_u64(&v, CPT_PB_VMA_PGOFF, vma->vm_pgoff);
		cpt_pb_u64(&v, CPT_PB_VMA_HUGE_PAGE_SIZE, vma_kernel_pagesize(vma));
	}
	cpt_pb_u64(&v, CPT_PB_VMA_KIND, kind);
	cpt_pb_u64(&v, CPT_PB_VMA_VM_FLAGS, vm_flags);

	/* The scan finds the pages the parent maps too: the VMA's last fields. */
	cpt_mm_cow_vma(&sv->cow, vma);
	ret = cpt_mm_scan_vma(sv, vma, kind);
	cpt_mm_cow_vma_done(&sv->cow, &v);
	cpt_pb_message(msg, CPT_PB_MM_VMAS, &v);
	return ret;
}

/* The saved auxv, up to and with its terminating AT_NULL pair. */
static void cpt_mm_save_auxv(struct mm_struct *mm, struct cpt_pb_buf *msg)
{
	unsigned int i, n = AT_VECTOR_SIZE;

	for (i = 0; i + 1 < AT_VECTOR_SIZE; i += 2) {
		if (mm->saved_auxv[i] == AT_NULL) {
			n = i + 2;
			break;
		}
	}
	for (i = 0; i < n; i++)
		cpt_pb_varint(msg, CPT_PB_MM_AUXV, mm->saved_auxv[i]);
}

static int cpt_mm_save_exe(struct cpt_mm_save *sv, struct cpt_pb_buf *msg)
{
	struct file *exe;
	char *path;

	rcu_read_lock();
	exe = rcu_dereference(sv->mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
	rcu_read_unlock();
	if (!exe) {
		cpt_note("pid %d: cannot checkpoint: no executable\n",
			 task_pid_nr(sv->task));
		return -EOPNOTSUPP;
	}
	if (cpt_mm_nameless(exe))
		path = ERR_PTR(-EOPNOTSUPP);
	else
		path = cpt_mm_file_path(sv, exe);
	if (IS_ERR(path))
		cpt_note("pid %d: its executable was deleted or has no path\n",
			 task_pid_nr(sv->task));
	else
		cpt_pb_string(msg, CPT_PB_MM_EXE, path);
	if (!IS_ERR(path))
		cpt_opener_save(msg, CPT_PB_MM_EXE_OPENER, exe);
	fput(exe);
	return PTR_ERR_OR_ZERO(path);
}

bool cpt_mm_shared_with_others(struct task_struct *task, struct mm_struct *mm)
{
	struct task_struct *p, *t;
	bool shared = false;

	/* Set by any CLONE_VM without CLONE_THREAD, vfork() included. */
	if (!test_bit(MMF_MULTIPROCESS, &mm->flags))
		return false;
	rcu_read_lock();
	for_each_process(p) {
		if (same_thread_group(p, task) || (p->flags & PF_KTHREAD))
			continue;
		for_each_thread(p, t) {
			if (READ_ONCE(t->mm) == mm) {
				shared = true;
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	return shared;
}

/* What mlockall() said of memory mapped later, from mm->def_flags. */
static u32 cpt_mm_mlockall(struct mm_struct *mm)
{
	u32 flags = 0;

	if (mm->def_flags & VM_LOCKED)
		flags |= MCL_FUTURE;
	if (mm->def_flags & VM_LOCKONFAULT)
		flags |= MCL_ONFAULT;
	return flags;
}

/* The Mm message: every VMA and the mm's facts; sv gets the page runs. */
static int cpt_mm_encode(struct cpt_mm_save *sv, struct cpt_pb_buf *msg)
{
	VMA_ITERATOR(vmi, sv->mm, 0);
	struct mm_struct *mm = sv->mm;
	unsigned long facts[CPT_MM_NR_FACTS];
	struct vm_area_struct *vma;
	unsigned int i;
	int ret;

	for_each_vma(vmi, vma) {
		ret = cpt_mm_save_vma(sv, vma, msg);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	if (sv->nr_vdso != 1 || sv->nr_vvar != 1) {
		cpt_note("pid %d: cannot checkpoint: it unmapped or moved its vDSO apart\n",
			 task_pid_nr(sv->task));
		return -EOPNOTSUPP;
	}
	cpt_mm_get_facts(mm, facts);
	for (i = 0; i < CPT_MM_NR_FACTS; i++)
		cpt_pb_u64(msg, cpt_mm_fact_fields[i], facts[i]);
	cpt_mm_save_auxv(mm, msg);
	ret = cpt_mm_save_exe(sv, msg);
	if (ret)
		return ret;
	cpt_pb_u64(msg, CPT_PB_MM_NR_PAGES, sv->nr_pages);
	cpt_pb_u64(msg, CPT_PB_MM_NR_IN_PARENT_PAGES, sv->cow.nr_pages);
	cpt_pb_u64(msg, CPT_PB_MM_MLOCKALL, cpt_mm_mlockall(mm));
	cpt_pb_u64(msg, CPT_PB_MM_MEMBARRIER, cpt_compat_membarrier_registrations(mm));
	ret = cpt_mm_aio_save_done(sv->task, mm, sv->nr_aio_rings);
	if (ret)
		return ret;
	/* Already framed: each AioRing as a field of the Mm. */
	cpt_pb_raw(msg, &sv->aio_rings);
	return msg->err;
}

/*
 * One run's pages, straight from the target's page frames to the image.
 * The scan found every page, so get_user_pages_remote() faults at most a
 * swapped-out page back in; it never writes to them. The mm's lock is held
 * only to take a batch's references, never while the image is written: a
 * pipe's reader faults under the pipe's mutex, which our write takes
 * (lockdep, debug kernel: mmap_lock -> pipe->mutex). The tree is frozen
 * and no other process shares its mm, so its VMAs stay as scanned.
 */
static int cpt_mm_write_run(struct cpt_session *s, struct cpt_mm_save *sv,
			    const struct cpt_mm_run *run)
{
	unsigned long addr = run->start, left = run->nr_pages;
	struct cpt_pages_header hdr;
	struct cpt_record_io io;
	unsigned long n, done, batch;
	long got, i;
	int ret;

	while (left) {
		n = min_t(unsigned long, left, CPT_RECORD_MAX_PAGES);
		hdr.start = addr;
		hdr.nr_pages = n;
		ret = cpt_record_write_begin(&s->img, &io, CPT_REC_PAGES,
					     sizeof(hdr) + n * PAGE_SIZE);
		if (!ret)
			ret = cpt_record_write_data(&io, &hdr, sizeof(hdr));
		for (done = 0; !ret && done < n; done += got) {
			batch = min_t(unsigned long, n - done, CPT_MM_GUP_BATCH);
			ret = mmap_read_lock_killable(sv->mm);
			if (ret)
				return ret;
			got = get_user_pages_remote(sv->mm, addr, batch, FOLL_FORCE,
						    sv->pages, NULL, NULL);
			mmap_read_unlock(sv->mm);
			if (got <= 0) {
				cpt_note("pid %d: cannot read its page at %#lx: %ld\n",
					 task_pid_nr(sv->task), addr, got);
				return got ?: -EFAULT;
			}
			ret = cpt_record_write_pages(&io, sv->pages, got);
			for (i = 0; i < got; i++)
				put_page(sv->pages[i]);
			addr += got << PAGE_SHIFT;
			cond_resched();
		}
		if (!ret)
			ret = cpt_record_write_end(&io);
		if (ret)
			return ret;
		left -= n;
	}
	return 0;
}

static void cpt_mm_save_free(struct cpt_mm_save *sv)
{
	kvfree(sv->runs);
	cpt_pb_free(&sv->aio_rings);
	kfree(sv->pages);
	kfree(sv->path);
}

int cpt_mm_save(struct cpt_session *s)
{
	struct cpt_mm_save sv = { .s = s, .task = s->cur->task };
	ktime_t started, scanned;
	struct cpt_pb_buf msg;
	size_t i;
	int ret;

	sv.mm = get_task_mm(s->cur->task);
	if (!sv.mm)
		return -ESRCH;
	if (cpt_mm_shared_with_others(s->cur->task, sv.mm)) {
		cpt_note("pid %d: cannot checkpoint: another process shares its memory\n",
			 task_pid_nr(s->cur->task));
		mmput(sv.mm);
		return -EOPNOTSUPP;
	}
	cpt_pb_init(&msg);
	cpt_pb_init(&sv.aio_rings);
	sv.path = kmalloc(PATH_MAX, GFP_KERNEL);
	sv.pages = kmalloc_array(CPT_MM_GUP_BATCH, sizeof(*sv.pages), GFP_KERNEL);
	if (!sv.path || !sv.pages) {
		ret = -ENOMEM;
		goto out;
	}

	/* Pages follow the record that counts them: scan all, then copy. */
	ret = mmap_read_lock_killable(sv.mm);
	if (ret)
		goto out;
	started = ktime_get();
	ret = cpt_mm_cow_begin(&sv.cow, s, sv.mm);
	if (!ret)
		ret = cpt_mm_encode(&sv, &msg);
	cpt_mm_cow_end(&sv.cow);
	mmap_read_unlock(sv.mm);
	scanned = ktime_get();
	if (!ret)
		ret = cpt_record_write(&s->img, CPT_REC_MM, msg.data, msg.len);
	for (i = 0; !ret && i < sv.nr_runs; i++)
		ret = cpt_mm_write_run(s, &sv, &sv.runs[i]);
	s->stats.mm_scan_ns += ktime_to_ns(ktime_sub(scanned, started));
	s->stats.mm_write_ns += ktime_to_ns(ktime_sub(ktime_get(), scanned));
	s->stats.pages_scanned += sv.nr_scanned;
	s->stats.pages_written += sv.nr_pages;
out:
	cpt_pb_free(&msg);
	cpt_mm_save_free(&sv);
	mmput(sv.mm);
	return ret;
}
