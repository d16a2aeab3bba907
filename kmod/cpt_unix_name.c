// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets' names at restart: a name checked, shown, bound again in the
 * restoring task as the task would resolve it (the file a killed listener
 * left at its path removed first, once a probe finds nobody bound to it;
 * a socket file renamed since it was bound renamed there again), or given
 * back without bind() to an end of a pair or a datagram's sender: only a
 * name its restorer could have had (cpt_unix_may_take_name()); and the socket file
 * of a socket bound to a path, with its saved owner and mode.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_unix.h"

/* A name a restart may bind: a path or an abstract name, within sun_path. */
bool cpt_unix_addr_valid(const u8 *addr, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;

	if (len <= offsetof(struct sockaddr_un, sun_path) + 1 || len > CPT_UNIX_ADDR_MAX ||
	    sun->sun_family != AF_UNIX)
		return false;
	/* Only a path is that long, ended by its NUL. */
	return len <= sizeof(*sun) || (sun->sun_path[0] && !addr[len - 1]);
}

/*
 * Whether a socket is bound to the path: a datagram probe connects to it,
 * which nobody sees (ECONNREFUSED: nobody; a listener refuses the type).
 */
static bool cpt_unix_path_in_use(struct sockaddr *addr, int len)
{
	struct socket *probe;
	int ret;

	if (sock_create(AF_UNIX, SOCK_DGRAM, 0, &probe))
		return true;
	ret = kernel_connect(probe, addr, len, 0);
	sock_release(probe);
	return ret != -ECONNREFUSED;
}

/* Removes the socket file a killed listener left at the path. */
static int cpt_unix_unlink_stale(const struct sockaddr_un *sun, int len)
{
	size_t path_len = strnlen(sun->sun_path, len - offsetof(struct sockaddr_un, sun_path));
	struct cpt_ubuf ub = {};
	struct path p;
	int ret;

	ret = kern_path(sun->sun_path, 0, &p);
	if (ret)
		return ret;
	ret = S_ISSOCK(d_inode(p.dentry)->i_mode) ? 0 : -EEXIST;
	path_put(&p);
	if (!ret)
		ret = cpt_ubuf_get(&ub, path_len + 1);
	if (!ret && (copy_to_user((void __user *)ub.addr, sun->sun_path, path_len) ||
		     put_user(0, (char __user *)(ub.addr + path_len))))
		ret = -EFAULT;
	if (!ret)
		ret = cpt_sys(cpt_sym.sys_unlink, ub.addr, 0, 0, 0, 0);
	cpt_ubuf_put(&ub);
	return ret;
}

/*
 * The name, as bind() and connect() are given it, in *storage: af_unix may
 * write the NUL after a path of all of sun_path, one byte past a
 * sockaddr_un. Zeroed, a path always ends within it; a path is bound by its
 * bytes, as bind() takes it: the NUL is the kernel's. Returns its length.
 */
int cpt_unix_sockaddr(struct sockaddr_storage *storage, const u8 *addr, size_t len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)storage;

	memset(storage, 0, sizeof(*storage));
	memcpy(storage, addr, len);
	if (sun->sun_path[0])
		len = offsetof(struct sockaddr_un, sun_path) +
		      strnlen(sun->sun_path, sizeof(sun->sun_path));
	return len;
}

const char *cpt_unix_show(struct cpt_unix_shown *buf, const void *addr, size_t len)
{
	const char *path = (const char *)addr + offsetof(struct sockaddr_un, sun_path);
	int path_len = len - offsetof(struct sockaddr_un, sun_path);

	snprintf(buf->s, sizeof(buf->s), "%s%.*s", *path ? "" : "@", path_len - !*path,
		 path + !*path);
	return buf->s;
}

/*
 * Whether both the restarting caller and the task, with the credentials the
 * image gives it, could make a socket file at path (NUL-ended): write and
 * search rights on its directory, which each reaches on its own
 * (cpt_task_lookup()), as bind() asks. The bind itself is the caller's, and
 * so is the socket file until it gets its saved owner back.
 */
static int cpt_unix_may_bind(struct cpt_file_registry *reg, const char *path)
{
	static const char what[] = "unix socket's directory";
	char *dir = kstrdup(path, GFP_KERNEL), *slash;
	struct path p;
	int ret;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		strscpy(dir, ".", 2);	/* dir holds at least one character */
	else
		slash[slash == dir] = 0;	/* "/x": "/" */
	ret = cpt_task_lookup(reg->session, what, dir, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (!ret) {
		ret = cpt_task_may(reg->session, what, dir, &p, MAY_WRITE | MAY_EXEC);
		path_put(&p);
	}
	kfree(dir);
	return ret;
}

/*
 * A socket whose file was renamed since it was bound (unix_file_path), bound
 * again at its name: its file renamed where it was, as the restarting
 * caller (rename()'s checks: write and search rights on both directories),
 * to a place the task could make it too (cpt_unix_may_bind()). The file the
 * killed socket left there is removed first, once a probe finds nobody
 * bound to it. Then that path must reach the socket's file.
 */
static int cpt_unix_move_file(struct cpt_file_registry *reg, struct cpt_unix_restore *ur)
{
	const struct cpt_rfile_unix *u = &ur->rfile->unix_sk;
	struct sockaddr_storage storage = { .ss_family = AF_UNIX };
	struct sockaddr_un *sun = (struct sockaddr_un *)&storage;
	int len = offsetof(struct sockaddr_un, sun_path) + u->file_path_len;
	struct sock *sk = sock_from_file(ur->file)->sk;
	struct cpt_ubuf ub = {};
	size_t from_len;
	struct path p;
	char *buf, *from;
	long ret;

	/* Checked when decoded: an absolute path shorter than sun_path, no NUL in it. */
	memcpy(sun->sun_path, u->file_path, u->file_path_len);
	ret = cpt_unix_may_bind(reg, sun->sun_path);
	if (ret)
		return ret;
	ret = kern_path(sun->sun_path, 0, &p);
	if (!ret) {
		path_put(&p);
		ret = cpt_unix_path_in_use((struct sockaddr *)&storage, len) ? -EADDRINUSE :
		      cpt_unix_unlink_stale(sun, len);
	} else if (ret == -ENOENT) {
		ret = 0;
	}
	buf = ret ? NULL : __getname();
	from = buf ? d_path(&unix_sk(sk)->path, buf, PATH_MAX) : ERR_PTR(ret ?: -ENOMEM);
	ret = PTR_ERR_OR_ZERO(from);
	from_len = ret ? 0 : strlen(from) + 1;
	if (!ret)
		ret = cpt_ubuf_get(&ub, from_len + u->file_path_len + 1);
	if (!ret && (copy_to_user((void __user *)ub.addr, from, from_len) ||
		     copy_to_user((void __user *)(ub.addr + from_len), sun->sun_path,
				  u->file_path_len + 1)))
		ret = -EFAULT;
	if (!ret)
		ret = cpt_sys(cpt_sym.sys_renameat2, AT_FDCWD, ub.addr, AT_FDCWD,
			      ub.addr + from_len, RENAME_NOREPLACE);
	cpt_ubuf_put(&ub);
	if (!ret) {
		ret = kern_path(sun->sun_path, 0, &p);
		if (!ret && !path_equal(&p, &unix_sk(sk)->path))
			ret = -ESTALE;
		if (!ret || ret == -ESTALE)
			path_put(&p);
	}
	if (ret)
		cpt_note("fd %u: cannot move the socket file of %.*s to %s again: %ld\n",
			 ur->rfile->fd, (int)(u->addr_len - offsetof(struct sockaddr_un, sun_path)),
			 ((const struct sockaddr_un *)u->addr)->sun_path, sun->sun_path, ret);
	if (buf)
		__putname(buf);
	return ret;
}

/*
 * bind() to the saved name, as the restarting caller: the kernel's checks
 * apply (the LSM's, the permission to create the socket file in its
 * directory). The name is resolved from the task's own root and working
 * directory (cpt_task_fs_enter()): it means what it meant to the task. The
 * file a killed socket left at its path is removed first, once a probe
 * finds nobody bound to it. A socket whose file was renamed since it was
 * bound has it renamed there again (cpt_unix_move_file()); its name was
 * free at checkpoint and must be still: what holds it now is not the
 * killed socket's file.
 */
int cpt_unix_bind(struct cpt_file_registry *reg, struct cpt_unix_restore *ur,
		  const u8 *addr, size_t addr_len)
{
	struct sockaddr_storage storage;
	struct sockaddr_un *sun = (struct sockaddr_un *)&storage;
	int len = cpt_unix_sockaddr(&storage, addr, addr_len);
	bool moved = ur->rfile->unix_sk.file_path_len;
	struct cpt_unix_shown shown;
	struct cpt_task_fs was;
	long ret = 0;

	cpt_task_fs_enter(reg->session, &was);
	if (sun->sun_path[0])
		ret = cpt_unix_may_bind(reg, sun->sun_path);
	if (ret) {
		cpt_task_fs_leave(&was);
		return ret;
	}
	ret = cpt_unix_sys_name(ur, cpt_sym.sys_bind, &storage, len);
	if (ret == -EADDRINUSE && sun->sun_path[0] && !moved &&
	    !cpt_unix_path_in_use((struct sockaddr *)&storage, len)) {
		ret = cpt_unix_unlink_stale(sun, len);
		if (!ret)
			ret = cpt_unix_sys_name(ur, cpt_sym.sys_bind, &storage, len);
	}
	cpt_task_fs_leave(&was);
	if (ret)
		cpt_note("fd %u: cannot bind a unix socket to %s again: %ld\n", ur->rfile->fd,
			 cpt_unix_show(&shown, &storage, len), ret);
	if (!ret && moved)
		ret = cpt_unix_move_file(reg, ur);
	return ret;
}

/* Gives a restored end of a connection (or a datagram's sender) its saved name back. */
int cpt_unix_set_addr(struct sock *sk, const u8 *name, size_t len)
{
	struct unix_address *addr;

	addr = kmalloc(sizeof(*addr) + len, GFP_KERNEL_ACCOUNT);
	if (!addr)
		return -ENOMEM;
	refcount_set(&addr->refcnt, 1);
	addr->len = len;
	memcpy(addr->name, name, len);
	unix_state_lock(sk);
	if (unix_sk(sk)->addr) {
		unix_state_unlock(sk);
		kfree(addr);
		return -EINVAL;
	}
	/* As unix_bind() publishes a name: its readers load it with acquire. */
	smp_store_release(&unix_sk(sk)->addr, addr);
	unix_state_unlock(sk);
	return 0;
}

/* Restart: the name of a socket the session bound, by its jhash. */
struct cpt_unix_name {
	size_t len;
	u8 name[];
};

/*
 * Notes a name a socket of this restart holds: a connection to a listener
 * may have it, a datagram may come from it.
 */
int cpt_unix_note_name(struct cpt_file_registry *reg, const u8 *name, size_t len)
{
	struct cpt_unix_name *n = kmalloc(struct_size(n, name, len), GFP_KERNEL_ACCOUNT);
	int ret;

	if (!n)
		return -ENOMEM;
	n->len = len;
	memcpy(n->name, name, len);
	ret = xa_insert(&reg->listener_names, jhash(name, len, 0), n, GFP_KERNEL_ACCOUNT);
	if (ret)
		kfree(n);
	/* The same name, or another of the same hash: this one is not found. */
	return ret == -EBUSY ? 0 : ret;
}

/*
 * A name for an end of a pair, which gets it without bind(): only one the
 * caller could have. A path (resolved as the task would, cpt_task_fs_enter())
 * must be a socket the caller may connect to (write permission, as
 * connect() checks): a listener's, restored or left by the one that was
 * killed. An abstract name must be one the caller
 * could bind for a socket of the type (af_unix keeps them by type): a probe
 * binds it and lets it go, unless a listener this restart bound holds it:
 * an accepted connection has its listener's name.
 */
int cpt_unix_may_take_name(struct cpt_file_registry *reg, u32 type, const u8 *name,
			   size_t len)
{
	struct sockaddr_storage storage = {};
	struct sockaddr_un *sun = (struct sockaddr_un *)&storage;
	struct cpt_unix_name *held;
	struct cpt_task_fs was;
	struct socket *probe;
	struct path p;
	int ret;

	/* Zeroed: a path ends within it. */
	memcpy(&storage, name, len);
	if (sun->sun_path[0]) {
		cpt_task_fs_enter(reg->session, &was);
		ret = cpt_task_lookup(reg->session, "unix socket", sun->sun_path, LOOKUP_FOLLOW,
				      &p);
		if (!ret) {
			ret = S_ISSOCK(d_inode(p.dentry)->i_mode) ?
			      cpt_task_may(reg->session, "unix socket", sun->sun_path, &p,
					   MAY_WRITE) : -ENOTSOCK;
			path_put(&p);
		}
		cpt_task_fs_leave(&was);
		return ret;
	}
	held = xa_load(&reg->listener_names, jhash(name, len, 0));
	if (held && held->len == len && !memcmp(held->name, name, len))
		return 0;
	ret = sock_create(AF_UNIX, type, 0, &probe);
	if (ret)
		return ret;
	ret = kernel_bind(probe, (struct sockaddr *)&storage, len);
	sock_release(probe);
	return ret;
}

/* The socket file of a socket bound to a path gets its saved owner, group and mode back. */
int cpt_unix_restore_node(struct cpt_rfile *rfile)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)rfile->unix_sk.addr;
	struct sock *sk = sock_from_file(rfile->file)->sk;
	struct cpt_node_attrs node = rfile->unix_sk.node;
	char *what;
	int ret;

	if (!node.owned && !node.has_mode)
		return 0;
	node.mode &= S_IALLUGO;
	what = kasprintf(GFP_KERNEL, "socket file %.*s",
			 (int)strnlen(sun->sun_path, sizeof(sun->sun_path)), sun->sun_path);
	if (!what)
		return -ENOMEM;
	ret = cpt_set_node_attrs(&unix_sk(sk)->path, &node, what);
	kfree(what);
	return ret;
}
