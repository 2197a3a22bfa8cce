/* Multicast Listener Discovery, the listener's part (RFC 3810; RFC 2710's
 * MLDv1 when an older querier is present, RFC 3810 8): the groups each
 * interface listens to are reported so that routers, and switches that
 * snoop MLD, send their traffic our way. Every group is listened to in
 * EXCLUDE mode with no source excluded (any source: nstack has no
 * source-specific sockets), so a join is a CHANGE_TO_EXCLUDE({}) record
 * and a leave a CHANGE_TO_INCLUDE({}) one (RFC 3810 6.1).
 *
 * One timer per interface, at the earliest of: the next state-change
 * report (retransmissions), the answer to a General Query, the answers to
 * queries about single groups. */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "ip6/ip6_impl.h"
#include "wire/mld.h"

/* RFC 3810 9.1, 9.11; 8.2.1 (Older Version Querier Present Timeout:
 * Robustness x Query Interval + Query Response Interval, with the
 * defaults of 9.2 and 9.3 since an MLDv1 query carries none of them). */
#define MLD_ROBUSTNESS 2
#define MLD_UNSOLICITED_REPORT_INTERVAL NST_SEC(1)
#define MLD_QUERY_INTERVAL NST_SEC(125)
#define MLD_QUERY_RESPONSE_INTERVAL NST_SEC(10)

/* The room for records in one report: every link carries 1280 bytes
 * (RFC 3810 5.2.15: records that do not fit go in further reports). */
#define MLD_REPORT_MAX (NST_IPV6_MIN_MTU - NST_IPV6_HLEN - NST_MLD_HBH_LEN)

static const nst_ip6_t all_mld_routers = {{0xff, 0x02, [15] = 0x16}}; /* RFC 3810 5.2.14 */
static const nst_ip6_t all_routers = {{0xff, 0x02, [15] = 0x02}};     /* RFC 2710 3: Done */

static int v1_mode(const struct nst_stack *st, const struct nst_ip6_iface *ifc) { return ifc->mld_v1_until > st->now; }

/* RFC 3810 6: the all-nodes group is never reported, nor a group of
 * reserved or interface-local scope (it never leaves the node). */
static int reportable(const nst_ip6_t *g)
{
    static const nst_ip6_t all_nodes = {{0xff, 0x02, [15] = 0x01}};
    return nst_ip6_mcast_scope(g) > 1 && !nst_ip6_eq(g, &all_nodes);
}

static nst_time_t random_below(struct nst_stack *st, nst_time_t max)
{
    return max > 0 ? (nst_time_t)nst_rng_below(&st->rng, (uint64_t)max) : 0;
}

static int ifindex_of(const struct nst_stack *st, const struct nst_ip6_iface *ifc) { return (int)(ifc - st->ip6->ifs); }

static void rearm(struct nst_stack *st, struct nst_ip6_iface *ifc)
{
    nst_time_t next = ifc->mld_general_due < ifc->mld_change_due ? ifc->mld_general_due : ifc->mld_change_due;
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++)
        if (ifc->groups[i].refs && ifc->groups[i].mld_query_due < next)
            next = ifc->groups[i].mld_query_due;
    if (next == NST_TIME_NEVER)
        nst_timer_cancel(st, &ifc->mld_timer);
    else
        nst_timer_arm(st, &ifc->mld_timer, next);
}

/* ---- sending ---------------------------------------------------------------- */

/* RFC 3810 5.2.13 (RFC 2710 3): from the link-local address, or from ::
 * while there is none usable yet (RFC 3590 4: during DAD); hop limit 1;
 * a Router Alert (RFC 2711) so that routers look at it. */
static void mld_source(struct nst_stack *st, int ifindex, nst_ip6_t *src)
{
    const struct nst_ip6_addr *ll = nst_ip6_link_local(st, ifindex);
    if (ll)
        *src = ll->addr;
    else
        memset(src, 0, sizeof(*src));
}

static int send_msg(struct nst_stack *st, int ifindex, const uint8_t *msg, size_t len, const nst_ip6_t *src,
                    const nst_ip6_t *dst)
{
    if (st->dying)
        return -ENETDOWN;
    struct nst_pkt *p = nst_pkt_alloc(st, NST_MLD_HBH_LEN + len);
    if (!p) {
        NST_STAT_INC(st, mld, tx_failed);
        return -ENOMEM;
    }
    uint8_t *d = nst_pkt_data(p);
    nst_mld_hbh_emit(NST_IP6_NH_ICMPV6, d);
    memcpy(d + NST_MLD_HBH_LEN, msg, len);
    NST_STAT_INC(st, icmp6, tx_msgs);
    nst_ip6_push_header(st, p, src, dst, NST_IP6_NH_HOPOPTS, 1, 0);
    int err = nst_ip6_send_packet(st, p, ifindex, dst);
    if (err < 0)
        NST_STAT_INC(st, mld, tx_failed);
    return err;
}

/* MLDv2 reports of the records, as many as it takes, to ff02::16. */
static void send_v2(struct nst_stack *st, int ifindex, const struct nst_mld_record *recs, unsigned n)
{
    nst_ip6_t src;
    mld_source(st, ifindex, &src);
    uint8_t buf[MLD_REPORT_MAX];
    unsigned first = 0;
    while (first < n) {
        size_t room = MLD_REPORT_MAX - NST_MLD_V2_REPORT_MIN;
        unsigned k = 0;
        while (first + k < n && nst_mld_record_len(recs[first + k].n_sources) <= room) {
            room -= nst_mld_record_len(recs[first + k].n_sources);
            k++;
        }
        int len = nst_mld_report_emit(recs + first, k, &src, &all_mld_routers, buf, sizeof buf);
        if (len < 0 || k == 0)
            return; /* cannot happen: a record holds at most NST_MLD_MAX_SOURCES sources */
        NST_STAT_INC(st, mld, tx_reports);
        send_msg(st, ifindex, buf, (size_t)len, &src, &all_mld_routers);
        first += k;
    }
}

/* RFC 2710 3: a Report goes to the group itself, a Done to all-routers. */
static void send_v1(struct nst_stack *st, int ifindex, uint8_t type, const nst_ip6_t *group)
{
    nst_ip6_t src;
    mld_source(st, ifindex, &src);
    const nst_ip6_t *dst = type == NST_ICMP6_MLD_DONE ? &all_routers : group;
    struct nst_mld_v1 m = {.type = type, .group = *group};
    uint8_t buf[NST_MLD_V1_LEN];
    int len = nst_mld_v1_emit(&m, &src, dst, buf, sizeof buf);
    if (len < 0)
        return;
    if (type == NST_ICMP6_MLD_DONE)
        NST_STAT_INC(st, mld, tx_v1_done);
    else
        NST_STAT_INC(st, mld, tx_v1_reports);
    send_msg(st, ifindex, buf, (size_t)len, &src, dst);
}

/* ---- state changes (RFC 3810 6.1) ------------------------------------------- */

/* A State Change Report of every change still owed, each transmission
 * counted; again after a random time below the Unsolicited Report
 * Interval while any is owed. In MLDv1 mode a join is a Report, a leave
 * one Done (RFC 2710 4 sends it once). */
static void send_changes(struct nst_stack *st, struct nst_ip6_iface *ifc)
{
    int ifindex = ifindex_of(st, ifc);
    struct nst_mld_record recs[NST_IP6_MAX_GROUPS];
    unsigned n = 0;
    int v1 = v1_mode(st, ifc), owed = 0;
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
        struct nst_ip6_group *g = &ifc->groups[i];
        if (!g->mld_change_left)
            continue;
        g->mld_change_left--;
        if (v1) {
            int done = g->mld_change == NST_MLD_CHANGE_TO_INCLUDE;
            send_v1(st, ifindex, done ? NST_ICMP6_MLD_DONE : NST_ICMP6_MLD_REPORT, &g->addr);
            if (done)
                g->mld_change_left = 0;
        } else {
            recs[n++] = (struct nst_mld_record){.type = g->mld_change, .group = g->addr};
        }
        owed |= g->mld_change_left > 0;
    }
    if (n) {
        NST_STAT_ADD(st, mld, tx_change_records, n);
        send_v2(st, ifindex, recs, n);
    }
    ifc->mld_change_due = owed ? st->now + random_below(st, MLD_UNSOLICITED_REPORT_INTERVAL) : NST_TIME_NEVER;
    rearm(st, ifc);
}

/* A change of g's state: its record replaces any still owed for it (RFC
 * 3810 6.1: the newest state is what counts) and a report goes at once. */
static void state_change(struct nst_stack *st, int ifindex, struct nst_ip6_group *g, uint8_t type)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    g->mld_change = type;
    g->mld_change_left = ifc->mld_robustness;
    send_changes(st, ifc);
}

void nst_mld_listen(struct nst_stack *st, int ifindex, struct nst_ip6_group *g)
{
    if (!st->cfg.ip6_mld || !g || g->mld_listening || !reportable(&g->addr))
        return;
    g->mld_listening = 1;
    state_change(st, ifindex, g, NST_MLD_CHANGE_TO_EXCLUDE);
}

void nst_mld_left(struct nst_stack *st, int ifindex, struct nst_ip6_group *g)
{
    g->mld_query_due = NST_TIME_NEVER;
    if (!st->cfg.ip6_mld || !g->mld_listening)
        return;
    g->mld_listening = 0;
    state_change(st, ifindex, g, NST_MLD_CHANGE_TO_INCLUDE);
}

/* ---- answers to queries (RFC 3810 6.2, 6.3) --------------------------------- */

/* Current State Records: MODE_IS_EXCLUDE({}) for a group asked about as a
 * whole; for a query naming sources, MODE_IS_INCLUDE of them (6.3: the
 * queried sources minus those excluded, and none is). */
static void current_record(const struct nst_ip6_group *g, struct nst_mld_record *r)
{
    *r = (struct nst_mld_record){.type = NST_MLD_MODE_IS_EXCLUDE, .group = g->addr};
    if (g->mld_n_sources != NST_MLD_ALL_SOURCES) {
        r->type = NST_MLD_MODE_IS_INCLUDE;
        r->n_sources = g->mld_n_sources;
        r->sources = g->mld_sources[0].b;
    }
}

static void mld_timer_fired(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_ip6_iface *ifc = NST_CONTAINER_OF(t, struct nst_ip6_iface, mld_timer);
    int ifindex = ifindex_of(st, ifc);
    struct nst_mld_record recs[NST_IP6_MAX_GROUPS];
    unsigned n = 0;
    if (ifc->mld_general_due <= st->now) {
        /* 6.3: the whole state of the interface. */
        ifc->mld_general_due = NST_TIME_NEVER;
        for (int i = 0; i < NST_IP6_MAX_GROUPS; i++)
            if (ifc->groups[i].refs && ifc->groups[i].mld_listening)
                recs[n++] = (struct nst_mld_record){.type = NST_MLD_MODE_IS_EXCLUDE, .group = ifc->groups[i].addr};
        NST_STAT_ADD(st, mld, tx_current_records, n);
        send_v2(st, ifindex, recs, n);
        n = 0;
    }
    for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
        struct nst_ip6_group *g = &ifc->groups[i];
        if (!g->refs || g->mld_query_due > st->now)
            continue;
        g->mld_query_due = NST_TIME_NEVER;
        if (!g->mld_listening)
            continue;
        if (v1_mode(st, ifc))
            send_v1(st, ifindex, NST_ICMP6_MLD_REPORT, &g->addr);
        else
            current_record(g, &recs[n++]);
    }
    if (n) {
        NST_STAT_ADD(st, mld, tx_current_records, n);
        send_v2(st, ifindex, recs, n);
    }
    if (ifc->mld_change_due <= st->now) {
        send_changes(st, ifc);
        return;
    }
    rearm(st, ifc);
}

/* Adds a query's sources to those g's pending answer will name; more than
 * it can hold and the answer is about the whole group, which asks for no
 * less than the query did. */
static void add_sources(struct nst_stack *st, struct nst_ip6_group *g, const struct nst_mld_query *q)
{
    for (unsigned i = 0; i < q->n_sources && g->mld_n_sources != NST_MLD_ALL_SOURCES; i++) {
        nst_ip6_t s;
        nst_mld_query_source(q, i, &s);
        int have = 0;
        for (unsigned j = 0; j < g->mld_n_sources && !have; j++)
            have = nst_ip6_eq(&g->mld_sources[j], &s);
        if (have)
            continue;
        if (g->mld_n_sources == NST_MLD_MAX_SOURCES) {
            NST_STAT_INC(st, mld, sources_overflow);
            g->mld_n_sources = NST_MLD_ALL_SOURCES;
            break;
        }
        g->mld_sources[g->mld_n_sources++] = s;
    }
}

/* RFC 3810 6.2's five rules for an MLDv2 query. */
static void query_v2(struct nst_stack *st, struct nst_ip6_iface *ifc, struct nst_ip6_group *g,
                     const struct nst_mld_query *q)
{
    nst_time_t due = st->now + random_below(st, NST_MSEC(q->max_resp_ms));
    /* 5.1.8, 9.1: the querier's robustness, when it says one (as Linux). */
    if (q->qrv)
        ifc->mld_robustness = q->qrv;
    /* Rule 1: an answer to a General Query due sooner covers it all. */
    if (ifc->mld_general_due <= due)
        return;
    if (!g) { /* rule 2 */
        ifc->mld_general_due = due;
        return;
    }
    if (g->mld_query_due == NST_TIME_NEVER) { /* rule 3 */
        g->mld_query_due = due;
        g->mld_n_sources = q->n_sources ? 0 : NST_MLD_ALL_SOURCES;
        add_sources(st, g, q);
        return;
    }
    /* Rules 4 and 5: one answer, at the earlier time; about the whole
     * group if either query was, else about both queries' sources. */
    if (due < g->mld_query_due)
        g->mld_query_due = due;
    if (!q->n_sources)
        g->mld_n_sources = NST_MLD_ALL_SOURCES;
    else
        add_sources(st, g, q);
}

/* RFC 2710 4: one report per group, each after its own random delay; a
 * running delay is shortened, never lengthened. */
static void query_v1_group(struct nst_stack *st, struct nst_ip6_group *g, uint32_t max_ms)
{
    nst_time_t due = st->now + random_below(st, NST_MSEC(max_ms));
    if (due < g->mld_query_due)
        g->mld_query_due = due;
    g->mld_n_sources = NST_MLD_ALL_SOURCES;
}

/* RFC 3810 8.2.1: an MLDv1 querier: MLDv1 from now on until the Older
 * Version Querier Present Timeout passes without another; what MLDv2 had
 * pending is cancelled. */
static void enter_v1(struct nst_stack *st, struct nst_ip6_iface *ifc)
{
    if (!v1_mode(st, ifc)) {
        NST_STAT_INC(st, mld, v1_querier_present);
        ifc->mld_general_due = ifc->mld_change_due = NST_TIME_NEVER;
        for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
            ifc->groups[i].mld_query_due = NST_TIME_NEVER;
            ifc->groups[i].mld_change_left = 0;
        }
    }
    ifc->mld_v1_until = st->now + ifc->mld_robustness * MLD_QUERY_INTERVAL + MLD_QUERY_RESPONSE_INTERVAL;
}

/* RFC 3810 5.1.14, 6.2 (and RFC 2710 3): a query comes from a link-local
 * address with hop limit 1 and a Router Alert; any other is discarded. */
static int query_valid(struct nst_stack *st, const struct nst_ip_rx *rx)
{
    const struct nst_ipv6_repr *h = &rx->hdr6;
    if (h->hop_limit != 1) {
        NST_STAT_INC(st, mld, rx_bad_hop_limit);
        return 0;
    }
    if (!nst_ip6_is_link_local(&h->src)) {
        NST_STAT_INC(st, mld, rx_bad_source);
        return 0;
    }
    struct nst_ipv6_ext ext;
    if (nst_ipv6_walk(rx->ip, h, &ext) < 0 || !ext.router_alert || ext.router_alert_value != NST_ROUTER_ALERT_MLD) {
        NST_STAT_INC(st, mld, rx_no_router_alert);
        return 0;
    }
    return 1;
}

static void query_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    NST_STAT_INC(st, mld, rx_queries);
    if (!query_valid(st, rx))
        return;
    struct nst_mld_query q;
    int err = nst_mld_query_parse(msg, len, &q);
    if (err < 0) {
        if (err == -NST_MLD_ERR_LENGTH)
            NST_STAT_INC(st, mld, rx_bad_length);
        else
            NST_STAT_INC(st, mld, rx_bad_group);
        return;
    }
    struct nst_ip6_iface *ifc = nst_ip6_if(st, rx->ifindex);
    int general = nst_ip6_is_unspecified(&q.group);
    struct nst_ip6_group *g = general ? NULL : nst_ip6_group_find(st, rx->ifindex, &q.group);
    if (general)
        NST_STAT_INC(st, mld, rx_general_queries);
    else if (q.n_sources)
        NST_STAT_INC(st, mld, rx_source_queries);
    else
        NST_STAT_INC(st, mld, rx_group_queries);
    if (!general && (!g || !g->mld_listening)) {
        NST_STAT_INC(st, mld, rx_query_not_joined); /* 6.3: no state for it, nothing to say */
        return;
    }
    if (q.version == 1) {
        NST_STAT_INC(st, mld, rx_v1_queries);
        enter_v1(st, ifc);
        for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
            struct nst_ip6_group *x = &ifc->groups[i];
            if (x->refs && x->mld_listening && (general || x == g))
                query_v1_group(st, x, q.max_resp_ms);
        }
    } else if (v1_mode(st, ifc)) {
        /* 8.2.1: while an MLDv1 querier is present, an MLDv2 query is
         * answered in MLDv1 too, by group. */
        for (int i = 0; i < NST_IP6_MAX_GROUPS; i++) {
            struct nst_ip6_group *x = &ifc->groups[i];
            if (x->refs && x->mld_listening && (general || x == g))
                query_v1_group(st, x, q.max_resp_ms);
        }
    } else {
        query_v2(st, ifc, g, &q);
    }
    rearm(st, ifc);
}

/* RFC 2710 4: in MLDv1 another listener's report for a group answers the
 * query for all of us: our pending report is not sent. MLDv2 has no such
 * suppression (RFC 3810 6.2), and its reports go to ff02::16, which a
 * listener does not join. */
static void report_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    NST_STAT_INC(st, mld, rx_reports);
    struct nst_mld_v1 m;
    struct nst_ip6_iface *ifc = nst_ip6_if(st, rx->ifindex);
    if (msg[0] != NST_ICMP6_MLD_REPORT || nst_mld_v1_parse(msg, len, &m) < 0 || !v1_mode(st, ifc))
        return;
    struct nst_ip6_group *g = nst_ip6_group_find(st, rx->ifindex, &m.group);
    if (g && g->mld_query_due != NST_TIME_NEVER) {
        NST_STAT_INC(st, mld, v1_suppressed);
        g->mld_query_due = NST_TIME_NEVER;
        rearm(st, ifc);
    }
}

void nst_mld_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *msg, size_t len)
{
    if (!st->cfg.ip6_mld) {
        NST_STAT_INC(st, icmp6, rx_other); /* as before: a message for no one here */
        return;
    }
    if (msg[0] == NST_ICMP6_MLD_QUERY)
        query_input(st, rx, msg, len);
    else
        report_input(st, rx, msg, len);
}

void nst_mld_iface_up(struct nst_stack *st, int ifindex)
{
    struct nst_ip6_iface *ifc = nst_ip6_if(st, ifindex);
    nst_timer_init(&ifc->mld_timer, mld_timer_fired);
    ifc->mld_general_due = ifc->mld_change_due = NST_TIME_NEVER;
    ifc->mld_v1_until = 0;
    ifc->mld_robustness = MLD_ROBUSTNESS;
}

void nst_mld_fini(struct nst_stack *st)
{
    for (int i = 0; i < NST_MAX_IFACES; i++)
        if (st->ip6->ifs[i].mld_timer.fn)
            nst_timer_cancel(st, &st->ip6->ifs[i].mld_timer);
}
