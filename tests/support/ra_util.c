/* The router-and-host link of the router discovery tests (ra_util.h). */
#include "support/ra_util.h"

#include <stdlib.h>

static void observe(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *frame,
                    size_t len)
{
    struct ra_net *n = arg;
    if (ev != NST_SIM_OFFERED || n->n >= RA_MAXF)
        return;
    struct ra_seen *s = &n->f[n->n++];
    s->at = now;
    s->dir = dir;
    s->len = len < sizeof s->data ? len : sizeof s->data;
    memcpy(s->data, frame, s->len);
}

struct ra_net *ra_net_new(void (*host_cfg)(struct nst_stack_config *c))
{
    struct ra_net *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_dad_delay = 0;
    n->w = nst_world_new(42);
    struct nst_stack_config rc = c;
    rc.forwarding = 1; /* a router: listens to ff02::2, never acts as a host */
    if (host_cfg)
        host_cfg(&c);
    n->r = nst_world_add_host(n->w, "r", &rc);
    n->h = nst_world_add_host(n->w, "h", &c);
    struct nst_link_params lp;
    nst_link_params_default(&lp); /* 1 ms each way */
    n->l = nst_world_connect(n->w, n->r, NST_IP4(10, 0, 0, 1), 24, n->h, NST_IP4(10, 0, 0, 2), 24, &lp);
    nst_sim_link_observe(n->l, observe, n);
    struct nst_iface_info ir, ih;
    nst_iface_get(n->r, 0, &ir);
    nst_iface_get(n->h, 0, &ih);
    n->mr = ir.mac;
    n->mh = ih.mac;
    n->llr = su6_link_local(&n->mr);
    n->llh = su6_link_local(&n->mh);
    return n;
}

void ra_net_free(struct ra_net *n)
{
    nst_world_free(n->w);
    free(n);
}

struct nst_ra_config ra_config(void)
{
    struct nst_ra_config c;
    nst_ra_config_default(&c);
    c.advertise = 1;
    c.n_prefixes = 1;
    c.prefix[0] = (struct nst_ra_prefix){su6_addr("2001:db8:1::"), 64, 1, 1, 3600, 1800};
    return c;
}

nst_ip6_t ra_host_global(const struct ra_net *n)
{
    nst_ip6_t p = su6_addr("2001:db8:1::"), a;
    nst_ip6_from_eui64(&p, &n->mh, &a);
    return a;
}

int ra_addr_info(struct nst_stack *st, const nst_ip6_t *a, struct nst_addr6_info *out)
{
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(st, 0, v, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < k && i < NST_IP6_MAX_ADDRS; i++)
        if (nst_ip6_eq(&v[i].addr, a)) {
            if (out)
                *out = v[i];
            return v[i].state;
        }
    return -1;
}

int ra_neigh(struct nst_stack *st, const nst_ip6_t *a, struct nst_neigh6_info *out)
{
    struct nst_neigh6_info v[64];
    int k = nst_neigh6_list(st, v, 64);
    for (int i = 0; i < k && i < 64; i++)
        if (nst_ip6_eq(&v[i].addr, a)) {
            if (out)
                *out = v[i];
            return v[i].state;
        }
    return -1;
}

size_t ra_frames_of(const struct ra_net *n, int dir, uint8_t type, const struct ra_seen **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n->n; i++) {
        struct su6_parsed p;
        if (n->f[i].dir != dir || su6_parse(n->f[i].data, n->f[i].len, &p) < 0 || !p.icmp_ok ||
            p.icmp.type != type)
            continue;
        if (k < max)
            out[k] = &n->f[i];
        k++;
    }
    return k;
}

void ra_inject(struct ra_net *n, struct nst_stack *to, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t hop_limit,
               const struct nst_nd_repr *r)
{
    uint8_t msg[256], frame[400];
    int len = nst_nd_emit(r, src, dst, msg, sizeof msg);
    if (len <= 0)
        abort(); /* a test built a message nst_nd_emit refuses */
    struct su6_ip ip = {.eth_src = {{0x02, 0x66, 0, 0, 0, 1}}, .src = *src, .dst = *dst,
                        .next_header = NST_IP6_NH_ICMPV6, .hop_limit = hop_limit};
    if (nst_ip6_is_multicast(dst))
        nst_ip6_mcast_mac(dst, &ip.eth_dst);
    else
        ip.eth_dst = to == n->r ? n->mr : n->mh;
    size_t flen = su6_build(frame, &ip, msg, (size_t)len);
    nst_stack_input(to, 0, frame, flen, nst_world_now(n->w));
}
