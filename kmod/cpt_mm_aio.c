// SPDX-License-Identifier: GPL-2.0
/*
 * AIO contexts (io_setup()) and their rings, as CRIU restores them. A
 * context's id, the program's aio_context_t, is its ring's address: the
 * ring is a mapping of fs/aio.c's anonymous file, which a checkpoint saves
 * as an AioRing of the Mm record (not a VMA) with the completions not yet
 * reaped, and only with no request in flight: a request's I/O cannot be
 * taken along. A restart makes the context again with io_setup() as the
 * restoring task, brings its tail and head where they were with requests
 * that complete at once (reads of nothing from a pipe), writes the saved
 * completions over theirs, and moves the ring to the saved address: the
 * kernel's mremap hook (aio_ring_mremap()) makes that the context's id.
 */
#include <linux/aio_abi.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_mm.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

/* The four fields of an io_event, in its order, as the image has them. */
static const u32 cpt_mm_aio_event_fields[] = {
	CPT_PB_AIO_RING_EVENT_DATA,
	CPT_PB_AIO_RING_EVENT_OBJ,
	CPT_PB_AIO_RING_EVENT_RES,
	CPT_PB_AIO_RING_EVENT_RES2,
};

/* fs/aio.c's ring file, named "[aio]" on its internal mount (what /proc maps shows). */
bool cpt_mm_is_aio_ring(struct file *file)
{
	return (file->f_path.mnt->mnt_flags & MNT_INTERNAL) &&
	       !strcmp(file->f_path.dentry->d_name.name, "[aio]");
}

static int cpt_mm_aio_refuse(struct task_struct *task, struct vm_area_struct *vma,
			     const char *why)
{
	cpt_note("pid %d: cannot checkpoint %#lx-%#lx: %s: %s\n", task_pid_nr(task),
		 vma->vm_start, vma->vm_end, "the ring of an AIO context (io_setup())", why);
	return -EOPNOTSUPP;
}

static u64 cpt_mm_aio_event_word(const struct io_event *ev, unsigned int i)
{
	const u64 words[] = { ev->data, ev->obj, (u64)ev->res, (u64)ev->res2 };

	return words[i];
}

int cpt_mm_aio_save(struct task_struct *task, struct vm_area_struct *vma,
		    struct cpt_pb_buf *rings)
{
	struct file *file = vma->vm_file;
	struct cpt_aio_ctx ac = {};
	struct io_event ev;
	struct cpt_pb_buf r;
	unsigned long size;
	unsigned int f;
	u32 n, i;
	int ret;

	if (cpt_compat_aio_ctx(vma->vm_mm, file, &ac))
		return cpt_mm_aio_refuse(task, vma,
					 "of no context of this process (one inherited by fork(), or destroyed)");
	/* Their I/O cannot be taken along; U32_MAX: more than it counts. */
	if (ac.in_flight)
		return cpt_mm_aio_refuse(task, vma, "requests in flight cannot be saved");
	if (vma->vm_start != ac.id || vma->vm_end - vma->vm_start != ac.mmap_size)
		return cpt_mm_aio_refuse(task, vma, "partly unmapped");
	if ((vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) != (VM_READ | VM_WRITE) ||
	    (vma->vm_flags & (VM_LOCKED | VM_LOCKONFAULT | CPT_MM_ADVICE)))
		return cpt_mm_aio_refuse(task, vma,
					 "its protection or flags changed (mprotect(), mlock(), madvise())");
	if (cpt_compat_aio_nr_events(ac.max_reqs, &size) != ac.nr_events || size != ac.mmap_size ||
	    ac.tail >= ac.nr_events)
		return cpt_mm_aio_refuse(task, vma, "not of the size io_setup() makes here");

	n = (ac.tail + ac.nr_events - ac.head) % ac.nr_events;
	cpt_pb_init(&r);
	cpt_pb_u64(&r, CPT_PB_AIO_RING_START, vma->vm_start);
	cpt_pb_u64(&r, CPT_PB_AIO_RING_LENGTH, ac.mmap_size);
	cpt_pb_u64(&r, CPT_PB_AIO_RING_MAX_REQS, ac.max_reqs);
	cpt_pb_u64(&r, CPT_PB_AIO_RING_NR_EVENTS, ac.nr_events);
	cpt_pb_u64(&r, CPT_PB_AIO_RING_HEAD, ac.head);
	cpt_pb_u64(&r, CPT_PB_AIO_RING_TAIL, ac.tail);
	/* Field by field, as the encoding orders them; the tree is frozen: they stay. */
	for (f = 0; f < ARRAY_SIZE(cpt_mm_aio_event_fields); f++) {
		for (i = 0; i < n; i++) {
			ret = cpt_compat_aio_event(file, (ac.head + i) % ac.nr_events, &ev);
			if (ret) {
				cpt_pb_free(&r);
				return cpt_mm_aio_refuse(task, vma, "a completion cannot be read");
			}
			cpt_pb_varint(&r, cpt_mm_aio_event_fields[f],
				      cpt_mm_aio_event_word(&ev, f));
			if (!(i % 1024))
				cond_resched();
		}
	}
	cpt_pb_message(rings, CPT_PB_MM_AIO_RINGS, &r);
	return rings->err;
}

int cpt_mm_aio_save_done(struct task_struct *task, struct mm_struct *mm, unsigned int nr_saved)
{
	unsigned int nr = cpt_compat_aio_nr_ctx(mm);

	if (nr == nr_saved)
		return 0;
	cpt_note("pid %d: cannot checkpoint: %u of its %u AIO contexts have no ring mapped\n",
		 task_pid_nr(task), nr - nr_saved, nr);
	return -EOPNOTSUPP;
}

static int cpt_mm_aio_bad(const struct cpt_mm_aio_ring *ring, const char *what)
{
	cpt_note("image: bad AIO ring at %#llx: %s\n", ring->start, what);
	return -EBADMSG;
}

int cpt_mm_aio_decode(const struct cpt_pb_field *rf, struct cpt_mm_aio_ring *ring)
{
	u32 counts[ARRAY_SIZE(cpt_mm_aio_event_fields)] = {};
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i;
	u64 word;

	ring->field = *rf;
	cpt_pb_for_each_subfield(&r, rf, &f) {
		switch (f.num) {
		case CPT_PB_AIO_RING_START:
			cpt_pb_read_u64(&r, &f, &ring->start);
			break;
		case CPT_PB_AIO_RING_LENGTH:
			cpt_pb_read_u64(&r, &f, &ring->length);
			break;
		case CPT_PB_AIO_RING_MAX_REQS:
			cpt_pb_read_u32(&r, &f, &ring->max_reqs);
			break;
		case CPT_PB_AIO_RING_NR_EVENTS:
			cpt_pb_read_u32(&r, &f, &ring->nr_events);
			break;
		case CPT_PB_AIO_RING_HEAD:
			cpt_pb_read_u32(&r, &f, &ring->head);
			break;
		case CPT_PB_AIO_RING_TAIL:
			cpt_pb_read_u32(&r, &f, &ring->tail);
			break;
		default:
			for (i = 0; i < ARRAY_SIZE(cpt_mm_aio_event_fields); i++)
				if (f.num == cpt_mm_aio_event_fields[i] &&
				    cpt_pb_read_u64(&r, &f, &word) && counts[i] < U32_MAX)
					counts[i]++;
			break;	/* or a newer writer's field */
		}
	}
	if (cpt_pb_end(&r))
		return -EBADMSG;
	for (i = 1; i < ARRAY_SIZE(counts); i++)
		if (counts[i] != counts[0])
			return cpt_mm_aio_bad(ring, "completions with fields missing");
	ring->nr_saved = counts[0];
	return 0;
}

/* A ring as io_setup() makes it on this kernel, at an address a VMA could have. */
int cpt_mm_aio_check(const struct cpt_mm_aio_ring *ring, u64 prev_end)
{
	unsigned long size;

	if (!PAGE_ALIGNED(ring->start) || ring->start < prev_end || !ring->length ||
	    ring->length > TASK_SIZE || ring->start > TASK_SIZE - ring->length)
		return cpt_mm_aio_bad(ring, "not page-aligned, out of order or out of range");
	if (!cpt_compat_aio_nr_events(ring->max_reqs, &size) ||
	    cpt_compat_aio_nr_events(ring->max_reqs, &size) != ring->nr_events ||
	    size != ring->length) {
		cpt_note("image: AIO ring %#llx: %u events, %llu bytes; io_setup(%u): %u, %lu\n",
			 ring->start, ring->nr_events, ring->length, ring->max_reqs,
			 cpt_compat_aio_nr_events(ring->max_reqs, &size), size);
		return -EOPNOTSUPP;
	}
	if (ring->head >= ring->nr_events || ring->tail >= ring->nr_events)
		return cpt_mm_aio_bad(ring, "head or tail past its events");
	if (ring->nr_saved != (ring->tail + ring->nr_events - ring->head) % ring->nr_events)
		return cpt_mm_aio_bad(ring, "completions other than those from head to tail");
	return 0;
}

/* The restoring task's own contexts would stay, with no ring: none is allowed. */
int cpt_mm_aio_check_current(void)
{
	unsigned int nr = cpt_compat_aio_nr_ctx(current->mm);

	if (!nr)
		return 0;
	cpt_note("pid %d: cannot restore into a task with %u AIO contexts of its own\n",
		 task_pid_nr(current), nr);
	return -EBUSY;
}

int cpt_mm_aio_reserve(const struct cpt_mm_aio_ring *ring)
{
	unsigned long addr;

	addr = vm_mmap(NULL, ring->start, ring->length, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, 0);
	if (IS_ERR_VALUE(addr)) {
		cpt_note("cannot reserve %#llx-%#llx for an AIO ring: %ld\n", ring->start,
			 ring->start + ring->length, (long)addr);
		return (int)(long)addr;
	}
	return 0;
}

/* Where a restart's requests are: an iocb, then pointers to it. */
#define CPT_MM_AIO_IOCB 64UL
#define CPT_MM_AIO_PTRS (CPT_MM_AIO_IOCB + sizeof(struct iocb))
#define CPT_MM_AIO_BATCH ((PAGE_SIZE - CPT_MM_AIO_PTRS) / sizeof(u64))

/*
 * The pipe is at an fd of a table of the module's own, which the requests
 * name (io_submit() looks aio_fildes up for each): no other thread of the
 * restoring task can put another file there. A context belongs to the mm
 * (io_submit() finds it by id in current->mm), not to the fd table; each
 * request, read at once, completes and drops its reference to the pipe
 * before io_submit() returns, so nothing names the fd after the table goes.
 */
int cpt_mm_aio_prepare(struct cpt_mm_aio_tools *tools)
{
	unsigned long ptr, i;
	struct file *pipe[2];
	struct iocb cb = {
		.aio_lio_opcode = IOCB_CMD_PREAD,
		.aio_nbytes = 0,
	};
	int fd, ret;

	ret = cpt_ubuf_get(&tools->ub, PAGE_SIZE);
	if (ret)
		return ret;
	ret = cpt_compat_own_fds_enter(&tools->shared);
	if (ret)
		return ret;
	tools->own_fds = true;
	ret = cpt_sym.create_pipe_files(pipe, 0);
	if (ret)
		return ret;
	fput(pipe[1]);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fput(pipe[0]);
		return fd;
	}
	fd_install(fd, pipe[0]);
	/* A read of nothing: the pipe's read_iter returns 0 at once, a completion. */
	cb.aio_fildes = fd;
	cb.aio_buf = tools->ub.addr;
	ptr = tools->ub.addr + CPT_MM_AIO_IOCB;
	if (copy_to_user((void __user *)ptr, &cb, sizeof(cb)))
		return -EFAULT;
	for (i = 0; i < CPT_MM_AIO_BATCH; i++)
		if (put_user(ptr, (unsigned long __user *)(tools->ub.addr + CPT_MM_AIO_PTRS) + i))
			return -EFAULT;
	return 0;
}

/* The pipe goes with the table of the module's own (tools zeroed: none entered). */
void cpt_mm_aio_finish(struct cpt_mm_aio_tools *tools)
{
	if (tools->own_fds)
		cpt_compat_own_fds_leave(tools->shared);
	tools->own_fds = false;
	tools->shared = NULL;
	cpt_ubuf_put(&tools->ub);
}

/* nr completions on id, the ring's head following them if reap. */
static int cpt_mm_aio_complete(struct cpt_mm_aio_tools *tools, unsigned long id, u32 nr,
			       u32 *tail, u32 nr_events, bool reap)
{
	long got;

	while (nr) {
		got = cpt_sys(cpt_sym.sys_io_submit, id, min_t(u32, nr, CPT_MM_AIO_BATCH),
			      tools->ub.addr + CPT_MM_AIO_PTRS, 0, 0);
		if (got <= 0)
			return got ?: -EAGAIN;
		nr -= got;
		*tail = (*tail + got) % nr_events;
		if (reap && put_user(*tail, (u32 __user *)(id + cpt_compat_aio_head_offset())))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* The saved completions over those of the requests that made them. */
static int cpt_mm_aio_write_events(const struct cpt_mm_aio_ring *ring, unsigned long id)
{
	u32 counts[ARRAY_SIZE(cpt_mm_aio_event_fields)] = {};
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned long at;
	unsigned int i;
	u64 word;

	cpt_pb_for_each_subfield(&r, &ring->field, &f) {
		for (i = 0; i < ARRAY_SIZE(cpt_mm_aio_event_fields); i++) {
			if (f.num != cpt_mm_aio_event_fields[i] || !cpt_pb_read_u64(&r, &f, &word))
				continue;
			at = id + cpt_compat_aio_event_offset((ring->head + counts[i]++) %
							      ring->nr_events);
			if (put_user(word, (u64 __user *)at + i))
				return -EFAULT;
		}
	}
	return cpt_pb_end(&r);
}

int cpt_mm_aio_restore(struct cpt_mm_aio_tools *tools, const struct cpt_mm_aio_ring *ring)
{
	unsigned long ctxp = tools->ub.addr, id = 0;
	u32 tail = 0, nr;
	long ret;

	if (put_user(0UL, (unsigned long __user *)ctxp))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_io_setup, ring->max_reqs, ctxp, 0, 0, 0);
	if (!ret && get_user(id, (unsigned long __user *)ctxp))
		ret = -EFAULT;
	if (ret) {
		cpt_note("pid %d: io_setup(%u) for the AIO ring at %#llx failed: %ld%s\n",
			 task_pid_nr(current), ring->max_reqs, ring->start, ret,
			 ret == -EAGAIN ? " (fs.aio-max-nr)" : "");
		return ret;
	}
	if (get_user(nr, (u32 __user *)(id + sizeof(u32))) || nr != ring->nr_events) {
		cpt_note("pid %d: io_setup(%u) made a ring of %u events, not %u\n",
			 task_pid_nr(current), ring->max_reqs, nr, ring->nr_events);
		return -EOPNOTSUPP;
	}
	/* Head and tail to the saved head, all reaped; then one request per saved completion. */
	ret = cpt_mm_aio_complete(tools, id, ring->head, &tail, ring->nr_events, true);
	if (!ret)
		ret = cpt_mm_aio_complete(tools, id, ring->nr_saved, &tail, ring->nr_events,
					  false);
	if (!ret && tail != ring->tail)
		ret = -EIO;
	if (!ret)
		ret = cpt_mm_aio_write_events(ring, id);
	if (!ret)
		ret = cpt_mm_mremap(id, ring->length, ring->start);
	if (ret)
		cpt_note("pid %d: cannot restore the AIO ring at %#llx: %ld\n",
			 task_pid_nr(current), ring->start, ret);
	return ret;
}
