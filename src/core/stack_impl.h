/* struct nst_stack: every piece of a stack's state, one instance per stack. */
#ifndef NST_CORE_STACK_IMPL_H
#define NST_CORE_STACK_IMPL_H

#include <nstack/socket.h>
#include <nstack/stack.h>
#include <nstack/stats.h>

#include "core/buf_pool.h"
#include "core/pkt.h"
#include "core/rng.h"
#include "core/timer.h"
#include "ip/icmp_socket.h"
#include "ip/ip.h"
#include "socket/sock.h"
#include "udp/udp.h"

struct nst_tcp_state;
struct nst_ip6_state;
struct nst_ndra_state;

struct nst_stack {
    char name[32];
    struct nst_stack_config cfg;
    nst_time_t now;
    struct nst_rng rng;
    uint8_t hash_key[16];       /* SipHash key: buckets, ports, ISNs */
    struct nst_timer_heap timers;
    struct nst_pkt_cache pkt_cache;
    struct nst_buf_pool buf_pool;   /* storage for TCP's rings */
    struct nst_stats stats;

    struct nst_ip_state ip;
    struct nst_ip6_state *ip6;      /* the IPv6 layer (src/ip6/) */
    struct nst_ndra_state *ndra;    /* router discovery and SLAAC (src/ip6/nd_router_stack.c) */
    struct nst_udp_state udp;
    struct nst_icmp_sock_state icmp_socks;
    struct nst_tcp_state *tcp;
    struct nst_sock_table socks;

    nst_event_cb event_cb;
    void *event_arg;
    int dying; /* nst_stack_free is running: links may be gone, send nothing */
};

#define NST_STAT_INC(st, layer, name) ((st)->stats.layer##_##name++)
#define NST_STAT_ADD(st, layer, name, n) ((st)->stats.layer##_##name += (n))

#endif
