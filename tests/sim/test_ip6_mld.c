/* MLD listener (RFC 3810, RFC 2710 for compatibility; src/ip6/mld.c) on a
 * tap host in virtual time. Every random delay is predicted from a copy of
 * the stack's generator, so each frame's time is checked exactly, and
 * each report byte for byte against one built here by hand (RFC 3810 5.2:
 * Ethernet to 33:33:00:00:00:16, hop limit 1, the Router Alert header of
 * RFC 2711, from :: until the link-local address is usable, RFC 3590):
 * - the solicited-node group is reported before the DAD solicitation, at
 *   the same random instant, then once more within the Unsolicited Report
 *   Interval (RFC 4862 5.4.2, RFC 3810 6.1); all-nodes never;
 * - a group shared by two addresses is reported once, left when the last
 *   goes (CHANGE_TO_INCLUDE, twice);
 * - General, Multicast-Address-Specific and Address-and-Source-Specific
 *   queries answered after a random delay below Maximum Response Delay,
 *   with RFC 3810 6.2's rules for queries that overlap;
 * - queries without hop limit 1, a link-local source or a Router Alert,
 *   or of a length of neither version, counted and never answered;
 * - an MLDv1 querier: MLDv1 Reports and Done until the Older Version
 *   Querier Present Timeout (260 s) passes, another listener's Report
 *   suppressing ours (RFC 2710 4). */
#include <nstack/nstack.h>

#include "core/rng.h"
#include "ip6/ip6_impl.h"
#include "support/csum_ref.h"
#include "support/ip6_util.h"
#include "test.h"
#include "wire/mld.h"

static const struct nst_stats *S(struct nst_stack *st) { return nst_stack_stats(st); }

struct host {
    struct nst_stack *st;
    struct su_tap tap;
    struct nst_rng rng; /* the stack's generator, copied, to tell its draws */
    nst_ip6_t ll;       /* fe80::ff:fe00:1 (MAC 02:00:00:00:00:01) */
    nst_time_t now;
    nst_time_t dad;     /* when the link-local address's DAD began */
};

static void run_until(struct host *h, nst_time_t t)
{
    for (nst_time_t d; (d = nst_stack_next_deadline(h->st)) <= t;)
        nst_stack_poll(h->st, d);
    nst_stack_poll(h->st, t);
    h->now = t;
}

static nst_time_t draw(struct host *h, nst_time_t below) { return (nst_time_t)nst_rng_below(&h->rng, (uint64_t)below); }
/* The stack's generator copied again (what it drew between is not ours to follow: DAD's nonces). */
static void sync_rng(struct host *h) { h->rng = h->st->rng; }

/* A host whose interface comes up at 0 with DAD after the RFC's random
 * delay (below 1 s); the draws of ReachableTime and that delay followed. */
static void host_up(struct host *h)
{
    memset(h, 0, sizeof(*h));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.ipv6 = 1;
    c.nd_rtr_solicitations = 0;
    c.deterministic = 1;
    h->st = nst_stack_new(&c);
    CHECK(h->st != NULL);
    h->rng = h->st->rng;
    struct nst_mac m = su_mac(1);
    CHECK(su_tap_attach(h->st, &h->tap, &m, 0, 0, 0) >= 0);
    h->ll = su6_addr("fe80::ff:fe00:1");
    draw(h, NST_SEC(30));         /* ReachableTime (RFC 4861 6.3.2) */
    h->dad = draw(h, NST_SEC(1)); /* the delay before DAD (RFC 4862 5.4.2) */
}

static void host_down(struct host *h)
{
    nst_stack_free(h->st);
    su_tap_free(&h->tap);
}

/* ---- frames built by hand ---------------------------------------------------- */

struct rec {
    uint8_t type;
    const char *group;
    int n_sources;
    const char *sources[4];
};

static uint16_t icmp6_sum(const nst_ip6_t *src, const nst_ip6_t *dst, const uint8_t *m, size_t len)
{
    uint8_t ph[40] = {0};
    memcpy(ph, src->b, 16);
    memcpy(ph + 16, dst->b, 16);
    ph[34] = (uint8_t)(len >> 8);
    ph[35] = (uint8_t)len;
    ph[39] = 58;
    return (uint16_t)~csum_ref(csum_ref(0, ph, sizeof ph), m, len);
}

/* Ethernet, IPv6 (hop limit 1, Next Header 0), Router Alert, the message. */
static size_t frame_around(uint8_t *f, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *msg, size_t mlen)
{
    nst_put16(msg + 2, icmp6_sum(src, dst, msg, mlen));
    static const uint8_t eth_src[6] = {2, 0, 0, 0, 0, 1};
    uint8_t eth_dst[6] = {0x33, 0x33, dst->b[12], dst->b[13], dst->b[14], dst->b[15]};
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, eth_src, 6);
    f[12] = 0x86;
    f[13] = 0xdd;
    uint8_t *ip = f + 14;
    memset(ip, 0, 40);
    ip[0] = 0x60;
    nst_put16(ip + 4, (uint16_t)(8 + mlen));
    ip[6] = 0; /* Hop-by-Hop Options */
    ip[7] = 1;
    memcpy(ip + 8, src->b, 16);
    memcpy(ip + 24, dst->b, 16);
    static const uint8_t hbh[8] = {58, 0, 5, 2, 0, 0, 1, 0};
    memcpy(ip + 40, hbh, 8);
    memcpy(ip + 48, msg, mlen);
    return 14 + 48 + mlen;
}

static size_t want_v2(uint8_t *f, const nst_ip6_t *src, int n, const struct rec *r)
{
    uint8_t m[600] = {143, 0, 0, 0, 0, 0, 0, (uint8_t)n};
    size_t at = 8;
    for (int i = 0; i < n; i++) {
        m[at] = r[i].type;
        m[at + 3] = (uint8_t)r[i].n_sources;
        nst_ip6_t g = su6_addr(r[i].group);
        memcpy(m + at + 4, g.b, 16);
        at += 20;
        for (int k = 0; k < r[i].n_sources; k++, at += 16) {
            nst_ip6_t s = su6_addr(r[i].sources[k]);
            memcpy(m + at, s.b, 16);
        }
    }
    nst_ip6_t dst = su6_addr("ff02::16");
    return frame_around(f, src, &dst, m, at);
}

static size_t want_v1(uint8_t *f, const nst_ip6_t *src, uint8_t type, const char *group)
{
    uint8_t m[24] = {type};
    nst_ip6_t g = su6_addr(group), dst = type == NST_ICMP6_MLD_DONE ? su6_addr("ff02::2") : g;
    memcpy(m + 8, g.b, 16);
    return frame_around(f, src, &dst, m, sizeof m);
}

static void check_frame(struct host *h, size_t i, nst_time_t at, const uint8_t *want, size_t len)
{
    CHECK(i < h->tap.n);
    if (i >= h->tap.n)
        return;
    CHECK_EQ(h->tap.v[i].at, at);
    CHECK_EQ(h->tap.v[i].len, len);
    if (h->tap.v[i].len == len)
        CHECK_MEM(h->tap.v[i].data, want, len);
}

static void check_v2(struct host *h, size_t i, nst_time_t at, const nst_ip6_t *src, int n, const struct rec *r)
{
    uint8_t f[700];
    size_t len = want_v2(f, src, n, r);
    check_frame(h, i, at, f, len);
}

static void check_v1(struct host *h, size_t i, nst_time_t at, uint8_t type, const char *group)
{
    uint8_t f[100];
    size_t len = want_v1(f, &h->ll, type, group);
    check_frame(h, i, at, f, len);
}

static int is_ns(struct host *h, size_t i)
{
    struct su6_parsed p;
    return i < h->tap.n && su6_parse(h->tap.v[i].data, h->tap.v[i].len, &p) == 0 && p.nd_ok &&
           p.icmp.type == NST_ICMP6_NEIGHBOR_SOLICIT;
}

/* ---- queries in ------------------------------------------------------------- */

struct query {
    int version;
    const char *group;   /* NULL: a General Query */
    uint32_t max_ms;
    int n_sources;
    const char *sources[10];
    uint8_t hop_limit;   /* 0: 1 */
    const char *src;     /* NULL: fe80::1 */
    const char *dst;     /* NULL: ff02::1 */
    int no_router_alert;
    size_t len;          /* 0: the message's own */
};

static void inject_query(struct host *h, const struct query *q)
{
    uint8_t srcs[10 * 16];
    for (int i = 0; i < q->n_sources; i++) {
        nst_ip6_t s = su6_addr(q->sources[i]);
        memcpy(srcs + 16 * i, s.b, 16);
    }
    struct nst_mld_query mq = {.version = (uint8_t)q->version, .max_resp_ms = q->max_ms, .qrv = 2, .qqi_s = 125,
                               .n_sources = (uint16_t)q->n_sources, .sources = srcs};
    if (q->group)
        mq.group = su6_addr(q->group);
    struct su6_ip ip = {.eth_src = su_mac(9), .src = su6_addr(q->src ? q->src : "fe80::1"),
                        .dst = su6_addr(q->dst ? q->dst : "ff02::1"), .hop_limit = q->hop_limit ? q->hop_limit : 1};
    nst_ip6_mcast_mac(&ip.dst, &ip.eth_dst);
    uint8_t msg[200], f[400];
    int n = nst_mld_query_emit(&mq, &ip.src, &ip.dst, msg, sizeof msg);
    CHECK(n > 0);
    uint8_t hbh[8];
    nst_mld_hbh_emit(58, hbh);
    if (!q->no_router_alert) {
        ip.next_header = 0;
        ip.ext = hbh;
        ip.ext_len = 8;
    } else {
        ip.next_header = 58;
    }
    size_t mlen = q->len ? q->len : (size_t)n;
    if (q->len) { /* a cut or stretched message, its checksum made right */
        memset(msg + n, 0, sizeof msg - (size_t)n);
        msg[2] = msg[3] = 0;
        nst_put16(msg + 2, icmp6_sum(&ip.src, &ip.dst, msg, mlen));
    }
    size_t len = su6_build(f, &ip, msg, mlen);
    su_tap_inject(&h->tap, f, len, h->now);
}

/* A peer's MLDv1 Report for group, to the group. */
static void inject_v1_report(struct host *h, const char *group)
{
    nst_ip6_t g = su6_addr(group), src = su6_addr("fe80::77");
    struct nst_mld_v1 m = {.type = NST_ICMP6_MLD_REPORT, .group = g};
    uint8_t msg[24], f[200], hbh[8];
    CHECK_EQ(nst_mld_v1_emit(&m, &src, &g, msg, sizeof msg), 24);
    nst_mld_hbh_emit(58, hbh);
    struct su6_ip ip = {.eth_src = su_mac(7), .src = src, .dst = g, .hop_limit = 1, .ext = hbh, .ext_len = 8};
    nst_ip6_mcast_mac(&g, &ip.eth_dst);
    size_t len = su6_build(f, &ip, msg, sizeof msg);
    su_tap_inject(&h->tap, f, len, h->now);
}

/* ---- tests ---------------------------------------------------------------------- */

static const nst_ip6_t unspec;
#define SN1 "ff02::1:ff00:1" /* fe80::ff:fe00:1 and 2001:db8::1 share it */

static void test_dad_reports_first(void)
{
    struct host h;
    host_up(&h);
    CHECK_EQ(h.tap.n, 0u); /* nothing before the random delay: all-nodes is never reported */
    nst_time_t again = draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(10));
    CHECK_EQ(h.tap.n, 3u);
    struct rec join = {NST_MLD_CHANGE_TO_EXCLUDE, SN1};
    check_v2(&h, 0, h.dad, &unspec, 1, &join); /* from :: (RFC 3590 4): the address is tentative */
    CHECK(is_ns(&h, 1));
    CHECK_EQ(h.tap.v[1].at, h.dad);            /* the solicitation right after the report */
    check_v2(&h, 2, h.dad + again, &unspec, 1, &join);
    CHECK(again < NST_SEC(1));
    CHECK_EQ(S(h.st)->mld_tx_reports, 2u);
    CHECK_EQ(S(h.st)->mld_tx_change_records, 2u);
    host_down(&h);
}

/* A second address of the same solicited-node group adds no report; a new
 * group is joined at its DAD and left when its address goes; the group
 * shared stays while the link-local address holds it. */
static void test_groups_and_leaves(void)
{
    struct host h;
    host_up(&h);
    draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(10));
    su_tap_clear(&h.tap);
    nst_ip6_t a1 = su6_addr("2001:db8::1"), a2 = su6_addr("2001:db8::abcd");
    sync_rng(&h);
    CHECK_EQ(nst_iface_addr6_add(h.st, 0, &a1, 64), 0);
    nst_time_t dad1 = h.now + draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(20));
    CHECK_EQ(h.tap.n, 1u); /* the DAD solicitation alone */
    CHECK(is_ns(&h, 0));
    CHECK_EQ(h.tap.v[0].at, dad1);
    su_tap_clear(&h.tap);

    sync_rng(&h);
    CHECK_EQ(nst_iface_addr6_add(h.st, 0, &a2, 64), 0);
    nst_time_t dad2 = h.now + draw(&h, NST_SEC(1));
    nst_time_t again = draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(30));
    CHECK_EQ(h.tap.n, 3u);
    struct rec join = {NST_MLD_CHANGE_TO_EXCLUDE, "ff02::1:ff00:abcd"};
    check_v2(&h, 0, dad2, &h.ll, 1, &join); /* from the link-local address now */
    CHECK(is_ns(&h, 1));
    check_v2(&h, 2, dad2 + again, &h.ll, 1, &join);

    /* A General Query: both groups, MODE_IS_EXCLUDE({}), after the delay. */
    su_tap_clear(&h.tap);
    sync_rng(&h);
    nst_time_t d = draw(&h, NST_MSEC(10000));
    inject_query(&h, &(struct query){.version = 2, .max_ms = 10000});
    run_until(&h, NST_SEC(50));
    CHECK_EQ(h.tap.n, 1u);
    struct rec both[2] = {{NST_MLD_MODE_IS_EXCLUDE, SN1}, {NST_MLD_MODE_IS_EXCLUDE, "ff02::1:ff00:abcd"}};
    check_v2(&h, 0, NST_SEC(30) + d, &h.ll, 2, both);
    CHECK_EQ(S(h.st)->mld_rx_general_queries, 1u);
    CHECK_EQ(S(h.st)->mld_tx_current_records, 2u);

    /* The address goes: CHANGE_TO_INCLUDE({}) at once and once more. */
    su_tap_clear(&h.tap);
    sync_rng(&h);
    CHECK_EQ(nst_iface_addr6_del(h.st, 0, &a2), 0);
    again = draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(60));
    struct rec leave = {NST_MLD_CHANGE_TO_INCLUDE, "ff02::1:ff00:abcd"};
    CHECK_EQ(h.tap.n, 2u);
    check_v2(&h, 0, NST_SEC(50), &h.ll, 1, &leave);
    check_v2(&h, 1, NST_SEC(50) + again, &h.ll, 1, &leave);
    /* 2001:db8::1 goes, the link-local address still holds SN1: no report. */
    su_tap_clear(&h.tap);
    CHECK_EQ(nst_iface_addr6_del(h.st, 0, &a1), 0);
    run_until(&h, NST_SEC(70));
    CHECK_EQ(h.tap.n, 0u);
    /* and a General Query is answered with SN1 alone */
    sync_rng(&h);
    d = draw(&h, NST_MSEC(1000));
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000});
    run_until(&h, NST_SEC(80));
    CHECK_EQ(h.tap.n, 1u);
    check_v2(&h, 0, NST_SEC(70) + d, &h.ll, 1, both);
    host_down(&h);
}

static void test_bad_queries(void)
{
    struct host h;
    host_up(&h);
    draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(10));
    su_tap_clear(&h.tap);
    uint64_t before = h.st->rng.s[0];
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .hop_limit = 2});
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .hop_limit = 255});
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .src = "2001:db8::9"});
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .src = "::"});
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .no_router_alert = 1});
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .len = 26});
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000, .group = "ff02::1:ff00:9"}); /* not ours */
    run_until(&h, NST_SEC(100));
    CHECK_EQ(h.tap.n, 0u);
    CHECK_EQ(S(h.st)->mld_rx_queries, 7u);
    CHECK_EQ(S(h.st)->mld_rx_bad_hop_limit, 2u);
    CHECK_EQ(S(h.st)->mld_rx_bad_source, 2u);
    CHECK_EQ(S(h.st)->mld_rx_no_router_alert, 1u);
    CHECK_EQ(S(h.st)->mld_rx_bad_length, 1u);
    CHECK_EQ(S(h.st)->mld_rx_query_not_joined, 1u);
    CHECK_EQ(S(h.st)->mld_tx_reports, 2u); /* the two of DAD */
    CHECK_EQ(h.st->rng.s[0], before);      /* nothing drawn for them */
    host_down(&h);
}

/* RFC 3810 6.2: a group's query, and one naming sources merged with the
 * next (the earlier time, the sources of both); a General Query due first
 * covers a later group query (rule 1). */
static void test_specific_queries(void)
{
    struct host h;
    host_up(&h);
    draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(10));
    su_tap_clear(&h.tap);
    sync_rng(&h);
    nst_time_t d = draw(&h, NST_MSEC(2000));
    inject_query(&h, &(struct query){.version = 2, .group = SN1, .dst = SN1, .max_ms = 2000});
    run_until(&h, NST_SEC(20));
    struct rec is_ex = {NST_MLD_MODE_IS_EXCLUDE, SN1};
    CHECK_EQ(h.tap.n, 1u);
    check_v2(&h, 0, NST_SEC(10) + d, &h.ll, 1, &is_ex);
    CHECK_EQ(S(h.st)->mld_rx_group_queries, 1u);

    su_tap_clear(&h.tap);
    sync_rng(&h);
    nst_time_t d1 = draw(&h, NST_MSEC(5000));
    inject_query(&h, &(struct query){.version = 2, .group = SN1, .dst = SN1, .max_ms = 5000, .n_sources = 2,
                                     .sources = {"2001:db8::a", "2001:db8::b"}});
    run_until(&h, NST_SEC(20) + NST_MSEC(1));
    sync_rng(&h);
    nst_time_t d2 = NST_MSEC(1) + draw(&h, NST_MSEC(5000));
    inject_query(&h, &(struct query){.version = 2, .group = SN1, .dst = SN1, .max_ms = 5000, .n_sources = 2,
                                     .sources = {"2001:db8::b", "2001:db8::c"}});
    run_until(&h, NST_SEC(30));
    CHECK_EQ(h.tap.n, 1u);
    struct rec is_in = {NST_MLD_MODE_IS_INCLUDE, SN1, 3, {"2001:db8::a", "2001:db8::b", "2001:db8::c"}};
    check_v2(&h, 0, NST_SEC(20) + (d1 < d2 ? d1 : d2), &h.ll, 1, &is_in);
    CHECK_EQ(S(h.st)->mld_rx_source_queries, 2u);

    /* More sources than a pending answer holds: the answer is about the group. */
    su_tap_clear(&h.tap);
    sync_rng(&h);
    d = draw(&h, NST_MSEC(1000));
    inject_query(&h, &(struct query){.version = 2, .group = SN1, .dst = SN1, .max_ms = 1000, .n_sources = 9,
                                     .sources = {"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4",
                                                 "2001:db8::5", "2001:db8::6", "2001:db8::7", "2001:db8::8",
                                                 "2001:db8::9"}});
    run_until(&h, NST_SEC(40));
    CHECK_EQ(h.tap.n, 1u);
    check_v2(&h, 0, NST_SEC(30) + d, &h.ll, 1, &is_ex);
    CHECK_EQ(S(h.st)->mld_sources_overflow, 1u);

    /* Rule 1: the General Query's answer is due first; the group query adds nothing. */
    su_tap_clear(&h.tap);
    sync_rng(&h);
    d = draw(&h, NST_MSEC(100));
    inject_query(&h, &(struct query){.version = 2, .max_ms = 100});
    run_until(&h, NST_SEC(40) + NST_MSEC(1));
    sync_rng(&h);
    nst_time_t dg = draw(&h, NST_MSEC(60000));
    CHECK(NST_MSEC(1) + dg > d); /* this seed's draw: the group's answer would come later */
    inject_query(&h, &(struct query){.version = 2, .group = SN1, .dst = SN1, .max_ms = 60000});
    run_until(&h, NST_SEC(200));
    CHECK_EQ(h.tap.n, 1u);
    check_v2(&h, 0, NST_SEC(40) + d, &h.ll, 1, &is_ex);
    host_down(&h);
}

/* RFC 3810 8.2.1 and RFC 2710: an MLDv1 querier. */
static void test_v1_querier(void)
{
    struct host h;
    host_up(&h);
    draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(10));
    su_tap_clear(&h.tap);
    sync_rng(&h);
    nst_time_t d = draw(&h, NST_MSEC(3000));
    inject_query(&h, &(struct query){.version = 1, .max_ms = 3000});
    run_until(&h, NST_SEC(20));
    CHECK_EQ(S(h.st)->mld_v1_querier_present, 1u);
    CHECK_EQ(S(h.st)->mld_rx_v1_queries, 1u);
    CHECK_EQ(h.tap.n, 1u);
    check_v1(&h, 0, NST_SEC(10) + d, NST_ICMP6_MLD_REPORT, SN1);

    /* Another listener answers first: ours is not sent (RFC 2710 4). */
    su_tap_clear(&h.tap);
    sync_rng(&h);
    d = draw(&h, NST_MSEC(10000));
    inject_query(&h, &(struct query){.version = 1, .max_ms = 10000});
    CHECK(d > NST_MSEC(1)); /* this seed's draw: the peer's report comes before ours */
    run_until(&h, NST_SEC(20) + NST_MSEC(1));
    inject_v1_report(&h, SN1);
    run_until(&h, NST_SEC(40));
    CHECK_EQ(h.tap.n, 0u);
    CHECK_EQ(S(h.st)->mld_v1_suppressed, 1u);

    /* A new group in MLDv1: Reports to the group; its leave one Done to ff02::2. */
    nst_ip6_t a2 = su6_addr("2001:db8::abcd");
    sync_rng(&h);
    CHECK_EQ(nst_iface_addr6_add(h.st, 0, &a2, 64), 0);
    nst_time_t dad = h.now + draw(&h, NST_SEC(1));
    nst_time_t again = draw(&h, NST_SEC(1));
    run_until(&h, NST_SEC(50));
    CHECK_EQ(h.tap.n, 3u);
    check_v1(&h, 0, dad, NST_ICMP6_MLD_REPORT, "ff02::1:ff00:abcd");
    CHECK(is_ns(&h, 1));
    check_v1(&h, 2, dad + again, NST_ICMP6_MLD_REPORT, "ff02::1:ff00:abcd");
    su_tap_clear(&h.tap);
    CHECK_EQ(nst_iface_addr6_del(h.st, 0, &a2), 0);
    run_until(&h, NST_SEC(60));
    CHECK_EQ(h.tap.n, 1u);
    check_v1(&h, 0, NST_SEC(50), NST_ICMP6_MLD_DONE, "ff02::1:ff00:abcd");
    CHECK_EQ(S(h.st)->mld_tx_v1_done, 1u);

    /* An MLDv2 query while the MLDv1 querier is present: answered in MLDv1. */
    su_tap_clear(&h.tap);
    sync_rng(&h);
    d = draw(&h, NST_MSEC(1000));
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000});
    run_until(&h, NST_SEC(70));
    CHECK_EQ(h.tap.n, 1u);
    check_v1(&h, 0, NST_SEC(60) + d, NST_ICMP6_MLD_REPORT, SN1);
    /* The last MLDv1 query came at 20 s: MLDv1 until 20 + 2 x 125 + 10 = 280 s
     * (the Older Version Querier Present Timeout), MLDv2 from then on. */
    su_tap_clear(&h.tap);
    run_until(&h, NST_SEC(280));
    sync_rng(&h);
    d = draw(&h, NST_MSEC(1000));
    inject_query(&h, &(struct query){.version = 2, .max_ms = 1000});
    run_until(&h, NST_SEC(290));
    CHECK_EQ(h.tap.n, 1u);
    struct rec is_ex = {NST_MLD_MODE_IS_EXCLUDE, SN1};
    check_v2(&h, 0, NST_SEC(280) + d, &h.ll, 1, &is_ex);
    host_down(&h);
}

int main(void)
{
    RUN(test_dad_reports_first);
    RUN(test_groups_and_leaves);
    RUN(test_bad_queries);
    RUN(test_specific_queries);
    RUN(test_v1_querier);
    return nst_test_done();
}
