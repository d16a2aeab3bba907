// SPDX-License-Identifier: GPL-2.0
/*
 * What a raw socket may be to the kernel outside its own struct, which a
 * checkpoint does not save and so refuses by name: a router-alert listener
 * (IP_ROUTER_ALERT, IPV6_ROUTER_ALERT) or a multicast routing daemon's
 * socket (MRT_INIT, MRT6_INIT; MRT_TABLE). The kernel keeps them in its own
 * lists: the netns's ra_chain and multicast routing tables (net/ headers),
 * and IPv6's ip6_ra_chain, private to net/ipv6/ipv6_sockglue.c and found
 * by name with its lock (cpt_sym). Checked at load as raw_ra_chain: an
 * IPv6 IPPROTO_RAW socket made here (ip6_ra_control() takes no other) with
 * IPV6_ROUTER_ALERT set is found in that chain, and not once it is unset.
 */
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/mroute_base.h>
#include <linux/net.h>
#include <linux/rculist.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/raw.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_symbols.h"

static bool cpt_raw_in_ra_chain6(struct sock *sk)
{
	struct ip6_ra_chain *ra;
	bool found = false;

	read_lock_bh(cpt_sym.ip6_ra_lock);
	for (ra = *cpt_sym.ip6_ra_chain; ra && !found; ra = ra->next)
		found = ra->sk == sk;
	read_unlock_bh(cpt_sym.ip6_ra_lock);
	return found;
}

static bool cpt_raw_in_ra_chain4(struct sock *sk)
{
	struct ip_ra_chain *ra;
	bool found = false;

	rcu_read_lock();
	for (ra = rcu_dereference(sock_net(sk)->ipv4.ra_chain); ra && !found;
	     ra = rcu_dereference(ra->next))
		found = ra->sk == sk;
	rcu_read_unlock();
	return found;
}

/* Whether sk is the multicast routing socket of one of its netns's tables. */
static bool cpt_raw_routes_multicast(struct sock *sk)
{
	struct list_head *tables = NULL;
	struct mr_table *mrt;
	bool found = false;

#ifdef CONFIG_IP_MROUTE_MULTIPLE_TABLES
	if (sk->sk_family == AF_INET)
		tables = &sock_net(sk)->ipv4.mr_tables;
#endif
#ifdef CONFIG_IPV6_MROUTE_MULTIPLE_TABLES
	if (sk->sk_family == AF_INET6)
		tables = &sock_net(sk)->ipv6.mr6_tables;
#endif
	if (!tables)
		return false;
	rcu_read_lock();
	list_for_each_entry_rcu(mrt, tables, list)
		if (rcu_access_pointer(mrt->mroute_sk) == sk)
			found = true;
	rcu_read_unlock();
	return found;
}

const char *cpt_compat_raw_unsaved(struct sock *sk)
{
	if (sk->sk_type != SOCK_RAW)
		return NULL;
	if (sk->sk_family == AF_INET ? cpt_raw_in_ra_chain4(sk) : cpt_raw_in_ra_chain6(sk))
		return "IP_ROUTER_ALERT (IPV6_ROUTER_ALERT) or MRT_INIT";
	if (cpt_raw_routes_multicast(sk) ||
	    (sk->sk_family == AF_INET ? raw_sk(sk)->ipmr_table : raw6_sk(sk)->ip6mr_table))
		return "multicast routing (MRT_INIT, MRT6_INIT, MRT_TABLE)";
	return NULL;
}

int cpt_check_raw_ra_chain(void)
{
	struct socket *sock;
	bool in[2];
	/* The router alert value to pass up (0: MLD); below 0, none. */
	int ret, on = 0, off = -1;

	ret = sock_create_kern(&init_net, AF_INET6, SOCK_RAW, IPPROTO_RAW, &sock);
	if (ret)
		return cpt_compat_untested("cannot make an IPv6 IPPROTO_RAW socket (%d)", ret);
	ret = sock->ops->setsockopt(sock, SOL_IPV6, IPV6_ROUTER_ALERT, KERNEL_SOCKPTR(&on),
				    sizeof(on));
	in[0] = cpt_raw_in_ra_chain6(sock->sk);
	if (!ret)
		ret = sock->ops->setsockopt(sock, SOL_IPV6, IPV6_ROUTER_ALERT,
					    KERNEL_SOCKPTR(&off), sizeof(off));
	in[1] = cpt_raw_in_ra_chain6(sock->sk);
	sock_release(sock);
	if (ret)
		return cpt_compat_untested("cannot set IPV6_ROUTER_ALERT (%d)", ret);
	if (!in[0] || in[1])
		return cpt_compat_fail("ip6_ra_chain %s the socket with IPV6_ROUTER_ALERT %s",
				       in[0] ? "holds" : "misses", in[0] ? "unset" : "set");
	return 0;
}
