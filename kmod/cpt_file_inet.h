/* SPDX-License-Identifier: GPL-2.0 */
/* What the files of TCP, UDP, ping and raw sockets (cpt_file_inet*.c) share. */
#ifndef CPT_FILE_INET_H
#define CPT_FILE_INET_H

#include <linux/types.h>

#include "cpt_files.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"

struct cpt_pb_buf;
struct cpt_pb_field;
struct cpt_pb_reader;
struct file;
struct sock;
struct socket;
struct sockaddr;
struct sockaddr_storage;

/*
 * The kinds of socket this file restores, by family, type and protocol: a
 * raw socket's protocol may be IPPROTO_TCP's or IPPROTO_UDP's number, so a
 * protocol alone never tells which struct a sock is (tcp_sock, udp_sock).
 */
enum cpt_inet_kind { CPT_INET_NONE, CPT_INET_TCP, CPT_INET_UDP, CPT_INET_PING, CPT_INET_RAW };

/*
 * A socket being made in the restoring task, at fd (cpt_sock.h's, ir->sr
 * for its cpt_sock_* helpers), and its saved state.
 */
struct cpt_inet_restore {
	CPT_SOCK_RESTORE_EMBED;
	const struct cpt_rfile_inet *in;
};

/* cpt_file_inet.c: kinds, addresses, options set again. */
enum cpt_inet_kind cpt_inet_kind(const struct sock *sk);
const char *cpt_sk_proto_name(const struct sock *sk);
struct sock *cpt_inet_sk(struct file *file);
int cpt_inet_addr(struct sock *sk, bool peer, struct sockaddr_storage *ss);
u32 cpt_inet_opt(const struct cpt_rfile_inet *in, u32 field);

/* cpt_file_inet_opts.c: options at a checkpoint. */
const char *cpt_inet_unsaved_option(struct sock *sk);
const char *cpt_inet6_unsaved_option(struct sock *sk);
const char *cpt_tcp_unsaved_option(struct sock *sk);
const char *cpt_udp_unsaved_option(struct sock *sk);
const char *cpt_raw_unsaved_option(struct sock *sk);
void cpt_raw_save(struct cpt_pb_buf *msg, struct sock *sk);
u32 cpt_inet_opt_value(struct sock *sk, u32 field);
int cpt_tcp_save_opts(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk);
int cpt_inet_save_device(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk);

/* cpt_file_inet_tcp.c: TCP connections. */
const char *cpt_tcp_state_name(u32 state);
int cpt_inet_save_tcp(struct cpt_file_save *fs, struct sock *sk, struct cpt_pb_buf *msg,
		      const struct sockaddr *local, int state);
bool cpt_inet_decode_tcp(struct cpt_rfile_tcp *tcp, struct cpt_pb_reader *r,
			 const struct cpt_pb_field *f);
bool cpt_tcp_check(u32 state, const struct cpt_rfile_tcp *tcp);
int cpt_tcp_repair_begin(struct cpt_inet_restore *ir);
int cpt_tcp_repair_end(struct cpt_inet_restore *ir, struct socket *sock);
int cpt_tcp_made_connected(struct cpt_inet_restore *ir);
int cpt_tcp_syn_begin(struct cpt_inet_restore *ir);
int cpt_tcp_syn_end(struct cpt_inet_restore *ir);

/* cpt_file_inet_udp.c: UDP queues. */
int cpt_udp_save_queue(unsigned int fd, struct sock *sk, struct cpt_pb_buf *msg,
		       const struct sockaddr *local);
void cpt_udp_decode_queue(struct cpt_rfile_inet *in, struct cpt_pb_reader *r,
			  const struct cpt_pb_field *f);
int cpt_udp_fill_queue(struct cpt_inet_restore *ir);
int cpt_udp_save_cork(unsigned int fd, struct sock *sk, struct cpt_pb_buf *msg,
		      const struct sockaddr *local);
bool cpt_udp_decode_cork(struct cpt_rfile_udp_cork *cork, struct cpt_pb_reader *r,
			 const struct cpt_pb_field *f);
bool cpt_udp_cork_check(const struct cpt_rfile_inet *in, bool udp);
int cpt_udp_cork_again(struct cpt_inet_restore *ir, struct socket *sock);

#endif /* CPT_FILE_INET_H */
