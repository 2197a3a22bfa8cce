/* The lab's CDN edge scenario (in nstack_app: TLS and HTTP), on a world of
 * its own:
 *
 *   user 10.0.4.2 --(1.25 ms)--+
 *     (London)                 |
 *                              r1 --(38.75 ms)-- origin 10.0.1.2 (New York)
 *   edge 10.0.6.2 --(1.25 ms)--+
 *     (London)
 *
 * The user is 5 ms (round trip) from the edge and 80 ms from the origin;
 * the edge is 80 ms from the origin. Every link has infinite bandwidth and
 * static neighbours, so each time below is a sum of round trips, exact to
 * the nanosecond.
 *
 * Direct: the user opens TCP + TLS 1.3 to New York and sends the request:
 * the first response byte arrives 3 round trips (SYN, ClientHello,
 * request) after the SYN, 240 ms; a kept-alive repeat takes one, 80 ms.
 * Through the edge: TLS ends at the edge (an nstack host running the
 * library's HTTPS server) and the edge forwards the request over its own
 * pooled HTTPS client to the origin. The first request through a cold edge
 * pays both handshakes (3 x 5 + 3 x 80 = 255 ms); once the edge holds a
 * warm connection to the origin, a new user pays the handshakes only on
 * the 5 ms hop (3 x 5 + 80 = 95 ms) and a repeat costs 5 + 80 = 85 ms.
 *
 * Time to first byte is read from the packets on the user's link (the
 * user's first segment of the request's exchange to the first response
 * segment delivered to the user), and checked against the client's own
 * timing and the computed sum. Servers send no session tickets (nothing
 * else rides the connection) and clients keep no sessions (every new
 * connection is a full handshake). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/lab.h>
#include <nstack/tls.h>

#include "lab/lab_app_internal.h"
#include "lab/lab_internal.h"
#include "wire/tcp.h"

#define HTTPS_PORT 443
#define USER_ADDR NST_IP4(10, 0, 4, 2)
#define EDGE_ADDR NST_IP4(10, 0, 6, 2)
#define ORIGIN_ADDR NST_IP4(10, 0, 1, 2)
#define SITE "www.shop.lab"
#define REQUESTS 3        /* per user: the first and two repeats */
#define SEG_MAX 4096      /* payload segments remembered on the user's link */
#define RELAY_BODY 4096   /* the most the edge buffers of an answer */

/* One-way delays: user - r1 - edge is 2.5 ms, user or edge - r1 - origin
 * is 40 ms. */
#define LAN_HOP NST_USEC(1250)
#define WAN_HOP NST_USEC(38750)
#define RTT_EDGE (4 * LAN_HOP)             /* 5 ms */
#define RTT_ORIGIN (2 * (LAN_HOP + WAN_HOP)) /* 80 ms */

/* ---- the world ---------------------------------------------------------- */

struct cdn_world {
    struct nst_world *w;
    struct nst_stack *user, *edge, *origin, *r1;
    struct nst_sim_link *user_link, *edge_link, *origin_link;
};

/* Joins host (addr/24) to the router (.1 of the same /24) with static
 * neighbours both ways and a default route on the host. */
static struct nst_sim_link *attach(struct cdn_world *c, struct nst_stack *host, nst_ip4_t addr, nst_time_t latency)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = latency;
    nst_ip4_t gw = (addr & ~(nst_ip4_t)0xff) | 1;
    struct nst_sim_link *l = nst_world_connect(c->w, host, addr, 24, c->r1, gw, 24, &lp);
    if (!l)
        return NULL;
    struct nst_iface_info h, r;
    int hi = nst_sim_link_ifindex(l, 0), ri = nst_sim_link_ifindex(l, 1);
    nst_iface_get(host, hi, &h);
    nst_iface_get(c->r1, ri, &r);
    if (nst_arp_add_static(host, hi, gw, &r.mac) || nst_arp_add_static(c->r1, ri, addr, &h.mac) ||
        nst_route_add(host, 0, 0, gw, hi, 0))
        return NULL;
    return l;
}

static int cdn_build(struct cdn_world *c, uint64_t seed)
{
    memset(c, 0, sizeof(*c));
    c->w = nst_world_new(seed);
    if (!c->w)
        return -1;
    struct nst_stack_config rc;
    nst_stack_config_default(&rc);
    rc.forwarding = 1;
    rc.name = "r1";
    c->user = nst_world_add_host(c->w, "user", NULL);
    c->edge = nst_world_add_host(c->w, "edge", NULL);
    c->origin = nst_world_add_host(c->w, "origin", NULL);
    c->r1 = nst_world_add_host(c->w, "r1", &rc);
    if (!c->user || !c->edge || !c->origin || !c->r1)
        return -1;
    c->user_link = attach(c, c->user, USER_ADDR, LAN_HOP);
    c->edge_link = attach(c, c->edge, EDGE_ADDR, LAN_HOP);
    c->origin_link = attach(c, c->origin, ORIGIN_ADDR, WAN_HOP);
    return c->user_link && c->edge_link && c->origin_link ? 0 : -1;
}

/* ---- the packets -------------------------------------------------------- */

/* Segments on a host's link: the host's own payload segments as it sends
 * them, the peers' payload segments as they reach it, and its SYNs. */
struct seg_event {
    nst_time_t t;
    int from_host; /* 1: offered by the host, 0: delivered to it */
};
struct seg_log {
    struct seg_event ev[SEG_MAX];
    int n;
    unsigned syns; /* SYNs (not SYN-ACKs) sent by the host or reaching it */
};

/* Side 0 of every link is the host (attach). */
static void log_frame(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f, size_t len)
{
    struct seg_log *l = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    int from_host = ev == NST_SIM_OFFERED && dir == 0, to_host = ev == NST_SIM_DELIVERED && dir == 1;
    if ((!from_host && !to_host) || !nst_lab_frame_tcp(f, len, &t, &payload))
        return;
    int syn = (t.flags & (NST_TCP_SYN | NST_TCP_ACK)) == NST_TCP_SYN;
    l->syns += syn;
    if ((payload || (syn && from_host)) && l->n < SEG_MAX)
        l->ev[l->n++] = (struct seg_event){now, from_host};
}

/* Time to first byte of the exchange in [from, to], from the user's
 * packets: its first segment (a SYN, or the request on a kept-alive
 * connection) to the first answer segment delivered after its last
 * payload segment (the request). -1 if the log does not show it. */
static nst_time_t ttfb_from_packets(const struct seg_log *l, nst_time_t from, nst_time_t to)
{
    nst_time_t first = -1, last_sent = -1;
    for (int i = 0; i < l->n && l->ev[i].t <= to; i++)
        if (l->ev[i].t >= from && l->ev[i].from_host) {
            if (first < 0)
                first = l->ev[i].t;
            last_sent = l->ev[i].t;
        }
    for (int i = 0; first >= 0 && i < l->n && l->ev[i].t <= to; i++)
        if (!l->ev[i].from_host && l->ev[i].t > last_sent)
            return l->ev[i].t - first;
    return -1;
}

/* ---- the servers -------------------------------------------------------- */

static void origin_page(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    static const char body[] = "hello from the origin in New York\n";
    nst_http_reply(x, 200, "text/plain", body, sizeof body - 1);
}

/* The edge: every request goes on to the origin over the edge's pooled
 * client; the answer comes back whole (store and forward). */
struct edge {
    struct nst_http_client *up;
};

struct relay {
    struct nst_http_exchange *x; /* NULL once the user's connection failed */
    int status;
    size_t len;
    uint8_t body[RELAY_BODY];
};

static void relay_abort(void *arg, struct nst_http_exchange *x)
{
    (void)x;
    ((struct relay *)arg)->x = NULL;
}

static void relay_head(void *arg, struct nst_http_call *c, const struct nst_http_response *r)
{
    (void)c;
    ((struct relay *)arg)->status = r->status;
}

static void relay_body(void *arg, struct nst_http_call *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct relay *r = arg;
    if (len > sizeof r->body - r->len)
        len = sizeof r->body - r->len; /* bounded: the lab's answers are small */
    memcpy(r->body + r->len, data, len);
    r->len += len;
}

static void relay_done(void *arg, struct nst_http_call *c, int err)
{
    (void)c;
    struct relay *r = arg;
    if (r->x) {
        static const char bad[] = "origin unreachable\n";
        if (err)
            nst_http_reply(r->x, 502, "text/plain", bad, sizeof bad - 1);
        else
            nst_http_reply(r->x, r->status, "text/plain", r->body, r->len);
    }
    free(r);
}

static void edge_page(void *arg, struct nst_http_exchange *x)
{
    struct edge *e = arg;
    struct relay *r = calloc(1, sizeof(*r));
    if (!r) {
        nst_http_reply(x, 503, "text/plain", "", 0);
        return;
    }
    r->x = x;
    static const struct nst_http_exchange_cbs xcbs = {.on_abort = relay_abort};
    nst_http_exchange_set_cbs(x, &xcbs, r);
    struct nst_http_client_request req = {.method = "GET", .scheme = "https", .addr = {ORIGIN_ADDR, HTTPS_PORT},
                                          .host = SITE, .target = nst_http_exchange_request(x)->target};
    static const struct nst_http_call_cbs cbs = {relay_head, relay_body, relay_done};
    if (nst_http_request_send(e->up, &req, &cbs, r, NULL) < 0) {
        nst_http_reply(x, 502, "text/plain", "", 0);
        free(r);
    }
}

static struct nst_http_server *https_server(struct nst_stack *st, struct nst_tls_ctx *tls, nst_http_handler fn,
                                            void *arg)
{
    int lfd = nst_lab_listen(st, HTTPS_PORT, 64);
    if (lfd < 0)
        return NULL;
    struct nst_http_server *sv = nst_http_server_new(st, lfd, tls, NULL);
    if (sv && nst_http_server_route(sv, NULL, "/", fn, arg)) {
        nst_http_server_free(sv);
        return NULL;
    }
    return sv;
}

/* ---- a user's visits ------------------------------------------------------ */

/* What one user saw: REQUESTS sequential GETs on one kept-alive connection. */
struct visit {
    nst_time_t ttfb[REQUESTS];      /* from the packets */
    nst_time_t client[REQUESTS];    /* the client's own first_byte */
    int failed;
};

static struct visit visit(struct cdn_world *c, struct nst_tls_ctx *cctx, nst_ip4_t to, const struct seg_log *log)
{
    struct visit v = {0};
    struct nst_http_client_config cc;
    nst_http_client_config_default(&cc);
    cc.tls = cctx;
    struct nst_http_client *cl = nst_http_client_new(c->user, &cc);
    struct nst_http_client_request req = {.method = "GET", .scheme = "https", .addr = {to, HTTPS_PORT},
                                          .host = SITE, .target = "/"};
    static const struct nst_http_call_cbs cbs = {NULL, NULL, nst_lab_call_done};
    for (int i = 0; i < REQUESTS; i++) {
        struct nst_lab_call f = {0};
        nst_time_t start = nst_world_now(c->w);
        if (!cl || nst_http_request_send(cl, &req, &cbs, &f, NULL) < 0 ||
            !nst_world_run_until_cond(c->w, nst_lab_call_over, &f, start + NST_SEC(10)) || f.err) {
            v.failed = 1;
            break;
        }
        v.client[i] = f.t.first_byte;
        v.ttfb[i] = ttfb_from_packets(log, start, start + f.t.total);
        nst_world_run_for(c->w, NST_MSEC(500)); /* the user reads the page */
    }
    nst_http_client_free(cl);
    nst_world_run_for(c->w, NST_SEC(1)); /* the close finishes before the next visit */
    return v;
}

/* ---- the scenario ----------------------------------------------------------- */

static double ms(nst_time_t t) { return (double)t / 1e6; }

static void print_row(FILE *out, const char *name, const struct visit *v)
{
    fprintf(out, "  %-38s %11.3f ms %11.3f ms\n", name, ms(v->ttfb[0]), ms(v->ttfb[1]));
}

/* Every request's TTFB from the packets equals the client's own and the
 * expected sum: `first` for the first request, `repeat` for the others. */
static int visit_is(const struct visit *v, nst_time_t first, nst_time_t repeat)
{
    if (v->failed)
        return 0;
    for (int i = 0; i < REQUESTS; i++)
        if (v->ttfb[i] != (i ? repeat : first) || v->client[i] != v->ttfb[i])
            return 0;
    return 1;
}

int nst_demo_cdn_edge(const struct nst_demo_opts *o, FILE *out)
{
    struct cdn_world c = {0};
    struct nst_tls_test_pki pki = {0};
    struct nst_tls_ctx *sctx = NULL, *cctx = NULL;
    struct edge e = {0};
    struct nst_http_server *origin = NULL, *edge = NULL;
    struct seg_log *user_log = calloc(1, sizeof(*user_log)), *origin_log = calloc(1, sizeof(*origin_log));
    /* No tickets: nothing but the answer follows a handshake. */
    int ok = user_log && origin_log && cdn_build(&c, o->seed) == 0 &&
             nst_lab_tls13_contexts(&pki, SITE, 0, &sctx, &cctx) == 0;
    if (ok) {
        nst_lab_capture(o, c.user_link, "cdn-edge-user.pcap", out);
        nst_lab_capture(o, c.origin_link, "cdn-edge-origin.pcap", out);
        nst_sim_link_observe(c.user_link, log_frame, user_log);
        nst_sim_link_observe(c.origin_link, log_frame, origin_log);
        struct nst_http_client_config ec;
        nst_http_client_config_default(&ec);
        ec.tls = cctx;
        e.up = nst_http_client_new(c.edge, &ec);
        origin = https_server(c.origin, sctx, origin_page, NULL);
        edge = https_server(c.edge, sctx, edge_page, &e);
        ok = e.up && origin && edge;
    }
    struct visit direct = {.failed = 1}, cold = {.failed = 1}, warm = {.failed = 1};
    unsigned direct_syns = 0, edge_syns = 0;
    if (ok) {
        direct = visit(&c, cctx, ORIGIN_ADDR, user_log);
        direct_syns = origin_log->syns;
        cold = visit(&c, cctx, EDGE_ADDR, user_log);
        warm = visit(&c, cctx, EDGE_ADDR, user_log);
        edge_syns = origin_log->syns - direct_syns;
    }
    fprintf(out, "\nA user in London fetches https://" SITE "/ from an origin in New York\n"
                 "(80 ms round trip), directly or through an edge in London (5 ms away), which\n"
                 "ends TLS and forwards the request over its own pooled connection to the origin.\n"
                 "Each visit: %d GETs on one kept-alive connection, TLS 1.3, full handshakes.\n\n",
            REQUESTS);
    fprintf(out, "  time to first byte (user's packets)      first request    repeated\n");
    print_row(out, "direct to New York", &direct);
    print_row(out, "through the edge, edge cold", &cold);
    print_row(out, "through the edge, edge warm (new user)", &warm);
    fprintf(out, "\n  direct, first:   SYN + ClientHello + request, 3 x 80 ms             = 240 ms\n"
                 "  direct, repeat:  the request alone, 1 x 80 ms                       =  80 ms\n"
                 "  edge cold:       3 x 5 ms to the edge + 3 x 80 ms edge -> origin    = 255 ms\n"
                 "  edge warm:       3 x 5 ms to the edge + the pooled connection 80 ms =  95 ms\n"
                 "  edge, repeat:    5 ms to the edge + 80 ms to the origin             =  85 ms\n"
                 "  (a cache at the edge would answer a repeat in 5 ms: the origin round trip\n"
                 "  is what remains, and the edge saves the handshakes' 2 x 80 ms)\n\n");
    static const char *const names[3] = {"direct", "through a cold edge", "through a warm edge"};
    static const char *const first_exp[3] = {"3 x 80 = 240 ms", "3 x 5 + 3 x 80 = 255 ms", "3 x 5 + 80 = 95 ms"};
    static const char *const repeat_exp[3] = {"80 ms", "5 + 80 = 85 ms", "5 + 80 = 85 ms"};
    const nst_time_t first_ns[3] = {3 * RTT_ORIGIN, 3 * RTT_EDGE + 3 * RTT_ORIGIN, 3 * RTT_EDGE + RTT_ORIGIN};
    const nst_time_t repeat_ns[3] = {RTT_ORIGIN, RTT_EDGE + RTT_ORIGIN, RTT_EDGE + RTT_ORIGIN};
    const struct visit *visits[3] = {&direct, &cold, &warm};
    for (int i = 0; i < 3; i++) {
        char name[96];
        snprintf(name, sizeof name, "TTFB %s, first request", names[i]);
        nst_lab_figure(o, name, first_exp[i], visits[i]->ttfb[0] == first_ns[i], "ms", "%.3f", ms(visits[i]->ttfb[0]));
        snprintf(name, sizeof name, "TTFB %s, repeated request", names[i]);
        nst_lab_figure(o, name, repeat_exp[i], visits[i]->ttfb[1] == repeat_ns[i], "ms", "%.3f",
                       ms(visits[i]->ttfb[1]));
    }
    const struct nst_http_client_stats *es = e.up ? nst_http_client_stats(e.up) : NULL;
    ok &= nst_lab_check(out, !direct.failed && !cold.failed && !warm.failed, "every request answered");
    ok &= nst_lab_check(out, visit_is(&direct, 3 * RTT_ORIGIN, RTT_ORIGIN),
                        "direct: 3 round trips (240 ms) for the first byte, 80 ms on a kept-alive repeat");
    ok &= nst_lab_check(out, visit_is(&cold, 3 * RTT_EDGE + 3 * RTT_ORIGIN, RTT_EDGE + RTT_ORIGIN),
                        "cold edge: both handshakes, 3 x 5 + 3 x 80 = 255 ms; then 5 + 80 = 85 ms");
    ok &= nst_lab_check(out, visit_is(&warm, 3 * RTT_EDGE + RTT_ORIGIN, RTT_EDGE + RTT_ORIGIN),
                        "warm edge: handshakes only on the 5 ms hop, 3 x 5 + 80 = 95 ms; then 85 ms");
    ok &= nst_lab_check(out, direct_syns == 1 && edge_syns == 1 && es && es->connections == 1 &&
                                 es->reuses == 2 * REQUESTS - 1,
                        "the edge opened one connection to the origin (one SYN) and reused it 5 times");
    ok &= nst_lab_check(out, user_log && user_log->syns == 3, "the user: one SYN per visit");
    nst_http_server_free(edge);
    nst_http_server_free(origin);
    nst_http_client_free(e.up);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(cctx);
    if (pki.cert)
        nst_tls_test_pki_free(&pki);
    nst_world_free(c.w);
    free(user_log);
    free(origin_log);
    return ok ? 0 : 1;
}
