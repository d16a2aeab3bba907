// SPDX-License-Identifier: GPL-2.0
/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS: a kernel-internal
 * shmem file) across the processes of a tree, which share such an object
 * through fork(). A checkpoint gives each object an id the first time a
 * VMA of the tree maps it, and saves each of its pages once, with the
 * first VMA that maps it; it refuses an object that a process outside the
 * tree maps too, since a restart could not share it with that process. A
 * restart makes the object when the first VMA names its id (records are
 * read in the order they were written: the same VMA), and every later VMA
 * maps that same object.
 */
#include <linux/bsearch.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/log2.h>
#include <linux/maple_tree.h>
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
#include "cpt_symbols.h"

/* An object a checkpoint saw. */
struct cpt_mm_shmem_obj {
	struct file *file;		/* a reference: the inode, its identity, stays */
	u32 id;
	/* the ranges of page offsets whose pages the image has, each with its first */
	struct maple_tree saved;
};

/* The session's shared anonymous objects. */
struct cpt_mm_shmem {
	/* checkpoint: the tree's address spaces, sorted, to tell a stranger's */
	struct mm_struct **tree_mms;
	unsigned int nr_tree_mms;
	/* checkpoint: the objects seen so far, by inode */
	struct xarray seen;
	u32 nr_seen;
	/* restart: the objects made so far, by id, each a file reference */
	struct xarray made;
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
	xa_init(&reg->made);
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

/* An address space outside the tree that maps the object, or NULL. */
static struct mm_struct *cpt_mm_shmem_stranger(struct cpt_mm_shmem *reg,
					       struct address_space *mapping)
{
	struct mm_struct *stranger = NULL;
	struct vm_area_struct *vma;
	struct rb_node *node;

	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		if (!cpt_mm_in_tree(reg, vma->vm_mm)) {
			stranger = vma->vm_mm;
			break;
		}
	}
	i_mmap_unlock_read(mapping);
	return stranger;
}

static int cpt_mm_shmem_refuse(struct task_struct *task, struct vm_area_struct *vma,
			       struct mm_struct *stranger)
{
	pid_t pid = cpt_mm_owner_pid(stranger);
	char with[24] = "";

	if (pid)
		snprintf(with, sizeof(with), " with pid %d", pid);
	cpt_note("pid %d: cannot checkpoint %#lx-%#lx: %s%s outside the tree\n",
		 task_pid_nr(task), vma->vm_start, vma->vm_end,
		 "shared anonymous memory shared", with);
	return -EOPNOTSUPP;
}

/* The object a shared anonymous VMA maps, seen before or new. */
static struct cpt_mm_shmem_obj *cpt_mm_shmem_obj(struct cpt_session *s,
						 struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct cpt_mm_shmem *reg = cpt_mm_shmem_registry(s);
	struct cpt_mm_shmem_obj *obj;
	struct mm_struct *stranger;
	int ret;

	if (!reg)
		return ERR_PTR(-ENOMEM);
	obj = xa_load(&reg->seen, (unsigned long)inode);
	if (obj)
		return obj;
	/* Once per object: who maps it does not change while the tree is frozen. */
	stranger = cpt_mm_shmem_stranger(reg, inode->i_mapping);
	if (stranger)
		return ERR_PTR(cpt_mm_shmem_refuse(s->cur->task, vma, stranger));
	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	mt_init(&obj->saved);
	obj->id = reg->nr_seen + 1;
	ret = xa_err(xa_store(&reg->seen, (unsigned long)inode, obj, GFP_KERNEL_ACCOUNT));
	if (ret) {
		kfree(obj);
		return ERR_PTR(ret);
	}
	obj->file = get_file(vma->vm_file);
	reg->nr_seen++;
	return obj;
}

int cpt_mm_shmem_save(struct cpt_session *s, struct vm_area_struct *vma, u32 *id, u64 *size)
{
	struct cpt_mm_shmem_obj *obj = cpt_mm_shmem_obj(s, vma);

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	*id = obj->id;
	*size = i_size_read(file_inode(obj->file));
	return 0;
}

/* Marks [first, last] saved, and has its pages saved by fn. */
static int cpt_mm_shmem_save_range(struct cpt_mm_shmem_obj *obj, pgoff_t first, pgoff_t last,
				   cpt_mm_shmem_pages_fn fn, void *arg)
{
	int ret = mtree_store_range(&obj->saved, first, last, xa_mk_value(first),
				    GFP_KERNEL_ACCOUNT);

	return ret ?: fn(arg, first, last);
}

int cpt_mm_shmem_save_pages(struct cpt_session *s, struct vm_area_struct *vma,
			    cpt_mm_shmem_pages_fn fn, void *arg)
{
	struct cpt_mm_shmem_obj *obj = cpt_mm_shmem_obj(s, vma);
	pgoff_t index = vma->vm_pgoff, last = index + vma_pages(vma) - 1;
	unsigned long next, start;
	void *range;
	int ret;

	if (IS_ERR(obj))
		return PTR_ERR(obj);
	/* The gaps between the ranges saved already, from index on. */
	while (index <= last) {
		next = index;
		range = mt_find(&obj->saved, &next, last);
		if (!range)
			return cpt_mm_shmem_save_range(obj, index, last, fn, arg);
		/* A range [start, next - 1] saved, at or after index. */
		start = xa_to_value(range);
		if (start > index) {
			ret = cpt_mm_shmem_save_range(obj, index, start - 1, fn, arg);
			if (ret)
				return ret;
		}
		if (!next)
			break;	/* the range ended at ULONG_MAX */
		index = next;
	}
	return 0;
}

/*
 * MAP_HUGETLB memory's object, as mmap() makes it, but with its huge pages
 * reserved now unless VM_NORESERVE (mmap() reserves a shared object's when
 * it maps it, which a restart does past its point of no return): a restart
 * that cannot have them fails while the task is still whole. Not noted:
 * the caller names the VMA.
 */
struct file *cpt_mm_hugetlb_setup(u64 size, unsigned long vm_flags, u64 huge_page_size)
{
	struct file *file;

	file = cpt_sym.hugetlb_file_setup(HUGETLB_ANON_FILE, size, vm_flags & VM_NORESERVE,
					  HUGETLB_ANONHUGE_INODE, ilog2(huge_page_size));
	return file;
}

/*
 * The object of the given id, made by its first VMA with the saved size
 * (and, as mmap() would, charged unless MAP_NORESERVE): a new reference.
 */
struct file *cpt_mm_shmem_restore(struct cpt_session *s, u32 id, u64 size,
				  unsigned long vm_flags, u64 huge_page_size)
{
	struct cpt_mm_shmem *reg = cpt_mm_shmem_registry(s);
	struct file *file;
	int ret;

	if (!reg)
		return ERR_PTR(-ENOMEM);
	file = xa_load(&reg->made, id);
	if (file) {
		if (i_size_read(file_inode(file)) != size)
			cpt_note("image: shared memory %u of %llu bytes, or %lld\n",
				 id, size, i_size_read(file_inode(file)));
		else if (cpt_mm_huge_page_size(file) != huge_page_size)
			cpt_note("image: shared memory %u of pages of %llu bytes, or %lu\n",
				 id, huge_page_size ?: PAGE_SIZE,
				 cpt_mm_huge_page_size(file) ?: PAGE_SIZE);
		else
			return get_file(file);
		return ERR_PTR(-EBADMSG);
	}
	/* A VMA's failure to have huge pages is noted by the caller, naming it. */
	if (huge_page_size) {
		file = cpt_mm_hugetlb_setup(size, vm_flags, huge_page_size);
		if (IS_ERR(file))
			return file;
	} else {
		file = cpt_sym.shmem_kernel_file_setup("dev/zero", size, vm_flags & VM_NORESERVE);
	}
	if (IS_ERR(file)) {
		cpt_note("cannot make shared memory of %llu bytes: %ld\n", size, PTR_ERR(file));
		return file;
	}
	ret = xa_insert(&reg->made, id, file, GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	return get_file(file);
}

void cpt_mm_shmem_release(struct cpt_session *s)
{
	struct cpt_mm_shmem *reg = s->shmem;
	struct cpt_mm_shmem_obj *obj;
	struct file *file;
	unsigned long i;

	if (!reg)
		return;
	xa_for_each(&reg->seen, i, obj) {
		mtree_destroy(&obj->saved);
		fput(obj->file);
		kfree(obj);
	}
	xa_destroy(&reg->seen);
	xa_for_each(&reg->made, i, file)
		fput(file);
	xa_destroy(&reg->made);
	kvfree(reg->tree_mms);
	kfree(reg);
	s->shmem = NULL;
}
