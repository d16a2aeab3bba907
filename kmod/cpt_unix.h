/* SPDX-License-Identifier: GPL-2.0 */
/* What the files of unix sockets (cpt_unix*.c) share. */
#ifndef CPT_UNIX_H
#define CPT_UNIX_H

#include <linux/pid.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/un.h>

#include "cpt_files.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"

struct cpt_pb_buf;
struct cpt_pb_field;
struct cpt_pb_reader;
struct msghdr;
struct pt_regs;
struct sk_buff;
struct sock;
struct socket;
struct sockaddr_storage;

/* The most fds in flight in one socket's queue an image holds. */
#define CPT_UNIX_MAX_IN_FLIGHT 65536U

/* The most bytes queued in a unix socket an image holds. */
#define CPT_MAX_QUEUED (4U << 20)

/*
 * The credentials a queued message carries (UNIXCB(skb).pid NULL: none),
 * as af_unix attaches them: those given with SCM_CREDENTIALS, or its
 * sender's own when either end had SO_PASSCRED or the connection was not
 * accepted yet (unix_passcred_enabled()). A stream reader with SO_PASSCRED
 * does not join messages whose credentials differ: they are kept per
 * message. Copied under the queue's lock, the pid held.
 */
struct cpt_unix_creds {
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
};

/* The most connections not accepted yet a listener's File holds. */
#define CPT_UNIX_MAX_PENDING 65536U

/*
 * A connecting end in pending_ends whose queue carries files: sent once
 * its listener's record has them all (cpt_unix_listener_files_made()),
 * its buffer sizes set after that, not when its own File takes it.
 */
#define CPT_PENDING_UNSENT XA_MARK_1

/*
 * The longest name a socket has: a path of all 108 bytes of sun_path, and
 * the NUL that bind() puts after it (af_unix's unix_mkname_bsd(), which
 * counts on a struct sockaddr_storage, as getsockname() shows it).
 */
#define CPT_UNIX_ADDR_MAX (sizeof(struct sockaddr_un) + 1)
static_assert(sizeof_field(struct cpt_rfile_unix, peer) == CPT_UNIX_ADDR_MAX);

/*
 * A socket made in the restoring task as the program made it, at fd there
 * (its ub what the syscalls read), as sr for cpt_sock.h's helpers.
 */
struct cpt_unix_restore {
	CPT_SOCK_RESTORE_EMBED;
};

/* For messages: the path, or @ and the abstract name (up to its first NUL). */
struct cpt_unix_shown {
	char s[CPT_UNIX_ADDR_MAX + 2];
};

/* For messages: " with credentials pid P uid U gid G", or nothing. */
struct cpt_unix_shown_creds {
	char s[64];
};

/* A message's credentials, as cpt_unix_send() gives them (SCM_CREDENTIALS). */
struct cpt_unix_creds_cmsg {
	struct cmsghdr hdr;
	struct ucred creds;	/* at CMSG_DATA() */
};

static_assert(offsetof(struct cpt_unix_creds_cmsg, creds) == CMSG_ALIGN(sizeof(struct cmsghdr)));

/* A message's files in flight at restart: their ids, then their files. */
struct cpt_unix_carried {
	u32 ids[SCM_MAX_FD];
	struct file *files[SCM_MAX_FD];	/* their Files' references */
};

/* cpt_unix.c: refusals, saved names and options, credentials, sockets made again. */
bool cpt_unix_carries_files(struct sock *sk);
const char *cpt_unix_oob_refusal(struct sock *sk);
const char *cpt_unix_queue_refusal(struct sock *sk);
void cpt_unix_encode_addr(struct cpt_pb_buf *one, struct sock *sk, u32 field);
int cpt_unix_save_node(struct cpt_file_save *fs, struct sock *sk);
int cpt_unix_save_options(struct cpt_file_save *fs, struct sock *sk);
struct cpt_saved_file *cpt_find_saved_sock(struct cpt_file_registry *reg,
					   struct sock *sk);
void cpt_unix_get_creds(struct cpt_unix_creds *c, const struct sk_buff *skb);
int cpt_unix_save_creds(struct cpt_pb_buf *msg, u32 field, struct cpt_file_registry *reg,
			unsigned int fd, const struct cpt_unix_creds *c);
long cpt_unix_sys_name(struct cpt_unix_restore *ur, long (*call)(const struct pt_regs *regs),
		       const struct sockaddr_storage *storage, int len);
int cpt_unix_decode_creds(const struct cpt_pb_field *pf, struct ucred *uc);
const char *cpt_unix_show_creds(struct cpt_unix_shown_creds *buf, const struct ucred *uc);
int cpt_unix_send(struct socket *from, struct msghdr *msg, const struct cpt_pb_field *data,
		  const struct ucred *uc);
int cpt_unix_next_creds(u32 nr_creds, u32 creds_field, struct cpt_pb_reader *cr,
			struct ucred *uc);
int cpt_unix_claim(unsigned int fd, struct file *file);
int cpt_unix_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f);
const char *cpt_unix_unsaved_option(struct sock *sk);

/* cpt_unix_name.c: names and socket files at restart. */
bool cpt_unix_addr_valid(const u8 *addr, size_t len);
int cpt_unix_sockaddr(struct sockaddr_storage *storage, const u8 *addr, size_t len);
const char *cpt_unix_show(struct cpt_unix_shown *buf, const void *addr, size_t len);
int cpt_unix_bind(struct cpt_file_registry *reg, struct cpt_unix_restore *ur,
		  const u8 *addr, size_t addr_len);
int cpt_unix_set_addr(struct sock *sk, const u8 *name, size_t len);
int cpt_unix_note_name(struct cpt_file_registry *reg, const u8 *name, size_t len);
int cpt_unix_may_take_name(struct cpt_file_registry *reg, u32 type, const u8 *name,
			   size_t len);
int cpt_unix_restore_node(struct cpt_rfile *rfile);

/*
 * A saved queue to send again (a pair end's, a connection's not accepted
 * yet): its messages, their credentials (one per message, or none) and
 * the files they carry (one UnixInflightFds per message, or none), fields
 * of the message data[0..len).
 */
struct cpt_unix_queue {
	const void *data;
	size_t len;
	u32 msg_field, creds_field, fds_field;
	u32 nr_creds;
	bool carries_files;
	u32 type;
	const char *what;	/* for messages: "socket pair", with pair_id */
	u32 pair_id;
};

/* cpt_unix_pair.c: a pair's queue, as a listener's pending connections save and send theirs. */
int cpt_encode_unix_queue(struct cpt_file_save *fs, struct cpt_pb_buf *one,
			  struct sock *sk, u32 msg_field, u32 creds_field, u32 fds_field);
int cpt_unix_send_queue(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			const struct cpt_unix_queue *q, struct socket *from);

/* cpt_unix_rights.c: files in flight (SCM_RIGHTS). */
int cpt_unix_save_message_fds(struct cpt_file_save *fs, struct cpt_pb_buf *one,
			      u32 fds_field, struct file **files, const u16 *nr_fds,
			      unsigned int nr);
int cpt_unix_decode_fds(const struct cpt_pb_field *pf, u32 *ids);
int cpt_unix_send_files(struct socket *from, struct msghdr *msg,
			const struct cpt_pb_field *data, const struct ucred *uc,
			struct file **files, unsigned int nr);
int cpt_unix_carried_files(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			   const struct cpt_pb_field *fds, struct cpt_unix_carried *c);
int cpt_unix_next_files(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			struct cpt_pb_reader *fr, u32 fds_field, struct cpt_unix_carried *c);
const char *cpt_unix_carried_fds_bad(struct cpt_file_registry *reg,
				     const struct cpt_restore_files *rf,
				     const struct cpt_pb_field *fds, u32 *ids);
int cpt_unix_carrier_checked(struct cpt_file_registry *reg, const struct cpt_rfile *rfile,
			     const char *bad);

/* cpt_unix_unpaired.c: a datagram socket's messages carrying files, checked. */
int cpt_unix_dgram_check_carrier(struct cpt_file_registry *reg,
				 const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				 u32 *ids);

/* A connection not accepted yet (UnixPendingConnection), as decoded. */
struct cpt_unix_pending {
	u32 pair_id;
	u32 nr_messages, nr_creds, nr_rights;
	bool carries_files;	/* a message carries files (SCM_RIGHTS) */
};

/* cpt_unix_listener.c: listeners' connections not accepted yet. */
struct sock **cpt_unix_hold_embryos(struct sock *sk, unsigned int *nr);
void cpt_unix_put_embryos(struct sock **embryos, unsigned int nr);
int cpt_unix_decode_pending(const struct cpt_pb_field *pf, struct cpt_unix_pending *p);
int cpt_unix_listener_check_carrier(struct cpt_file_registry *reg,
				    const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				    u32 *ids);

#endif /* CPT_UNIX_H */
