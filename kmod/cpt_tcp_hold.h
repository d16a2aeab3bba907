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

/* A user with many connections to keep is one thing; a table without end, another. */
#define CPT_TCP_HOLDS_PER_USER 256
#define CPT_TCP_HOLDS_MAX 4096

/* A connection's two ends, v4 ones as v4-mapped; as its own end sees them. */
struct cpt_tcp_ends {
	struct in6_addr local, peer;
	__be16 local_port, peer_port;
};

/*
 * Holds the nr connections of net whose ends are ends[i] (families[i] the
 * socket's, for the list), all or none: CAP_NET_ADMIN over net, within the
 * bounds per user and in total. ids[i] is the id of the connection's hold;
 * taken[i] whether it was held already (by a checkpoint; for a checkpoint,
 * by a restart too; or as an earlier ends[] of the batch), that hold's id
 * then. A restart's (restart) are its own until it ends: no release drops
 * them, one another restart holds refuses it (-EBUSY), a checkpoint's it
 * takes over until cpt_tcp_hold_give_back(). Segments past the hook
 * already may still reach TCP until synchronize_net().
 */
int cpt_tcp_hold_add(struct net *net, const struct cpt_tcp_ends *ends, const u16 *families,
		     u64 *ids, bool *taken, unsigned int nr, bool restart);
/*
 * A checkpoint's hold a failed restart took over, the one of that id: a
 * checkpoint's again. Another hold of the same ends (made since) is left.
 */
void cpt_tcp_hold_give_back(struct net *net, const struct cpt_tcp_ends *ends, u64 id);
/*
 * Drops the hold of that id (a failed checkpoint's), if it is still there
 * and no restart took it over meanwhile: then it is that restart's.
 */
void cpt_tcp_hold_cancel(struct net *net, u64 id);
/* Drops the hold of a connection's ends if it is the one of that id. */
void cpt_tcp_hold_drop(struct net *net, const struct cpt_tcp_ends *ends, u64 id);
/* Drops the hold of a connection's ends if it is no restart's (a checkpoint's). */
void cpt_tcp_hold_drop_unclaimed(struct net *net, const struct cpt_tcp_ends *ends);

long cpt_ioctl_hold(struct cpt_file *cf, union cpt_ioctl_arg *arg);
int cpt_tcp_hold_init(void);
void cpt_tcp_hold_exit(void);

#endif
