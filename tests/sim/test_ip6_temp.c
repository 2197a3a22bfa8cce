/* RFC 8981 temporary addresses (cfg.ip6_temp_addrs; src/ip6/slaac_temp.c)
 * on a tap host (MAC 02:00:00:00:00:01, DAD at once, one solicitation:
 * REGEN_ADVANCE = 2 s + 3 * 1 * 1 s = 5 s) whose router advertises
 * 2001:db8:1::/64 valid 4 days, preferred 3 days, at t0:
 * - a temporary address beside the public EUI-64 one, random identifier,
 *   valid 2 days, preferred 1 day - DESYNC_FACTOR (whole seconds, below
 *   0.4 day); none with ip6_temp_addrs 0;
 * - its successor made at exactly t0 + preferred - REGEN_ADVANCE, the old
 *   one deprecated at exactly t0 + preferred, removed at t0 + 2 days; a
 *   TCP connection opened from it keeps it as source once deprecated, a
 *   new connection takes the successor;
 * - a DAD conflict: a new identifier, TEMP_IDGEN_RETRIES (3) times, then
 *   no more on the interface;
 * - an RA with shorter lifetimes shortens the temporary's; a regeneration
 *   the prefix's lifetime does not allow makes none; a later RA does;
 * - RFC 6724 rule 7: temporary preferred with 2, public with 1;
 * - the bound: the address table (8) full, a temporary not made counted. */
#include <errno.h>
#include <nstack/nstack.h>

#include "ip6/ip6_impl.h"
#include "support/ip6_util.h"
#include "test.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

#define DAY NST_SEC(86400)
#define REGEN NST_SEC(5)

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

struct host {
    struct nst_stack *st;
    struct su_tap tap;
    nst_time_t now;
};

static void host_up(struct host *h, int mode)
{
    memset(h, 0, sizeof(*h));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.ip6_temp_addrs = mode;
    c.ip6_dad_delay = 0;
    c.ip6_mld = 0;
    c.nd_rtr_solicitations = 0;
    h->st = su_tap_host(&c, &h->tap, 0, 0);
    CHECK(h->st != NULL);
    su_stack_run_until(h->st, NST_SEC(2)); /* the link-local address past DAD */
    h->now = NST_SEC(2);
}

static void host_down(struct host *h)
{
    nst_stack_free(h->st);
    su_tap_free(&h->tap);
}

static void run_until(struct host *h, nst_time_t t)
{
    su_stack_run_until(h->st, t);
    h->now = t;
}

/* An RA from fe80::1 with n prefixes 2001:db8:1::/64, 2001:db8:2::/64, ... */
static void advertise(struct host *h, int n, uint32_t valid, uint32_t preferred)
{
    struct nst_nd_repr r = {.type = NST_ICMP6_ROUTER_ADVERT, .cur_hop_limit = 64, .router_lifetime = 1800,
                            .has_src_lladdr = 1, .src_lladdr = su_mac(8), .n_prefixes = (uint8_t)n};
    for (int i = 0; i < n; i++) {
        r.prefix[i] = (struct nst_nd_prefix){.len = 64, .flags = NST_ND_PREFIX_ONLINK | NST_ND_PREFIX_AUTO,
                                             .valid_lifetime = valid, .preferred_lifetime = preferred};
        r.prefix[i].prefix = su6_addr("2001:db8:1::");
        r.prefix[i].prefix.b[5] = (uint8_t)(i + 1);
    }
    struct su6_ip ip = {.eth_src = su_mac(8), .src = su6_addr("fe80::1"), .dst = su6_addr("ff02::1"),
                        .next_header = NST_IP6_NH_ICMPV6, .hop_limit = 255};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t msg[256], f[400]; /* four prefixes: more than su6_build_nd holds */
    int n_msg = nst_nd_emit(&r, &ip.src, &ip.dst, msg, sizeof msg);
    CHECK(n_msg > 0);
    h->now += NST_MSEC(1);
    su_tap_inject(&h->tap, f, su6_build(f, &ip, msg, (size_t)n_msg), h->now);
}

/* Another node holds target: its advertisement ends our DAD (RFC 4862 5.4.4). */
static void conflict(struct host *h, const nst_ip6_t *target)
{
    struct nst_nd_repr na = {.type = NST_ICMP6_NEIGHBOR_ADVERT, .target = *target, .flags = NST_ND_NA_OVERRIDE,
                             .has_tgt_lladdr = 1, .tgt_lladdr = su_mac(9)};
    struct su6_ip ip = {.eth_src = su_mac(9), .src = su6_addr("fe80::99"), .dst = su6_addr("ff02::1")};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t f[200];
    h->now += NST_MSEC(100);
    su_tap_inject(&h->tap, f, su6_build_nd(f, &ip, &na), h->now);
}

/* The temporary addresses of the interface, in table order; returns how many. */
static int temps(struct host *h, struct nst_addr6_info *out)
{
    struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(h->st, 0, v, NST_IP6_MAX_ADDRS), n = 0;
    for (int i = 0; i < k; i++)
        if (v[i].origin == NST_ADDR6_TEMPORARY)
            out[n++] = v[i];
    return n;
}

static int n_addrs(struct host *h) { return nst_iface_addr6_list(h->st, 0, NULL, 0); }

static nst_ip6_t public_addr(int prefix)
{
    nst_ip6_t pfx = su6_addr("2001:db8:1::"), a;
    pfx.b[5] = (uint8_t)prefix;
    struct nst_mac m = su_mac(1);
    nst_ip6_from_eui64(&pfx, &m, &a);
    return a;
}

static const struct nst_addr6_info *find(struct host *h, const nst_ip6_t *a)
{
    static struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
    int k = nst_iface_addr6_list(h->st, 0, v, NST_IP6_MAX_ADDRS);
    for (int i = 0; i < k; i++)
        if (nst_ip6_eq(&v[i].addr, a))
            return &v[i];
    return NULL;
}

static nst_ip6_t src_for_peer(struct host *h)
{
    nst_ip6_t peer = su6_addr("2001:db8:1::2");
    const struct nst_ip6_addr *a = nst_ip6_select_src(h->st, 0, &peer);
    CHECK(a != NULL);
    return a ? a->addr : peer;
}

/* ---- TCP through the tap: the peer 2001:db8:1::2 (MAC su_mac(2)) ---------- */

static const uint8_t *last_tcp(struct host *h, size_t from, struct su6_parsed *p, struct nst_tcp_repr *t)
{
    const uint8_t *seg = NULL;
    for (size_t i = from; i < h->tap.n; i++) {
        struct su6_parsed q;
        if (su6_parse(h->tap.v[i].data, h->tap.v[i].len, &q) == 0 && q.ext.proto == 6) {
            *p = q;
            seg = q.l4;
        }
    }
    CHECK(seg != NULL);
    if (seg)
        CHECK(nst_tcp_parse(p->l4, p->l4_len, 0, 0, t, 0) >= 20);
    return seg;
}

static void inject_tcp(struct host *h, const nst_ip6_t *dst, uint16_t sport, uint16_t dport, uint32_t seq,
                       uint32_t ack, uint8_t flags)
{
    struct nst_tcp_repr r = {.src_port = sport, .dst_port = dport, .seq = seq, .ack = ack, .flags = flags,
                             .window = 65535};
    uint8_t seg[60];
    int len = nst_tcp_emit(&r, seg);
    struct su6_ip ip = {.eth_src = su_mac(2), .eth_dst = su_mac(1), .src = su6_addr("2001:db8:1::2"), .dst = *dst,
                        .next_header = 6};
    uint32_t sum = nst_csum_add(nst_csum_pseudo6(&ip.src, &ip.dst, 6, (uint32_t)len), seg, (size_t)len);
    uint16_t c = nst_csum_finish(sum);
    seg[16] = (uint8_t)(c >> 8);
    seg[17] = (uint8_t)c;
    uint8_t f[200];
    h->now += NST_MSEC(1);
    su_tap_inject(&h->tap, f, su6_build(f, &ip, seg, (size_t)len), h->now);
}

static int connect_peer(struct host *h)
{
    int fd = nst_socket_family(h->st, NST_AF_INET6, NST_SOCK_STREAM);
    CHECK(fd >= 0);
    struct nst_sockaddr to = {.family = NST_AF_INET6, .port = 80, .addr6 = su6_addr("2001:db8:1::2")};
    CHECK_EQ(nst_connect(h->st, fd, &to), -EINPROGRESS);
    return fd;
}

/* ---- the tests ------------------------------------------------------------- */

static void test_off(void)
{
    struct host h;
    host_up(&h, 0);
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    struct nst_addr6_info t[NST_IP6_MAX_ADDRS];
    CHECK_EQ(temps(&h, t), 0);
    CHECK_EQ(n_addrs(&h), 2);
    CHECK_EQ(S(h.st)->ndra_temp_created, 0u);
    host_down(&h);
}

static void test_life(void)
{
    struct host h;
    host_up(&h, 2);
    nst_ip6_t pub = public_addr(1);
    nst_ip6_t peer = su6_addr("2001:db8:1::2");
    struct nst_mac peer_mac = su_mac(2);
    CHECK_EQ(nst_neigh6_add_static(h.st, 0, &peer, &peer_mac), 0);
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    const nst_time_t t0 = h.now;
    /* Made with the public address, after it in the table, both tentative. */
    struct nst_addr6_info t[NST_IP6_MAX_ADDRS], v[NST_IP6_MAX_ADDRS];
    CHECK_EQ(nst_iface_addr6_list(h.st, 0, v, NST_IP6_MAX_ADDRS), 3);
    CHECK(nst_ip6_eq(&v[1].addr, &pub));
    CHECK_EQ(v[2].origin, NST_ADDR6_TEMPORARY);
    CHECK_EQ(temps(&h, t), 1);
    const nst_ip6_t t1 = t[0].addr;
    CHECK(memcmp(t1.b, pub.b, 8) == 0);
    CHECK(memcmp(t1.b + 8, pub.b + 8, 8) != 0);
    CHECK_EQ(t[0].prefix_len, 64);
    CHECK_EQ(t[0].state, NST_ADDR6_TENTATIVE);
    CHECK_EQ(t[0].valid_left, 2 * DAY);
    /* 1 day - DESYNC_FACTOR, the factor in whole seconds below 0.4 day. */
    nst_time_t pref = t[0].preferred_left, desync = DAY - pref;
    CHECK(desync >= 0 && desync < NST_SEC(34560) && desync % NST_SEC(1) == 0);
    CHECK_EQ(S(h.st)->ndra_temp_created, 1u);
    run_until(&h, t0 + NST_SEC(1));
    CHECK_EQ(find(&h, &t1)->state, NST_ADDR6_PREFERRED);
    CHECK_EQ(find(&h, &pub)->state, NST_ADDR6_PREFERRED);
    /* Rule 7 with 2: the temporary is the source; a connection opens from it. */
    nst_ip6_t s = src_for_peer(&h);
    CHECK(nst_ip6_eq(&s, &t1));
    size_t mark = h.tap.n;
    int fd1 = connect_peer(&h);
    run_until(&h, h.now);
    struct su6_parsed p;
    struct nst_tcp_repr syn;
    CHECK(last_tcp(&h, mark, &p, &syn) != NULL);
    CHECK(nst_ip6_eq(&p.ip.src, &t1));
    CHECK_EQ(syn.flags, NST_TCP_SYN);
    inject_tcp(&h, &t1, 80, syn.src_port, 1000, syn.seq + 1, NST_TCP_SYN | NST_TCP_ACK);
    CHECK(nst_socket_events(h.st, fd1) & NST_EV_OUT);

    /* 3.6: the successor exactly REGEN_ADVANCE before the deprecation. */
    run_until(&h, t0 + pref - REGEN - 1);
    CHECK_EQ(temps(&h, t), 1);
    run_until(&h, t0 + pref - REGEN);
    CHECK_EQ(temps(&h, t), 2);
    CHECK_EQ(S(h.st)->ndra_temp_regenerated, 1u);
    CHECK_EQ(S(h.st)->ndra_temp_created, 2u);
    const nst_time_t t2_at = h.now;
    nst_ip6_t t2 = nst_ip6_eq(&t[0].addr, &t1) ? t[1].addr : t[0].addr;
    CHECK(!nst_ip6_eq(&t2, &t1));
    CHECK(memcmp(t2.b, pub.b, 8) == 0);
    CHECK_EQ(find(&h, &t2)->state, NST_ADDR6_TENTATIVE);
    CHECK_EQ(find(&h, &t2)->valid_left, 2 * DAY);
    CHECK_EQ(find(&h, &t2)->preferred_left, pref);
    /* Still the old one until it is deprecated, exactly at t0 + pref. */
    run_until(&h, t0 + pref - 1);
    CHECK_EQ(find(&h, &t1)->state, NST_ADDR6_PREFERRED);
    CHECK_EQ(find(&h, &t2)->state, NST_ADDR6_PREFERRED);
    s = src_for_peer(&h);
    CHECK(nst_ip6_eq(&s, &t1));
    run_until(&h, t0 + pref);
    CHECK_EQ(find(&h, &t1)->state, NST_ADDR6_DEPRECATED);
    s = src_for_peer(&h);
    CHECK(nst_ip6_eq(&s, &t2));
    /* The connection keeps its source; a new one takes the successor. */
    mark = h.tap.n;
    CHECK_EQ(nst_send(h.st, fd1, "hello", 5, 0), 5);
    run_until(&h, h.now);
    struct nst_tcp_repr data;
    CHECK(last_tcp(&h, mark, &p, &data) != NULL);
    CHECK(nst_ip6_eq(&p.ip.src, &t1));
    CHECK_EQ(data.seq, syn.seq + 1);
    CHECK_EQ(p.l4_len - data.hdr_len, 5u);
    inject_tcp(&h, &t1, 80, syn.src_port, 1001, syn.seq + 6, NST_TCP_ACK);
    mark = h.tap.n;
    int fd2 = connect_peer(&h);
    run_until(&h, h.now);
    struct nst_tcp_repr syn2;
    CHECK(last_tcp(&h, mark, &p, &syn2) != NULL);
    CHECK(nst_ip6_eq(&p.ip.src, &t2));
    CHECK_EQ(syn2.flags, NST_TCP_SYN);
    nst_close(h.st, fd2);
    /* 3.5: removed when its valid lifetime ends, 2 days after t0. */
    run_until(&h, t0 + 2 * DAY - 1);
    CHECK(find(&h, &t1) != NULL);
    run_until(&h, t0 + 2 * DAY);
    CHECK(find(&h, &t1) == NULL);
    CHECK(find(&h, &t2) != NULL);
    CHECK(find(&h, &pub) != NULL);
    /* Each successor had its own, pref - REGEN after it (the prefix stays
     * preferred 3 days): the k-th at t0 + k * (pref - REGEN). */
    CHECK_EQ(t2_at, t0 + pref - REGEN);
    uint64_t regens = (uint64_t)(2 * DAY / (pref - REGEN));
    CHECK(regens >= 2);
    CHECK_EQ(S(h.st)->ndra_temp_regenerated, regens);
    CHECK_EQ(S(h.st)->ndra_temp_created, regens + 1);
    nst_close(h.st, fd1);
    host_down(&h);
}

static void test_dad_conflict(void)
{
    struct host h;
    host_up(&h, 2);
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    struct nst_addr6_info t[NST_IP6_MAX_ADDRS];
    nst_ip6_t seen[5];
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(temps(&h, t), 1);
        seen[i] = t[0].addr;
        for (int j = 0; j < i; j++)
            CHECK(!nst_ip6_eq(&seen[i], &seen[j])); /* a new identifier each time */
        CHECK_EQ(t[0].state, NST_ADDR6_TENTATIVE);
        conflict(&h, &seen[i]);
        CHECK(find(&h, &seen[i]) == NULL); /* gone, not left DUPLICATE */
        CHECK_EQ(S(h.st)->ndra_temp_dad_failed, (uint64_t)i + 1);
    }
    /* The first and TEMP_IDGEN_RETRIES (3) more failed: no more. */
    CHECK_EQ(temps(&h, t), 0);
    CHECK_EQ(S(h.st)->ndra_temp_created, 4u);
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    CHECK_EQ(temps(&h, t), 0);
    CHECK_EQ(S(h.st)->ndra_temp_created, 4u);
    /* The public address was never in question. */
    run_until(&h, h.now + NST_SEC(1));
    nst_ip6_t pub = public_addr(1);
    CHECK_EQ(find(&h, &pub)->state, NST_ADDR6_PREFERRED);
    CHECK_EQ(S(h.st)->ndra_slaac_dad_failed, 0u);
    host_down(&h);
}

static void test_ra_shortens(void)
{
    struct host h;
    host_up(&h, 2);
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    struct nst_addr6_info t[NST_IP6_MAX_ADDRS];
    CHECK_EQ(temps(&h, t), 1);
    const nst_ip6_t t1 = t[0].addr;
    run_until(&h, h.now + NST_SEC(100));
    /* Valid 3 h (over RFC 4862's two hours: taken), preferred 1 h. */
    advertise(&h, 1, 3 * 3600, 3600);
    const nst_time_t t1s = h.now;
    CHECK_EQ(find(&h, &t1)->valid_left, NST_SEC(3 * 3600));
    CHECK_EQ(find(&h, &t1)->preferred_left, NST_SEC(3600));
    /* REGEN_ADVANCE before: the prefix leaves a successor 5 s: none made. */
    run_until(&h, t1s + NST_SEC(3600) - REGEN);
    CHECK_EQ(temps(&h, t), 1);
    CHECK_EQ(S(h.st)->ndra_temp_regenerated, 0u);
    run_until(&h, t1s + NST_SEC(3600));
    CHECK_EQ(find(&h, &t1)->state, NST_ADDR6_DEPRECATED);
    /* A later RA with long lifetimes: the deprecated one stays so (its
     * successor was due), a new one is made for the prefix. */
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    CHECK_EQ(temps(&h, t), 2);
    CHECK_EQ(find(&h, &t1)->state, NST_ADDR6_DEPRECATED);
    CHECK_EQ(S(h.st)->ndra_temp_created, 2u);
    /* Its valid lifetime back to what its age leaves (2 days from t0),
     * in the address layer's whole seconds, rounded up. */
    nst_time_t left = 2 * DAY - (h.now - (t1s - NST_SEC(100) - NST_MSEC(1)));
    CHECK_EQ(find(&h, &t1)->valid_left, (left + NST_SEC(1) - 1) / NST_SEC(1) * NST_SEC(1));
    host_down(&h);
}

static void test_rule7_public(void)
{
    struct host h;
    host_up(&h, 1);
    advertise(&h, 1, 4 * 86400, 3 * 86400);
    struct nst_addr6_info t[NST_IP6_MAX_ADDRS];
    CHECK_EQ(temps(&h, t), 1);
    run_until(&h, h.now + NST_SEC(1));
    CHECK_EQ(find(&h, &t[0].addr)->state, NST_ADDR6_PREFERRED);
    nst_ip6_t s = src_for_peer(&h), pub = public_addr(1);
    CHECK(nst_ip6_eq(&s, &pub));
    host_down(&h);
}

static void test_bound(void)
{
    struct host h;
    host_up(&h, 2);
    /* Link-local + 4 public + 3 temporaries fill the table's 8 slots. */
    advertise(&h, 4, 4 * 86400, 3 * 86400);
    struct nst_addr6_info t[NST_IP6_MAX_ADDRS];
    CHECK_EQ(n_addrs(&h), NST_IP6_MAX_ADDRS);
    CHECK_EQ(temps(&h, t), 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(t[i].addr.b[5], i + 1);
    CHECK_EQ(S(h.st)->ndra_slaac_formed, 4u);
    CHECK_EQ(S(h.st)->ndra_temp_created, 3u);
    CHECK_EQ(S(h.st)->ndra_temp_no_slot, 1u);
    /* Each RA tries the fourth prefix again, and counts it. */
    advertise(&h, 4, 4 * 86400, 3 * 86400);
    CHECK_EQ(S(h.st)->ndra_temp_no_slot, 2u);
    CHECK_EQ(temps(&h, t), 3);
    host_down(&h);
}

int main(void)
{
    RUN(test_off);
    RUN(test_life);
    RUN(test_dad_conflict);
    RUN(test_ra_shortens);
    RUN(test_rule7_public);
    RUN(test_bound);
    return nst_test_done();
}
