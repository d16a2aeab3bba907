/* SPDX-License-Identifier: GPL-2.0 */
/* What the socket kinds share (cpt_sock.c). */
#ifndef CPT_SOCK_H
#define CPT_SOCK_H

#include <net/sock.h>

#include "cpt_symbols.h"

/*
 * The first of the socket-level options that no socket kind restores (an
 * eBPF filter, SO_TIMESTAMPING's counter or clock, a timeout of none at
 * all) set on sk, or NULL.
 */
const char *cpt_sock_unrestored_option(struct sock *sk);

/*
 * The first socket-level option set on sk that no kind saves (a filter,
 * SO_TIMESTAMP, SO_PASSSEC...), or NULL: every kind but unix's refuses it.
 */
const char *cpt_sock_unsaved_option(struct sock *sk);

struct cpt_pb_buf;
struct cpt_pb_field;
struct cpt_rfile;
struct files_struct;

/*
 * A SocketOptions message, decoded: the socket-level options every kind
 * saves there (CPT_SOCK_OPTS_SHARED), and those some do
 * (CPT_SOCK_OPTS_BUFFERS, CPT_SOCK_OPTS_OWN). The filter points into the
 * record, during restore().
 */
struct cpt_sock_opts {
	u32 rcvbuf, sndbuf;	/* 0: not set by the user */
	u32 priority, mark;
	bool passcred;
	u64 rcvtimeo_us, sndtimeo_us;	/* 0: none */
	bool tstamp, tstamp_ns, tstamp_new;
	u32 tsflags;
	const u8 *filter;	/* struct sock_filter, filter_len of them */
	u32 filter_len;		/* 0: none */
	bool lock_filter;
	bool peek;		/* SO_PEEK_OFF on, at peek_off */
	u32 peek_off;
};

/*
 * What a kind saves in its SocketOptions beyond the shared options
 * (timeouts, timestamps, a classic filter): the buffer sizes the user
 * set; SO_PRIORITY, SO_MARK, SO_PASSCRED, with the refusal of every
 * socket-level option that neither the message nor the kind's own holds.
 */
#define CPT_SOCK_OPTS_SHARED	0
#define CPT_SOCK_OPTS_BUFFERS	BIT(0)
#define CPT_SOCK_OPTS_OWN	BIT(1)
/* The netlink and packet kinds': they have no other place for them. */
#define CPT_SOCK_OPTS_ALL	(CPT_SOCK_OPTS_BUFFERS | CPT_SOCK_OPTS_OWN)

/* Refuses by name an option it does not hold; else encodes it in the File one. */
int cpt_sock_opts_save(struct cpt_pb_buf *one, unsigned int fd, struct sock *sk,
		       unsigned int parts);
int cpt_sock_opts_decode(struct cpt_sock_opts *o, const struct cpt_pb_field *f);
/* Whether o holds no more than parts says, each value one a checkpoint saves. */
bool cpt_sock_opts_valid(const struct cpt_sock_opts *o, unsigned int parts);
/* getsockopt() of an int option, through the checkpointer's memory. */
int cpt_sock_getsockopt_int(struct socket *sock, int level, int name, int *val);

/*
 * Restart: a socket being made in the restoring task for rfile, named by
 * fd in an fd table of the module's own (shared: the task's, to go back
 * to), which no other task shares: the calls on it (setsockopt(), bind(),
 * connect(), listen()) are the kernel's system calls, run as the
 * restarting caller with every check they make, on the socket the module
 * holds. cpt_sock_make() makes it with socket() (its refusal noted, with
 * the kind's hint for the errno, if any); cpt_sock_made() ends with ret:
 * back to the task's table, the fd gone with the module's, and the file
 * rfile's if ret is 0 (the final step installs it). A cpt_sock_make() that
 * fails is back in the task's table already, holding nothing: the
 * cpt_sock_made() its caller may still call with the error does nothing.
 */
#define CPT_SOCK_RESTORE_MEMBERS \
	struct cpt_rfile *rfile;	\
	struct cpt_ubuf ub;		\
	long fd;			\
	struct files_struct *shared;	\
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
		  const char *what, const char *(*hint)(const struct cpt_rfile *rfile, long err));
int cpt_sock_made(struct cpt_sock_restore *sr, int ret);
/*
 * The same for a socket the module holds (a unix pair's end, one whose
 * restore is over): an fd lent to file in a table of the module's own,
 * until cpt_sock_lent_back().
 */
int cpt_sock_lend(struct cpt_sock_restore *sr, struct file *file);
void cpt_sock_lent_back(struct cpt_sock_restore *sr);
int cpt_sock_setsockopt(struct cpt_sock_restore *sr, int level, int name, const void *val,
			size_t len);
int cpt_sock_opt_refused(struct cpt_sock_restore *sr, const char *what, u32 value, int ret);
/* An int option of SOL_SOCKET, set to value; a refusal noted, naming it as what. */
int cpt_sock_set_int(struct cpt_sock_restore *sr, int name, const char *what, u32 value);
/* A buffer size the user set (0: none), given back as it was. */
int cpt_sock_set_buf(struct cpt_sock_restore *sr, bool rcv, u32 saved);
/*
 * The options of o (its buffer sizes, the rest), each with setsockopt() as
 * the restarting caller; a refusal names the fd, the option and its value.
 */
int cpt_sock_opts_restore(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o);
int cpt_sock_opts_restore_buffers(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o);
int cpt_sock_opts_restore_rest(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o);

/*
 * The same for a socket the module holds (cpt_sock_lend()), so that they
 * are set as setsockopt() on an fd of it sets them.
 */
int cpt_sock_opts_restore_file(struct cpt_rfile *rfile, struct file *file,
			       const struct cpt_sock_opts *o, bool buffers, bool rest);

#endif
