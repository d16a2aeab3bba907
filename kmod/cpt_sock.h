/* SPDX-License-Identifier: GPL-2.0 */
/* What unix and inet sockets share at a checkpoint. */
#ifndef CPT_SOCK_H
#define CPT_SOCK_H

#include <net/sock.h>

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

#endif
