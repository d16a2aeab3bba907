// SPDX-License-Identifier: GPL-2.0
/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS: a kernel-internal
 * shmem file) across the processes of a tree. Processes share such an
 * object through fork(): a checkpoint must see that it is one object, and
 * refuse one that a process outside the tree maps too, since a restart
 * could not share it with that process.
 */
#include <linux/bsearch.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xarray.h>

#include "cpt_mm.h"
#include "cpt_session.h"

/* The session's shared anonymous objects. */
struct cpt_mm_shmem {
	/* checkpoint: the tree's address spaces, sorted, to tell a stranger's */
	struct mm_struct **tree_mms;
	unsigned int nr_tree_mms;
	/* checkpoint: the objects seen so far, by inode, each with a file reference */
	struct xarray seen;
};

static int cpt_mm_ptr_cmp(const void *a, const void *b)
{
	const uintptr_t x = (uintptr_t)*(void * const *)a, y = (uintptr_t)*(void * const *)b;

	return x < y ? -1 : x > y;
}

/* The tree's address spaces; its tasks are frozen, so they stay. */
static int cpt_mm_shmem_tree_mms(struct cpt_session *s, struct cpt_mm_shmem *reg)
{
	struct mm_struct *mm;
	unsigned int i;

	reg->tree_mms = kvmalloc_array(max(s->nr_tasks, 1U), sizeof(*reg->tree_mms),
				       GFP_KERNEL_ACCOUNT);
	if (!reg->tree_mms)
		return -ENOMEM;
	for (i = 0; i < s->nr_tasks; i++) {
		if (!cpt_task_is_leader(&s->tasks[i]) || s->tasks[i].zombie)
			continue;
		mm = READ_ONCE(s->tasks[i].task->mm);
		if (mm)
			reg->tree_mms[reg->nr_tree_mms++] = mm;
	}
	sort(reg->tree_mms, reg->nr_tree_mms, sizeof(*reg->tree_mms), cpt_mm_ptr_cmp, NULL);
	return 0;
}

static struct cpt_mm_shmem *cpt_mm_shmem_registry(struct cpt_session *s)
{
	struct cpt_mm_shmem *reg = s->shmem;

	if (reg)
		return reg;
	reg = kzalloc(sizeof(*reg), GFP_KERNEL_ACCOUNT);
	if (!reg)
		return NULL;
	xa_init(&reg->seen);
	s->shmem = reg;
	if (s->mode == CPT_MODE_CHECKPOINT && cpt_mm_shmem_tree_mms(s, reg))
		return NULL;	/* freed with the session */
	return reg;
}

static bool cpt_mm_in_tree(struct cpt_mm_shmem *reg, struct mm_struct *mm)
{
	return bsearch(&mm, reg->tree_mms, reg->nr_tree_mms, sizeof(*reg->tree_mms),
		       cpt_mm_ptr_cmp);
}

/* The process an address space belongs to, as the caller sees it; 0 if unknown. */
static pid_t cpt_mm_owner_pid(struct mm_struct *mm)
{
	pid_t pid = 0;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		pid = task_tgid_vnr(owner);
	rcu_read_unlock();
#endif
	return pid;
}

/*
 * An address space other than mm that maps the object: one outside the
 * tree if there is one (*outside set), else one of the tree, else NULL.
 */
static struct mm_struct *cpt_mm_shmem_other(struct cpt_mm_shmem *reg,
					    struct address_space *mapping,
					    struct mm_struct *mm, bool *outside)
{
	struct mm_struct *other = NULL;
	struct vm_area_struct *vma;
	struct rb_node *node;

	*outside = false;
	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		if (vma->vm_mm == mm)
			continue;
		other = vma->vm_mm;
		if (!cpt_mm_in_tree(reg, other)) {
			*outside = true;
			break;
		}
	}
	i_mmap_unlock_read(mapping);
	return other;
}

static int cpt_mm_shmem_refuse(struct task_struct *task, struct vm_area_struct *vma,
			       struct mm_struct *other, bool outside)
{
	pid_t pid = cpt_mm_owner_pid(other);
	char with[24] = "";

	if (pid)
		snprintf(with, sizeof(with), " with pid %d", pid);
	cpt_note("pid %d: cannot checkpoint %#lx-%#lx: shared anonymous memory shared%s %s\n",
		 task_pid_nr(task), vma->vm_start, vma->vm_end, with,
		 outside ? "outside the tree" : "of the tree, which a restart would not share");
	return -EOPNOTSUPP;
}

int cpt_mm_shmem_save(struct cpt_session *s, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct cpt_mm_shmem *reg = cpt_mm_shmem_registry(s);
	struct mm_struct *other;
	bool outside;
	int ret;

	if (!reg)
		return -ENOMEM;
	if (xa_load(&reg->seen, (unsigned long)inode))
		return 0;
	/* Once per object: who maps it does not change while the tree is frozen. */
	other = cpt_mm_shmem_other(reg, inode->i_mapping, vma->vm_mm, &outside);
	if (other)
		return cpt_mm_shmem_refuse(s->cur->task, vma, other, outside);
	ret = xa_err(xa_store(&reg->seen, (unsigned long)inode, get_file(vma->vm_file),
			      GFP_KERNEL_ACCOUNT));
	if (ret)
		fput(vma->vm_file);
	return ret;
}

void cpt_mm_shmem_release(struct cpt_session *s)
{
	struct cpt_mm_shmem *reg = s->shmem;
	struct file *file;
	unsigned long i;

	if (!reg)
		return;
	xa_for_each(&reg->seen, i, file)
		fput(file);
	xa_destroy(&reg->seen);
	kvfree(reg->tree_mms);
	kfree(reg);
	s->shmem = NULL;
}
