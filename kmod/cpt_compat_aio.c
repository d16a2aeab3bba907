// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for AIO contexts (cpt_mm_aio.c): what fs/aio.c
 * keeps private. A context (struct kioctx) is found in its mm's
 * ioctx_table by its ring's file; the ring is that file's pages, a header
 * (struct aio_ring) then the io_events. Checked at load (aio_ctx): a
 * context the loading task makes with io_setup() must read as io_setup()
 * made it, one completion and one request in flight must count as such.
 */
#include <linux/aio_abi.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/percpu-refcount.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "cpt_compat.h"
#include "cpt_symbols.h"

#define CPT_AIO_RING_MAGIC 0xa10a10a1
#define CPT_AIO_RING_COMPAT_FEATURES 1
#define CPT_AIO_RING_INCOMPAT_FEATURES 0

/* fs/aio.c's struct aio_ring: the ring's header, as its first page has it. */
struct cpt_aio_ring {
	unsigned int id;
	unsigned int nr;
	unsigned int head;
	unsigned int tail;
	unsigned int magic;
	unsigned int compat_features;
	unsigned int incompat_features;
	unsigned int header_length;
	struct io_event io_events[];
};

/* fs/aio.c's struct kioctx_table and struct kioctx_cpu (6.1). */
struct cpt_kioctx_table {
	struct rcu_head rcu;
	unsigned int nr;
	void __rcu *table[];
};

struct cpt_kioctx_cpu {
	unsigned int reqs_available;
};

/* fs/aio.c's struct kioctx (6.1), field for field. */
struct cpt_kioctx {
	struct percpu_ref users;
	atomic_t dead;
	struct percpu_ref reqs;
	unsigned long user_id;
	struct cpt_kioctx_cpu __percpu *cpu;
	unsigned int req_batch;
	unsigned int max_reqs;
	unsigned int nr_events;
	unsigned long mmap_base;
	unsigned long mmap_size;
	struct page **ring_pages;
	long nr_pages;
	struct rcu_work free_rwork;
	void *rq_wait;
	struct {
		atomic_t reqs_available;
	} ____cacheline_aligned_in_smp;
	struct {
		spinlock_t ctx_lock;		/* fs/aio.c's comments say what each is */
		struct list_head active_reqs;
	} ____cacheline_aligned_in_smp;
	struct {
		struct mutex ring_lock;		/* head's, and the ring pages' */
		wait_queue_head_t wait;
	} ____cacheline_aligned_in_smp;
	struct {
		unsigned int tail;
		unsigned int completed_events;
		spinlock_t completion_lock;	/* tail's */
	} ____cacheline_aligned_in_smp;
	struct page *internal_pages[8];
	struct file *aio_ring_file;
	unsigned int id;
};

#define CPT_AIO_EVENT_SIZE sizeof(struct io_event)
#define CPT_AIO_HEADER_SIZE sizeof(struct cpt_aio_ring)

u32 cpt_compat_aio_nr_events(u32 max_reqs, unsigned long *size)
{
	/* ioctx_alloc() and aio_setup_ring() */
	u64 nr = (u64)max_t(u32, max_reqs, num_possible_cpus() * 4) * 2;
	unsigned long pages;

	*size = 0;
	if (!max_reqs || nr > 0x10000000U / CPT_AIO_EVENT_SIZE)
		return 0;
	nr += 2;
	pages = PFN_UP(CPT_AIO_HEADER_SIZE + nr * CPT_AIO_EVENT_SIZE);
	*size = pages << PAGE_SHIFT;
	return (*size - CPT_AIO_HEADER_SIZE) / CPT_AIO_EVENT_SIZE;
}

unsigned long cpt_compat_aio_event_offset(u32 index)
{
	return CPT_AIO_HEADER_SIZE + (unsigned long)index * CPT_AIO_EVENT_SIZE;
}

unsigned long cpt_compat_aio_head_offset(void)
{
	return offsetof(struct cpt_aio_ring, head);
}

/* Reads len bytes at off of the ring's pages (the file's page cache). */
static int cpt_aio_ring_read(struct file *ring_file, unsigned long off, void *buf, size_t len)
{
	struct page *page;
	void *addr;

	if (offset_in_page(off) + len > PAGE_SIZE)
		return -EINVAL;
	page = find_get_page(ring_file->f_mapping, off >> PAGE_SHIFT);
	if (!page)
		return -EFAULT;
	addr = kmap_local_page(page);
	memcpy(buf, addr + offset_in_page(off), len);
	kunmap_local(addr);
	put_page(page);
	return 0;
}

int cpt_compat_aio_event(struct file *ring_file, u32 index, struct io_event *ev)
{
	return cpt_aio_ring_read(ring_file, cpt_compat_aio_event_offset(index), ev, sizeof(*ev));
}

/*
 * The requests of ctx not completed: each takes a slot of the ring
 * (reqs_available, partly cached per CPU) until it completed and its event
 * was reaped (completed_events counts those not given back yet). Under
 * completion_lock, which aio_complete() holds.
 */
static u32 cpt_aio_in_flight(struct cpt_kioctx *ctx)
{
	long free = atomic_read(&ctx->reqs_available);
	int cpu;

	for_each_possible_cpu(cpu)
		free += READ_ONCE(per_cpu_ptr(ctx->cpu, cpu)->reqs_available);
	free += ctx->completed_events;
	if (free > (long)ctx->nr_events - 1)
		return U32_MAX;	/* more than it has: not as understood */
	return ctx->nr_events - 1 - free;
}

static void cpt_aio_fill(struct cpt_kioctx *ctx, struct cpt_aio_ctx *ac)
{
	unsigned long flags;

	ac->id = ctx->user_id;
	ac->mmap_base = ctx->mmap_base;
	ac->mmap_size = ctx->mmap_size;
	ac->max_reqs = ctx->max_reqs;
	ac->nr_events = ctx->nr_events;
	ac->index = ctx->id;
	spin_lock_irqsave(&ctx->completion_lock, flags);
	ac->tail = ctx->tail;
	ac->completed = ctx->completed_events;
	ac->in_flight = cpt_aio_in_flight(ctx);
	spin_unlock_irqrestore(&ctx->completion_lock, flags);
	/* Cancellable requests: in flight too, whatever the count says. */
	spin_lock_irq(&ctx->ctx_lock);
	if (!list_empty(&ctx->active_reqs) && !ac->in_flight)
		ac->in_flight = U32_MAX;
	spin_unlock_irq(&ctx->ctx_lock);
}

int cpt_compat_aio_ctx(struct mm_struct *mm, struct file *ring_file, struct cpt_aio_ctx *ac)
{
	struct cpt_kioctx_table *table;
	struct cpt_kioctx *ctx;
	struct cpt_aio_ring head;
	unsigned int i;
	int ret = -ENOENT;

	rcu_read_lock();
	table = (struct cpt_kioctx_table *)rcu_dereference(mm->ioctx_table);
	for (i = 0; table && i < table->nr; i++) {
		ctx = rcu_dereference(table->table[i]);
		if (ctx && ctx->aio_ring_file == ring_file && !atomic_read(&ctx->dead)) {
			cpt_aio_fill(ctx, ac);
			ret = 0;
			break;
		}
	}
	rcu_read_unlock();
	if (ret)
		return ret;
	/* The kernel takes head modulo the ring's size: the program may write it. */
	ret = cpt_aio_ring_read(ring_file, 0, &head, sizeof(head));
	if (ret)
		return ret;
	ac->head = ac->nr_events ? head.head % ac->nr_events : 0;
	ac->ring_nr = head.nr;
	ac->ring_id = head.id;
	return 0;
}

unsigned int cpt_compat_aio_nr_ctx(struct mm_struct *mm)
{
	struct cpt_kioctx_table *table;
	struct cpt_kioctx *ctx;
	unsigned int i, nr = 0;

	rcu_read_lock();
	table = (struct cpt_kioctx_table *)rcu_dereference(mm->ioctx_table);
	for (i = 0; table && i < table->nr; i++) {
		ctx = rcu_dereference(table->table[i]);
		if (ctx && !atomic_read(&ctx->dead))
			nr++;
	}
	rcu_read_unlock();
	return nr;
}

/* The loading task's context of id, read as a checkpoint reads it. */
static int cpt_check_aio_read(unsigned long id, struct cpt_aio_ctx *ac)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long size = 0;
	struct file *file = NULL;
	int ret = -ENOENT;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, id);
	if (vma && vma->vm_file && vma->vm_start == id) {
		file = get_file(vma->vm_file);
		size = vma->vm_end - vma->vm_start;
	}
	mmap_read_unlock(mm);
	if (file)
		ret = cpt_compat_aio_ctx(mm, file, ac);
	if (ret) {
		if (file)
			fput(file);
		return cpt_compat_fail("no context found by its ring at %#lx: %d", id, ret);
	}
	ac->check_file = file;
	ac->check_size = size;
	return 0;
}

/* io_submit() of one iocb, made at ub->addr + 64, its pointer after it. */
static long cpt_check_aio_submit(unsigned long id, struct cpt_ubuf *ub, int fd, u16 op)
{
	struct iocb cb = {
		.aio_data = 0x5eed + op,
		.aio_lio_opcode = op,
		.aio_fildes = fd,
		.aio_buf = op == IOCB_CMD_POLL ? (__force u16)EPOLLIN : ub->addr,
	};
	unsigned long cbp = ub->addr + 64;

	if (copy_to_user((void __user *)cbp, &cb, sizeof(cb)) ||
	    copy_to_user((void __user *)(cbp + sizeof(cb)), &cbp, sizeof(cbp)))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_io_submit, id, 1, cbp + sizeof(cb), 0, 0);
}

/* A fresh context of io_setup(1), as io_setup() made it. */
static int cpt_check_aio_fresh(unsigned long id, const struct cpt_aio_ctx *ac)
{
	unsigned long size;
	u32 nr = cpt_compat_aio_nr_events(1, &size);

	if (ac->id != id || ac->mmap_base != id || ac->max_reqs != 1)
		return cpt_compat_fail("a context of io_setup(1) at %#lx reads as %#lx, %#lx, %u",
				       id, ac->id, ac->mmap_base, ac->max_reqs);
	if (ac->nr_events != nr || ac->ring_nr != nr || ac->mmap_size != size ||
	    ac->check_size != size)
		return cpt_compat_fail("%u events, %lu bytes: %u (header %u), %lu (VMA %lu)",
				       nr, size, ac->nr_events, ac->ring_nr, ac->mmap_size,
				       ac->check_size);
	if (ac->head || ac->tail || ac->completed || ac->in_flight || ac->index != ac->ring_id)
		return cpt_compat_fail("new: head %u tail %u, %u done, %u in flight, id %u/%u",
				       ac->head, ac->tail, ac->completed, ac->in_flight,
				       ac->index, ac->ring_id);
	return 0;
}

/*
 * A read of nothing from a pipe completes at once: one event, nothing in
 * flight; a poll of the pipe, empty, stays in flight.
 */
static int cpt_check_aio_requests(unsigned long id, struct cpt_ubuf *ub, int fd)
{
	struct cpt_aio_ctx ac = {};
	struct io_event ev;
	long got;
	int ret;

	got = cpt_check_aio_submit(id, ub, fd, IOCB_CMD_PREAD);
	if (got != 1)
		return cpt_compat_fail("io_submit() of a read: %ld", got);
	ret = cpt_check_aio_read(id, &ac);
	if (ret)
		return ret;
	ret = cpt_compat_aio_event(ac.check_file, 0, &ev);
	fput(ac.check_file);
	if (ret)
		return cpt_compat_fail("cannot read a ring's event: %d", ret);
	if (ac.tail != 1 || ac.completed != 1 || ac.in_flight || ac.head)
		return cpt_compat_fail("after a read: head %u, tail %u, %u completed, %u in flight",
				       ac.head, ac.tail, ac.completed, ac.in_flight);
	if (ev.data != 0x5eed + IOCB_CMD_PREAD || ev.obj != ub->addr + 64 || ev.res)
		return cpt_compat_fail("a completed read's event reads %#llx, %#llx, %lld",
				       ev.data, ev.obj, ev.res);

	got = cpt_check_aio_submit(id, ub, fd, IOCB_CMD_POLL);
	if (got != 1)
		return cpt_compat_fail("io_submit() of a poll: %ld", got);
	ret = cpt_check_aio_read(id, &ac);
	if (ret)
		return ret;
	fput(ac.check_file);
	if (ac.in_flight != 1 || ac.tail != 1)
		return cpt_compat_fail("a poll waiting reads as %u in flight, tail %u",
				       ac.in_flight, ac.tail);
	return 0;
}

int cpt_check_aio_ctx(void)
{
	struct cpt_ubuf ub = {};
	struct cpt_aio_ctx ac = {};
	struct file *pipe[2];
	unsigned long id = 0;
	int ret, fd;
	long err;

	ret = cpt_ubuf_get(&ub, PAGE_SIZE);
	if (ret)
		return cpt_compat_fail("no memory in the loading task: %d", ret);
	err = cpt_sys(cpt_sym.sys_io_setup, 1, ub.addr, 0, 0, 0);
	if (err || get_user(id, (unsigned long __user *)ub.addr)) {
		cpt_ubuf_put(&ub);
		/* fs.aio-max-nr used up: nothing to check with */
		if (err == -EAGAIN)
			return cpt_compat_untested("io_setup(1): %ld", err);
		return cpt_compat_fail("io_setup(1): %ld", err);
	}
	ret = cpt_check_aio_read(id, &ac);
	if (!ret) {
		fput(ac.check_file);
		ret = cpt_check_aio_fresh(id, &ac);
	}
	if (!ret) {
		ret = cpt_sym.create_pipe_files(pipe, 0);
		if (ret)
			ret = cpt_compat_fail("cannot make a pipe: %d", ret);
	}
	if (!ret) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0) {
			fput(pipe[0]);
			ret = cpt_compat_fail("no fd for a pipe: %d", fd);
		} else {
			/* A reference of ours, for the fd's close only while it holds it. */
			fd_install(fd, get_file(pipe[0]));
			ret = cpt_check_aio_requests(id, &ub, fd);
			cpt_compat_own_fd_close(fd, pipe[0]);
			fput(pipe[0]);
		}
		/* Its write end open until then: the poll waits. */
		fput(pipe[1]);
	}
	/* Cancels the poll, and unmaps the ring. */
	err = cpt_sys(cpt_sym.sys_io_destroy, id, 0, 0, 0, 0);
	if (!ret && err)
		ret = cpt_compat_fail("io_destroy(): %ld", err);
	cpt_ubuf_put(&ub);
	return ret;
}
