// SPDX-License-Identifier: GPL-2.0
/*
 * seccomp. A checkpoint's INIT saves every filter of the tree's tasks once
 * (CPT_REC_SECCOMP, after the IPC record), each with the filter it was
 * installed over: tasks share filters (threads synced with
 * SECCOMP_FILTER_FLAG_TSYNC, a child and the parent it inherited them
 * from), and a TASK record names the last filter of its chain. A restart's
 * INIT reads them back; each restoring task then installs, with seccomp()
 * itself, the filters of its chain that no task made yet, over those
 * another restoring task made, which it takes over as TSYNC would: a chain
 * that was shared is shared again, and a later TSYNC finds the ancestors
 * it expects. What cannot come back as it was is refused by name: a
 * filter with a user-notification listener, one that is not classic BPF.
 */
#include <linux/filter.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* How many filters an image may hold (a chain holds at most 32768 instructions). */
#define CPT_SECCOMP_MAX_FILTERS 65536

/* Checkpoint: one filter saved, its program copied out under its task's siglock. */
struct cpt_seccomp_saved {
	const void *filter;	/* an identity, compared only */
	const void *prev;
	bool log;
	u32 len;
	size_t off;		/* of its program in cpt_seccomp_save.insns */
};

struct cpt_seccomp_save {
	struct cpt_seccomp_saved *filters;	/* by id - 1, a parent before its children */
	unsigned int nr, cap;
	struct sock_filter *insns;
	size_t nr_insns, cap_insns;
};

/* Restart: one filter of the image, and who made it, once one did. */
struct cpt_seccomp_filter_rec {
	u32 parent;		/* its id, 0: none */
	bool log;
	u32 len;
	struct sock_filter *insns;
	void *made;		/* the kernel's filter, held by owner's chain */
	struct cpt_task *owner;
};

struct cpt_seccomp_restore {
	struct cpt_seccomp_filter_rec *filters;	/* by id - 1 */
	unsigned int nr;
};

/* Why a task's filters cannot be saved, found under its siglock. */
enum cpt_seccomp_refusal { CPT_SECCOMP_OK, CPT_SECCOMP_LISTENER, CPT_SECCOMP_NOT_CLASSIC,
			   CPT_SECCOMP_TOO_MANY };

static u32 cpt_seccomp_saved_id(const struct cpt_seccomp_save *sv, const void *filter)
{
	unsigned int i;

	for (i = sv->nr; i--;)
		if (sv->filters[i].filter == filter)
			return i + 1;
	return 0;
}

/* The filters of the chain from leaf not saved yet, and their instructions. */
static enum cpt_seccomp_refusal cpt_seccomp_count_new(const struct cpt_seccomp_save *sv,
						      const void *leaf, unsigned int *nr,
						      size_t *insns)
{
	struct cpt_seccomp_view v;
	const void *f;

	*nr = 0;
	*insns = 0;
	for (f = leaf; f && !cpt_seccomp_saved_id(sv, f); f = v.prev) {
		cpt_compat_seccomp_view(f, &v);
		if (v.listener)
			return CPT_SECCOMP_LISTENER;
		if (!v.insns || !v.len)
			return CPT_SECCOMP_NOT_CLASSIC;
		if (sv->nr + ++*nr > CPT_SECCOMP_MAX_FILTERS)
			return CPT_SECCOMP_TOO_MANY;
		*insns += v.len;
	}
	return CPT_SECCOMP_OK;
}

/* Saves the nr filters counted from leaf, the chain's root first. */
static void cpt_seccomp_copy_new(struct cpt_seccomp_save *sv, const void *leaf, unsigned int nr,
				 size_t insns)
{
	struct cpt_seccomp_view v;
	size_t off = sv->nr_insns + insns;
	const void *f;

	for (f = leaf; nr; f = v.prev) {
		struct cpt_seccomp_saved *saved = &sv->filters[sv->nr + --nr];

		cpt_compat_seccomp_view(f, &v);
		off -= v.len;
		memcpy(&sv->insns[off], v.insns, v.len * sizeof(*v.insns));
		*saved = (struct cpt_seccomp_saved){ f, v.prev, v.log, v.len, off };
	}
}

static int cpt_seccomp_grow(struct cpt_seccomp_save *sv, unsigned int nr, size_t insns)
{
	struct cpt_seccomp_saved *filters;
	struct sock_filter *copy;

	if (sv->nr + nr > sv->cap) {
		filters = krealloc_array(sv->filters, sv->nr + nr, sizeof(*filters), GFP_KERNEL);
		if (!filters)
			return -ENOMEM;
		sv->filters = filters;
		sv->cap = sv->nr + nr;
	}
	if (sv->nr_insns + insns > sv->cap_insns) {
		copy = kvmalloc_array(sv->nr_insns + insns, sizeof(*copy), GFP_KERNEL);
		if (!copy)
			return -ENOMEM;
		if (sv->nr_insns)
			memcpy(copy, sv->insns, sv->nr_insns * sizeof(*copy));
		kvfree(sv->insns);
		sv->insns = copy;
		sv->cap_insns = sv->nr_insns + insns;
	}
	return 0;
}

/* One task's seccomp, read under its siglock. */
struct cpt_seccomp_read {
	struct cpt_seccomp_save *sv;
	int mode;
	const void *leaf;
	unsigned int nr;	/* filters of its chain not saved yet */
	size_t insns;		/* and their instructions */
	enum cpt_seccomp_refusal why;
};

/* 0 when saved, 1 when sv needs room for rd->nr filters and rd->insns instructions. */
static int cpt_seccomp_read_locked(struct task_struct *t, void *arg)
{
	struct cpt_seccomp_read *rd = arg;
	struct cpt_seccomp_save *sv = rd->sv;

	rd->mode = t->seccomp.mode;
	rd->leaf = rd->mode == SECCOMP_MODE_FILTER ? t->seccomp.filter : NULL;
	rd->why = cpt_seccomp_count_new(sv, rd->leaf, &rd->nr, &rd->insns);
	if (rd->why != CPT_SECCOMP_OK)
		return 0;
	if (sv->nr + rd->nr > sv->cap || sv->nr_insns + rd->insns > sv->cap_insns)
		return 1;
	cpt_seccomp_copy_new(sv, rd->leaf, rd->nr, rd->insns);
	return 0;
}

/*
 * The mode and filters of one frozen task. Its chain is held while its
 * sighand is (release_task() drops the chain after it), and is never
 * changed but by the task itself or a TSYNC of its process: all frozen.
 * Nothing is allocated under the siglock: count, make room, read again.
 */
static int cpt_seccomp_save_task(struct cpt_seccomp_save *sv, struct cpt_task *t)
{
	struct cpt_seccomp_read rd = { .sv = sv };
	int ret;

	while ((ret = cpt_compat_with_siglock(t->task, cpt_seccomp_read_locked, &rd)) == 1) {
		ret = cpt_seccomp_grow(sv, rd.nr, rd.insns);
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	if (rd.why == CPT_SECCOMP_LISTENER)
		cpt_note("pid %u: a seccomp filter with a user-notification listener %s\n", t->pid,
			 "(SECCOMP_FILTER_FLAG_NEW_LISTENER) cannot be restored");
	else if (rd.why == CPT_SECCOMP_NOT_CLASSIC)
		cpt_note("pid %u: a seccomp filter that is not a classic BPF program %s\n", t->pid,
			 "cannot be restored");
	else if (rd.why == CPT_SECCOMP_TOO_MANY)
		cpt_note("pid %u: the tree has more than %d seccomp filters\n", t->pid,
			 CPT_SECCOMP_MAX_FILTERS);
	if (rd.why != CPT_SECCOMP_OK)
		return -EOPNOTSUPP;
	if (rd.mode != SECCOMP_MODE_DISABLED && rd.mode != SECCOMP_MODE_STRICT &&
	    rd.mode != SECCOMP_MODE_FILTER) {
		cpt_note("pid %u is being killed by its seccomp filter (mode %d)\n", t->pid,
			 rd.mode);
		return -EOPNOTSUPP;
	}
	sv->nr += rd.nr;
	sv->nr_insns += rd.insns;
	t->seccomp_mode = rd.mode;
	t->seccomp_filter = rd.leaf ? cpt_seccomp_saved_id(sv, rd.leaf) : 0;
	return 0;
}

static void cpt_seccomp_encode(const struct cpt_seccomp_save *sv, struct cpt_pb_buf *msg)
{
	struct cpt_pb_buf one;
	unsigned int i;

	for (i = 0; i < sv->nr; i++) {
		const struct cpt_seccomp_saved *f = &sv->filters[i];

		cpt_pb_init(&one);
		cpt_pb_varint(&one, CPT_PB_SECCOMP_FILTER_ID, i + 1);
		cpt_pb_u64(&one, CPT_PB_SECCOMP_FILTER_PARENT,
			   f->prev ? cpt_seccomp_saved_id(sv, f->prev) : 0);
		cpt_pb_u64(&one, CPT_PB_SECCOMP_FILTER_FLAGS, f->log ? SECCOMP_FILTER_FLAG_LOG : 0);
		cpt_pb_bytes(&one, CPT_PB_SECCOMP_FILTER_PROGRAM, &sv->insns[f->off],
			     f->len * sizeof(struct sock_filter));
		cpt_pb_message(msg, CPT_PB_SECCOMP_FILTERS, &one);
	}
}

/* In INIT, after the IPC record: the tree's filters, and each task's mode and last filter. */
int cpt_seccomp_write(struct cpt_session *s)
{
	struct cpt_seccomp_save sv = {};
	struct cpt_pb_buf msg;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < s->nr_tasks; i++)
		if (!s->tasks[i].zombie)
			ret = cpt_seccomp_save_task(&sv, &s->tasks[i]);
	cpt_pb_init(&msg);
	if (!ret)
		cpt_seccomp_encode(&sv, &msg);
	ret = ret ?: msg.err ?: cpt_record_write(&s->img, CPT_REC_SECCOMP, msg.data, msg.len);
	cpt_pb_free(&msg);
	kfree(sv.filters);
	kvfree(sv.insns);
	return ret;
}

static int cpt_seccomp_decode_filter(struct cpt_seccomp_restore *r, const struct cpt_pb_field *f)
{
	struct cpt_seccomp_filter_rec *rec = &r->filters[r->nr];
	u32 id = 0, flags = 0;
	const u8 *program = NULL;
	size_t len = 0;
	struct cpt_pb_reader rd;
	struct cpt_pb_field g;

	cpt_pb_for_each_subfield(&rd, f, &g) {
		if (g.num == CPT_PB_SECCOMP_FILTER_ID)
			cpt_pb_read_u32(&rd, &g, &id);
		else if (g.num == CPT_PB_SECCOMP_FILTER_PARENT)
			cpt_pb_read_u32(&rd, &g, &rec->parent);
		else if (g.num == CPT_PB_SECCOMP_FILTER_FLAGS)
			cpt_pb_read_u32(&rd, &g, &flags);
		else if (g.num == CPT_PB_SECCOMP_FILTER_PROGRAM)
			cpt_pb_read_bytes(&rd, &g, &program, &len);
	}
	/* Ids in order, a parent before its children: chains without loops. */
	if (cpt_pb_end(&rd) || id != r->nr + 1 || rec->parent >= id ||
	    flags & ~SECCOMP_FILTER_FLAG_LOG || !len || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -EBADMSG;
	rec->insns = kmemdup(program, len, GFP_KERNEL);
	if (!rec->insns)
		return -ENOMEM;
	rec->len = len / sizeof(struct sock_filter);
	rec->log = flags & SECCOMP_FILTER_FLAG_LOG;
	r->nr++;
	return 0;
}

static int cpt_seccomp_decode(struct cpt_seccomp_restore *r, const void *data, size_t len)
{
	struct cpt_seccomp_filter_rec *filters;
	struct cpt_pb_reader rd;
	struct cpt_pb_field f;
	unsigned int cap = 0, grown;

	cpt_pb_for_each_field(&rd, data, len, &f) {
		if (f.num != CPT_PB_SECCOMP_FILTERS)
			continue;
		if (r->nr == CPT_SECCOMP_MAX_FILTERS) {
			cpt_pb_fail(&rd, -EBADMSG);
			continue;
		}
		if (r->nr == cap) {
			grown = min(CPT_SECCOMP_MAX_FILTERS, cap * 2 + 16);
			filters = krealloc_array(r->filters, grown, sizeof(*filters), GFP_KERNEL);
			if (!filters) {
				cpt_pb_fail(&rd, -ENOMEM);
				continue;
			}
			memset(filters + r->nr, 0, (grown - r->nr) * sizeof(*filters));
			r->filters = filters;
			cap = grown;
		}
		cpt_pb_fail(&rd, cpt_seccomp_decode_filter(r, &f));
	}
	return cpt_pb_end(&rd);
}

/* In INIT, after the IPC record: the image's filters, made when a task needs them. */
int cpt_seccomp_read(struct cpt_session *s)
{
	void *msg;
	size_t len;
	int ret;

	s->seccomp = kzalloc(sizeof(*s->seccomp), GFP_KERNEL);
	if (!s->seccomp)
		return -ENOMEM;
	msg = cpt_record_read(&s->img, CPT_REC_SECCOMP, &len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	ret = cpt_seccomp_decode(s->seccomp, msg, len);
	kvfree(msg);
	return ret;
}

void cpt_seccomp_free(struct cpt_session *s)
{
	struct cpt_seccomp_restore *r = s->seccomp;
	unsigned int i;

	if (!r)
		return;
	for (i = 0; i < r->nr; i++)
		kfree(r->filters[i].insns);
	kfree(r->filters);
	kfree(r);
	s->seccomp = NULL;
}

/*
 * A TASK record's seccomp, checked when it is read with the caller's
 * credentials: seccomp()'s rule, a filter needs no_new_privs (the saved
 * one or the caller's) or CAP_SYS_ADMIN, so that a caller cannot put a
 * filter under a setuid program.
 */
int cpt_seccomp_check(struct cpt_session *s, u32 pid, u32 mode, u32 filter, bool no_new_privs)
{
	bool filtered = mode == SECCOMP_MODE_FILTER;

	if (mode > SECCOMP_MODE_FILTER || filtered != !!filter || filter > s->seccomp->nr)
		return -EBADMSG;
	if (filtered && !no_new_privs && !task_no_new_privs(current) &&
	    !ns_capable_noaudit(current_user_ns(), CAP_SYS_ADMIN)) {
		cpt_note("pid %u ran under seccomp filters without no_new_privs: %s\n", pid,
			 "installing them needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	return 0;
}

/* Installs filter rec over current's chain, whose last filter is prev, with seccomp(). */
static int cpt_seccomp_install(struct cpt_session *s, struct cpt_seccomp_filter_rec *rec,
			       const void *prev, struct cpt_ubuf *ub)
{
	struct sock_fprog fprog = { .len = rec->len };
	struct cpt_seccomp_view v;
	const void *made;
	long ret;

	ret = cpt_ubuf_get(ub, sizeof(fprog) + rec->len * sizeof(*rec->insns));
	if (ret)
		return ret;
	fprog.filter = (struct sock_filter __user *)(ub->addr + sizeof(fprog));
	if (copy_to_user((void __user *)ub->addr, &fprog, sizeof(fprog)) ||
	    copy_to_user(fprog.filter, rec->insns, rec->len * sizeof(*rec->insns)))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_seccomp, SECCOMP_SET_MODE_FILTER,
		      rec->log ? SECCOMP_FILTER_FLAG_LOG : 0, ub->addr, 0, 0);
	if (ret) {
		cpt_note("pid %u: seccomp() refused filter %td (%ld)\n", s->cur->pid,
			 rec - s->seccomp->filters + 1, ret);
		return ret;
	}
	made = cpt_compat_seccomp_current();
	cpt_compat_seccomp_view(made, &v);
	if (v.prev != prev || v.len != rec->len) {
		cpt_note("pid %u: seccomp() did not install filter %td over the one before\n",
			 s->cur->pid, rec - s->seccomp->filters + 1);
		return -EIO;
	}
	rec->made = (void *)made;
	rec->owner = s->cur;
	return 0;
}

/*
 * The filters of chain id on current: those another restoring task made
 * are taken over from it, the rest installed over them with seccomp(), in
 * the current task's name (its restored no_new_privs, the caller's
 * capabilities). Filters act on syscalls from user mode: the restore's own
 * calls into the kernel (cpt_sys()) are not filtered.
 */
static int cpt_seccomp_apply_filters(struct cpt_session *s, u32 id)
{
	struct cpt_seccomp_restore *r = s->seccomp;
	struct cpt_ubuf ub = {};
	unsigned int depth = 0, i;
	const void *prev;
	u32 *path, base, at;
	int ret = 0;

	for (base = id; base && !r->filters[base - 1].made; base = r->filters[base - 1].parent)
		depth++;
	path = kmalloc_array(depth, sizeof(*path), GFP_KERNEL);
	if (depth && !path)
		return -ENOMEM;
	for (i = depth, at = id; i; at = r->filters[at - 1].parent)
		path[--i] = at;
	if (base) {
		ret = cpt_compat_seccomp_attach(r->filters[base - 1].made,
						r->filters[base - 1].owner->task);
		if (ret)
			cpt_note("pid %u cannot share seccomp filter %u of pid %u: %d\n",
				 s->cur->pid, base, r->filters[base - 1].owner->pid, ret);
	}
	prev = cpt_compat_seccomp_current();
	for (i = 0; !ret && i < depth; i++) {
		ret = cpt_seccomp_install(s, &r->filters[path[i] - 1], prev, &ub);
		prev = r->filters[path[i] - 1].made;
	}
	cpt_ubuf_put(&ub);
	kfree(path);
	return ret;
}

/* The saved mode and filters, on the restoring task. */
int cpt_seccomp_apply(struct cpt_session *s, u32 mode, u32 filter)
{
	long ret;

	if (mode == SECCOMP_MODE_FILTER)
		return cpt_seccomp_apply_filters(s, filter);
	if (mode != SECCOMP_MODE_STRICT)
		return 0;
	ret = cpt_sys(cpt_sym.sys_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0, 0, 0);
	if (ret)
		cpt_note("pid %u: seccomp() refused the strict mode (%ld)\n", s->cur->pid, ret);
	return ret;
}
