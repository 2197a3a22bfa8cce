/* The article's TCP claims, measured on the New York - London path:
 *  - handshake: "Only after step 3 can the client send application data.
 *    The handshake takes one full round-trip ... approximately 80 ms."
 *  - reliable stream: over a link that loses, duplicates and reorders, the
 *    bytes arrive "intact ... in the same order, with no duplicates". */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/tcp_info.h>

#include "lab/lab_svg.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define HTTP_PORT 80
#define TIMELINE_MAX 16

struct seg_event {
    nst_time_t t;
    const char *what;   /* "NY sends", ... */
    uint8_t flags;
    uint32_t payload;
};

struct timeline {
    struct seg_event ev[TIMELINE_MAX];
    int n;
};

struct watch {
    struct timeline *tl;
    const char *sends, *gets; /* labels for this link end */
    int out_dir;              /* direction in which this end sends */
};

int nst_lab_frame_tcp(const uint8_t *f, size_t len, struct nst_tcp_repr *t, uint32_t *payload)
{
    struct nst_eth_repr e;
    struct nst_ipv4_repr ip;
    if (nst_eth_parse(f, len, &e) < 0 || e.ethertype != NST_ETHERTYPE_IPV4)
        return 0;
    int hl = nst_ipv4_parse(f + NST_ETH_HLEN, len - NST_ETH_HLEN, &ip, 0);
    if (hl < 0 || ip.proto != NST_IP_PROTO_TCP)
        return 0;
    const uint8_t *seg = f + NST_ETH_HLEN + hl;
    size_t seglen = ip.total_len - (size_t)hl;
    int thl = nst_tcp_parse(seg, seglen, ip.src, ip.dst, t, 0);
    if (thl < 0)
        return 0;
    *payload = (uint32_t)(seglen - (size_t)thl);
    return 1;
}

static void watch_frame(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f,
                        size_t len)
{
    struct watch *w = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    int sending = ev == NST_SIM_OFFERED && dir == w->out_dir;
    int getting = ev == NST_SIM_DELIVERED && dir != w->out_dir;
    if ((!sending && !getting) || !nst_lab_frame_tcp(f, len, &t, &payload) || w->tl->n >= TIMELINE_MAX)
        return;
    w->tl->ev[w->tl->n++] = (struct seg_event){now, sending ? w->sends : w->gets, t.flags, payload};
}

static const char *seg_name(const struct seg_event *e)
{
    if ((e->flags & (NST_TCP_SYN | NST_TCP_ACK)) == (NST_TCP_SYN | NST_TCP_ACK))
        return "SYN-ACK";
    if (e->flags & NST_TCP_SYN)
        return "SYN";
    if (e->payload)
        return "data: the first request bytes";
    if (e->flags & NST_TCP_ACK)
        return "ACK";
    return "?";
}

/* Pairs each send with the first later arrival of the same segment at the
 * other end, and draws them as a ladder diagram. */
static void handshake_picture(const struct nst_demo_opts *o, const struct timeline *tl, FILE *out)
{
    char path[1024];
    if (!nst_lab_out_path(o, "handshake.svg", path, sizeof(path)))
        return;
    struct nst_svg_arrow arrows[TIMELINE_MAX];
    int used[TIMELINE_MAX] = {0}, n = 0;
    for (int i = 0; i < tl->n; i++) {
        const struct seg_event *s = &tl->ev[i];
        int from_ny = strcmp(s->what, "NY sends") == 0;
        if (!from_ny && strcmp(s->what, "London sends") != 0)
            continue;
        for (int j = i + 1; j < tl->n; j++) {
            const struct seg_event *g = &tl->ev[j];
            if (used[j] || strcmp(g->what, from_ny ? "London gets" : "NY gets") != 0 || g->flags != s->flags ||
                g->payload != s->payload)
                continue;
            used[j] = 1;
            arrows[n++] = (struct nst_svg_arrow){from_ny, s->t, g->t, seg_name(s)};
            break;
        }
    }
    nst_lab_picture_note(out, path,
                         nst_svg_ladder(path, "TCP handshake, New York - London (80 ms round trip)", "New York",
                                        "London", arrows, n));
}

static const struct seg_event *find_seg(const struct timeline *tl, const char *who, int want_data, uint8_t flags)
{
    for (int i = 0; i < tl->n; i++) {
        const struct seg_event *e = &tl->ev[i];
        if (strcmp(e->what, who) != 0)
            continue;
        if (want_data ? e->payload > 0 : (e->flags & (NST_TCP_SYN | NST_TCP_ACK)) == flags && !e->payload)
            return e;
    }
    return NULL;
}

static int wait_events(struct nst_world *w, struct nst_stack *st, int fd, int mask, nst_time_t timeout)
{
    return nst_world_run_until_events(w, st, fd, mask, nst_world_now(w) + timeout);
}

int nst_demo_handshake(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 0, "handshake.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    struct timeline tl = {.n = 0};
    struct watch ny_end = {&tl, "NY sends", "NY gets", 0}, london_end = {&tl, "London sends", "London gets", 1};
    nst_sim_link_observe(p.links[0], watch_frame, &ny_end);
    nst_sim_link_observe(p.links[3], watch_frame, &london_end);

    int lfd = nst_lab_listen(p.london, HTTP_PORT, 16);
    int cfd = nst_socket(p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr srv = {NST_LAB_LONDON_ADDR, HTTP_PORT};
    nst_time_t t0 = nst_world_now(p.world);
    int rc = nst_connect(p.ny, cfd, &srv);
    int ok = lfd >= 0 && cfd >= 0 && rc == -EINPROGRESS;
    /* The moment the connection is writable, send the request. */
    ok &= wait_events(p.world, p.ny, cfd, NST_EV_OUT, NST_SEC(5));
    nst_time_t t_established = nst_world_now(p.world);
    static const char req[] = "GET / HTTP/1.1\r\nHost: london\r\n\r\n";
    ok &= nst_send(p.ny, cfd, req, sizeof(req) - 1, 0) == (ssize_t)(sizeof(req) - 1);
    ok &= wait_events(p.world, p.london, lfd, NST_EV_IN, NST_SEC(5));
    int afd = nst_accept(p.london, lfd, NULL);
    ok &= wait_events(p.world, p.london, afd, NST_EV_IN, NST_SEC(5));
    char got[128];
    ssize_t n = nst_recv(p.london, afd, got, sizeof(got), 0);
    nst_sim_link_observe(p.links[0], NULL, NULL);
    nst_sim_link_observe(p.links[3], NULL, NULL);

    fprintf(out, "New York connects to London port %d and sends an HTTP request as soon as it can.\n\n",
            HTTP_PORT);
    fprintf(out, "     time    where          segment\n");
    for (int i = 0; i < tl.n; i++)
        fprintf(out, "  %8.3f ms  %-13s  %s\n", (double)(tl.ev[i].t - t0) / 1e6, tl.ev[i].what, seg_name(&tl.ev[i]));
    handshake_picture(o, &tl, out);
    const struct seg_event *syn = find_seg(&tl, "NY sends", 0, NST_TCP_SYN);
    const struct seg_event *synack = find_seg(&tl, "NY gets", 0, NST_TCP_SYN | NST_TCP_ACK);
    const struct seg_event *data = find_seg(&tl, "NY sends", 1, 0);
    ok &= syn && synack && data;
    nst_time_t rtt = ok ? synack->t - syn->t : 0;
    nst_time_t first_byte = ok ? data->t - syn->t : 0;
    fprintf(out, "\n  the handshake took %.3f ms: the first request byte left New York %.3f ms after the SYN\n",
            (double)rtt / 1e6, (double)first_byte / 1e6);
    fprintf(out, "  (connect() returned at once with EINPROGRESS; the socket became writable at %.3f ms)\n",
            (double)(t_established - t0) / 1e6);
    nst_lab_figure(o, "SYN to SYN-ACK: the handshake", "one round trip: 80 ms",
                   ok && rtt >= NST_MSEC(80) && rtt < NST_MSEC(80) + NST_USEC(100), "ms", "%.3f", (double)rtt / 1e6);
    nst_lab_figure(o, "SYN to the first request byte", "the handshake's time: no byte before the ACK",
                   ok && first_byte == rtt, "ms", "%.3f", (double)first_byte / 1e6);
    ok &= nst_lab_check(out, ok && rtt >= NST_MSEC(80) && rtt < NST_MSEC(80) + NST_USEC(100),
                        "the handshake costs one round trip: 80 ms");
    ok &= nst_lab_check(out, ok && first_byte == rtt, "no request byte leaves before the third step (ACK)");
    ok &= nst_lab_check(out, n == (ssize_t)(sizeof(req) - 1) && memcmp(got, req, (size_t)n) == 0,
                        "London received the request intact");
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}

/* ---- the reliable stream over a bad link ---------------------------------- */

#define XFER_BYTES (4u << 20)

/* The byte at offset i of the transfer: no period that lines up with
 * segments, so a misplaced or repeated segment cannot go unnoticed. */
static uint8_t xfer_byte(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL;
    return (uint8_t)(x >> 56);
}

struct xfer {
    struct nst_stack *srv, *cli;
    int sfd, cfd;
    uint64_t sent, received, mismatches;
    int srv_closed, eof;
};

static int xfer_progress(void *arg)
{
    struct xfer *x = arg;
    int sev = x->sfd >= 0 ? nst_socket_events(x->srv, x->sfd) : 0;
    int cev = nst_socket_events(x->cli, x->cfd);
    return ((sev & NST_EV_OUT) && !x->srv_closed) || (cev & (NST_EV_IN | NST_EV_ERR | NST_EV_HUP));
}

static void xfer_send(struct xfer *x)
{
    uint8_t buf[16384];
    while (x->sent < XFER_BYTES) {
        size_t n = XFER_BYTES - x->sent < sizeof(buf) ? (size_t)(XFER_BYTES - x->sent) : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = xfer_byte(x->sent + i);
        ssize_t w = nst_send(x->srv, x->sfd, buf, n, 0);
        if (w <= 0)
            return;
        x->sent += (uint64_t)w;
    }
    if (!x->srv_closed) {
        nst_close(x->srv, x->sfd); /* all queued: close, the FIN follows the data */
        x->sfd = -1;
        x->srv_closed = 1;
    }
}

static void xfer_receive(struct xfer *x)
{
    uint8_t buf[16384];
    ssize_t n;
    while ((n = nst_recv(x->cli, x->cfd, buf, sizeof(buf), 0)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            x->mismatches += buf[i] != xfer_byte(x->received + (uint64_t)i);
        x->received += (uint64_t)n;
    }
    if (n == 0)
        x->eof = 1;
}

/* cwnd and progress over time, for the picture. */
#define XFER_SAMPLE_EVERY NST_MSEC(100)
#define XFER_MAX_SAMPLES 10000

struct xfer_samples {
    int n;
    double t[XFER_MAX_SAMPLES], cwnd_kb[XFER_MAX_SAMPLES], received_mb[XFER_MAX_SAMPLES];
    double in_flight_kb[XFER_MAX_SAMPLES], mbps[XFER_MAX_SAMPLES]; /* goodput since the last sample */
};

static void xfer_sample(struct xfer_samples *sm, struct nst_stack *srv, const struct xfer *x, nst_time_t t)
{
    if (!sm || sm->n >= XFER_MAX_SAMPLES)
        return;
    /* The sender's connection, found in the listing: the application may
     * have closed its descriptor already (the FIN is still on its way). */
    struct nst_tcp_info info[8];
    int n = nst_tcp_list(srv, info, 8);
    double cwnd = 0, in_flight = 0;
    for (int i = 0; i < n && i < 8; i++)
        if (info[i].local.port == HTTP_PORT && info[i].state != NST_TCPS_LISTEN) {
            cwnd = info[i].cwnd / 1024.0;
            in_flight = info[i].unacked / 1024.0;
        }
    int k = sm->n;
    sm->t[k] = (double)t / 1e9;
    sm->cwnd_kb[k] = cwnd;
    sm->in_flight_kb[k] = in_flight;
    sm->received_mb[k] = (double)x->received / (1024.0 * 1024.0);
    double dt = k ? sm->t[k] - sm->t[k - 1] : 0;
    sm->mbps[k] = dt > 0 ? (sm->received_mb[k] - sm->received_mb[k - 1]) * 8 * 1.048576 / dt : 0;
    sm->n++;
}

static void xfer_picture(const struct nst_demo_opts *o, const struct xfer_samples *sm, FILE *out)
{
    char path[1024];
    if (!sm || !nst_lab_out_path(o, "reliable-stream.svg", path, sizeof(path)))
        return;
    const struct nst_svg_series cwnd = {"London's cwnd (KiB)", sm->cwnd_kb, "#c0392b"};
    const struct nst_svg_series got = {"delivered to New York (MiB)", sm->received_mb, "#2471a3"};
    int err = nst_svg_chart(path, "TCP over a lossy transatlantic link (CUBIC)", sm->t, sm->n, &cwnd, &got, 0);
    nst_lab_picture_note(out, path, err);
}

/* The report's charts: the window against what is in flight; goodput. */
static void xfer_charts(const struct nst_demo_opts *o, const struct xfer_samples *sm)
{
    if (!sm)
        return;
    const struct nst_lab_series cwnd = {"cwnd (KiB)", sm->cwnd_kb, "#c0392b"};
    const struct nst_lab_series flight = {"sent, not yet acknowledged (KiB)", sm->in_flight_kb, "#7d3c98"};
    const struct nst_lab_series mbps = {"goodput per 100 ms (Mbit/s)", sm->mbps, "#1e8449"};
    const struct nst_lab_series got = {"delivered to New York (MiB)", sm->received_mb, "#2471a3"};
    nst_lab_chart(o, "reliable-stream-cwnd.svg", "London's congestion window and bytes in flight (CUBIC)", sm->t,
                  sm->n, &cwnd, &flight, 1);
    nst_lab_chart(o, "reliable-stream-goodput.svg", "Goodput and bytes delivered", sm->t, sm->n, &mbps, &got, 0);
}

int nst_demo_reliable_stream(const struct nst_demo_opts *o, FILE *out)
{
    static const struct nst_demo_impair bad_link = {
        .loss = 0.02, .duplicate = 0.01, .reorder = 0.03, .bandwidth_bps = 100000000ull};
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, &bad_link, 2, "reliable-stream.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    struct xfer x = {.srv = p.london, .cli = p.ny, .sfd = -1};
    int lfd = nst_lab_listen(p.london, HTTP_PORT, 16);
    x.cfd = nst_socket(p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr srv = {NST_LAB_LONDON_ADDR, HTTP_PORT};
    nst_connect(p.ny, x.cfd, &srv);
    int ok = lfd >= 0 && wait_events(p.world, p.london, lfd, NST_EV_IN, NST_SEC(10));
    x.sfd = nst_accept(p.london, lfd, NULL);
    nst_time_t t0 = nst_world_now(p.world);
    nst_time_t deadline = t0 + NST_SEC(900);
    struct xfer_samples *sm = calloc(1, sizeof(*sm));
    nst_time_t next_sample = t0;
    while (ok && !x.eof && nst_world_now(p.world) < deadline) {
        nst_time_t until = next_sample < deadline ? next_sample : deadline;
        if (!nst_world_run_until_cond(p.world, xfer_progress, &x, until)) {
            xfer_sample(sm, p.london, &x, nst_world_now(p.world) - t0);
            nst_lab_progress(o, nst_world_now(p.world) - t0, 0);
            next_sample += XFER_SAMPLE_EVERY;
            continue;
        }
        if (!x.srv_closed)
            xfer_send(&x);
        xfer_receive(&x);
        if (nst_socket_events(p.ny, x.cfd) & NST_EV_ERR)
            break;
    }
    nst_time_t took = nst_world_now(p.world) - t0;
    xfer_sample(sm, p.london, &x, took);
    xfer_picture(o, sm, out);
    xfer_charts(o, sm);
    free(sm);
    const struct nst_stats *ls = nst_stack_stats(p.london), *ns = nst_stack_stats(p.ny);
    const struct nst_sim_link_stats *data_dir = nst_sim_link_stats(p.links[2], 1);
    fprintf(out, "London sends %u bytes to New York over TCP (100 Mbit/s, 80 ms) while the\n"
                 "transatlantic link drops 2%%, duplicates 1%% and reorders 3%% of the frames.\n\n", XFER_BYTES);
    fprintf(out, "  the link lost %llu, duplicated %llu and reordered %llu data frames\n",
            (unsigned long long)data_dir->lost, (unsigned long long)data_dir->duplicated,
            (unsigned long long)data_dir->reordered);
    fprintf(out, "  London's TCP retransmitted %llu segments (%llu fast retransmits, %llu timeouts)\n",
            (unsigned long long)ls->tcp_retransmits, (unsigned long long)ls->tcp_fast_retransmits,
            (unsigned long long)ls->tcp_rto_timeouts);
    fprintf(out, "  New York's TCP put %llu out-of-order segments back in place and dropped %llu duplicates\n",
            (unsigned long long)ns->tcp_rx_out_of_order, (unsigned long long)ns->tcp_rx_duplicate);
    fprintf(out, "  received %llu bytes in %.3f s of virtual time: %.2f Mbit/s of goodput\n",
            (unsigned long long)x.received, (double)took / 1e9, (double)x.received * 8 / ((double)took / 1e9) / 1e6);
    double secs = (double)took / 1e9;
    nst_lab_figure(o, "bytes delivered, in order, once", "4194304", x.received == XFER_BYTES && !x.mismatches,
                   "bytes", "%llu", (unsigned long long)x.received);
    nst_lab_figure(o, "data frames the link lost", "", -1, "", "%llu", (unsigned long long)data_dir->lost);
    nst_lab_figure(o, "segments London retransmitted", "more than 0", ls->tcp_retransmits > 0, "", "%llu",
                   (unsigned long long)ls->tcp_retransmits);
    nst_lab_figure(o, "out-of-order segments New York put back in place", "more than 0",
                   ns->tcp_rx_out_of_order > 0, "", "%llu", (unsigned long long)ns->tcp_rx_out_of_order);
    nst_lab_figure(o, "transfer time", "", -1, "s", "%.3f", secs);
    nst_lab_figure(o, "goodput", "", -1, "Mbit/s", "%.2f", (double)x.received * 8 / secs / 1e6);
    ok &= nst_lab_check(out, x.received == XFER_BYTES && x.mismatches == 0 && x.eof,
                        "every byte arrived, once, in order, then the end of the stream");
    ok &= nst_lab_check(out, ls->tcp_retransmits > 0 && ns->tcp_rx_out_of_order > 0,
                        "TCP retransmitted what IP lost and reordered what IP reordered");
    nst_close(p.ny, x.cfd);
    nst_lab_path_free(&p);
    ok &= nst_demo_lossy_cc(o, out) == 0;
    return ok ? 0 : 1;
}
