// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for the files a queued unix message carries
 * (SCM_RIGHTS): the skb's UNIXCB(skb).fp, a struct scm_fp_list whose
 * layout is af_unix's own (its garbage collector's fields come and go
 * between stable releases), read here only: the count and the files, in
 * the order recvmsg() installs them. Each file holds one reference of the
 * list's (scm_fp_dup()). Checked at load (scm_rights): an eventfd sent
 * over a socket pair made here is the one file its skb's list holds, with
 * one more reference than its fd's.
 */
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/af_unix.h>
#include <net/scm.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_symbols.h"

unsigned int cpt_compat_skb_files(const struct sk_buff *skb, struct file **files,
				  unsigned int max)
{
	const struct scm_fp_list *fpl = UNIXCB(skb).fp;
	unsigned int nr, i;

	if (!fpl)
		return 0;
	nr = clamp_t(int, fpl->count, 0, SCM_MAX_FD);
	for (i = 0; i < min(nr, max); i++)
		files[i] = fpl->fp[i];
	return nr;
}

/* The control message of one fd, as SCM_RIGHTS sends it. */
struct cpt_scm_one_fd {
	struct cmsghdr hdr;
	int fd;		/* at CMSG_DATA() */
};

static_assert(offsetof(struct cpt_scm_one_fd, fd) == CMSG_ALIGN(sizeof(struct cmsghdr)));

/* Sends "x" with fd from pair[0] to pair[1]; the skb's list, read as a checkpoint does. */
static int cpt_scm_check_sent(struct socket *pair[2], long fd, struct file *file)
{
	struct cpt_scm_one_fd control = {
		.hdr.cmsg_len = CMSG_LEN(sizeof(int)),
		.hdr.cmsg_level = SOL_SOCKET,
		.hdr.cmsg_type = SCM_RIGHTS,
		.fd = fd,
	};
	struct msghdr msg = { .msg_control = &control, .msg_controllen = sizeof(control),
			      .msg_flags = MSG_DONTWAIT };
	struct kvec vec = { .iov_base = "x", .iov_len = 1 };
	struct sk_buff_head *q = &pair[1]->sk->sk_receive_queue;
	long before = cpt_compat_file_refs(file), after;
	struct file *got[2] = {};
	unsigned int nr = 0;
	struct sk_buff *skb;
	int ret;

	ret = kernel_sendmsg(pair[0], &msg, &vec, 1, 1);
	if (ret != 1)
		return cpt_compat_untested("cannot send an fd over a unix socket pair (%d)", ret);
	spin_lock(&q->lock);
	skb = skb_peek(q);
	if (skb)
		nr = cpt_compat_skb_files(skb, got, ARRAY_SIZE(got));
	spin_unlock(&q->lock);
	after = cpt_compat_file_refs(file);
	if (nr != 1 || got[0] != file || after != before + 1)
		return cpt_compat_fail("an fd sent reads as %u files (%s first), refs %ld -> %ld",
				       nr, got[0] == file ? "its" : "another", before, after);
	return 0;
}

int cpt_check_scm_rights(void)
{
	struct socket *pair[2] = {};
	struct file *file;
	long fd;
	int ret, i;

	for (i = 0, ret = 0; !ret && i < 2; i++)
		ret = sock_create_kern(&init_net, AF_UNIX, SOCK_DGRAM, 0, &pair[i]);
	ret = ret ?: pair[0]->ops->socketpair(pair[0], pair[1]);
	if (ret) {
		ret = cpt_compat_untested("cannot make a unix socket pair (%d)", ret);
		goto out;
	}
	fd = cpt_sys(cpt_sym.sys_eventfd2, 0, EFD_CLOEXEC, 0, 0, 0);
	if (fd < 0) {
		ret = cpt_compat_untested("cannot make an eventfd (%ld)", fd);
		goto out;
	}
	file = fget(fd);
	ret = file ? cpt_scm_check_sent(pair, fd, file) :
		     cpt_compat_fail("the eventfd just made is not at its fd");
	cpt_compat_own_fd_close(fd, file);
	if (file)
		fput(file);
out:
	/* Its queue, and the fd in flight there, go with it. */
	for (i = 0; i < 2; i++)
		if (pair[i])
			sock_release(pair[i]);
	return ret;
}
