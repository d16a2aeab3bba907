// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets with names: listening sockets, bound to a path or an
 * abstract name, and the names the ends of a connection carry (an accepted
 * socket has its listener's). A restart binds a listener again in the
 * restoring task, with its rights; the file a killed listener left at its
 * path is removed first, once a probe finds nobody bound to it. A
 * connection within the tree comes back as a socket pair whose ends get
 * their names back, as getsockname() and getpeername() show them.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

bool cpt_unix_is_listener(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX &&
	       (sock->sk->sk_type == SOCK_STREAM || sock->sk->sk_type == SOCK_SEQPACKET) &&
	       READ_ONCE(sock->sk->sk_state) == TCP_LISTEN;
}

/* Why a socket that is not a listener, nor a pair of the tree, is refused. */
const char *cpt_unix_refusal(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	if (!sock || !sock->sk || sock->sk->sk_family != AF_UNIX)
		return "socket other than a unix one";
	if (sock->state == SS_CONNECTED)
		return "unix socket connected to a process outside the tree";
	return "unix socket neither listening nor connected";
}

/* The socket's own name, as getsockname() gives it (0 bytes: none). */
static void cpt_unix_encode_addr(struct cpt_pb_buf *one, struct sock *sk)
{
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);

	if (addr)
		cpt_pb_bytes(one, CPT_PB_FILE_UNIX_ADDR, addr->name, addr->len);
}

void cpt_unix_save_addr(struct cpt_pb_buf *one, struct file *file)
{
	cpt_unix_encode_addr(one, sock_from_file(file)->sk);
}

int cpt_unix_listener_save(struct cpt_pb_buf *one, unsigned int fd, struct file *file)
{
	struct sock *sk = sock_from_file(file)->sk;

	if (skb_queue_len(&sk->sk_receive_queue)) {
		cpt_note("fd %u: a listening socket with %s is not supported\n",
			 fd, "connections not accepted yet");
		return -EOPNOTSUPP;
	}
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	if (!smp_load_acquire(&unix_sk(sk)->addr)) {
		cpt_note("fd %u: a listening socket without a name is not supported\n", fd);
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(one, CPT_PB_FILE_UNIX_TYPE, sk->sk_type);
	cpt_unix_encode_addr(one, sk);
	cpt_pb_u64(one, CPT_PB_FILE_UNIX_BACKLOG, READ_ONCE(sk->sk_max_ack_backlog));
	return one->err;
}

/* ---- restart ---- */

/* A name a restart may bind: a path or an abstract name, within sun_path. */
bool cpt_unix_addr_valid(const u8 *addr, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;

	return len > offsetof(struct sockaddr_un, sun_path) + 1 && len <= sizeof(*sun) &&
	       sun->sun_family == AF_UNIX;
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

struct file *cpt_unix_listener_open(u32 type, const u8 *addr, size_t len, u32 backlog, u32 flags)
{
	struct sockaddr_un sun = {};
	struct socket *sock;
	struct file *file;
	int ret;

	memcpy(&sun, addr, len);
	ret = sock_create(AF_UNIX, type, 0, &sock);
	if (ret)
		return ERR_PTR(ret);
	ret = kernel_bind(sock, (struct sockaddr *)&sun, len);
	if (ret == -EADDRINUSE && sun.sun_path[0] &&
	    !cpt_unix_path_in_use((struct sockaddr *)&sun, len)) {
		ret = cpt_unix_unlink_stale(&sun, len);
		if (!ret)
			ret = kernel_bind(sock, (struct sockaddr *)&sun, len);
	}
	if (!ret)
		ret = kernel_listen(sock, backlog);
	if (ret) {
		cpt_note("cannot listen on %s%.*s again: %d\n", sun.sun_path[0] ? "" : "@",
			 (int)(len - offsetof(struct sockaddr_un, sun_path) - !sun.sun_path[0]),
			 sun.sun_path + !sun.sun_path[0], ret);
		sock_release(sock);
		return ERR_PTR(ret);
	}
	file = sock_alloc_file(sock, flags & O_NONBLOCK, NULL);
	return file;
}

/* Gives a restored end of a connection its saved name back. */
int cpt_unix_set_addr(struct file *file, const u8 *name, size_t len)
{
	struct sock *sk = sock_from_file(file)->sk;
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
