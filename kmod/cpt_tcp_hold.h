/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP holds (cpt_tcp_hold.c): the segments of a connection a checkpoint
 * --kill ended, whose peer is outside the tree, dropped on arrival until a
 * restart makes it again; those of the tree's own connections while a
 * checkpoint that will kill it runs.
 */
#ifndef CPT_TCP_HOLD_H
#define CPT_TCP_HOLD_H

#include <linux/in6.h>
#include <linux/types.h>

struct net;
struct cpt_file;
union cpt_ioctl_arg;

/* A connection's two ends, v4 ones as v4-mapped; as its own end sees them. */
struct cpt_tcp_ends {
	struct in6_addr local, peer;
	__be16 local_port, peer_port;
};

/*
 * Holds the nr connections of net whose ends are ends[i] (families[i] the
 * socket's, for the list), all or none: CAP_NET_ADMIN over net, within the
 * bounds per user and in total. ids[i] is the new hold's id, 0 for a
 * connection held already. A restart's (restart) are its own until it ends:
 * no release drops them, one another restart holds refuses it (-EBUSY), a
 * checkpoint's it takes over until cpt_tcp_hold_give_back().
 * Segments past the hook already may still reach TCP until synchronize_net().
 */
int cpt_tcp_hold_add(struct net *net, const struct cpt_tcp_ends *ends, const u16 *families,
		     u64 *ids, unsigned int nr, bool restart);
/* A checkpoint's hold a failed restart took over: a checkpoint's again. */
void cpt_tcp_hold_give_back(struct net *net, const struct cpt_tcp_ends *ends);
/* Drops the hold of that id (a failed checkpoint's), if it is still there. */
void cpt_tcp_hold_cancel(struct net *net, u64 id);
/* Drops the hold of a connection's ends: any, or only the one of that id. */
void cpt_tcp_hold_drop(struct net *net, const struct cpt_tcp_ends *ends, u64 id);

long cpt_ioctl_hold(struct cpt_file *cf, union cpt_ioctl_arg *arg);
int cpt_tcp_hold_init(void);
void cpt_tcp_hold_exit(void);

#endif
