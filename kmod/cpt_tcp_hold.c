// SPDX-License-Identifier: GPL-2.0
/*
 * TCP holds: what CRIU's network lock does with iptables, in the module. A
 * checkpoint --kill --tcp-established ends in repair mode the connections
 * whose peer is outside the tree; the peer goes on sending (retransmitting)
 * to an address and port no socket has any more, which TCP would answer
 * with a reset. A hold drops those segments at NF_INET_LOCAL_IN, before TCP
 * sees them, so the peer sees a silent path until a restart makes the
 * connection again and drops the hold; then the peer's next retransmission
 * gets through and both ends go on. A checkpoint CPT_INIT_KILL also holds,
 * while it runs, the connections whose both ends are the tree's (each end's
 * segments dropped), so that none changes after it is saved.
 *
 * Holds are the module's, not a session's: a table hashed by network
 * namespace and the connection's ends, read under RCU by the hook, written
 * under cpt_holds_lock. The hooks are registered in a namespace while it
 * has holds, and unregistered with its last one, when the namespace goes
 * (pernet exit) or with the module. Bounded per user and in total.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/nsproxy.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uaccess.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "cpt_internal.h"
#include "cpt_tcp_hold.h"

struct cpt_tcp_hold {
	struct hlist_node node;		/* in cpt_holds, by cpt_tcp_hold_hash() */
	struct rcu_head rcu;
	possible_net_t net;		/* no reference: the pernet exit drops the hold */
	struct cpt_tcp_ends ends;
	u64 id;
	kuid_t owner;
	u16 family;
	bool restart;		/* a restart's, until its final step: not the user's to keep */
};

/* A namespace's part: how many holds it has, and whether its hooks are in. */
struct cpt_tcp_hold_net {
	unsigned int nr;
	bool hooked;
};

static DEFINE_HASHTABLE(cpt_holds, 10);
static DEFINE_MUTEX(cpt_holds_lock);	/* writers; held briefly, by the module only */
static unsigned int cpt_holds_nr;
static u64 cpt_holds_next_id = 1;
static unsigned int cpt_hold_net_id;

static u32 cpt_tcp_hold_hash(const struct net *net, const struct cpt_tcp_ends *ends)
{
	static_assert(sizeof(*ends) % sizeof(u32) == 0);
	return jhash2((const u32 *)ends, sizeof(*ends) / sizeof(u32), net_hash_mix(net));
}

static struct cpt_tcp_hold *cpt_tcp_hold_find(const struct net *net,
					      const struct cpt_tcp_ends *ends)
{
	struct cpt_tcp_hold *h;

	/* The hook's under RCU; the writers' under cpt_holds_lock. */
	hash_for_each_possible_rcu(cpt_holds, h, node, cpt_tcp_hold_hash(net, ends),
				   lockdep_is_held(&cpt_holds_lock))
		if (net_eq(read_pnet(&h->net), net) && !memcmp(&h->ends, ends, sizeof(*ends)))
			return h;
	return NULL;
}

/* A TCP segment for a held connection: dropped, so TCP answers nothing. */
static unsigned int cpt_tcp_hold_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct cpt_tcp_ends ends = {};
	const struct tcphdr *th;
	struct tcphdr buf;
	int offset = 0;

	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP)
			return NF_ACCEPT;
		offset = skb_network_offset(skb) + ip_hdrlen(skb);
		ipv6_addr_set_v4mapped(iph->daddr, &ends.local);
		ipv6_addr_set_v4mapped(iph->saddr, &ends.peer);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		/* A fragment past the first has no TCP header: its first is dropped. */
		if (ipv6_find_hdr(skb, &offset, IPPROTO_TCP, NULL, NULL) != IPPROTO_TCP)
			return NF_ACCEPT;
		ends.local = ip6h->daddr;
		ends.peer = ip6h->saddr;
	}
	th = skb_header_pointer(skb, offset, sizeof(buf), &buf);
	if (!th)
		return NF_ACCEPT;
	ends.local_port = th->dest;
	ends.peer_port = th->source;
	return cpt_tcp_hold_find(state->net, &ends) ? NF_DROP : NF_ACCEPT;
}

static const struct nf_hook_ops cpt_tcp_hold_ops[] = {
	{
		.hook = cpt_tcp_hold_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FIRST,
	},
	{
		.hook = cpt_tcp_hold_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FIRST,
	},
};

static struct cpt_tcp_hold_net *cpt_tcp_hold_net(struct net *net)
{
	return net_generic(net, cpt_hold_net_id);
}

/* Called with cpt_holds_lock held. */
static void cpt_tcp_hold_remove(struct net *net, struct cpt_tcp_hold *h)
{
	struct cpt_tcp_hold_net *hn = cpt_tcp_hold_net(net);

	hash_del_rcu(&h->node);
	kfree_rcu(h, rcu);
	cpt_holds_nr--;
	if (--hn->nr || !hn->hooked)
		return;
	/* Waits for the hooks running: none sees the table's entries of net after. */
	nf_unregister_net_hooks(net, cpt_tcp_hold_ops, ARRAY_SIZE(cpt_tcp_hold_ops));
	hn->hooked = false;
}

/* The holds of owner in the table, a restart's too. Locked. */
static unsigned int cpt_tcp_holds_of(kuid_t owner)
{
	struct cpt_tcp_hold *h;
	unsigned int nr = 0;
	int bkt;

	hash_for_each(cpt_holds, bkt, h, node)
		nr += uid_eq(h->owner, owner);
	return nr;
}

static bool cpt_tcp_hold_may(struct net *net, const char *what)
{
	if (ns_capable_noaudit(net->user_ns, CAP_NET_ADMIN))
		return true;
	cpt_note("%s TCP holds needs CAP_NET_ADMIN over the network namespace\n", what);
	return false;
}

int cpt_tcp_hold_add(struct net *net, const struct cpt_tcp_ends *ends, const u16 *families,
		     u64 *ids, bool *taken, unsigned int nr, bool restart)
{
	struct cpt_tcp_hold_net *hn = cpt_tcp_hold_net(net);
	kuid_t owner = current_euid();
	struct cpt_tcp_hold **holds;
	unsigned int i, fresh = 0, mine;
	int ret = 0;

	if (!nr)
		return 0;
	if (!cpt_tcp_hold_may(net, "installing"))
		return -EPERM;
	holds = kvcalloc(nr, sizeof(*holds), GFP_KERNEL_ACCOUNT);
	if (!holds)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		holds[i] = kzalloc(sizeof(*holds[i]), GFP_KERNEL_ACCOUNT);
		if (!holds[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = mutex_lock_killable(&cpt_holds_lock);
	if (ret)
		goto out;
	for (i = 0; i < nr; i++) {
		struct cpt_tcp_hold *h = cpt_tcp_hold_find(net, &ends[i]);

		fresh += !h;
		/* Another restart's connection: its hold goes with that restart. */
		if (h && restart && h->restart) {
			cpt_note("TCP connection [%pI6c]:%u -> [%pI6c]:%u: %s\n", &ends[i].local,
				 ntohs(ends[i].local_port), &ends[i].peer, ntohs(ends[i].peer_port),
				 "another restart holds it, making it again; the restart is refused");
			ret = -EBUSY;
			goto unlock;
		}
	}
	mine = cpt_tcp_holds_of(owner);
	if (mine + fresh > CPT_TCP_HOLDS_PER_USER || cpt_holds_nr + fresh > CPT_TCP_HOLDS_MAX) {
		cpt_note("cannot hold %u more TCP connections (%s): %u %s %u, %u of %u in all\n",
			 fresh, restart ? "a restart holds the connections it makes until its end" :
			 "cptctl release frees only earlier --kill checkpoints' holds", mine,
			 "held by the user of at most",
			 CPT_TCP_HOLDS_PER_USER, cpt_holds_nr, CPT_TCP_HOLDS_MAX);
		ret = -EUSERS;
		goto unlock;
	}
	if (!hn->hooked) {
		ret = nf_register_net_hooks(net, cpt_tcp_hold_ops, ARRAY_SIZE(cpt_tcp_hold_ops));
		if (ret) {
			cpt_note("cannot hold TCP connections: %s: %d\n",
				 "netfilter hooks not registered", ret);
			goto unlock;
		}
		hn->hooked = true;
	}
	for (i = 0; i < nr; i++) {
		struct cpt_tcp_hold *h;

		/*
		 * Twice the same connection (an fd's dup) is held once. A
		 * checkpoint's hold a restart relies on is the restart's until
		 * it ends (cpt_tcp_hold_give_back()): no release drops it.
		 */
		h = cpt_tcp_hold_find(net, &ends[i]);
		taken[i] = !!h;
		if (h) {
			h->restart |= restart;
			ids[i] = h->id;
			continue;
		}
		h = holds[i];
		write_pnet(&h->net, net);
		h->ends = ends[i];
		h->family = families[i];
		h->owner = owner;
		h->restart = restart;
		h->id = cpt_holds_next_id++;
		ids[i] = h->id;
		hash_add_rcu(cpt_holds, &h->node, cpt_tcp_hold_hash(net, &h->ends));
		hn->nr++;
		cpt_holds_nr++;
		holds[i] = NULL;
	}
unlock:
	mutex_unlock(&cpt_holds_lock);
out:
	for (i = 0; i < nr; i++)
		kfree(holds[i]);
	kvfree(holds);
	return ret;
}

void cpt_tcp_hold_cancel(struct net *net, u64 id)
{
	struct cpt_tcp_hold *h;
	struct hlist_node *tmp;
	int bkt;

	/*
	 * Not killable: the hold of a checkpoint that failed must not stay.
	 * Unless a restart took it over (restart): its connection, ended
	 * (unhashed) or missed by the restart's collision check, is the one
	 * that restart is making again, which takes segments while it is
	 * filled if its hold goes now. The restart owns it: dropped at its
	 * final step, given back on failure (an ordinary hold then, for
	 * CPT_HOLD_RELEASE). The same when the checkpoint's own hold was a
	 * restart's it found (taken).
	 */
	mutex_lock(&cpt_holds_lock);
	hash_for_each_safe(cpt_holds, bkt, tmp, h, node)
		if (h->id == id && net_eq(read_pnet(&h->net), net) && !h->restart)
			cpt_tcp_hold_remove(net, h);
	mutex_unlock(&cpt_holds_lock);
}

void cpt_tcp_hold_drop(struct net *net, const struct cpt_tcp_ends *ends, u64 id)
{
	struct cpt_tcp_hold *h;

	mutex_lock(&cpt_holds_lock);
	h = cpt_tcp_hold_find(net, ends);
	if (h && h->id == id)
		cpt_tcp_hold_remove(net, h);
	mutex_unlock(&cpt_holds_lock);
}

void cpt_tcp_hold_drop_unclaimed(struct net *net, const struct cpt_tcp_ends *ends)
{
	struct cpt_tcp_hold *h;

	/* A restart's is that restart's to drop or give back, not the caller's. */
	mutex_lock(&cpt_holds_lock);
	h = cpt_tcp_hold_find(net, ends);
	if (h && !h->restart)
		cpt_tcp_hold_remove(net, h);
	mutex_unlock(&cpt_holds_lock);
}

void cpt_tcp_hold_give_back(struct net *net, const struct cpt_tcp_ends *ends, u64 id)
{
	struct cpt_tcp_hold *h;

	mutex_lock(&cpt_holds_lock);
	h = cpt_tcp_hold_find(net, ends);
	if (h && h->id == id)
		h->restart = false;
	mutex_unlock(&cpt_holds_lock);
}

/* ---- CPT_IOC_HOLD ---- */

static void cpt_tcp_hold_tuple(const struct cpt_tcp_hold *h, struct cpt_hold_tuple *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->local_addr, &h->ends.local, sizeof(t->local_addr));
	memcpy(t->peer_addr, &h->ends.peer, sizeof(t->peer_addr));
	t->local_port = ntohs(h->ends.local_port);
	t->peer_port = ntohs(h->ends.peer_port);
	t->family = h->family;
	t->uid = from_kuid_munged(current_user_ns(), h->owner);
}

static long cpt_tcp_hold_list(struct net *net, struct cpt_hold *req)
{
	struct cpt_hold_tuple *tuples = NULL;
	unsigned int want = req->count, nr = 0;
	struct cpt_tcp_hold *h;
	long ret;
	int bkt;

	if (req->flags)
		return -EINVAL;
	want = min_t(u32, want, CPT_TCP_HOLDS_MAX);
	if (want) {
		tuples = kvcalloc(want, sizeof(*tuples), GFP_KERNEL_ACCOUNT);
		if (!tuples)
			return -ENOMEM;
	}
	ret = mutex_lock_killable(&cpt_holds_lock);
	if (ret)
		goto out;
	hash_for_each(cpt_holds, bkt, h, node) {
		if (!net_eq(read_pnet(&h->net), net))
			continue;
		if (nr < want)
			cpt_tcp_hold_tuple(h, &tuples[nr]);
		nr++;
	}
	mutex_unlock(&cpt_holds_lock);
	if (copy_to_user(u64_to_user_ptr(req->tuples), tuples,
			 min(nr, want) * sizeof(*tuples)))
		ret = -EFAULT;
	req->count = nr;
out:
	kvfree(tuples);
	return ret;
}

static int cpt_tcp_hold_ends(const struct cpt_hold_tuple *t, struct cpt_tcp_ends *ends)
{
	if ((t->family != AF_INET && t->family != AF_INET6) || t->uid || t->reserved)
		return -EINVAL;
	memset(ends, 0, sizeof(*ends));
	memcpy(&ends->local, t->local_addr, sizeof(ends->local));
	memcpy(&ends->peer, t->peer_addr, sizeof(ends->peer));
	ends->local_port = htons(t->local_port);
	ends->peer_port = htons(t->peer_port);
	return 0;
}

static long cpt_tcp_hold_release(struct net *net, struct cpt_hold *req)
{
	struct cpt_hold_tuple *tuples = NULL;
	struct cpt_tcp_ends *ends = NULL;
	unsigned int i, released = 0;
	struct cpt_tcp_hold *h;
	struct hlist_node *tmp;
	long ret = 0;
	int bkt;

	if (req->flags & ~CPT_HOLD_ALL || req->count > CPT_TCP_HOLDS_MAX)
		return -EINVAL;
	if (req->flags & CPT_HOLD_ALL && (req->count || req->tuples))
		return -EINVAL;
	if (!cpt_tcp_hold_may(net, "releasing"))
		return -EPERM;
	if (req->count) {
		tuples = kvmalloc_array(req->count, sizeof(*tuples), GFP_KERNEL_ACCOUNT);
		ends = kvmalloc_array(req->count, sizeof(*ends), GFP_KERNEL_ACCOUNT);
		if (!tuples || !ends) {
			ret = -ENOMEM;
			goto out;
		}
		if (copy_from_user(tuples, u64_to_user_ptr(req->tuples),
				   req->count * sizeof(*tuples))) {
			ret = -EFAULT;
			goto out;
		}
		for (i = 0; !ret && i < req->count; i++)
			ret = cpt_tcp_hold_ends(&tuples[i], &ends[i]);
		if (ret)
			goto out;
	}
	ret = mutex_lock_killable(&cpt_holds_lock);
	if (ret)
		goto out;
	/* A restart's holds are its own until it ends: named, none released. */
	for (i = 0; i < req->count; i++) {
		h = cpt_tcp_hold_find(net, &ends[i]);
		if (h && h->restart) {
			cpt_note("TCP connection [%pI6c]:%u -> [%pI6c]:%u: %s\n", &h->ends.local,
				 ntohs(h->ends.local_port), &h->ends.peer,
				 ntohs(h->ends.peer_port),
				 "a restart making it holds it until its end; not released");
			ret = -EBUSY;
			goto unlock;
		}
	}
	if (req->flags & CPT_HOLD_ALL) {
		hash_for_each_safe(cpt_holds, bkt, tmp, h, node) {
			if (net_eq(read_pnet(&h->net), net) && !h->restart) {
				cpt_tcp_hold_remove(net, h);
				released++;
			}
		}
	}
	for (i = 0; i < req->count; i++) {
		h = cpt_tcp_hold_find(net, &ends[i]);
		if (h) {
			cpt_tcp_hold_remove(net, h);
			released++;
		}
	}
	req->count = released;
unlock:
	mutex_unlock(&cpt_holds_lock);
out:
	kvfree(tuples);
	kvfree(ends);
	return ret;
}

long cpt_ioctl_hold(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_hold *req = &arg->hold;
	/* The caller's own: only it changes its nsproxy. */
	struct net *net = current->nsproxy->net_ns;

	if (req->tuple_size != sizeof(struct cpt_hold_tuple) || req->reserved[0] ||
	    req->reserved[1])
		return -EINVAL;
	switch (req->op) {
	case CPT_HOLD_LIST:
		return cpt_tcp_hold_list(net, req);
	case CPT_HOLD_RELEASE:
		return cpt_tcp_hold_release(net, req);
	}
	return -EINVAL;
}

/* ---- the holds' lifetime ---- */

static void __net_exit cpt_tcp_hold_net_exit(struct net *net)
{
	struct cpt_tcp_hold *h;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&cpt_holds_lock);
	hash_for_each_safe(cpt_holds, bkt, tmp, h, node)
		if (net_eq(read_pnet(&h->net), net))
			cpt_tcp_hold_remove(net, h);
	mutex_unlock(&cpt_holds_lock);
}

static struct pernet_operations cpt_tcp_hold_net_ops = {
	.exit = cpt_tcp_hold_net_exit,
	.id = &cpt_hold_net_id,
	.size = sizeof(struct cpt_tcp_hold_net),
};

int cpt_tcp_hold_init(void)
{
	return register_pernet_subsys(&cpt_tcp_hold_net_ops);
}

/* Every namespace's exit runs: each drops its holds and its hooks. */
void cpt_tcp_hold_exit(void)
{
	unregister_pernet_subsys(&cpt_tcp_hold_net_ops);
}
