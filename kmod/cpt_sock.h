/* SPDX-License-Identifier: GPL-2.0 */
/* What the socket kinds share (cpt_sock.c). */
#ifndef CPT_SOCK_H
#define CPT_SOCK_H

#include <net/sock.h>

#include "cpt_symbols.h"

/*
 * The first of the socket-level options that no socket kind restores
 * (a filter, timeouts, a peek offset) set on sk, or NULL.
 */
static inline const char *cpt_sock_unrestored_option(struct sock *sk)
{
	if (rcu_access_pointer(sk->sk_filter))
		return "a socket filter (SO_ATTACH_FILTER)";
	if (READ_ONCE(sk->sk_rcvtimeo) != MAX_SCHEDULE_TIMEOUT)
		return "SO_RCVTIMEO";
	if (READ_ONCE(sk->sk_sndtimeo) != MAX_SCHEDULE_TIMEOUT)
		return "SO_SNDTIMEO";
	if (READ_ONCE(sk->sk_peek_off) >= 0)
		return "SO_PEEK_OFF";
	return NULL;
}

/*
 * The first socket-level option set on sk that no kind saves (a filter,
 * SO_TIMESTAMP, SO_PASSSEC...), or NULL: every kind but unix's refuses it.
 */
const char *cpt_sock_unsaved_option(struct sock *sk);

struct cpt_pb_buf;
struct cpt_pb_field;
struct cpt_rfile;

/* A SocketOptions message: the netlink and packet kinds' socket-level options. */
struct cpt_sock_opts {
	u32 rcvbuf, sndbuf;	/* 0: not set by the user */
	u32 priority, mark;
	bool passcred;
};

/* Refuses by name an option it does not hold; else encodes it in the File one. */
int cpt_sock_opts_save(struct cpt_pb_buf *one, unsigned int fd, struct sock *sk);
int cpt_sock_opts_decode(struct cpt_sock_opts *o, const struct cpt_pb_field *f);
bool cpt_sock_opts_valid(const struct cpt_sock_opts *o);
/* getsockopt() of an int option, through the checkpointer's memory. */
int cpt_sock_getsockopt_int(struct socket *sock, int level, int name, int *val);

/*
 * Restart: a socket being made in the restoring task, at fd, for rfile.
 * cpt_sock_make() makes it with socket() (its refusal noted, with
 * hint_eperm for -EPERM), cpt_sock_made() ends with ret: the file is
 * rfile's if ret is 0, and fd closed either way.
 */
#define CPT_SOCK_RESTORE_MEMBERS \
	struct cpt_rfile *rfile;	\
	struct cpt_ubuf ub;		\
	long fd;			\
	struct file *file;		\
	struct sock *sk

struct cpt_sock_restore {
	CPT_SOCK_RESTORE_MEMBERS;
};

/*
 * A kind's own restore state that has these members as its own, and as
 * sr for the helpers below (cpt_inet_restore): one place says what they are.
 */
#define CPT_SOCK_RESTORE_EMBED					\
	union {							\
		struct cpt_sock_restore sr;			\
		struct {					\
			CPT_SOCK_RESTORE_MEMBERS;		\
		};						\
	}

int cpt_sock_make(struct cpt_sock_restore *sr, int family, int type, int protocol,
		  const char *what, const char *hint_eperm);
int cpt_sock_made(struct cpt_sock_restore *sr, int ret);
int cpt_sock_setsockopt(struct cpt_sock_restore *sr, int level, int name, const void *val,
			size_t len);
int cpt_sock_opt_refused(struct cpt_sock_restore *sr, const char *what, u32 value, int ret);
/* A buffer size the user set (0: none), given back as it was. */
int cpt_sock_set_buf(struct cpt_sock_restore *sr, bool rcv, u32 saved);
int cpt_sock_opts_restore(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o);

#endif
