// SPDX-License-Identifier: GPL-2.0
/*
 * Packet sockets across checkpoint/restart.
 *
 * packet_sockets serve DIR:
 *   fd 3  SOCK_RAW bound to lo for ethertype 0x88b5, with PACKET_VERSION
 *         TPACKET_V2, PACKET_AUXDATA, PACKET_ORIGDEV, PACKET_RESERVE, and
 *         lo's PACKET_MR_PROMISC membership added twice;
 *   fd 4  SOCK_DGRAM bound to lo for ethertype 0x88b6, SO_RCVBUF set, lo's
 *         PACKET_MR_ALLMULTI membership;
 *   fd 5  SOCK_RAW of no ethertype, unbound, with PACKET_LOSS.
 * After DIR/go each has the name (getsockname) and options it had; lo is
 * promiscuous and all-multicast again (the memberships); fd 3 sends a
 * frame of its ethertype on lo and receives it with its PACKET_AUXDATA;
 * fd 4 sends a datagram of its own and receives it.
 *
 * packet_sockets nocap DIR: fd 3 as serve's, in a process that then drops
 * CAP_NET_RAW (a restart must not make a packet socket for a caller
 * without it). After DIR/go it still receives its own frame.
 *
 * packet_sockets refused KIND DIR: what a checkpoint refuses, by name, at
 * fd 3: "ring" (PACKET_RX_RING), "fanout" (PACKET_FANOUT), "queued" (a
 * frame received, not read). After DIR/go it checks the refused state is
 * still there ("kept-running").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "check.h"
#include "fd_wait.h"
#include "sync.h"

#define TIMEOUT_MS 5000
#define ETH_RAW 0x88b5
#define ETH_DGRAM 0x88b6
#define ETH_REFUSED 0x88b7
#define NR_FDS 3

static const char *const names[NR_FDS] = { "raw-bound", "dgram-bound",
					   "raw-unbound" };

static int make(int type, int want)
{
	int fd = socket(AF_PACKET, type, 0);

	if (fd < 0)
		die("socket");
	return fd_at(fd, want);
}

static void join(int fd, int type)
{
	struct packet_mreq mr = { .mr_ifindex = (int)if_nametoindex("lo"),
				  .mr_type = type };

	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		die("PACKET_ADD_MEMBERSHIP");
}

static void bind_lo(int fd, int ethertype)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ethertype),
				   .sll_ifindex = (int)if_nametoindex("lo") };

	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");
}

/* What a program could see of fd's packet state, as one line. */
static void state_of(int fd, char *buf, size_t size)
{
	static const int opts[] = { PACKET_VERSION, PACKET_AUXDATA,
				    PACKET_ORIGDEV, PACKET_RESERVE,
				    PACKET_LOSS };
	struct sockaddr_ll sll = {};
	socklen_t len = sizeof(sll);
	int n;

	getsockname(fd, (struct sockaddr *)&sll, &len);
	n = snprintf(buf, size, "ifindex %d protocol %#x", sll.sll_ifindex,
		     ntohs(sll.sll_protocol));
	n += int_opts_text(fd, SOL_PACKET, opts, sizeof(opts) / sizeof(opts[0]),
			   buf + n, size - n);
	n += sock_opt_text(fd, SO_RCVBUF, "rcvbuf", buf + n, size - n);
	sock_opt_text(fd, SO_TYPE, "type", buf + n, size - n);
}

/* lo's flags (IFF_PROMISC, IFF_ALLMULTI...), as sysfs shows them. */
static unsigned long lo_flags(void)
{
	unsigned long flags = 0;
	FILE *f = fopen("/sys/class/net/lo/flags", "r");

	if (f) {
		if (fscanf(f, "%lx", &flags) != 1)
			flags = 0;
		fclose(f);
	}
	return flags;
}

/* fd sends a frame of ethertype (SOCK_RAW: with its header) on lo. */
static int send_frame(int fd, int raw, int ethertype)
{
	char frame[64] = {};
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ethertype),
				  .sll_ifindex = (int)if_nametoindex("lo"),
				  .sll_halen = 6 };
	size_t off = raw ? ETH_HLEN : 0;

	if (raw) {
		frame[12] = ethertype >> 8;
		frame[13] = ethertype & 0xff;
	}
	memcpy(frame + off, "cptctl packet", 13);
	return sendto(fd, frame, off + 13, 0, (struct sockaddr *)&to,
		      sizeof(to)) < 0 ?
		       -1 :
		       0;
}

/* fd sends a frame of ethertype on lo: whether it receives it (with auxdata as wanted). */
static int loops_back(int fd, int raw, int ethertype, int want_aux, char *why,
		      size_t size)
{
	char in[256], control[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct iovec iov = { in, sizeof(in) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	size_t off = raw ? ETH_HLEN : 0;
	struct cmsghdr *cmsg;
	int aux = 0;
	ssize_t n;

	if (send_frame(fd, raw, ethertype)) {
		snprintf(why, size, "sendto: %s", strerror(errno));
		return 0;
	}
	while (fd_readable(fd, TIMEOUT_MS)) {
		msg.msg_controllen = sizeof(control);
		n = recvmsg(fd, &msg, 0);
		if (n < (ssize_t)(off + 13) ||
		    memcmp(in + off, "cptctl packet", 13))
			continue;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg;
		     cmsg = CMSG_NXTHDR(&msg, cmsg))
			if (cmsg->cmsg_level == SOL_PACKET &&
			    cmsg->cmsg_type == PACKET_AUXDATA)
				aux = 1;
		snprintf(why, size, "received %zd bytes, auxdata %d", n, aux);
		return aux == want_aux;
	}
	snprintf(why, size, "nothing received");
	return 0;
}

static int serve(const char *go)
{
	char before[NR_FDS][256], after[256], why[128];
	unsigned long flags;
	int i;

	make(SOCK_RAW, 3);
	set_int_opt(3, SOL_PACKET, PACKET_VERSION, TPACKET_V2);
	set_int_opt(3, SOL_PACKET, PACKET_AUXDATA, 1);
	set_int_opt(3, SOL_PACKET, PACKET_ORIGDEV, 1);
	set_int_opt(3, SOL_PACKET, PACKET_RESERVE, 16);
	join(3, PACKET_MR_PROMISC);
	join(3, PACKET_MR_PROMISC);
	bind_lo(3, ETH_RAW);

	make(SOCK_DGRAM, 4);
	set_int_opt(4, SOL_SOCKET, SO_RCVBUF, 65536);
	join(4, PACKET_MR_ALLMULTI);
	bind_lo(4, ETH_DGRAM);

	make(SOCK_RAW, 5);
	set_int_opt(5, SOL_PACKET, PACKET_LOSS, 1);

	for (i = 0; i < NR_FDS; i++)
		state_of(3 + i, before[i], sizeof(before[i]));
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	for (i = 0; i < NR_FDS; i++) {
		state_of(3 + i, after, sizeof(after));
		check(names[i], !strcmp(before[i], after), "%s (was %s)", after,
		      before[i]);
	}
	flags = lo_flags();
	check("memberships", (flags & IFF_PROMISC) && (flags & IFF_ALLMULTI),
	      "lo's flags %#lx: promiscuous %d, all-multicast %d", flags,
	      !!(flags & IFF_PROMISC), !!(flags & IFF_ALLMULTI));
	check("raw-loops-back", loops_back(3, 1, ETH_RAW, 1, why, sizeof(why)),
	      "%s", why);
	check("dgram-loops-back",
	      loops_back(4, 0, ETH_DGRAM, 0, why, sizeof(why)), "%s", why);
	return check_exit_status();
}

static int nocap(const char *go)
{
	char why[128];

	make(SOCK_RAW, 3);
	bind_lo(3, ETH_RAW);
	drop_net_raw();
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	check("raw-loops-back", loops_back(3, 1, ETH_RAW, 0, why, sizeof(why)),
	      "%s", why);
	return check_exit_status();
}

static int refused(const char *kind, const char *go)
{
	struct tpacket_req ring = { .tp_block_size = 4096,
				    .tp_block_nr = 1,
				    .tp_frame_size = 2048,
				    .tp_frame_nr = 2 };
	int val, kept;
	socklen_t len = sizeof(val);

	make(SOCK_RAW, 3);
	bind_lo(3, ETH_REFUSED);
	if (!strcmp(kind, "ring")) {
		if (setsockopt(3, SOL_PACKET, PACKET_RX_RING, &ring,
			       sizeof(ring)))
			die("PACKET_RX_RING");
	} else if (!strcmp(kind, "fanout")) {
		set_int_opt(3, SOL_PACKET, PACKET_FANOUT,
			    77 | PACKET_FANOUT_HASH << 16);
	} else if (send_frame(3, 1, ETH_REFUSED) ||
		   !fd_readable(3, TIMEOUT_MS)) {
		die("queued");
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	if (!strcmp(kind, "ring"))
		kept = setsockopt(3, SOL_PACKET, PACKET_VERSION,
				  &(int){ TPACKET_V2 }, sizeof(int)) < 0 &&
		       errno == EBUSY;
	else if (!strcmp(kind, "fanout"))
		kept = !getsockopt(3, SOL_PACKET, PACKET_FANOUT, &val, &len) &&
		       (val & 0xffff) == 77;
	else
		kept = fd_readable(3, 0);
	check("kept-running", kept, "fd 3 still has its %s", kind);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	char go[PATH_MAX];

	if (argc == 3 &&
	    (!strcmp(argv[1], "serve") || !strcmp(argv[1], "nocap"))) {
		snprintf(go, sizeof(go), "%s/go", argv[2]);
		return strcmp(argv[1], "serve") ? nocap(go) : serve(go);
	}
	if (argc == 4 && !strcmp(argv[1], "refused")) {
		snprintf(go, sizeof(go), "%s/go", argv[3]);
		return refused(argv[2], go);
	}
	fprintf(stderr,
		"usage: packet_sockets serve|nocap DIR | refused ring|fanout|queued DIR\n");
	return 2;
}
