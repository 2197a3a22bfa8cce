/* A stack instance: creation, the time interface, interfaces. */
#include <nstack/stack.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "ip6/ip6.h"
#include "ip6/ndra.h"
#include "tcp/tcp.h"

void nst_stack_config_default(struct nst_stack_config *c)
{
    memset(c, 0, sizeof(*c));
    c->name = "nstack";
    c->seed = 1;
    c->default_ttl = 64;
    c->arp_entry_ttl = NST_SEC(60);
    c->arp_retry = NST_SEC(1);
    c->arp_max_retries = 3;
    c->arp_queue_max = 64; /* Linux holds ~100 per neighbour: a burst (many FINs at once) must not be cut */
    c->arp_table_max = 256;
    c->arp_incomplete_max = 64;
    c->reass_timeout = NST_SEC(30);
    c->reass_mem_max = 256 * 1024;
    c->reass_max_datagrams = 64;
    c->icmp_rate_per_sec = 1000;
    c->icmp_burst = 50;
    c->icmp_random_cost = 1;
    c->icmp_dst_interval = NST_SEC(1); /* Linux's icmp_ratelimit and XRLIM_BURST_FACTOR */
    c->icmp_dst_burst = 6;
    c->ephemeral_lo = 49152;
    c->ephemeral_hi = 65535;
    c->max_sockets = 1u << 20;
    c->udp_rcvbuf = 208 * 1024;
    c->ip6_hop_limit = 64;
    c->ip6_dad_transmits = 1;
    c->ip6_dad_delay = NST_SEC(1);
    c->ip6_retrans_timer = NST_SEC(1);
    c->ip6_reachable_time = NST_SEC(30);
    c->ip6_nd_table_max = 256;
    c->ip6_nd_incomplete_max = 64;
    c->ip6_nd_queue_max = 16;
    c->ip6_reass_timeout = NST_SEC(60);
    c->ip6_reass_mem_max = 256 * 1024;
    c->ip6_reass_max_datagrams = 64;
    c->nd_rtr_solicitations = 3;
    c->nd_max_routers = 8;
    c->nd_max_prefixes = 16;
    c->nd_max_slaac = 4;
    c->nd_max_redirects = 64;
    c->nd_redirect_ttl = NST_SEC(600);
    c->ip6_reachable_redraw = NST_SEC(2 * 3600);
    c->ip6_mld = 1;
    c->ip6_temp_valid_lifetime = NST_SEC(2 * 86400);
    c->ip6_temp_preferred_lifetime = NST_SEC(86400);
    nst_tcp_config_default(&c->tcp);
}

/* RFC 8981 3.8: a temporary address lives longer than REGEN_ADVANCE (so
 * that it is not replaced as soon as made) and is preferred no longer than
 * it is valid. */
static int temp_config_valid(const struct nst_stack_config *c)
{
    nst_time_t regen = nst_slaac_regen_advance(c->ip6_dad_transmits, c->ip6_retrans_timer);
    return c->ip6_temp_addrs >= 0 && c->ip6_temp_addrs <= 2 &&
           (!c->ip6_temp_addrs ||
            (c->ip6_temp_preferred_lifetime > regen && c->ip6_temp_preferred_lifetime % NST_SEC(1) == 0 &&
             c->ip6_temp_preferred_lifetime <= c->ip6_temp_valid_lifetime));
}

static int config_valid(const struct nst_stack_config *c)
{
    return c->ephemeral_lo > 0 && c->ephemeral_lo <= c->ephemeral_hi && c->arp_table_max > 0 &&
           c->reass_max_datagrams > 0 && c->max_sockets > 0 && c->default_ttl > 0 &&
           (!c->ipv6 || (c->ip6_hop_limit > 0 && c->ip6_retrans_timer > 0 && c->ip6_reachable_time > 0 &&
                         c->ip6_nd_table_max > 0 && c->ip6_reass_max_datagrams > 0 &&
                         c->ip6_net_id_len <= sizeof(c->ip6_net_id) && temp_config_valid(c)));
}

/* The generator's state and the SipHash key come straight from the OS,
 * all 256 + 128 bits of them, unless the caller opted into a repeatable
 * run (the simulator, tests), where the 64-bit seed spreads to both. */
static int stack_seed(struct nst_stack *st)
{
    if (st->cfg.deterministic) {
        nst_rng_seed(&st->rng, st->cfg.seed);
        nst_rng_fill(&st->rng, st->hash_key, sizeof(st->hash_key));
        return 0;
    }
    uint8_t bits[sizeof(st->rng.s) + sizeof(st->hash_key)];
    int err = nst_os_entropy(bits, sizeof(bits));
    if (err)
        return err;
    memcpy(st->rng.s, bits, sizeof(st->rng.s));
    memcpy(st->hash_key, bits + sizeof(st->rng.s), sizeof(st->hash_key));
    if (!(st->rng.s[0] | st->rng.s[1] | st->rng.s[2] | st->rng.s[3]))
        nst_rng_seed(&st->rng, 1); /* xoshiro's one forbidden state */
    return 0;
}

struct nst_stack *nst_stack_new(const struct nst_stack_config *cfg)
{
    struct nst_stack_config defaults;
    if (!cfg) {
        nst_stack_config_default(&defaults);
        cfg = &defaults;
    }
    if (!config_valid(cfg))
        return NULL;
    struct nst_stack *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->cfg = *cfg;
    snprintf(st->name, sizeof(st->name), "%s", cfg->name ? cfg->name : "nstack");
    st->cfg.name = st->name;
    st->pkt_cache.max = 256;
    nst_buf_pool_init(&st->buf_pool, 16u << 20, 128);
    if (stack_seed(st) || nst_ip_init(st) || nst_ip6_init(st) || nst_udp_init(st) || nst_icmp_sock_init(st) || nst_tcp_init(st) ||
        nst_sock_table_init(&st->socks)) {
        nst_stack_free(st);
        return NULL;
    }
    return st;
}

void nst_stack_free(struct nst_stack *st)
{
    if (!st)
        return;
    /* Freeing a stack is the host vanishing: connections are torn down
     * without a word on the wire (the links may already be gone). */
    st->dying = 1;
    st->event_cb = NULL;
    nst_sock_table_fini(st);
    nst_tcp_fini(st);
    nst_icmp_sock_fini(st);
    nst_udp_fini(st);
    nst_ip6_fini(st);
    nst_ip_fini(st);
    nst_timer_heap_free(&st->timers);
    nst_pkt_cache_drain(&st->pkt_cache);
    nst_buf_pool_drain(&st->buf_pool);
    free(st);
}

const char *nst_stack_name(const struct nst_stack *st) { return st->name; }

static void advance(struct nst_stack *st, nst_time_t now)
{
    /* Time never goes backwards inside a stack, whatever the caller passes. */
    if (now > st->now)
        st->now = now;
}

int nst_stack_poll(struct nst_stack *st, nst_time_t now)
{
    advance(st, now);
    nst_timers_run(st, st->now);
    return 0;
}

nst_time_t nst_stack_next_deadline(const struct nst_stack *st) { return nst_timer_heap_next(&st->timers); }
nst_time_t nst_stack_now(const struct nst_stack *st) { return st->now; }

void nst_stack_random(struct nst_stack *st, void *buf, size_t len) { nst_rng_fill(&st->rng, buf, len); }

void nst_stack_input(struct nst_stack *st, int ifindex, const uint8_t *frame, size_t len, nst_time_t now)
{
    advance(st, now);
    if (ifindex < 0 || ifindex >= st->ip.n_ifaces || !st->ip.ifaces[ifindex].in_use)
        return;
    nst_eth_input(st, ifindex, frame, len);
}

int nst_iface_add(struct nst_stack *st, const struct nst_iface_config *cfg)
{
    if (!cfg || !cfg->ops.send || cfg->prefix_len > 32 || (cfg->mtu && cfg->mtu < 68))
        return -EINVAL;
    if (st->ip.n_ifaces >= NST_MAX_IFACES)
        return -ENOSPC;
    int idx = st->ip.n_ifaces;
    struct nst_iface *ifc = &st->ip.ifaces[idx];
    memset(ifc, 0, sizeof(*ifc));
    ifc->in_use = 1;
    snprintf(ifc->name, sizeof(ifc->name), "%s", cfg->name ? cfg->name : "eth");
    ifc->mac = cfg->mac;
    ifc->addr = cfg->addr;
    ifc->prefix_len = cfg->prefix_len;
    ifc->mtu = cfg->mtu ? cfg->mtu : 1500;
    ifc->ops = cfg->ops;
    ifc->gso_max = cfg->ops.send_frame && cfg->gso_max > ifc->mtu ? cfg->gso_max : 0;
    ifc->gso6_max = cfg->ops.send_frame && cfg->gso6_max > ifc->mtu ? cfg->gso6_max : 0;
    ifc->ctx = cfg->ctx;
    st->ip.n_ifaces++;
    nst_dst_invalidate_all(&st->ip);
    if (cfg->addr) {
        uint32_t mask = cfg->prefix_len ? (uint32_t)(0xffffffffu << (32 - cfg->prefix_len)) : 0;
        int err = nst_route_add(st, cfg->addr & mask, cfg->prefix_len, 0, idx, 0);
        if (err && err != -EEXIST)
            return err;
    }
    if (st->ip6) {
        int err = nst_ip6_iface_up(st, idx);
        if (err)
            return err;
    }
    return idx;
}

int nst_iface_count(const struct nst_stack *st) { return st->ip.n_ifaces; }

int nst_iface_get(const struct nst_stack *st, int ifindex, struct nst_iface_info *out)
{
    if (ifindex < 0 || ifindex >= st->ip.n_ifaces)
        return -ENODEV;
    const struct nst_iface *ifc = &st->ip.ifaces[ifindex];
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", ifc->name);
    out->mac = ifc->mac;
    out->addr = ifc->addr;
    out->prefix_len = ifc->prefix_len;
    out->mtu = ifc->mtu;
    return 0;
}

void nst_stack_set_event_cb(struct nst_stack *st, nst_event_cb cb, void *arg)
{
    st->event_cb = cb;
    st->event_arg = arg;
}
