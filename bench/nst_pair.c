/* Two nstack stacks joined by an in-memory link: see nst_pair.h. */
#include "nst_pair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Enough for a 16 MiB window of 1500-byte frames in flight one way. */
#define NP_QUEUE_BYTES (48u << 20)

static int link_send(void *ctx, const uint8_t *frame, size_t len)
{
    return bu_frameq_push(ctx, frame, len) == 0 ? 0 : -ENOBUFS;
}

/* The link takes data segments in pieces and finishes their checksums in
 * the copy it makes anyway, as a NIC with scatter-gather and checksum
 * offload would (the work is done here, in the same thread, and counted). */
static int link_send_frame(void *ctx, const struct nst_frame *f)
{
    uint8_t *at = bu_frameq_reserve(ctx, f->len);
    if (!at)
        return -ENOBUFS;
    nst_frame_copy(f, at);
    return 0;
}

static struct nst_mac mac_of(uint8_t last)
{
    struct nst_mac m = {{0x02, 0x00, 0x00, 0x00, 0x00, last}};
    return m;
}

static int add_iface(struct nst_stack *st, const char *name, nst_ip4_t addr, uint8_t mac_last, uint32_t mtu,
                     struct bu_frameq *out)
{
    struct nst_iface_config ic = {
        .name = name,
        .mac = mac_of(mac_last),
        .addr = addr,
        .prefix_len = 24,
        .mtu = mtu,
        .ops = {.send = link_send, .send_frame = link_send_frame},
        .ctx = out,
    };
    return nst_iface_add(st, &ic);
}

int np_pair_init(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg)
{
    return np_pair_init_q(p, mtu, cfg, 0);
}

static int pair_init(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg, size_t queue_bytes,
                     int family)
{
    memset(p, 0, sizeof(*p));
    p->family = family;
    struct nst_stack_config c;
    if (cfg)
        c = *cfg;
    else
        nst_stack_config_default(&c);
    if (family == NST_AF_INET6) {
        /* IPv6 up at once: the benchmark measures TCP, not DAD. */
        c.ipv6 = 1;
        c.ip6_dad_transmits = 0;
        c.nd_rtr_solicitations = 0; /* no router on the pair */
    }
    size_t qb = queue_bytes ? queue_bytes : NP_QUEUE_BYTES;
    if (bu_frameq_init(&p->a2b, qb) || bu_frameq_init(&p->b2a, qb))
        return -1;
    /* NST_BENCH_RACK=0: RFC 6675 DupThresh instead of RACK-TLP, to
     * measure what RACK's bookkeeping costs (docs/PERFORMANCE.md). */
    const char *rack = getenv("NST_BENCH_RACK");
    if (rack)
        c.tcp.rack = atoi(rack) != 0;
    c.name = "a";
    c.deterministic = 1; /* runs compare alike */
    c.seed = 1;
    p->a = nst_stack_new(&c);
    c.name = "b";
    c.seed = 2;
    p->b = nst_stack_new(&c);
    if (!p->a || !p->b)
        return -1;
    p->addr_a = NST_IP4(10, 0, 0, 1);
    p->addr_b = NST_IP4(10, 0, 0, 2);
    p->ifa = add_iface(p->a, "mem0", p->addr_a, 1, mtu, &p->a2b);
    p->ifb = add_iface(p->b, "mem0", p->addr_b, 2, mtu, &p->b2a);
    if (p->ifa < 0 || p->ifb < 0)
        return -1;
    /* Static neighbours: the benchmark measures TCP, not ARP. */
    struct nst_mac ma = mac_of(1), mb = mac_of(2);
    if (nst_arp_add_static(p->a, p->ifa, p->addr_b, &mb) || nst_arp_add_static(p->b, p->ifb, p->addr_a, &ma))
        return -1;
    if (family == NST_AF_INET6) {
        /* (Neighbour Discovery resolves the first packet; each new ACK
         * confirms the entry after that: RFC 4861 7.3.1.) */
        static const nst_ip6_t a6 = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
        static const nst_ip6_t b6 = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
        p->addr6_a = a6;
        p->addr6_b = b6;
        if (nst_iface_addr6_add(p->a, p->ifa, &a6, 64) || nst_iface_addr6_add(p->b, p->ifb, &b6, 64))
            return -1;
    }
    nst_time_t now = np_now(p);
    nst_stack_poll(p->a, now);
    nst_stack_poll(p->b, now);
    return 0;
}

int np_pair_init_q(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg, size_t queue_bytes)
{
    return pair_init(p, mtu, cfg, queue_bytes, NST_AF_INET);
}

int np_pair_init6(struct np_pair *p, uint32_t mtu, const struct nst_stack_config *cfg)
{
    return pair_init(p, mtu, cfg, 0, NST_AF_INET6);
}

int np_socket(const struct np_pair *p, struct nst_stack *st, uint16_t port)
{
    int fd = nst_socket_family(st, p->family, NST_SOCK_STREAM);
    if (fd < 0 || !port)
        return fd;
    struct nst_sockaddr any = {.family = (uint16_t)p->family, .port = port};
    int one = 1;
    nst_setsockopt(st, fd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof(one));
    return nst_bind(st, fd, &any) ? -1 : fd;
}

struct nst_sockaddr np_server(const struct np_pair *p, uint16_t port)
{
    struct nst_sockaddr a = {.addr = p->addr_b, .port = port, .family = (uint16_t)p->family};
    if (p->family == NST_AF_INET6)
        a.addr6 = p->addr6_b;
    return a;
}

void np_pair_free(struct np_pair *p)
{
    if (p->a)
        nst_stack_free(p->a);
    if (p->b)
        nst_stack_free(p->b);
    bu_frameq_free(&p->a2b);
    bu_frameq_free(&p->b2a);
    memset(p, 0, sizeof(*p));
}

nst_time_t np_now(const struct np_pair *p) { return bu_mono_ns() + p->skew; }

static uint64_t drain(struct bu_frameq *q, struct nst_stack *to, int ifindex, nst_time_t now)
{
    uint64_t n = 0;
    size_t len;
    const uint8_t *f;
    /* Frames the receiver sends in reply go to the other queue, so the
     * frame being delivered stays in place until it is popped. */
    while ((f = bu_frameq_peek(q, &len)) != NULL) {
        nst_stack_input(to, ifindex, f, len, now);
        bu_frameq_pop(q);
        n++;
    }
    return n;
}

uint64_t np_pump(struct np_pair *p)
{
    uint64_t total = 0;
    nst_time_t now = np_now(p);
    for (;;) {
        uint64_t n = drain(&p->a2b, p->b, p->ifb, now);
        n += drain(&p->b2a, p->a, p->ifa, now);
        if (!n)
            return total;
        total += n;
    }
}

void np_poll(struct np_pair *p)
{
    nst_time_t now = np_now(p);
    nst_stack_poll(p->a, now);
    nst_stack_poll(p->b, now);
}

int np_idle(struct np_pair *p)
{
    nst_time_t da = nst_stack_next_deadline(p->a), db = nst_stack_next_deadline(p->b);
    nst_time_t d = da < db ? da : db;
    if (d == NST_TIME_NEVER)
        return -1;
    nst_time_t now = np_now(p);
    if (d > now)
        p->skew += d - now;
    p->stalls++;
    np_poll(p);
    np_pump(p);
    return 0;
}

/* Runs the pair until pred() holds, idling through timers; -1 on deadlock
 * or after `max_idles` stalls. */
static int run_until(struct np_pair *p, int (*pred)(struct np_pair *, void *), void *arg, int max_idles)
{
    for (int idles = 0;;) {
        np_poll(p);
        np_pump(p);
        if (pred(p, arg))
            return 0;
        if (++idles > max_idles || np_idle(p) < 0)
            return -1;
    }
}

struct accept_ctx {
    int lfd, cfd, sfd;
};

static int accepted(struct np_pair *p, void *arg)
{
    struct accept_ctx *x = arg;
    if (x->sfd < 0)
        x->sfd = nst_accept(p->b, x->lfd, NULL);
    return x->sfd >= 0 && (nst_socket_events(p->a, x->cfd) & NST_EV_OUT);
}

int np_connect(struct np_pair *p, uint16_t port, int *cfd, int *sfd, int *lfd)
{
    int l = np_socket(p, p->b, port);
    if (l < 0 || nst_listen(p->b, l, 128))
        return -1;
    int c = np_socket(p, p->a, 0);
    struct nst_sockaddr to = np_server(p, port);
    if (c < 0 || nst_connect(p->a, c, &to) != -EINPROGRESS)
        return -1;
    struct accept_ctx x = {l, c, -1};
    if (run_until(p, accepted, &x, 10) < 0)
        return -1;
    *cfd = c;
    *sfd = x.sfd;
    if (lfd)
        *lfd = l;
    else
        nst_close(p->b, l);
    return 0;
}
