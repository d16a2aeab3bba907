// SPDX-License-Identifier: GPL-2.0
/*
 * SysV IPC: the shared memory segments, semaphore sets and message queues
 * of the tree's IPC namespace that are the tree's: those its users own or
 * made, and the segments its processes attach. A checkpoint's INIT saves
 * them right after the tree (CPT_REC_IPC); a restart's INIT makes them
 * again, each with its id, before any task of the tree exists, so that the
 * tasks' memory can attach the segments again.
 *
 * Both sides go through the kernel's own IPC syscalls, in the caller and
 * with its credentials. A checkpoint saves what the caller may read
 * (SHM_STAT, SEM_STAT and MSG_STAT check that), reads a segment through an
 * attachment of its own and copies messages with MSG_COPY, as CRIU does. A
 * restart sets the namespace's next id (the field the kernel.*_next_id
 * sysctls set) before each shmget(), semget() and msgget(). An object that
 * still has the saved id, key and size is kept as it is: SysV objects
 * outlive the tasks that use them.
 */
#include <linux/capability.h>
#include <linux/hugetlb.h>
#include <linux/hugetlb_inline.h>
#include <linux/ipc.h>
#include <linux/ipc_namespace.h>
#include <linux/log2.h>
#include <linux/mman.h>
#include <linux/msg.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sem.h>
#include <linux/shm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_compat.h"

/* ipc/util.h's indexes of ipc_namespace.ids[]. */
#define CPT_IPC_SEM_IDS 0
#define CPT_IPC_MSG_IDS 1
#define CPT_IPC_SHM_IDS 2
/* ipc/shm.c's mode bit of a segment removed while attached */
#define CPT_SHM_DEST 01000

/* The segments' bytes one image holds: its record's limit, less room for the rest. */
#define CPT_IPC_MAX_CONTENT (CPT_RECORD_MAX_MESSAGE - (1U << 20))
/* The most objects of each kind an image may name. */
#define CPT_IPC_MAX_OBJECTS 32768

static struct ipc_namespace *cpt_ipc_ns(void)
{
	return current->nsproxy ? current->nsproxy->ipc_ns : NULL;
}

/*
 * The id the next object of a kind made in the caller's IPC namespace
 * gets, as the kernel.{sem,msg,shm}_next_id sysctls set it, and with their
 * rule: CAP_CHECKPOINT_RESTORE over the namespace. -1 clears it.
 */
static int cpt_ipc_set_next_id(unsigned int kind, long long id)
{
	struct ipc_namespace *ns = cpt_ipc_ns();
	struct ipc_ids *ids;

	if (!ns)
		return -ESRCH;
	if (!checkpoint_restore_ns_capable(ns->user_ns))
		return -EPERM;
	ids = &ns->ids[kind];
	down_write(&ids->rwsem);
	ids->next_id = id;
	up_write(&ids->rwsem);
	return 0;
}

int cpt_ipc_next_id(u32 id_kind, u64 id)
{
	static const unsigned int kinds[] = {
		[CPT_ID_SYSV_SHM] = CPT_IPC_SHM_IDS,
		[CPT_ID_SYSV_SEM] = CPT_IPC_SEM_IDS,
		[CPT_ID_SYSV_MSG] = CPT_IPC_MSG_IDS,
	};

	if (id_kind < CPT_ID_SYSV_SHM || id_kind > CPT_ID_SYSV_MSG ||
	    (id > INT_MAX && id != CPT_ID_NONE))
		return -EINVAL;
	return cpt_ipc_set_next_id(kinds[id_kind], id == CPT_ID_NONE ? -1 : id);
}

int cpt_ipc_shm_id(struct file *attachment)
{
	return ((const struct cpt_shm_file_data *)attachment->private_data)->id;
}

/*
 * The size and page size (0: base pages; SHM_HUGETLB's otherwise) of the
 * current task's attachment at addr.
 */
static unsigned long cpt_ipc_attachment(unsigned long addr, unsigned long *huge_page_size)
{
	struct vm_area_struct *vma;
	unsigned long size = 0;

	*huge_page_size = 0;
	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, addr);
	if (vma) {
		size = vma->vm_end - vma->vm_start;
		if (is_vm_hugetlb_page(vma))
			*huge_page_size = vma_kernel_pagesize(vma);
	}
	mmap_read_unlock(current->mm);
	return size;
}

/*
 * Attaches [offset, offset + len) of segment id at start, with prot, in the
 * restoring task. shmat() maps a whole segment: it is attached wherever the
 * kernel likes, the part moved into place with mremap(), the rest detached.
 * The segment's pages must have the saved size.
 */
int cpt_ipc_attach(int id, unsigned long start, unsigned long len, unsigned long offset,
		   u32 prot, u64 huge_page_size)
{
	int flags = (prot & PROT_WRITE ? 0 : SHM_RDONLY) | (prot & PROT_EXEC ? SHM_EXEC : 0);
	unsigned long size, pages;
	long addr, moved;

	addr = cpt_sys(cpt_sym.sys_shmat, id, 0, flags, 0, 0);
	if (IS_ERR_VALUE(addr)) {
		cpt_note("cannot attach SysV shm id %d again at %#lx: %ld\n", id, start, addr);
		return addr;
	}
	size = cpt_ipc_attachment(addr, &pages);
	if (offset > size || len > size - offset || pages != huge_page_size) {
		cpt_sys(cpt_sym.sys_shmdt, addr, 0, 0, 0, 0);
		cpt_note("SysV shm id %d: %#lx bytes from %#lx %s %llu bytes\n", id, len, offset,
			 "lie outside it, or its pages are not of", huge_page_size ?: PAGE_SIZE);
		return -EINVAL;
	}
	moved = cpt_sys(cpt_sym.sys_mremap, addr + offset, len, len,
			MREMAP_MAYMOVE | MREMAP_FIXED, start);
	if (offset)
		vm_munmap(addr, offset);
	if (offset + len < size)
		vm_munmap(addr + offset + len, size - offset - len);
	if (IS_ERR_VALUE(moved)) {
		cpt_note("cannot move SysV shm id %d to %#lx: %ld\n", id, start, moved);
		return moved;
	}
	/* shmat() gives read, or read-write, and exec; mprotect() the rest. */
	if (prot != (PROT_READ | (prot & (PROT_WRITE | PROT_EXEC))))
		return cpt_sys(cpt_sym.sys_mprotect, start, len, prot, 0, 0);
	return 0;
}

/* ---- checkpoint ---- */

struct cpt_ipc_save {
	struct cpt_pb_buf *msg;
	struct cpt_ubuf ub;
	u64 content;		/* segment bytes so far */
	unsigned int unreadable;
	struct xarray uids;	/* each uid, euid, suid and fsuid of the tree's tasks */
	struct xarray shm_ids;	/* the segments the tree's processes attach */
};

static int cpt_ipc_note(struct xarray *xa, unsigned long index)
{
	int ret = xa_insert(xa, index, xa_mk_value(1), GFP_KERNEL_ACCOUNT);

	return ret == -EBUSY ? 0 : ret;
}

/* The ids a task of the tree may own an object by, or may have made it with. */
static int cpt_ipc_tree_uids(struct cpt_ipc_save *sv, struct cpt_session *s)
{
	const struct cred *cred;
	kuid_t ids[4];
	unsigned int i, j;
	int ret = 0;

	for (i = 0; !ret && i < s->nr_tasks; i++) {
		cred = get_task_cred(s->tasks[i].task);
		ids[0] = cred->uid;
		ids[1] = cred->euid;
		ids[2] = cred->suid;
		ids[3] = cred->fsuid;
		put_cred(cred);
		for (j = 0; !ret && j < ARRAY_SIZE(ids); j++)
			ret = cpt_ipc_note(&sv->uids, __kuid_val(ids[j]));
	}
	return ret;
}

static bool cpt_ipc_is_shm(const struct file *file)
{
	return file->f_op == cpt_sym.shm_file_operations ||
	       file->f_op == cpt_sym.shm_file_operations_huge;
}

/* The segments the tree's processes attach (the tree is frozen). */
static int cpt_ipc_tree_attachments(struct cpt_ipc_save *sv, struct cpt_session *s)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < s->nr_tasks; i++) {
		if (!cpt_task_is_leader(&s->tasks[i]) || s->tasks[i].zombie)
			continue;
		mm = get_task_mm(s->tasks[i].task);
		if (!mm)
			continue;
		ret = mmap_read_lock_killable(mm);
		if (!ret) {
			VMA_ITERATOR(vmi, mm, 0);

			for_each_vma(vmi, vma) {
				if (!vma->vm_file || !cpt_ipc_is_shm(vma->vm_file))
					continue;
				ret = cpt_ipc_note(&sv->shm_ids, cpt_ipc_shm_id(vma->vm_file));
				if (ret)
					break;
			}
			mmap_read_unlock(mm);
		}
		mmput(mm);
		cond_resched();
	}
	return ret;
}

/*
 * Whether the object is the tree's: owned or made by one of its tasks' ids,
 * or (shm) attached by one of its processes. Another user's object the
 * tree only uses through its id lives and dies with that user: saved, it
 * would come back on a restart after its owner removed it, and its size
 * would count against the image's (review F13).
 */
static bool cpt_ipc_tree_uses(struct cpt_ipc_save *sv, int id, const struct ipc64_perm *perm,
			      bool shm)
{
	kuid_t uid = make_kuid(current_user_ns(), perm->uid);
	kuid_t cuid = make_kuid(current_user_ns(), perm->cuid);

	if (shm && xa_load(&sv->shm_ids, id))
		return true;
	return (uid_valid(uid) && xa_load(&sv->uids, __kuid_val(uid))) ||
	       (uid_valid(cuid) && xa_load(&sv->uids, __kuid_val(cuid)));
}

static void cpt_ipc_encode_perm(struct cpt_pb_buf *obj, u32 field, int id,
				const struct ipc64_perm *p)
{
	struct cpt_pb_buf perm;

	cpt_pb_init(&perm);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_ID, id);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_KEY, (u32)p->key);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_UID, p->uid);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_GID, p->gid);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_CUID, p->cuid);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_CGID, p->cgid);
	cpt_pb_u64(&perm, CPT_PB_IPC_PERM_MODE, p->mode);
	cpt_pb_message(obj, field, &perm);
}

/* The kind's ctl syscall: semctl() takes (semid, semnum, cmd, arg), the others (id, cmd, buf). */
static long cpt_ipc_ctl(long (*ctl)(const struct pt_regs *regs), long id, int cmd,
			unsigned long buf)
{
	if (ctl == cpt_sym.sys_semctl)
		return cpt_sys(ctl, id, 0, cmd, buf, 0);
	return cpt_sys(ctl, id, cmd, buf, 0, 0);
}

/*
 * Walks the kind's objects by index, as ipcs does: *_INFO gives the highest
 * index in use, *_STAT an index's object and id, if the caller may read it.
 */
static int cpt_ipc_walk(struct cpt_ipc_save *sv, long (*ctl)(const struct pt_regs *regs),
			int info, int stat, void *ds, size_t ds_size,
			int (*save)(struct cpt_ipc_save *sv, int id, void *ds))
{
	long max, idx, id;
	int ret = 0;

	max = cpt_ipc_ctl(ctl, 0, info, sv->ub.addr);
	if (max < 0)
		return max;
	for (idx = 0; !ret && idx <= max; idx++) {
		id = cpt_ipc_ctl(ctl, idx, stat, sv->ub.addr);
		if (id == -EINVAL || id == -EIDRM)
			continue;
		if (id == -EACCES) {
			sv->unreadable++;
			continue;
		}
		if (id < 0)
			return id;
		if (copy_from_user(ds, (void __user *)sv->ub.addr, ds_size))
			return -EFAULT;
		ret = save(sv, id, ds);
		cond_resched();
	}
	return ret;
}

/*
 * How many of the pages of the SHM_HUGETLB segment attached at addr have
 * neither a page nor a reservation (SHM_NORESERVE's), or a negative errno.
 * Asked before the segment is read, which gives every page one.
 */
static long cpt_ipc_shm_unbacked(unsigned long addr, long pages)
{
	struct vm_area_struct *vma;
	long unbacked = -EINVAL;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, addr);
	if (vma && vma->vm_file)
		unbacked = cpt_compat_hugetlb_unbacked(file_inode(vma->vm_file), pages);
	mmap_read_unlock(current->mm);
	return unbacked;
}

/* A segment's bytes, read through an attachment of the caller's own. */
static int cpt_ipc_save_shm(struct cpt_ipc_save *sv, int id, void *p)
{
	const struct shmid64_ds *ds = p;
	unsigned long huge_page_size;
	struct cpt_pb_buf shm;
	size_t len = ds->shm_segsz;
	long addr;
	u8 *buf;
	int ret;

	if (!cpt_ipc_tree_uses(sv, id, &ds->shm_perm, true))
		return 0;
	if (len > CPT_IPC_MAX_CONTENT - sv->content) {
		cpt_note("SysV shm id %d: %zu bytes, more than an image holds of segments (%u)\n",
			 id, len, CPT_IPC_MAX_CONTENT);
		return -EFBIG;
	}
	buf = kvmalloc(len ?: 1, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	addr = cpt_sys(cpt_sym.sys_shmat, id, 0, SHM_RDONLY, 0, 0);
	if (IS_ERR_VALUE(addr)) {
		kvfree(buf);
		return addr;
	}
	cpt_ipc_attachment(addr, &huge_page_size);
	if (huge_page_size) {
		long pages = DIV_ROUND_UP(len, huge_page_size);
		long unbacked = cpt_ipc_shm_unbacked(addr, pages);

		if (unbacked) {
			cpt_sys(cpt_sym.sys_shmdt, addr, 0, 0, 0, 0);
			kvfree(buf);
			if (unbacked < 0)
				return unbacked;
			cpt_note("SysV shm id %d: SHM_NORESERVE: %ld of its %ld huge pages %s\n",
				 id, unbacked, pages,
				 "have neither a page nor a reservation, which a restart would make");
			return -EOPNOTSUPP;
		}
	}
	ret = copy_from_user(buf, (void __user *)addr, len) ? -EFAULT : 0;
	cpt_sys(cpt_sym.sys_shmdt, addr, 0, 0, 0, 0);
	while (len && !buf[len - 1])
		len--;
	sv->content += len;
	cpt_pb_init(&shm);
	cpt_ipc_encode_perm(&shm, CPT_PB_SYSV_SHM_PERM, id, &ds->shm_perm);
	cpt_pb_u64(&shm, CPT_PB_SYSV_SHM_SIZE, ds->shm_segsz);
	if (len)
		cpt_pb_bytes(&shm, CPT_PB_SYSV_SHM_CONTENT, buf, len);
	if (huge_page_size)
		cpt_pb_u64(&shm, CPT_PB_SYSV_SHM_HUGE_PAGE_SIZE, huge_page_size);
	kvfree(buf);
	if (ret) {
		cpt_pb_free(&shm);
		return ret;
	}
	cpt_pb_message(sv->msg, CPT_PB_SYSV_IPC_SHMS, &shm);
	return sv->msg->err;
}

static int cpt_ipc_save_sem(struct cpt_ipc_save *sv, int id, void *p)
{
	const struct semid64_ds *ds = p;
	unsigned long i, nsems = ds->sem_nsems;
	struct cpt_pb_buf sem;
	u16 *values;
	long ret;

	if (!cpt_ipc_tree_uses(sv, id, &ds->sem_perm, false))
		return 0;
	values = kvmalloc_array(nsems ?: 1, sizeof(*values), GFP_KERNEL_ACCOUNT);
	if (!values)
		return -ENOMEM;
	ret = cpt_ubuf_get(&sv->ub, nsems * sizeof(*values));
	if (!ret)
		ret = cpt_sys(cpt_sym.sys_semctl, id, 0, GETALL, sv->ub.addr, 0);
	if (!ret && copy_from_user(values, (void __user *)sv->ub.addr, nsems * sizeof(*values)))
		ret = -EFAULT;
	if (ret) {
		kvfree(values);
		return ret;
	}
	cpt_pb_init(&sem);
	cpt_ipc_encode_perm(&sem, CPT_PB_SYSV_SEM_PERM, id, &ds->sem_perm);
	for (i = 0; i < nsems; i++)
		cpt_pb_varint(&sem, CPT_PB_SYSV_SEM_VALUES, values[i]);
	kvfree(values);
	cpt_pb_message(sv->msg, CPT_PB_SYSV_IPC_SEMS, &sem);
	return sv->msg->err;
}

/* The queue's messages, oldest first, copied in place with MSG_COPY. */
static int cpt_ipc_save_msq(struct cpt_ipc_save *sv, int id, void *p)
{
	const struct msqid64_ds *ds = p;
	size_t text_max = ds->msg_cbytes;
	struct cpt_pb_buf msq, one;
	unsigned long i;
	long n, type;
	u8 *text;
	int ret;

	if (!cpt_ipc_tree_uses(sv, id, &ds->msg_perm, false))
		return 0;
	if (text_max > CPT_IPC_MAX_CONTENT - sv->content) {
		cpt_note("SysV msq id %d: %zu bytes queued, more than an image holds (%u)\n",
			 id, text_max, CPT_IPC_MAX_CONTENT);
		return -EFBIG;
	}
	sv->content += text_max;
	ret = cpt_ubuf_get(&sv->ub, sizeof(long) + text_max);
	if (ret)
		return ret;
	text = kvmalloc(text_max ?: 1, GFP_KERNEL_ACCOUNT);
	if (!text)
		return -ENOMEM;
	cpt_pb_init(&msq);
	cpt_ipc_encode_perm(&msq, CPT_PB_SYSV_MSQ_PERM, id, &ds->msg_perm);
	cpt_pb_u64(&msq, CPT_PB_SYSV_MSQ_QBYTES, ds->msg_qbytes);
	for (i = 0; i < ds->msg_qnum; i++) {
		n = cpt_sys(cpt_sym.sys_msgrcv, id, sv->ub.addr, text_max, i,
			    IPC_NOWAIT | MSG_COPY);
		if (n == -ENOMSG)
			break;	/* someone outside the tree took messages meanwhile */
		ret = n < 0 ? n : 0;
		if (!ret && (get_user(type, (long __user *)sv->ub.addr) ||
			     copy_from_user(text, (void __user *)(sv->ub.addr + sizeof(long)), n)))
			ret = -EFAULT;
		if (ret)
			break;
		cpt_pb_init(&one);
		cpt_pb_u64(&one, CPT_PB_SYSV_MESSAGE_TYPE, type);
		if (n)
			cpt_pb_bytes(&one, CPT_PB_SYSV_MESSAGE_TEXT, text, n);
		cpt_pb_message(&msq, CPT_PB_SYSV_MSQ_MESSAGES, &one);
	}
	kvfree(text);
	if (ret) {
		cpt_pb_free(&msq);
		return ret;
	}
	cpt_pb_message(sv->msg, CPT_PB_SYSV_IPC_MSQS, &msq);
	return sv->msg->err;
}

static bool cpt_ipc_has_undos(struct task_struct *p)
{
	struct cpt_sem_undo_list *ulp = (void *)READ_ONCE(p->sysvsem.undo_list);
	bool any;

	if (!ulp)
		return false;
	spin_lock(&ulp->lock);
	any = !list_empty(&ulp->list_proc);
	spin_unlock(&ulp->lock);
	return any;
}

/*
 * Whether every task of the tree, and the caller, are in one IPC namespace
 * (the objects are read through the caller's), and none has semaphore
 * adjustments to undo at its exit (SEM_UNDO), which are not saved.
 */
static int cpt_ipc_check_tasks(struct cpt_session *s)
{
	struct ipc_namespace *ns = cpt_ipc_ns();
	struct task_struct *p;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < s->nr_tasks; i++) {
		p = s->tasks[i].task;
		if (p->exit_state)
			continue;
		task_lock(p);
		if (p->nsproxy && p->nsproxy->ipc_ns != ns)
			ret = -EXDEV;
		else if (cpt_ipc_has_undos(p))
			ret = -EOPNOTSUPP;
		task_unlock(p);
	}
	if (ret == -EXDEV)
		cpt_note("pid %u is in another IPC namespace than the checkpointing caller: %s\n",
			 s->tasks[i - 1].pid, "checkpoint from inside it (nsenter --ipc)");
	else if (ret)
		cpt_note("pid %u: semaphore adjustments (%s) are not supported\n",
			 s->tasks[i - 1].pid, "semop() with SEM_UNDO");
	return ret;
}

/* In INIT, after the tree: the tree's SysV objects of its IPC namespace. */
int cpt_ipc_write(struct cpt_session *s)
{
	struct cpt_ipc_save sv = {};
	struct cpt_pb_buf msg;
	union {
		struct shmid64_ds shm;
		struct semid64_ds sem;
		struct msqid64_ds msq;
	} ds;
	int ret;

	ret = cpt_ipc_check_tasks(s);
	if (ret)
		return ret;
	cpt_pb_init(&msg);
	sv.msg = &msg;
	xa_init(&sv.uids);
	xa_init(&sv.shm_ids);
	ret = cpt_ipc_tree_uids(&sv, s) ?: cpt_ipc_tree_attachments(&sv, s);
	if (!ret)
		ret = cpt_ubuf_get(&sv.ub, sizeof(ds));
	if (!ret)
		ret = cpt_ipc_walk(&sv, cpt_sym.sys_shmctl, SHM_INFO, SHM_STAT, &ds.shm,
				   sizeof(ds.shm), cpt_ipc_save_shm);
	if (!ret)
		ret = cpt_ipc_walk(&sv, cpt_sym.sys_semctl, SEM_INFO, SEM_STAT, &ds.sem,
				   sizeof(ds.sem), cpt_ipc_save_sem);
	if (!ret)
		ret = cpt_ipc_walk(&sv, cpt_sym.sys_msgctl, MSG_INFO, MSG_STAT, &ds.msq,
				   sizeof(ds.msq), cpt_ipc_save_msq);
	cpt_ubuf_put(&sv.ub);
	xa_destroy(&sv.uids);
	xa_destroy(&sv.shm_ids);
	if (!ret && sv.unreadable)
		pr_info("cpt: %u SysV objects the checkpointing caller may not read were left out\n",
			sv.unreadable);
	ret = ret ?: msg.err ?: cpt_record_write(&s->img, CPT_REC_IPC, msg.data, msg.len);
	cpt_pb_free(&msg);
	return ret;
}

/* ---- restart ---- */

struct cpt_ipc_object {
	long (*ctl)(const struct pt_regs *regs);
	int id;
	bool created;		/* by this restart: removed if it fails */
	bool remove;		/* a removed segment: removed again once attached */
};

struct cpt_ipc_restore {
	struct ipc_namespace *ns;	/* where the objects were made; an identity */
	struct cpt_ubuf ub;
	unsigned int nr;
	unsigned int cap;
	struct cpt_ipc_object *objs;
};

/* One object of the record, decoded; pointers are into the record. */
struct cpt_ipc_image {
	u32 id;
	u32 key;
	u32 uid;
	u32 gid;
	u32 mode;
	u64 size;		/* shm: bytes; sem: semaphores; msq: qbytes */
	const u8 *content;	/* shm */
	size_t content_len;
	u64 huge_page_size;	/* shm: SHM_HUGETLB's, or 0 */
	struct cpt_pb_field msg;	/* walked again: sem's values, msq's messages */
};

/* Each kind: its syscalls, its *64_ds and what of it a restart checks. */
struct cpt_ipc_kind {
	const char *name;
	unsigned int ids;
	u32 perm_field;
	u32 size_field;
	/* the cpt_sym entries of its ctl and get syscalls, resolved at load */
	long (**ctl)(const struct pt_regs *regs);
	long (**get)(const struct pt_regs *regs);
	size_t ds_size;
	struct ipc64_perm *(*perm)(void *ds);
	u64 (*size)(const void *ds);	/* what the object must still have to be kept */
};

static struct ipc64_perm *cpt_shm_perm(void *ds)
{
	return &((struct shmid64_ds *)ds)->shm_perm;
}

static u64 cpt_shm_size(const void *ds)
{
	return ((const struct shmid64_ds *)ds)->shm_segsz;
}

static struct ipc64_perm *cpt_sem_perm(void *ds)
{
	return &((struct semid64_ds *)ds)->sem_perm;
}

static u64 cpt_sem_size(const void *ds)
{
	return ((const struct semid64_ds *)ds)->sem_nsems;
}

static struct ipc64_perm *cpt_msq_perm(void *ds)
{
	return &((struct msqid64_ds *)ds)->msg_perm;
}

static u64 cpt_msq_size(const void *ds)
{
	return ((const struct msqid64_ds *)ds)->msg_qbytes;
}

static int cpt_ipc_decode_perm(const struct cpt_pb_field *pf, struct cpt_ipc_image *obj)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_IPC_PERM_ID:
			cpt_pb_read_u32(&r, &f, &obj->id);
			break;
		case CPT_PB_IPC_PERM_KEY:
			cpt_pb_read_u32(&r, &f, &obj->key);
			break;
		case CPT_PB_IPC_PERM_UID:
			cpt_pb_read_u32(&r, &f, &obj->uid);
			break;
		case CPT_PB_IPC_PERM_GID:
			cpt_pb_read_u32(&r, &f, &obj->gid);
			break;
		case CPT_PB_IPC_PERM_MODE:
			cpt_pb_read_u32(&r, &f, &obj->mode);
			break;
		}
	}
	return cpt_pb_end(&r);
}

/* An object of the record; its list of values or messages is walked later. */
static int cpt_ipc_decode(const struct cpt_ipc_kind *kind, const struct cpt_pb_field *of,
			  struct cpt_ipc_image *obj)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	*obj = (struct cpt_ipc_image) { .msg = *of };
	cpt_pb_for_each_subfield(&r, of, &f) {
		if (f.num == kind->perm_field)
			cpt_pb_fail(&r, cpt_ipc_decode_perm(&f, obj));
		else if (f.num == kind->size_field)
			cpt_pb_read_u64(&r, &f, &obj->size);
		else if (kind->ids == CPT_IPC_SHM_IDS && f.num == CPT_PB_SYSV_SHM_CONTENT)
			cpt_pb_read_bytes(&r, &f, &obj->content, &obj->content_len);
		else if (kind->ids == CPT_IPC_SHM_IDS && f.num == CPT_PB_SYSV_SHM_HUGE_PAGE_SIZE)
			cpt_pb_read_u64(&r, &f, &obj->huge_page_size);
	}
	if (cpt_pb_end(&r) || obj->id > INT_MAX)
		return -EBADMSG;
	/* The page sizes this architecture has: shmget() asks for one by its log2. */
	if (obj->huge_page_size && obj->huge_page_size != PMD_SIZE &&
	    obj->huge_page_size != PUD_SIZE)
		return -EBADMSG;
	return 0;
}

/*
 * The object with the saved id, if there is one: 0 when it has the saved
 * key and size, and is kept as it is; -EEXIST when it is another.
 */
static int cpt_ipc_existing(struct cpt_ipc_restore *r, const struct cpt_ipc_kind *kind,
			    const struct cpt_ipc_image *obj, void *ds)
{
	long ret = cpt_ipc_ctl(*kind->ctl, obj->id, IPC_STAT, r->ub.addr);

	if (ret == -EINVAL || ret == -EIDRM)
		return -ENOENT;
	if (!ret && copy_from_user(ds, (void __user *)r->ub.addr, kind->ds_size))
		ret = -EFAULT;
	if (!ret && kind->ids != CPT_IPC_MSG_IDS && kind->size(ds) != obj->size)
		ret = -EEXIST;
	if (!ret && (u32)kind->perm(ds)->key != obj->key)
		ret = -EEXIST;
	if (ret)
		cpt_note("SysV %s id %u is taken by another object than the image's (%ld): %s\n",
			 kind->name, obj->id, ret, "remove it (ipcrm) first");
	return ret ? -EEXIST : 0;
}

static struct cpt_ipc_object *cpt_ipc_track(struct cpt_ipc_restore *r)
{
	struct cpt_ipc_object *objs;

	if (r->nr == r->cap) {
		objs = krealloc_array(r->objs, r->cap * 2 + 16, sizeof(*objs), GFP_KERNEL_ACCOUNT);
		if (!objs)
			return NULL;
		r->objs = objs;
		r->cap = r->cap * 2 + 16;
	}
	r->objs[r->nr] = (struct cpt_ipc_object) {};
	return &r->objs[r->nr++];
}

/* Makes the object with the saved id, through the next id and the kind's get(). */
static int cpt_ipc_create(struct cpt_ipc_restore *r, const struct cpt_ipc_kind *kind,
			  const struct cpt_ipc_image *obj, unsigned long size)
{
	struct cpt_ipc_object *tracked = cpt_ipc_track(r);
	/* A SHM_HUGETLB segment: shmget() takes its page size's log2. */
	int flags = obj->huge_page_size ?
		    SHM_HUGETLB | ilog2(obj->huge_page_size) << SHM_HUGE_SHIFT : 0;
	long id;
	int ret;

	if (!tracked)
		return -ENOMEM;
	tracked->ctl = *kind->ctl;
	ret = cpt_ipc_set_next_id(kind->ids, obj->id);
	if (ret) {
		r->nr--;
		cpt_note("SysV %s id %u: making it again needs CAP_CHECKPOINT_RESTORE\n",
			 kind->name, obj->id);
		return ret;
	}
	/* msgget() takes (key, flags), the others (key, size, flags). */
	if (kind->ids == CPT_IPC_MSG_IDS)
		id = cpt_sys(*kind->get, obj->key, IPC_CREAT | IPC_EXCL | 0600, 0, 0, 0);
	else
		id = cpt_sys(*kind->get, obj->key, size, IPC_CREAT | IPC_EXCL | 0600 | flags, 0, 0);
	cpt_ipc_set_next_id(kind->ids, -1);
	if (id >= 0 && id != obj->id) {
		cpt_ipc_ctl(*kind->ctl, id, IPC_RMID, 0);
		id = -EEXIST;
	}
	if (id < 0) {
		r->nr--;
		cpt_note("SysV %s id %u, key %#x: cannot make it again: %ld%s\n",
			 kind->name, obj->id, obj->key, id,
			 obj->huge_page_size ? " (SHM_HUGETLB: not enough free huge pages?)" : "");
		return id;
	}
	tracked->id = id;
	tracked->created = true;
	return 0;
}

/* Last, since the saved owner and mode may not let the caller in. */
static int cpt_ipc_set_perm(struct cpt_ipc_restore *r, const struct cpt_ipc_kind *kind,
			    const struct cpt_ipc_image *obj, void *ds)
{
	struct ipc64_perm *p = kind->perm(ds);
	long ret;

	ret = cpt_ipc_ctl(*kind->ctl, obj->id, IPC_STAT, r->ub.addr);
	if (!ret && copy_from_user(ds, (void __user *)r->ub.addr, kind->ds_size))
		ret = -EFAULT;
	if (ret)
		return ret;
	p->uid = obj->uid;
	p->gid = obj->gid;
	p->mode = obj->mode & 0777;
	if (kind->ids == CPT_IPC_MSG_IDS)
		((struct msqid64_ds *)ds)->msg_qbytes = obj->size;
	if (copy_to_user((void __user *)r->ub.addr, ds, kind->ds_size))
		return -EFAULT;
	ret = cpt_ipc_ctl(*kind->ctl, obj->id, IPC_SET, r->ub.addr);
	if (ret)
		cpt_note("SysV %s id %u: cannot give it owner %u:%u, mode %#o%s: %ld\n",
			 kind->name, obj->id, obj->uid, obj->gid, obj->mode & 0777,
			 kind->ids == CPT_IPC_MSG_IDS ? " and its byte limit" : "", ret);
	return ret;
}

static int cpt_ipc_fill_shm(struct cpt_ipc_restore *r, const struct cpt_ipc_image *obj)
{
	long addr;
	int ret;

	if (!obj->content_len)
		return 0;
	addr = cpt_sys(cpt_sym.sys_shmat, obj->id, 0, 0, 0, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	ret = copy_to_user((void __user *)addr, obj->content, obj->content_len) ? -EFAULT : 0;
	cpt_sys(cpt_sym.sys_shmdt, addr, 0, 0, 0, 0);
	return ret;
}

static int cpt_ipc_fill_sem(struct cpt_ipc_restore *r, const struct cpt_ipc_image *obj)
{
	struct cpt_pb_reader items;
	struct cpt_pb_field f;
	unsigned int n = 0;
	u16 __user *values;
	u32 value;
	int ret;

	ret = cpt_ubuf_get(&r->ub, obj->size * sizeof(u16));
	if (ret)
		return ret;
	values = (u16 __user *)r->ub.addr;
	cpt_pb_for_each_subfield(&items, &obj->msg, &f) {
		if (f.num != CPT_PB_SYSV_SEM_VALUES)
			continue;
		if (!cpt_pb_read_u32(&items, &f, &value) || n >= obj->size || value > U16_MAX)
			return -EBADMSG;
		if (put_user(value, &values[n++]))
			return -EFAULT;
	}
	if (cpt_pb_end(&items) || n != obj->size)
		return -EBADMSG;
	ret = cpt_sys(cpt_sym.sys_semctl, obj->id, 0, SETALL, r->ub.addr, 0);
	if (ret)
		cpt_note("SysV sem id %u: cannot set its values again: %d\n", obj->id, ret);
	return ret;
}

static int cpt_ipc_decode_message(const struct cpt_pb_field *mf, u64 *type,
				  const u8 **text, size_t *len)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	*type = 0;
	*text = NULL;
	*len = 0;
	cpt_pb_for_each_subfield(&r, mf, &f) {
		if (f.num == CPT_PB_SYSV_MESSAGE_TYPE)
			cpt_pb_read_u64(&r, &f, type);
		else if (f.num == CPT_PB_SYSV_MESSAGE_TEXT)
			cpt_pb_read_bytes(&r, &f, text, len);
	}
	if (cpt_pb_end(&r) || !*type || *type > LONG_MAX)
		return -EBADMSG;
	return 0;
}

/*
 * The queue's messages, sent again in order. Its byte limit is raised
 * first, so that they all fit, as the saved queue held them.
 */
static int cpt_ipc_fill_msq(struct cpt_ipc_restore *r, const struct cpt_ipc_image *obj)
{
	struct cpt_pb_reader items;
	struct msqid64_ds ds;
	struct cpt_pb_field f;
	const u8 *text;
	size_t len;
	u64 type;
	int ret;

	ret = cpt_sys(cpt_sym.sys_msgctl, obj->id, IPC_STAT, r->ub.addr, 0, 0);
	if (!ret && copy_from_user(&ds, (void __user *)r->ub.addr, sizeof(ds)))
		ret = -EFAULT;
	if (!ret && obj->size > ds.msg_qbytes) {
		ds.msg_qbytes = obj->size;
		ret = copy_to_user((void __user *)r->ub.addr, &ds, sizeof(ds)) ? -EFAULT :
		      cpt_sys(cpt_sym.sys_msgctl, obj->id, IPC_SET, r->ub.addr, 0, 0);
	}
	if (ret)
		return ret;
	cpt_pb_for_each_subfield(&items, &obj->msg, &f) {
		if (f.num != CPT_PB_SYSV_MSQ_MESSAGES)
			continue;
		ret = cpt_ipc_decode_message(&f, &type, &text, &len);
		if (!ret)
			ret = cpt_ubuf_get(&r->ub, sizeof(long) + len);
		if (!ret && (put_user((long)type, (long __user *)r->ub.addr) ||
			     copy_to_user((void __user *)(r->ub.addr + sizeof(long)), text, len)))
			ret = -EFAULT;
		if (!ret)
			ret = cpt_sys(cpt_sym.sys_msgsnd, obj->id, r->ub.addr, len, IPC_NOWAIT, 0);
		if (ret && ret != -EBADMSG && ret != -EFAULT)
			cpt_note("SysV msq id %u: cannot queue a %zu-byte message again: %d\n",
				 obj->id, len, ret);
		cpt_pb_fail(&items, ret);
	}
	return cpt_pb_end(&items);
}

static const struct cpt_ipc_kind cpt_ipc_shm_kind = {
	.name = "shm", .ids = CPT_IPC_SHM_IDS,
	.ctl = &cpt_sym.sys_shmctl, .get = &cpt_sym.sys_shmget,
	.perm_field = CPT_PB_SYSV_SHM_PERM, .size_field = CPT_PB_SYSV_SHM_SIZE,
	.ds_size = sizeof(struct shmid64_ds), .perm = cpt_shm_perm, .size = cpt_shm_size,
};

static const struct cpt_ipc_kind cpt_ipc_sem_kind = {
	.name = "sem", .ids = CPT_IPC_SEM_IDS, .perm_field = CPT_PB_SYSV_SEM_PERM,
	.ctl = &cpt_sym.sys_semctl, .get = &cpt_sym.sys_semget,
	.ds_size = sizeof(struct semid64_ds), .perm = cpt_sem_perm, .size = cpt_sem_size,
};

static const struct cpt_ipc_kind cpt_ipc_msq_kind = {
	.name = "msq", .ids = CPT_IPC_MSG_IDS,
	.ctl = &cpt_sym.sys_msgctl, .get = &cpt_sym.sys_msgget,
	.perm_field = CPT_PB_SYSV_MSQ_PERM, .size_field = CPT_PB_SYSV_MSQ_QBYTES,
	.ds_size = sizeof(struct msqid64_ds), .perm = cpt_msq_perm, .size = cpt_msq_size,
};

/* A semaphore set's size is how many values it has. */
static int cpt_ipc_count_values(struct cpt_ipc_image *obj)
{
	struct cpt_pb_reader items;
	struct cpt_pb_field f;

	obj->size = 0;
	cpt_pb_for_each_subfield(&items, &obj->msg, &f)
		if (f.num == CPT_PB_SYSV_SEM_VALUES)
			obj->size++;
	return cpt_pb_end(&items);
}

/* A segment kept as it is must have the saved page size too. */
static int cpt_ipc_check_shm_pages(const struct cpt_ipc_image *obj)
{
	unsigned long huge_page_size;
	long addr;

	addr = cpt_sys(cpt_sym.sys_shmat, obj->id, 0, SHM_RDONLY, 0, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	cpt_ipc_attachment(addr, &huge_page_size);
	cpt_sys(cpt_sym.sys_shmdt, addr, 0, 0, 0, 0);
	if (huge_page_size == obj->huge_page_size)
		return 0;
	cpt_note("SysV shm id %u is taken by a segment of pages of %lu bytes, not %llu: %s\n",
		 obj->id, huge_page_size ?: PAGE_SIZE, obj->huge_page_size ?: PAGE_SIZE,
		 "remove it (ipcrm) first");
	return -EEXIST;
}

static int cpt_ipc_restore_one(struct cpt_ipc_restore *r, const struct cpt_ipc_kind *kind,
			       const struct cpt_pb_field *of)
{
	union {
		struct shmid64_ds shm;
		struct semid64_ds sem;
		struct msqid64_ds msq;
	} ds;
	struct cpt_ipc_image obj;
	unsigned long get_size = 0;
	int ret;

	ret = cpt_ipc_decode(kind, of, &obj);
	if (!ret && kind == &cpt_ipc_sem_kind)
		ret = cpt_ipc_count_values(&obj);
	if (!ret && kind == &cpt_ipc_shm_kind &&
	    (!obj.size || obj.size > ULONG_MAX || obj.content_len > obj.size))
		ret = -EBADMSG;
	if (ret) {
		cpt_note("image: malformed SysV %s\n", kind->name);
		return -EBADMSG;
	}
	ret = cpt_ipc_existing(r, kind, &obj, &ds);
	if (!ret && kind == &cpt_ipc_shm_kind)
		ret = cpt_ipc_check_shm_pages(&obj);
	if (ret != -ENOENT)
		return ret;
	if (kind != &cpt_ipc_msq_kind)
		get_size = obj.size;
	ret = cpt_ipc_create(r, kind, &obj, get_size);
	if (ret)
		return ret;
	if (kind == &cpt_ipc_shm_kind)
		ret = cpt_ipc_fill_shm(r, &obj);
	else if (kind == &cpt_ipc_sem_kind)
		ret = cpt_ipc_fill_sem(r, &obj);
	else
		ret = cpt_ipc_fill_msq(r, &obj);
	if (!ret)
		ret = cpt_ipc_set_perm(r, kind, &obj, &ds);
	if (!ret && kind == &cpt_ipc_shm_kind && (obj.mode & CPT_SHM_DEST))
		r->objs[r->nr - 1].remove = true;
	return ret;
}

static int cpt_ipc_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_ipc_restore *r = s->ipc;
	const struct cpt_ipc_kind *kind;
	struct cpt_pb_reader rd;
	struct cpt_pb_field f;
	unsigned int nr = 0;
	int ret;

	ret = cpt_ubuf_get(&r->ub, sizeof(struct shmid64_ds) + sizeof(struct msqid64_ds));
	if (ret)
		return ret;
	cpt_pb_for_each_field(&rd, data, len, &f) {
		switch (f.num) {
		case CPT_PB_SYSV_IPC_SHMS:
			kind = &cpt_ipc_shm_kind;
			break;
		case CPT_PB_SYSV_IPC_SEMS:
			kind = &cpt_ipc_sem_kind;
			break;
		case CPT_PB_SYSV_IPC_MSQS:
			kind = &cpt_ipc_msq_kind;
			break;
		default:
			continue;
		}
		if (++nr > 3 * CPT_IPC_MAX_OBJECTS) {
			cpt_note("image: more than %u SysV objects\n", 3 * CPT_IPC_MAX_OBJECTS);
			return -EBADMSG;
		}
		cpt_pb_fail(&rd, cpt_ipc_restore_one(r, kind, &f));
		cond_resched();
	}
	return cpt_pb_end(&rd);
}

/* Removes what this restart made: it failed. */
static void cpt_ipc_undo(struct cpt_ipc_restore *r)
{
	unsigned int i;

	if (cpt_ipc_ns() != r->ns) {
		if (r->nr)
			pr_warn("cpt: a failed restart could not remove the SysV objects it made\n");
		return;
	}
	for (i = 0; i < r->nr; i++)
		if (r->objs[i].created)
			cpt_ipc_ctl(r->objs[i].ctl, r->objs[i].id, IPC_RMID, 0);
	r->nr = 0;
}

/* In INIT, after the tree: the image's SysV objects, each with its id. */
int cpt_ipc_read(struct cpt_session *s)
{
	struct cpt_ipc_restore *r;
	void *msg;
	size_t len;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->ns = cpt_ipc_ns();
	s->ipc = r;
	msg = cpt_record_read(&s->img, CPT_REC_IPC, &len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	ret = cpt_ipc_restore(s, msg, len);
	kvfree(msg);
	cpt_ubuf_put(&r->ub);
	if (ret)
		cpt_ipc_undo(r);
	return ret;
}

/*
 * At FINALIZE, every task attached what it had: a segment that was removed
 * while attached is removed again, and goes when they all detach.
 */
void cpt_ipc_finish(struct cpt_session *s)
{
	struct cpt_ipc_restore *r = s->ipc;
	unsigned int i;

	if (!r || cpt_ipc_ns() != r->ns)
		return;
	for (i = 0; i < r->nr; i++)
		if (r->objs[i].remove)
			cpt_ipc_ctl(r->objs[i].ctl, r->objs[i].id, IPC_RMID, 0);
	r->nr = 0;
}

void cpt_ipc_abort(struct cpt_session *s)
{
	if (s->ipc)
		cpt_ipc_undo(s->ipc);
}

void cpt_ipc_free(struct cpt_session *s)
{
	if (!s->ipc)
		return;
	kfree(s->ipc->objs);
	kfree(s->ipc);
	s->ipc = NULL;
}
