// SPDX-License-Identifier: GPL-2.0
/*
 * Ptys whose master the tree holds. A restart opens a ptmx with the saved
 * index as the task's next pty index, gives the slave its termios and
 * window size, puts back what the slave wrote and the master had not read,
 * and makes it the controlling terminal of its session again, with that
 * session's foreground group. Slaves are opened again by path.
 *
 * What each end has to read is taken at checkpoint through the tree's own
 * file on it, as its reader would, and given back to its input buffer at
 * once: the master's raw line discipline (unless its owner changed it)
 * passes it on unchanged; the slave's takes it back with echo, signals and
 * translations off, since it applied them the first time.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/namei.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/tty_flip.h>
#include <linux/uaccess.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* Restart: a pty made again, by its index, until the session ends. */
struct cpt_restored_pty {
	struct file *master;
	char *slave_path;
	u32 session;		/* whose controlling terminal it is, 0: none */
	u32 foreground;
	bool master_claimed;	/* a File of the image is its master */
};

/* What one pty may hold unread in an image: its buffers' own limits. */
#define CPT_PTY_MAX_INPUT (128U << 10)

static struct tty_struct *cpt_pty_of(struct file *file, bool *master)
{
	struct inode *inode = file_inode(file);
	unsigned int major = imajor(inode);
	struct tty_file_private *priv;

	if (!S_ISCHR(inode->i_mode))
		return NULL;
	if (inode->i_rdev == MKDEV(TTYAUX_MAJOR, 2))
		*master = true;
	else if (major >= UNIX98_PTY_SLAVE_MAJOR &&
		 major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT)
		*master = false;
	else
		return NULL;
	priv = file->private_data;
	if (!priv || !priv->tty || priv->tty->driver->type != TTY_DRIVER_TYPE_PTY ||
	    !priv->tty->link)
		return NULL;
	return priv->tty;
}

/* The master of the pty a file is an end of, or NULL. */
static struct tty_struct *cpt_pty_master_of(struct file *file)
{
	struct tty_struct *tty;
	bool master;

	tty = cpt_pty_of(file, &master);
	return !tty || master ? tty : tty->link;
}

static int cpt_pty_index(struct tty_struct *master)
{
	return master->index;
}

/* How many times the pty's slave is open: its count has one more, its master's. */
static int cpt_pty_slave_opens(struct tty_struct *master)
{
	return READ_ONCE(master->link->count) - 1;
}

/* Bytes the tty's line discipline holds for its reader (TIOCINQ). */
static long cpt_pty_unread(struct file *file, struct cpt_ubuf *ub)
{
	u32 n;
	long ret;

	ret = cpt_file_ioctl(file, TIOCINQ, ub->addr);
	if (ret)
		return ret;
	return get_user(n, (u32 __user *)ub->addr) ? -EFAULT : n;
}

/*
 * Takes all that the end's reader has yet to read, what its input buffer
 * still holds included. The caller gives it back.
 */
static int cpt_pty_take_input(struct file *file, struct tty_struct *tty,
			      struct cpt_ubuf *ub, u8 **data, size_t *len)
{
	size_t cap = 0;
	loff_t pos = 0;
	long n, got;
	u8 *more;

	*data = NULL;
	*len = 0;
	for (;;) {
		flush_work(&tty->port->buf.work);
		n = cpt_pty_unread(file, ub);
		if (n <= 0)
			break;
		if (*len + n > CPT_PTY_MAX_INPUT) {
			n = -EFBIG;
			break;
		}
		if (*len + n > cap) {
			cap = *len + n;
			more = kvrealloc(*data, *len, cap, GFP_KERNEL_ACCOUNT);
			if (!more) {
				n = -ENOMEM;
				break;
			}
			*data = more;
		}
		got = kernel_read(file, *data + *len, n, &pos);
		if (got <= 0) {
			n = got ?: -EIO;
			break;
		}
		*len += got;
	}
	return n < 0 ? n : 0;
}

/* Puts data in the end's input buffer, as if the other end had written it. */
static int cpt_pty_give_input(struct tty_struct *tty, const u8 *data, size_t len)
{
	size_t done;

	if (!len)
		return 0;
	done = tty_insert_flip_string(tty->port, data, len);
	tty_flip_buffer_push(tty->port);
	flush_work(&tty->port->buf.work);
	return done == len ? 0 : -ENOSPC;
}

/*
 * The slave's line discipline processes its input again as it takes it
 * back: it does so with the slave's termios but for echo, signals and
 * input translations, which it applied the first time, then gets them all
 * back. Canonical mode rebuilds the lines the data holds.
 */
static int cpt_pty_give_slave_input(struct tty_struct *sl, const struct ktermios *kt,
				    const u8 *data, size_t len)
{
	struct ktermios quiet = *kt;
	int ret;

	quiet.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOKE | ISIG | IEXTEN);
	quiet.c_iflag &= ~(ICRNL | INLCR | IGNCR | IUCLC | ISTRIP | IXON | IXOFF | PARMRK |
			   INPCK | BRKINT);
	ret = tty_set_termios(sl, &quiet);
	if (!ret)
		ret = cpt_pty_give_input(sl, data, len);
	tty_set_termios(sl, (struct ktermios *)kt);
	return ret;
}

/*
 * Takes what the slave's reader has yet to read, a partial canonical line
 * included: the slave goes non-canonical for the time it takes, which
 * makes all of it readable, then takes it back in its own mode.
 */
static int cpt_pty_take_slave_input(struct file *slave, struct tty_struct *sl,
				    const struct ktermios *kt, struct cpt_ubuf *ub,
				    u8 **data, size_t *len)
{
	struct ktermios raw = *kt;
	int ret, back;

	raw.c_lflag &= ~(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
	ret = tty_set_termios(sl, &raw);
	if (ret)
		return ret;
	ret = cpt_pty_take_input(slave, sl, ub, data, len);
	back = cpt_pty_give_slave_input(sl, kt, *data, *len);
	if (back)
		pr_warn("cpt: pty %d lost input to the checkpoint: %d\n", sl->index, back);
	return ret ?: back;
}

static bool cpt_pty_raw_master(const struct ktermios *t)
{
	return !(t->c_lflag & (ICANON | ECHO | ISIG | IEXTEN)) &&
	       !(t->c_iflag & (ICRNL | INLCR | IGNCR | ISTRIP | IUCLC | IXON | PARMRK));
}

/*
 * The pty's state, with the first of its files saved. master is the tree's
 * file on the master; slave one of the tree's files on the slave, or NULL.
 */
static int cpt_pty_save(struct cpt_pb_buf *one, struct file *master, struct file *slave,
			const struct inode *node, struct pid_namespace *ns)
{
	struct tty_struct *m = ((struct tty_file_private *)master->private_data)->tty;
	struct tty_struct *sl = m->link;
	struct cpt_ubuf ub = {};
	struct ktermios kt, mt;
	struct winsize ws;
	struct cpt_pb_buf pty;
	unsigned long flags;
	pid_t sid = 0, fg = 0;
	u32 uid = 0, gid = 0;
	size_t input_len = 0, typed_len = 0;
	u8 *input = NULL, *typed = NULL;
	int ret;

	down_read(&sl->termios_rwsem);
	kt = sl->termios;
	up_read(&sl->termios_rwsem);
	down_read(&m->termios_rwsem);
	mt = m->termios;
	up_read(&m->termios_rwsem);
	if (kt.c_line != N_TTY || mt.c_line != N_TTY) {
		cpt_note("pty %d: a line discipline other than N_TTY is not supported\n", m->index);
		return -EOPNOTSUPP;
	}
	if (m->ctrl.packet) {
		cpt_note("pty %d: packet mode (TIOCPKT) is not supported\n", m->index);
		return -EOPNOTSUPP;
	}
	if (!(master->f_mode & FMODE_READ) || (slave && !(slave->f_mode & FMODE_READ))) {
		cpt_note("pty %d: an end the tree holds is not open for reading\n", m->index);
		return -EOPNOTSUPP;
	}
	if (node) {
		ret = cpt_node_ids(node, &uid, &gid, "pty slave");
		if (ret)
			return ret;
	}
	ret = cpt_ubuf_get(&ub, sizeof(u32));
	if (!ret && !cpt_pty_raw_master(&mt) && cpt_pty_unread(master, &ub)) {
		cpt_note("pty %d: unread output with a master that is not raw is not supported\n",
			 m->index);
		ret = -EOPNOTSUPP;
	}
	if (!ret) {
		ret = cpt_pty_take_input(master, m, &ub, &input, &input_len);
		if (cpt_pty_give_input(m, input, input_len))
			pr_warn("cpt: pty %d lost output to the checkpoint\n", m->index);
	}
	if (!ret && slave)
		ret = cpt_pty_take_slave_input(slave, sl, &kt, &ub, &typed, &typed_len);
	cpt_ubuf_put(&ub);
	if (ret) {
		kvfree(input);
		kvfree(typed);
		return ret;
	}
	mutex_lock(&sl->winsize_mutex);
	ws = sl->winsize;
	mutex_unlock(&sl->winsize_mutex);
	spin_lock_irqsave(&sl->ctrl.lock, flags);
	if (sl->ctrl.session)
		sid = pid_nr_ns(sl->ctrl.session, ns);
	if (sl->ctrl.pgrp)
		fg = pid_nr_ns(sl->ctrl.pgrp, ns);
	spin_unlock_irqrestore(&sl->ctrl.lock, flags);

	cpt_pb_init(&pty);
	cpt_pb_u64(&pty, CPT_PB_PTY_IFLAG, kt.c_iflag);
	cpt_pb_u64(&pty, CPT_PB_PTY_OFLAG, kt.c_oflag);
	cpt_pb_u64(&pty, CPT_PB_PTY_CFLAG, kt.c_cflag);
	cpt_pb_u64(&pty, CPT_PB_PTY_LFLAG, kt.c_lflag);
	cpt_pb_bytes(&pty, CPT_PB_PTY_CC, kt.c_cc, NCCS);
	cpt_pb_u64(&pty, CPT_PB_PTY_ISPEED, kt.c_ispeed);
	cpt_pb_u64(&pty, CPT_PB_PTY_OSPEED, kt.c_ospeed);
	cpt_pb_u64(&pty, CPT_PB_PTY_ROWS, ws.ws_row);
	cpt_pb_u64(&pty, CPT_PB_PTY_COLS, ws.ws_col);
	cpt_pb_u64(&pty, CPT_PB_PTY_XPIXEL, ws.ws_xpixel);
	cpt_pb_u64(&pty, CPT_PB_PTY_YPIXEL, ws.ws_ypixel);
	cpt_pb_u64(&pty, CPT_PB_PTY_LOCKED, test_bit(TTY_PTY_LOCK, &m->flags));
	if (input_len)
		cpt_pb_bytes(&pty, CPT_PB_PTY_MASTER_INPUT, input, input_len);
	if (typed_len)
		cpt_pb_bytes(&pty, CPT_PB_PTY_SLAVE_INPUT, typed, typed_len);
	cpt_pb_u64(&pty, CPT_PB_PTY_SESSION, sid > 0 ? sid : 0);
	cpt_pb_u64(&pty, CPT_PB_PTY_FOREGROUND, sid > 0 && fg > 0 ? fg : 0);
	if (node) {
		cpt_pb_varint(&pty, CPT_PB_PTY_SLAVE_UID, uid);
		cpt_pb_varint(&pty, CPT_PB_PTY_SLAVE_GID, gid);
		cpt_pb_varint(&pty, CPT_PB_PTY_SLAVE_MODE, node->i_mode);
	}
	kvfree(input);
	kvfree(typed);
	cpt_pb_message(one, CPT_PB_FILE_PTY, &pty);
	return one->err;
}

/* ---- restart ---- */

static int cpt_pty_decode(const struct cpt_pb_field *pf, struct cpt_pty_image *st)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 *fields[] = {
		[CPT_PB_PTY_IFLAG] = &st->iflag, [CPT_PB_PTY_OFLAG] = &st->oflag,
		[CPT_PB_PTY_CFLAG] = &st->cflag, [CPT_PB_PTY_LFLAG] = &st->lflag,
		[CPT_PB_PTY_LINE] = &st->line, [CPT_PB_PTY_ISPEED] = &st->ispeed,
		[CPT_PB_PTY_OSPEED] = &st->ospeed, [CPT_PB_PTY_ROWS] = &st->rows,
		[CPT_PB_PTY_COLS] = &st->cols, [CPT_PB_PTY_XPIXEL] = &st->xpixel,
		[CPT_PB_PTY_YPIXEL] = &st->ypixel, [CPT_PB_PTY_SESSION] = &st->session,
		[CPT_PB_PTY_FOREGROUND] = &st->foreground,
	};

	*st = (struct cpt_pty_image) { .present = true };
	cpt_pb_for_each_subfield(&r, pf, &f) {
		if (f.num < ARRAY_SIZE(fields) && fields[f.num])
			cpt_pb_read_u32(&r, &f, fields[f.num]);
		else if (f.num == CPT_PB_PTY_LOCKED)
			cpt_pb_read_bool(&r, &f, &st->locked);
		else if (f.num == CPT_PB_PTY_CC)
			cpt_pb_read_bytes(&r, &f, &st->cc, &st->cc_len);
		else if (f.num == CPT_PB_PTY_MASTER_INPUT)
			cpt_pb_read_bytes(&r, &f, &st->input, &st->input_len);
		else if (f.num == CPT_PB_PTY_SLAVE_INPUT)
			cpt_pb_read_bytes(&r, &f, &st->typed, &st->typed_len);
		else if (f.num == CPT_PB_PTY_SLAVE_UID || f.num == CPT_PB_PTY_SLAVE_GID)
			st->slave.owned = cpt_pb_read_u32(&r, &f, f.num == CPT_PB_PTY_SLAVE_UID ?
							  &st->slave.uid : &st->slave.gid);
		else if (f.num == CPT_PB_PTY_SLAVE_MODE)
			st->slave.has_mode = cpt_pb_read_u32(&r, &f, &st->slave.mode);
	}
	if (cpt_pb_end(&r) || st->line != N_TTY || st->cc_len > NCCS ||
	    st->input_len > CPT_PTY_MAX_INPUT || st->typed_len > CPT_PTY_MAX_INPUT ||
	    st->rows > USHRT_MAX || st->cols > USHRT_MAX || st->xpixel > USHRT_MAX ||
	    st->ypixel > USHRT_MAX ||
	    (st->slave.has_mode && (st->slave.mode & S_IFMT) != S_IFCHR))
		return -EBADMSG;
	st->slave.mode &= S_IALLUGO;
	return 0;
}

/* Gives the new pty the saved state. */
static int cpt_pty_apply(struct tty_struct *m, const struct cpt_pty_image *st)
{
	struct winsize ws = { .ws_row = st->rows, .ws_col = st->cols,
			      .ws_xpixel = st->xpixel, .ws_ypixel = st->ypixel };
	struct tty_struct *sl = m->link;
	struct ktermios kt;
	int ret;

	down_read(&sl->termios_rwsem);
	kt = sl->termios;
	up_read(&sl->termios_rwsem);
	kt.c_iflag = st->iflag;
	kt.c_oflag = st->oflag;
	kt.c_cflag = st->cflag;
	kt.c_lflag = st->lflag;
	memcpy(kt.c_cc, st->cc, st->cc_len);
	kt.c_ispeed = st->ispeed;
	kt.c_ospeed = st->ospeed;
	ret = tty_set_termios(sl, &kt);
	if (!ret)
		ret = tty_do_resize(sl, &ws);
	if (!ret)
		ret = cpt_pty_give_input(m, st->input, st->input_len);
	if (!ret && st->typed_len)
		ret = cpt_pty_give_slave_input(sl, &kt, st->typed, st->typed_len);
	if (ret)
		return ret;
	if (st->locked)
		set_bit(TTY_PTY_LOCK, &m->flags);
	else
		clear_bit(TTY_PTY_LOCK, &m->flags);
	return 0;
}

/*
 * Opens a pty end by its path from the image, as the caller: only once the
 * path names the character device rdev (a ptmx, that pty's slave, or a
 * shell job's terminal: cpt_shell_tty.c), and non-blocking, so that neither
 * a FIFO, a regular file nor another device is ever opened and no open
 * waits (a path changed between the check and the open gets at most a
 * non-blocking open of what the caller may open; the file opened is
 * checked again). Then with the flags' O_NONBLOCK.
 */
struct file *cpt_pty_open_path(const char *path, u32 flags, dev_t rdev, const char *what)
{
	struct inode *inode;
	struct file *file;
	struct path p;
	int ret;

	ret = kern_path(path, LOOKUP_FOLLOW, &p);
	if (ret) {
		cpt_note("cannot open %s %s: %d\n", what, path, ret);
		return ERR_PTR(ret);
	}
	inode = d_inode(p.dentry);
	ret = S_ISCHR(inode->i_mode) && inode->i_rdev == rdev ? 0 : -ENXIO;
	path_put(&p);
	if (ret) {
		cpt_note("%s is not the %s (device %u:%u)\n", path, what, MAJOR(rdev), MINOR(rdev));
		return ERR_PTR(ret);
	}
	file = filp_open(path, flags | O_NOCTTY | O_NONBLOCK, 0);
	if (IS_ERR(file)) {
		cpt_note("cannot open %s %s: %ld\n", what, path, PTR_ERR(file));
		return file;
	}
	cpt_set_nonblock(file, flags & O_NONBLOCK);
	return file;
}

/* A new pty with the saved index, through the task's next pty index. */
static struct file *cpt_pty_create(const char *ptmx_path, u32 index, const struct cpt_pty_image *st)
{
	struct tty_struct *tty;
	struct file *file;
	bool master;
	int ret;

	ret = cpt_set_next_pty(index);
	if (ret)
		return ERR_PTR(ret);
	file = cpt_pty_open_path(ptmx_path, O_RDWR, MKDEV(TTYAUX_MAJOR, 2), "pty multiplexer");
	cpt_set_next_pty(CPT_ID_NONE);
	if (IS_ERR(file))
		return file;
	tty = cpt_pty_of(file, &master);
	if (!tty || !master || tty->index != index) {
		cpt_note("pty %u is taken in the devpts of %s\n", index, ptmx_path);
		fput(file);
		return ERR_PTR(-EEXIST);
	}
	if (st->present) {
		ret = cpt_pty_apply(tty, st);
		if (ret) {
			cpt_note("pty %u: cannot give it its termios, size or output again: %d\n",
				 index, ret);
			fput(file);
			return ERR_PTR(ret);
		}
	}
	return file;
}

/* The device number of a pty's slave, as tty_devnum() gives it. */
static dev_t cpt_pty_slave_devt(struct tty_struct *master)
{
	struct tty_struct *sl = master->link;

	return MKDEV(sl->driver->major, sl->driver->minor_start) + sl->index;
}

/* The slave of the pty whose master is given, by path, lock or no lock. */
static struct file *cpt_pty_open_slave(struct file *master, const char *path, u32 flags)
{
	struct tty_struct *m = ((struct tty_file_private *)master->private_data)->tty;
	struct tty_struct *tty;
	struct file *file;
	bool locked, is_master;

	locked = test_and_clear_bit(TTY_PTY_LOCK, &m->flags);
	file = cpt_pty_open_path(path, flags, cpt_pty_slave_devt(m), "pty slave");
	if (locked)
		set_bit(TTY_PTY_LOCK, &m->flags);
	if (IS_ERR(file))
		return file;
	tty = cpt_pty_of(file, &is_master);
	if (!tty || is_master || tty->link != m) {
		cpt_note("%s is not the slave of pty %d\n", path, m->index);
		fput(file);
		return ERR_PTR(-ESTALE);
	}
	return file;
}

/*
 * In the session leader's final step: the pty becomes its controlling
 * terminal again, with the saved foreground group, through the tty's own
 * ioctls (TIOCSCTTY, TIOCSPGRP) and their rules.
 */
static int cpt_pty_set_ctty(struct file *master, const char *slave_path, u32 foreground)
{
	struct cpt_ubuf ub = {};
	struct file *slave;
	long ret;

	slave = cpt_pty_open_slave(master, slave_path, O_RDWR);
	if (IS_ERR(slave))
		return PTR_ERR(slave);
	ret = cpt_file_ioctl(slave, TIOCSCTTY, 0);
	if (!ret && foreground) {
		ret = cpt_ubuf_get(&ub, sizeof(u32));
		if (!ret)
			ret = put_user(foreground, (u32 __user *)ub.addr) ?:
			      cpt_file_ioctl(slave, TIOCSPGRP, ub.addr);
		cpt_ubuf_put(&ub);
	}
	fput(slave);
	if (ret)
		cpt_note("%s: cannot be the controlling terminal again (group %u): %ld\n",
			 slave_path, foreground, ret);
	return ret;
}

/* ---- the tree's ptys, as Files ---- */

/* Checkpoint: the tree's files on one pty. */
struct cpt_tree_pty {
	int master;		/* the index in saved of a file on its master, or -1 */
	struct file *slave;	/* one of the tree's files on its slave, or NULL */
	unsigned int slaves;	/* how many of the tree's files are on its slave */
};

/* Indexes the tree's files on ptys by their pty's master, in one pass. */
static int cpt_pty_index_tree(struct cpt_file_registry *reg)
{
	struct cpt_tree_pty *tp;
	struct tty_struct *m;
	unsigned int i;
	bool is_master;
	int ret;

	if (!reg->scanned)
		return -EAGAIN;	/* a bug: every file of the tree is noted first */
	for (i = 0; i < reg->nr_saved; i++) {
		m = cpt_pty_master_of(reg->saved[i].file);
		if (!m)
			continue;
		tp = xa_load(&reg->tree_ptys, cpt_ptr_key(m));
		if (!tp) {
			tp = kzalloc(sizeof(*tp), GFP_KERNEL);
			if (!tp)
				return -ENOMEM;
			tp->master = -1;
			ret = xa_insert(&reg->tree_ptys, cpt_ptr_key(m), tp, GFP_KERNEL);
			if (ret) {
				kfree(tp);
				return ret;
			}
		}
		cpt_pty_of(reg->saved[i].file, &is_master);
		if (is_master) {
			tp->master = i;
		} else {
			tp->slave = reg->saved[i].file;
			tp->slaves++;
		}
		ret = cpt_long_loop_check();
		if (ret)
			return ret;
	}
	reg->ptys_indexed = true;
	return 0;
}

/*
 * A pty end whose master the tree holds: the master's entry, and one of the
 * tree's files on the slave (NULL if none). A slave open outside the tree
 * is refused: that opener would lose it.
 */
int cpt_pty_in_tree(struct cpt_file_registry *reg, struct file *file,
		    struct cpt_saved_file **master, struct file **slave)
{
	struct tty_struct *m = cpt_pty_master_of(file);
	struct cpt_tree_pty *tp;
	bool is_master;
	int ret;

	if (!m)
		return 0;
	*master = NULL;
	*slave = NULL;
	if (!reg->ptys_indexed) {
		ret = cpt_pty_index_tree(reg);
		if (ret)
			return ret;
	}
	tp = xa_load(&reg->tree_ptys, cpt_ptr_key(m));
	if (!tp || tp->master < 0)
		return 0;
	*master = &reg->saved[tp->master];
	*slave = tp->slave;
	if (cpt_pty_slave_opens(m) > tp->slaves) {
		cpt_note("pty %d: its slave is open outside the tree\n", cpt_pty_index(m));
		return -EOPNOTSUPP;
	}
	cpt_pty_of(file, &is_master);
	return is_master ? CPT_PB_FILE_KIND_PTY_MASTER : CPT_PB_FILE_KIND_PTY_SLAVE;
}

/* Whether a tty is an end of a pty whose master the tree holds (1), or not (0). */
int cpt_pty_tty_in_tree(struct cpt_file_registry *reg, struct tty_struct *tty)
{
	struct cpt_tree_pty *tp;
	int ret;

	if (tty->driver->type != TTY_DRIVER_TYPE_PTY || !tty->link)
		return 0;
	if (tty->driver->subtype == PTY_TYPE_SLAVE)
		tty = tty->link;
	if (!reg->ptys_indexed) {
		ret = cpt_pty_index_tree(reg);
		if (ret)
			return ret;
	}
	tp = xa_load(&reg->tree_ptys, cpt_ptr_key(tty));
	return tp && tp->master >= 0;
}

/*
 * Where a pty's other end is, by its devpts's layout: the slave of
 * DIR/pts/ptmx is DIR/pts/N, of DIR/ptmx (the /dev/ptmx of most systems)
 * DIR/pts/N; the ptmx of DIR/pts/N is DIR/ptmx.
 */
static char *cpt_pty_other_path(const char *path, bool master, u32 index)
{
	char *dir = kstrdup(path, GFP_KERNEL), *other, *cut;

	if (!dir)
		return NULL;
	*strrchr(dir, '/') = 0;			/* the end's directory */
	cut = strrchr(dir, '/');
	if (!master)
		other = kasprintf(GFP_KERNEL, "%.*s/ptmx", cut ? (int)(cut - dir) : 0, dir);
	else if (cut && !strcmp(cut, "/pts"))
		other = kasprintf(GFP_KERNEL, "%s/%u", dir, index);
	else
		other = kasprintf(GFP_KERNEL, "%s/pts/%u", dir, index);
	kfree(dir);
	return other;
}

/*
 * The new pty's slave node, which devpts made the restarting caller's,
 * gets its saved owner, group and mode back.
 */
static int cpt_pty_slave_node(struct cpt_restored_pty *pty, const struct cpt_node_attrs *node)
{
	struct tty_struct *m = ((struct tty_file_private *)pty->master->private_data)->tty;
	struct path p;
	int ret;

	if (!node->owned && !node->has_mode)
		return 0;
	ret = kern_path(pty->slave_path, 0, &p);
	if (ret) {
		cpt_note("cannot find pty slave %s: %d\n", pty->slave_path, ret);
		return ret;
	}
	if (S_ISCHR(d_inode(p.dentry)->i_mode) &&
	    d_inode(p.dentry)->i_rdev == cpt_pty_slave_devt(m))
		ret = cpt_set_node_attrs(&p, node, pty->slave_path);
	else
		ret = -ESTALE;
	path_put(&p);
	if (ret == -ESTALE)
		cpt_note("%s is not the slave of pty %d\n", pty->slave_path, m->index);
	return ret;
}

/*
 * A pty end: the first File of the pty makes it, with its state; a master
 * File takes that master (a pty has one), a slave File opens the slave.
 */
static int cpt_open_pty(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	bool master = rfile->kind == CPT_PB_FILE_KIND_PTY_MASTER;
	struct cpt_restored_pty *pty = xa_load(&reg->ptys, rfile->pty.index);
	char *ptmx = NULL;
	int ret;

	if (!pty) {
		pty = kzalloc(sizeof(*pty), GFP_KERNEL_ACCOUNT);
		if (!pty)
			return -ENOMEM;
		ptmx = master ? NULL : cpt_pty_other_path(rfile->path, false, 0);
		pty->slave_path = master ? cpt_pty_other_path(rfile->path, true, rfile->pty.index) :
					   kstrdup(rfile->path, GFP_KERNEL);
		if ((!master && !ptmx) || !pty->slave_path) {
			ret = -ENOMEM;
			goto fail;
		}
		pty->master = cpt_pty_create(master ? rfile->path : ptmx, rfile->pty.index,
					     &rfile->pty.image);
		kfree(ptmx);
		if (IS_ERR(pty->master)) {
			ret = PTR_ERR(pty->master);
			goto fail;
		}
		ret = cpt_pty_slave_node(pty, &rfile->pty.image.slave);
		if (ret) {
			fput(pty->master);
			goto fail;
		}
		pty->session = rfile->pty.image.session;
		pty->foreground = rfile->pty.image.foreground;
		ret = xa_insert(&reg->ptys, rfile->pty.index, pty, GFP_KERNEL_ACCOUNT);
		if (ret) {
			fput(pty->master);
			goto fail;
		}
	} else if (rfile->pty.image.present) {
		cpt_note("image: pty %u has its state twice\n", rfile->pty.index);
		return -EBADMSG;
	}
	if (master) {
		if (pty->master_claimed) {
			cpt_note("image: pty %u has two masters\n", rfile->pty.index);
			return -EBADMSG;
		}
		pty->master_claimed = true;
		rfile->file = get_file(pty->master);
		return 0;
	}
	rfile->file = cpt_pty_open_slave(pty->master, rfile->path, rfile->flags);
	if (IS_ERR(rfile->file)) {
		ret = PTR_ERR(rfile->file);
		rfile->file = NULL;
		return ret;
	}
	return 0;
fail:
	kfree(pty->slave_path);
	kfree(pty);
	return ret;
}

/* In a session leader's final step: the pty that was its controlling terminal. */
int cpt_pty_apply_ctty(struct cpt_file_registry *reg)
{
	struct cpt_restored_pty *pty;
	pid_t self = task_tgid_vnr(current);
	unsigned long i;
	int ret = 0;

	xa_for_each(&reg->ptys, i, pty)
		if (!ret && pty->session && pty->session == self)
			ret = cpt_pty_set_ctty(pty->master, pty->slave_path, pty->foreground);
	return ret;
}

void cpt_pty_release(struct cpt_file_registry *reg)
{
	struct cpt_restored_pty *pty;
	struct cpt_tree_pty *tp;
	unsigned long i;

	xa_for_each(&reg->tree_ptys, i, tp)
		kfree(tp);
	xa_destroy(&reg->tree_ptys);

	xa_for_each(&reg->ptys, i, pty) {
		fput(pty->master);
		kfree(pty->slave_path);
		kfree(pty);
	}
	xa_destroy(&reg->ptys);
}

/*
 * The slave's device node, whose owner and mode a restart gives back: the
 * tree's file on it, or else the node at the path a restart opens it by
 * (which p then holds), if it is there. Without one, devpts gives the
 * new one its default.
 */
static const struct inode *cpt_pty_slave_node_saved(const struct cpt_fd_entry *e,
						    const char *path, struct file *slave,
						    struct path *p)
{
	struct tty_struct *m = cpt_pty_master_of(e->file);
	const struct inode *inode;
	char *slave_path;
	int ret;

	if (slave)
		return file_inode(slave);
	slave_path = cpt_pty_other_path(path, true, cpt_pty_index(m));
	if (!slave_path)
		return NULL;
	ret = kern_path(slave_path, 0, p);
	kfree(slave_path);
	if (ret)
		return NULL;
	inode = d_inode(p->dentry);
	if (S_ISCHR(inode->i_mode) && inode->i_rdev == cpt_pty_slave_devt(m))
		return inode;
	path_put(p);
	return NULL;
}

/* Each end names its pty; the pty's state goes with the first File of its master. */
static int cpt_pty_save_file(struct cpt_file_save *fs)
{
	const struct cpt_fd_entry *e = fs->e;
	struct cpt_saved_file *master;
	const struct inode *node;
	struct file *slave;
	struct path p;
	int ret;

	cpt_pb_varint(fs->one, CPT_PB_FILE_PTY_INDEX, cpt_pty_index(cpt_pty_master_of(e->file)));
	ret = cpt_pty_in_tree(fs->reg, e->file, &master, &slave);
	if (ret == e->kind && !master->pty_saved) {
		master->pty_saved = true;
		node = cpt_pty_slave_node_saved(e, fs->path, slave, &p);
		ret = cpt_pty_save(fs->one, master->file, slave, node, fs->reg->pid_ns);
		if (node && !slave)
			path_put(&p);
	}
	return ret < 0 ? ret : 0;
}

static int cpt_pty_decode_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_PTY_INDEX:
		return cpt_pb_get_u32(f, &rfile->pty.index);
	case CPT_PB_FILE_PTY:
		return cpt_pty_decode(f, &rfile->pty.image);
	}
	return CPT_FILE_FOREIGN;
}

static int cpt_pty_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if ((rfile->mode & S_IFMT) != S_IFCHR)
		*bad = "mode";
	else if (*path != '/' || !strrchr(path, '/')[1])
		*bad = "path";
	else if (rfile->pty.index >= NR_UNIX98_PTY_MAX)
		*bad = "pty index";
	else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
		*bad = "access mode";
	return *bad ? -EBADMSG : 0;
}

/* Both ends; cpt_files_save.c tells them apart by cpt_pty_in_tree(). */
const struct cpt_file_ops cpt_pty_ops = {
	.path = CPT_FILE_PATH_OPENED,
	.save = cpt_pty_save_file,
	.decode = cpt_pty_decode_field,
	.check = cpt_pty_check,
	.open = cpt_open_pty,
};
