// SPDX-License-Identifier: GPL-2.0
/*
 * Shell jobs: the terminal of the shell that started the tree. A tree whose
 * root's session is led from outside it (by that shell) is restarted in the
 * restarting caller's session and process group (src/commands/restart/
 * plan.ts), as CRIU's --shell-job does, and a process forked there has the
 * caller's controlling terminal: the shell's terminal becomes the caller's.
 * Its files follow:
 *  - on fds 0-2, the caller's own fd of that number (INHERITED, cpt_files.c);
 *  - on a higher fd (the terminal opened again, /dev/tty, a dup of stdin
 *    whose fds 0-2 were closed), a SHELL_TTY File: a new open of the
 *    caller's terminal with the saved flags, through /dev/tty or through
 *    the terminal's own device as it was;
 *  - a process that had the shell's terminal as its controlling terminal
 *    gets one SHELL_TTY File that no fd names (shell_tty_controlling): a
 *    restart whose caller has no controlling terminal is refused, naming
 *    the process, rather than dropping it. It carries the terminal's
 *    foreground group when the tree led it: FINALIZE makes that group the
 *    foreground of the caller's terminal when the caller is in the
 *    foreground itself (a job in the foreground stays there; a restart run
 *    in the background never takes the terminal).
 * A controlling terminal from outside the tree in a session the tree leads,
 * or a pty of the tree controlling a session led from outside, cannot be
 * made again: refused at checkpoint, naming the process.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/tty.h>
#include <linux/uaccess.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* /dev/tty: whichever terminal controls the opener. */
#define CPT_DEV_TTY MKDEV(TTYAUX_MAJOR, 0)

/* The tty of a file of a tty device (cpt_is_tty()). */
static struct tty_struct *cpt_tty_of_file(struct file *file)
{
	struct tty_file_private *priv = file->private_data;

	return priv ? priv->tty : NULL;
}

static int cpt_ctty_locked(struct task_struct *p, void *arg)
{
	*(struct tty_struct **)arg = tty_kref_get(p->signal->tty);
	return 0;
}

/* A process's controlling terminal, with a reference, or NULL. */
static struct tty_struct *cpt_ctty_of(struct task_struct *p)
{
	struct tty_struct *tty = NULL;

	cpt_compat_with_siglock(p, cpt_ctty_locked, &tty);
	return tty;
}

static bool cpt_is_tree_process(const struct cpt_session *s, u32 pid)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pid == pid && cpt_task_is_leader(&s->tasks[i]))
			return true;
	return false;
}

/* The root's session, led from outside the tree: the caller's at restart (plan.ts). */
static bool cpt_session_is_shells(const struct cpt_session *s, u32 sid)
{
	return sid == s->tasks[0].sid && !cpt_is_tree_process(s, sid);
}

/* A process group the restart makes: one of the tree's, not the shell's (plan.ts). */
static bool cpt_group_is_trees(const struct cpt_session *s, u32 pgid)
{
	unsigned int i;

	if (pgid == s->tasks[0].pgid && !cpt_is_tree_process(s, pgid))
		return false;
	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pgid == pgid && cpt_task_is_leader(&s->tasks[i]))
			return true;
	return false;
}

/* The shell's terminal's foreground group, if the tree leads it. */
static u32 cpt_shell_tty_foreground(const struct cpt_session *s, struct tty_struct *tty)
{
	struct pid *pgrp = tty_get_pgrp(tty);
	u32 nr = pgrp ? pid_nr_ns(pgrp, cpt_session_pid_ns(s)) : 0;

	put_pid(pgrp);
	return nr && cpt_group_is_trees(s, nr) ? nr : 0;
}

/* One process's controlling terminal: the shell's, or refused, or none. */
static int cpt_check_ctty(struct cpt_session *s, struct cpt_file_registry *reg,
			  const struct cpt_task *t, struct tty_struct *tty)
{
	int in_tree = cpt_pty_tty_in_tree(reg, tty);

	if (in_tree < 0)
		return in_tree;
	if (in_tree && cpt_session_is_shells(s, t->sid)) {
		cpt_note("process %u: its controlling terminal %s, a pty of the tree, %s %u: %s\n",
			 t->pid, tty_name(tty), "controls the shell's session", t->sid,
			 "not supported");
		return -EOPNOTSUPP;
	}
	if (in_tree)
		return 0;	/* cpt_pty.c: its session's leader makes it so again */
	if (!cpt_session_is_shells(s, t->sid)) {
		cpt_note("process %u: its controlling terminal %s is outside the tree, %s %u: %s\n",
			 t->pid, tty_name(tty), "of a session of the tree", t->sid,
			 "not supported");
		return -EOPNOTSUPP;
	}
	if (reg->shell_tty && reg->shell_tty != tty) {
		cpt_note("process %u: its controlling terminal %s is not the shell's (%s)\n",
			 t->pid, tty_name(tty), tty_name(reg->shell_tty));
		return -EOPNOTSUPP;
	}
	if (!reg->shell_tty) {
		reg->shell_tty = tty_kref_get(tty);
		reg->shell_foreground = cpt_shell_tty_foreground(s, tty);
	}
	return 0;
}

/*
 * Once, before the first process's FILES (every file of the tree noted):
 * every process's controlling terminal. A process sharing another's fd
 * table has no FILES of its own: it must have the same.
 */
int cpt_shell_tty_check_tree(struct cpt_session *s, struct cpt_file_registry *reg)
{
	struct tty_struct *tty, *owners;
	const struct cpt_task *t, *o;
	unsigned int i, j;
	int ret = 0;

	for (i = 0; !ret && i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (!cpt_task_is_leader(t) || t->zombie || !t->task)
			continue;
		tty = cpt_ctty_of(t->task);
		if (tty)
			ret = cpt_check_ctty(s, reg, t, tty);
		for (j = 0; !ret && t->fd_table_of && j < s->nr_tasks; j++) {
			o = &s->tasks[j];
			if (o->pid != t->fd_table_of || !cpt_task_is_leader(o) || !o->task)
				continue;
			owners = cpt_ctty_of(o->task);
			if (owners != tty) {
				cpt_note("process %u shares the fd table of %u, %s\n", t->pid,
					 o->pid, "not its controlling terminal: not supported");
				ret = -EOPNOTSUPP;
			}
			tty_kref_put(owners);
		}
		tty_kref_put(tty);
		if (!ret)
			ret = cpt_long_loop_check();
	}
	reg->cttys_checked = !ret;
	return ret;
}

/* A file on the shell's terminal, which a restart opens again as the caller's. */
static bool cpt_shell_tty_is_ours(const struct cpt_file_registry *reg, struct file *file)
{
	return reg->shell_tty && !(file->f_mode & FMODE_PATH) &&
	       cpt_is_tty(file_inode(file)) && cpt_tty_of_file(file) == reg->shell_tty;
}

/*
 * The kind of a file at fd 3 or higher (its lowest) on a tty from outside
 * the tree: SHELL_TTY for the shell's terminal in a process of the shell's
 * session, opened anew at restart through the controlling terminal the
 * restoring task has there; refused in another session, which has none to
 * open it through; 0 for another tty.
 */
int cpt_shell_tty_kind(const struct cpt_session *s, const struct cpt_file_registry *reg,
		       unsigned int fd, struct file *file)
{
	if (!cpt_shell_tty_is_ours(reg, file))
		return 0;
	if (!cpt_session_is_shells(s, s->cur->sid)) {
		cpt_note("fd %u: the shell's terminal, in process %u of session %u %s\n", fd,
			 s->cur->pid, s->cur->sid, "of the tree: not supported");
		return -EOPNOTSUPP;
	}
	return CPT_PB_FILE_KIND_SHELL_TTY;
}

/* The process's FILES: its controlling terminal, when it is the shell's. */
int cpt_shell_tty_save_ctty(struct cpt_session *s, struct cpt_pb_buf *msg,
			    struct cpt_file_registry *reg)
{
	struct tty_struct *tty;
	struct cpt_pb_buf one;

	if (!reg->shell_tty)
		return 0;
	tty = cpt_ctty_of(s->cur->task);
	tty_kref_put(tty);
	if (tty != reg->shell_tty)
		return 0;
	cpt_pb_init(&one);
	cpt_pb_varint(&one, CPT_PB_FILE_ID, ++reg->next_id);
	cpt_pb_varint(&one, CPT_PB_FILE_KIND, CPT_PB_FILE_KIND_SHELL_TTY);
	cpt_pb_string(&one, CPT_PB_FILE_PATH, "/dev/tty");
	cpt_pb_u64(&one, CPT_PB_FILE_FLAGS, O_RDONLY);
	cpt_pb_u64(&one, CPT_PB_FILE_MODE, S_IFCHR | 0666);
	cpt_pb_u64(&one, CPT_PB_FILE_SHELL_TTY_DEV_TTY, 1);
	cpt_pb_u64(&one, CPT_PB_FILE_SHELL_TTY_CONTROLLING, 1);
	if (reg->shell_foreground)
		cpt_pb_u64(&one, CPT_PB_FILE_SHELL_TTY_FOREGROUND, reg->shell_foreground);
	cpt_pb_message(msg, CPT_PB_FILES_FILES, &one);
	return msg->err;
}

void cpt_shell_tty_release(struct cpt_file_registry *reg)
{
	tty_kref_put(reg->shell_tty);
	reg->shell_tty = NULL;
}

/* An fd's File on the shell's terminal: through /dev/tty, or its own device. */
static int cpt_shell_tty_save(struct cpt_file_save *fs)
{
	bool dev_tty = file_inode(fs->e->file)->i_rdev == CPT_DEV_TTY;
	unsigned int flags = fs->e->file->f_flags;

	/* O_ASYNC goes with its owner and signal (cpt_file_owner.c). */
	if (flags & ~(CPT_FILE_FLAGS | CPT_FILE_FLAGS_IGNORED | FASYNC)) {
		cpt_note("fd %u: open flags %#o are not supported\n", fs->e->fd,
			 flags & ~CPT_FILE_FLAGS_IGNORED);
		return -EOPNOTSUPP;
	}

	if (dev_tty && *fs->path != '/') {
		cpt_note("fd %u: /dev/tty, whose path cannot be saved\n", fs->e->fd);
		return -EOPNOTSUPP;
	}
	if (dev_tty)
		cpt_pb_u64(fs->one, CPT_PB_FILE_SHELL_TTY_DEV_TTY, 1);
	return 0;
}

/* ---- restart ---- */

static int cpt_shell_tty_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_SHELL_TTY_DEV_TTY:
		return cpt_pb_get_bool(f, &rfile->shell_tty.dev_tty);
	case CPT_PB_FILE_SHELL_TTY_CONTROLLING:
		return cpt_pb_get_bool(f, &rfile->shell_tty.controlling);
	case CPT_PB_FILE_SHELL_TTY_FOREGROUND:
		return cpt_pb_get_u32(f, &rfile->shell_tty.foreground);
	}
	return CPT_FILE_FOREIGN;
}

static int cpt_shell_tty_check(const struct cpt_rfile *rfile, const char *path,
			       const char **bad)
{
	const struct cpt_rfile_shell_tty *st = &rfile->shell_tty;

	if ((rfile->mode & S_IFMT) != S_IFCHR)
		*bad = "mode";
	else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
		*bad = "access mode";
	else if (st->dev_tty && *path != '/')
		*bad = "path";
	else if (st->controlling && !st->dev_tty)
		*bad = "controlling terminal (not through /dev/tty)";
	else if (st->foreground && !st->controlling)
		*bad = "foreground group";
	return *bad ? -EBADMSG : 0;
}

/* Whether a File is a process's controlling terminal, which no fd names. */
bool cpt_shell_tty_is_ctty(const struct cpt_rfile *rfile)
{
	return rfile->kind == CPT_PB_FILE_KIND_SHELL_TTY && rfile->shell_tty.controlling;
}

/* The restarting caller's terminal device, from its fds 0-2, opened anew. */
static struct file *cpt_open_callers_device(struct tty_struct *tty, u32 flags, u32 id)
{
	struct file *file = ERR_PTR(-ENXIO), *std;
	struct inode *inode;
	unsigned int fd;
	char *buf, *path;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	for (fd = 0; fd <= 2 && PTR_ERR(file) == -ENXIO; fd++) {
		std = fget(fd);
		if (!std)
			continue;
		inode = file_inode(std);
		if (!(std->f_mode & FMODE_PATH) && S_ISCHR(inode->i_mode) &&
		    inode->i_rdev == tty_devnum(tty) && cpt_tty_of_file(std) == tty) {
			path = d_path(&std->f_path, buf, PATH_MAX);
			file = IS_ERR(path) ? ERR_CAST(path) :
			       cpt_pty_open_path(path, flags, tty_devnum(tty), "terminal");
		}
		fput(std);
	}
	kfree(buf);
	if (PTR_ERR(file) == -ENXIO)
		cpt_note("file %u: the shell's terminal: the restarting caller's, %s, %s\n", id,
			 tty_name(tty), "is on none of its fds 0-2");
	return file;
}

/* The foreground group FINALIZE gives back: one of the tree's, one for the tree. */
static int cpt_shell_tty_note_foreground(struct cpt_file_registry *reg, u32 pgid)
{
	const struct cpt_session *s = reg->session;
	unsigned int i;

	if (!pgid)
		return 0;
	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pgid == pgid && cpt_task_is_leader(&s->tasks[i]))
			break;
	if (i == s->nr_tasks || (reg->shell_foreground && reg->shell_foreground != pgid)) {
		cpt_note("image: foreground group %u of the shell's terminal: %s\n", pgid,
			 i == s->nr_tasks ? "no group of the tree" : "another was given");
		return -EBADMSG;
	}
	reg->shell_foreground = pgid;
	return 0;
}

/*
 * As the restoring task, forked from the caller in its session: its
 * controlling terminal is the caller's, if the caller has one.
 */
static int cpt_shell_tty_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_shell_tty *st = &rfile->shell_tty;
	struct tty_struct *tty = get_current_tty();
	struct file *file;
	int ret = 0;

	if (!tty) {
		cpt_note("process %u had the shell's terminal %s: %s\n", reg->session->cur->pid,
			 st->controlling ? "as its controlling terminal" : "open",
			 "the restarting caller has no controlling terminal");
		return -ENXIO;
	}
	if (st->dev_tty)
		file = cpt_pty_open_path(rfile->path, rfile->flags, CPT_DEV_TTY, "/dev/tty");
	else
		file = cpt_open_callers_device(tty, rfile->flags, rfile->id);
	if (!IS_ERR(file) && cpt_tty_of_file(file) != tty) {
		cpt_note("%s is not the restarting caller's terminal %s\n", rfile->path,
			 tty_name(tty));
		fput(file);
		file = ERR_PTR(-ESTALE);
	}
	tty_kref_put(tty);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	if (st->controlling)
		ret = cpt_shell_tty_note_foreground(reg, st->foreground);
	return ret;
}

const struct cpt_file_ops cpt_shell_tty_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_shell_tty_save,
	.decode = cpt_shell_tty_decode,
	.check = cpt_shell_tty_check,
	.open = cpt_shell_tty_open,
};

/*
 * FINALIZE, as the coordinator: the tree's group that had the shell's
 * terminal in the foreground gets the caller's, through TIOCSPGRP and its
 * rules, when the caller has it in the foreground itself.
 */
int cpt_shell_tty_finish(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct tty_struct *tty;
	struct cpt_ubuf ub = {};
	struct pid *fg = NULL;
	struct file *file;
	unsigned int i;
	pid_t nr = 0;
	long ret;

	if (!reg || !reg->shell_foreground)
		return 0;
	tty = get_current_tty();
	if (tty)
		fg = tty_get_pgrp(tty);
	if (!fg || fg != task_pgrp(current)) {
		put_pid(fg);
		tty_kref_put(tty);
		return 0;	/* a restart in the background leaves it there */
	}
	put_pid(fg);
	for (i = 0; !nr && i < s->nr_tasks; i++) {
		if (s->tasks[i].pgid != reg->shell_foreground || !s->tasks[i].task ||
		    !cpt_task_is_leader(&s->tasks[i]) || s->tasks[i].zombie)
			continue;
		rcu_read_lock();
		nr = pid_vnr(task_pgrp(s->tasks[i].task));
		rcu_read_unlock();
	}
	file = cpt_pty_open_path("/dev/tty", O_RDONLY, CPT_DEV_TTY, "/dev/tty");
	ret = PTR_ERR_OR_ZERO(file);
	if (!ret && cpt_tty_of_file(file) != tty)
		ret = -ESTALE;
	if (!ret && !nr)
		ret = -ESRCH;
	if (!ret)
		ret = cpt_ubuf_get(&ub, sizeof(u32));
	if (!ret)
		ret = put_user(nr, (u32 __user *)ub.addr) ?:
		      cpt_file_ioctl(file, TIOCSPGRP, ub.addr);
	cpt_ubuf_put(&ub);
	if (!IS_ERR(file))
		fput(file);
	if (ret)
		cpt_note("group %u cannot have the restarting caller's terminal %s %s: %ld\n",
			 reg->shell_foreground, tty_name(tty), "in the foreground again", ret);
	tty_kref_put(tty);
	return ret;
}
