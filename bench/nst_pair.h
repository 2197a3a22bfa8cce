/* Two nstack stacks in one process, joined by a zero-latency in-memory
 * Ethernet link (a frame queue per direction, drained in a loop). No
 * simulator: the only cost besides the stacks is one memcpy per frame into
 * the queue (a link driver must copy what it keeps).
 *
 * Time is real (CLOCK_MONOTONIC) plus a skew: when neither stack nor the
 * application can move, np_idle() jumps the clock to the earliest timer
 * deadline and counts a stall, so a benchmark never spins waiting for a
 * delayed ACK or a retransmission, and the stalls are reported. */
#ifndef NST_BENCH_NST_PAIR_H
#define NST_BENCH_NST_PAIR_H

#include <nstack/nstack.h>

#include "bench_util.h"

struct np_pair {
    struct nst_stack *a, *b; /* a: the client side, b: the server side */
    int ifa, ifb;
    nst_ip4_t addr_a, addr_b;
    int family;              /* NST_AF_INET, or NST_AF_INET6: np_connect over IPv6 */
    nst_ip6_t addr6_a, addr6_b; /* 2001:db8::1 and ::2 (NST_AF_INET6) */
    struct bu_frameq a2b, b2a;
    nst_time_t skew;
    uint64_t stalls;
};

/* cfg may be NULL (defaults). mtu: the IP MTU of both interfaces.
 * Returns 0 or -1. */
int np_pair_init(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg);
/* The same with a queue of queue_bytes per direction (0: the default, 48 MiB). */
int np_pair_init_q(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg, size_t queue_bytes);
/* The same with IPv6 on both stacks (no DAD), 2001:db8::1/64 and ::2/64:
 * np_connect then connects AF_INET6 sockets between them. */
int np_pair_init6(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg);
/* The listener and client sockets np_connect uses, of the pair's family:
 * a socket bound to port (0: not bound) on st. -1 on failure. */
int np_socket(const struct np_pair *p, struct nst_stack *st, uint16_t port);
/* The server's address for port, in the pair's family. */
struct nst_sockaddr np_server(const struct np_pair *p, uint16_t port);
void np_pair_free(struct np_pair *p);

nst_time_t np_now(const struct np_pair *p);
/* Delivers queued frames (both directions) until both queues are empty.
 * Returns the number delivered. */
uint64_t np_pump(struct np_pair *p);
/* Runs both stacks' due timers. */
void np_poll(struct np_pair *p);
/* Nothing can move: jump the clock to the earliest deadline (a stall).
 * Returns 0, or -1 if no timer is pending at all (a deadlock). */
int np_idle(struct np_pair *p);

/* A connected pair of descriptors: *cfd on a, *sfd on b (accepted from a
 * listener on b, port `port`, which stays open in *lfd unless lfd is NULL).
 * Returns 0 or -1. */
int np_connect(struct np_pair *p, uint16_t port, int *cfd, int *sfd, int *lfd);

#endif
