// SPDX-License-Identifier: GPL-2.0
/*
 * What a hugetlbfs file has reserved: mm/hugetlb.c keeps a hugetlbfs
 * inode's reservations in the resv_map at its i_mapping->private_data
 * (inode_resv_map(), private to it). For a file mapped shared, such as a
 * SysV SHM_HUGETLB segment, each range of huge pages reserved at its
 * making or given a page since is one file_region, in huge pages; a
 * SHM_NORESERVE segment's are only those its pages were faulted in for.
 * A restart makes a segment again with every page reserved, so one with
 * pages neither reserved nor present would come back changed: a checkpoint
 * refuses it. Checked: hugetlb_resv.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>

#include "cpt_compat.h"
#include "cpt_symbols.h"

/* The pages of [0, pages) of a hugetlbfs inode no region covers, or -EINVAL. */
long cpt_compat_hugetlb_unbacked(struct inode *inode, long pages)
{
	struct resv_map *resv;
	struct file_region *rg;
	long covered = 0;

	if (inode->i_sb->s_magic != HUGETLBFS_MAGIC || pages < 0)
		return -EINVAL;
	resv = inode->i_mapping->private_data;
	if (!resv)
		return -EINVAL;
	spin_lock(&resv->lock);
	list_for_each_entry(rg, &resv->regions, link)
		if (rg->to > 0 && rg->from < pages)
			covered += min(rg->to, pages) - max(rg->from, 0L);
	spin_unlock(&resv->lock);
	return pages - covered;
}

static int cpt_test_hugetlb_resv(vm_flags_t acctflag, long want)
{
	struct file *file;
	long unbacked;

	/* Of PMD-sized pages, which x86-64 always has. */
	file = cpt_sym.hugetlb_file_setup(HUGETLB_ANON_FILE, PMD_SIZE, acctflag,
					  HUGETLB_ANONHUGE_INODE, PMD_SHIFT);
	if (IS_ERR(file))
		return PTR_ERR(file);
	unbacked = cpt_compat_hugetlb_unbacked(file_inode(file), 1);
	fput(file);
	if (unbacked != want)
		return cpt_compat_fail("a hugetlb file of a page (%s) has %ld unreserved, not %ld",
				       acctflag ? "VM_NORESERVE" : "reserved", unbacked, want);
	return 0;
}

/*
 * A file of one huge page made with VM_NORESERVE has it unreserved; one
 * made without has it reserved, when the system has a free huge page to
 * reserve (a load with none tests the first half only).
 */
int cpt_check_hugetlb_resv(void)
{
	int ret;

	if (!hugepages_supported())
		return cpt_compat_untested("no hugetlb memory here");
	ret = cpt_test_hugetlb_resv(VM_NORESERVE, 1);
	if (ret && ret != -ENOEXEC)
		return cpt_compat_untested("cannot make a hugetlb file (%d)", ret);
	if (ret)
		return ret;
	ret = cpt_test_hugetlb_resv(0, 0);
	/* No free huge page to reserve: hugetlb_acct_memory() says -ENOMEM. */
	return ret == -ENOMEM ? 0 : ret;
}
