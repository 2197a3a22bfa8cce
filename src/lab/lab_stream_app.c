/* Two of the article's words about TCP's byte stream, each its own small
 * scenario on the New York - London path: London sends 1 MiB to New York.
 *
 *   error-checked  the transatlantic link flips one random bit in 1 % of
 *                  the frames: IP's and TCP's checksums (RFC 791 3.1,
 *                  RFC 9293 3.1) drop what they cover, TCP sends it again,
 *                  and not one wrong byte reaches the application.
 *   flow-control   New York's application reads nothing for 2 s, then
 *                  16 KiB every 50 ms, into a 64 KiB receive buffer: the
 *                  window New York advertises falls to zero, London stops
 *                  and probes (RFC 9293 3.8.6.1), and never sends a byte
 *                  beyond the window it was offered.
 *
 * Only the public socket API (libnstack); they sit among the app
 * scenarios (registered in lab_tls.c's list) to keep the lab's core list
 * as it is. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/lab.h>
#include <nstack/tcp_info.h>

#include "lab/lab_internal.h"
#include "wire/tcp.h"

#define STREAM_PORT 80
#define STREAM_BYTES (1u << 20)
#define SMALL_RCVBUF 65536
#define READ_PAUSE NST_SEC(2)
#define READ_EVERY NST_MSEC(50)
#define READ_CHUNK 16384
#define TICK NST_MSEC(10)

static uint8_t stream_byte(uint64_t i) { return (uint8_t)(i * 2654435761u >> 13); }

struct stream_run {
    struct nst_lab_path *p;
    int sfd, cfd;
    uint64_t bytes;           /* to send; 0: STREAM_BYTES */
    uint64_t sent, received, mismatches;
    int eof;
    nst_time_t paused_until;  /* New York reads nothing before this */
    nst_time_t next_read;     /* and then READ_CHUNK per READ_EVERY (0: all it can) */
    nst_time_t next_tick;
    int paced;
    /* Called every 10 ms of the transfer when set (the congestion scenario's samples). */
    void (*tick)(struct stream_run *r, nst_time_t now);
    void *arg;
};

static void stream_send(struct stream_run *r)
{
    uint8_t buf[16384];
    while (r->sfd >= 0 && r->sent < r->bytes) {
        size_t n = r->bytes - r->sent < sizeof buf ? (size_t)(r->bytes - r->sent) : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = stream_byte(r->sent + i);
        ssize_t w = nst_send(r->p->london, r->sfd, buf, n, 0);
        if (w <= 0)
            return;
        r->sent += (uint64_t)w;
    }
    if (r->sfd >= 0) {
        nst_close(r->p->london, r->sfd); /* the FIN follows the data */
        r->sfd = -1;
    }
}

static void stream_receive(struct stream_run *r, nst_time_t now)
{
    if (r->paced && now < r->paused_until)
        return;
    uint8_t buf[READ_CHUNK];
    size_t budget = r->paced ? READ_CHUNK : SIZE_MAX;
    if (r->paced && now < r->next_read)
        return;
    ssize_t n = 1;
    while (budget && (n = nst_recv(r->p->ny, r->cfd, buf, budget < sizeof buf ? budget : sizeof buf, 0)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            r->mismatches += buf[i] != stream_byte(r->received + (uint64_t)i);
        r->received += (uint64_t)n;
        if (r->paced)
            budget -= (size_t)n;
    }
    if (n == 0)
        r->eof = 1;
    if (r->paced)
        r->next_read = now + READ_EVERY;
}

static int stream_ready(void *arg)
{
    struct stream_run *r = arg;
    int sev = r->sfd >= 0 ? nst_socket_events(r->p->london, r->sfd) : 0;
    int cev = nst_socket_events(r->p->ny, r->cfd);
    return (sev & NST_EV_OUT) || (!r->paced && (cev & (NST_EV_IN | NST_EV_HUP | NST_EV_ERR)));
}

/* London sends STREAM_BYTES to New York, which reads as r->paced says.
 * 0 when the whole stream and its end arrived within 10 minutes. */
static int stream_run(struct stream_run *r, int rcvbuf)
{
    struct nst_lab_path *p = r->p;
    if (!r->bytes)
        r->bytes = STREAM_BYTES;
    int lfd = nst_lab_listen(p->london, STREAM_PORT, 4);
    r->cfd = nst_socket(p->ny, NST_SOCK_STREAM);
    r->sfd = -1;
    if (rcvbuf)
        nst_setsockopt(p->ny, r->cfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, STREAM_PORT};
    if (lfd < 0 || r->cfd < 0 || nst_connect(p->ny, r->cfd, &to) != -EINPROGRESS ||
        !nst_world_run_until_events(p->world, p->london, lfd, NST_EV_IN, nst_world_now(p->world) + NST_SEC(10)))
        return -1;
    r->sfd = nst_accept(p->london, lfd, NULL);
    nst_time_t start = nst_world_now(p->world), deadline = start + NST_SEC(600);
    r->paused_until = start + READ_PAUSE;
    r->next_tick = start;
    while (!r->eof && nst_world_now(p->world) < deadline) {
        nst_time_t step = r->paced || r->tick ? nst_world_now(p->world) + NST_MSEC(10) : deadline;
        if (r->tick && step > r->next_tick)
            step = r->next_tick;
        nst_world_run_until_cond(p->world, stream_ready, r, step);
        stream_send(r);
        stream_receive(r, nst_world_now(p->world));
        if (r->tick && nst_world_now(p->world) >= r->next_tick) {
            r->tick(r, nst_world_now(p->world) - start);
            r->next_tick += TICK;
        }
    }
    nst_close(p->ny, r->cfd);
    return r->eof ? 0 : -1;
}

/* ---- error-checked ---------------------------------------------------------- */

int nst_demo_error_checked(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.corrupt = 0.01;
    if (nst_lab_path_build(&p, &po) < 0)
        return 1;
    nst_lab_capture(o, p.links[2], "error-checked.pcap", out);
    nst_lab_warm_up_arp(&p);
    struct stream_run r = {.p = &p};
    int ok = stream_run(&r, 0) == 0;
    const struct nst_sim_link_stats *ab = nst_sim_link_stats(p.links[2], 0), *ba = nst_sim_link_stats(p.links[2], 1);
    const struct nst_stats *ny = nst_stack_stats(p.ny), *ld = nst_stack_stats(p.london);
    const struct nst_stats *r2 = nst_stack_stats(p.routers[1]), *r3 = nst_stack_stats(p.routers[2]);
    uint64_t corrupted = ab->corrupted + ba->corrupted;
    uint64_t ip_bad = ny->ip_drop_bad_checksum + ld->ip_drop_bad_checksum + r2->ip_drop_bad_checksum +
                      r3->ip_drop_bad_checksum;
    uint64_t tcp_bad = ny->tcp_rx_bad_checksum + ld->tcp_rx_bad_checksum;
    fprintf(out, "\nLondon sends %u bytes to New York; the transatlantic link flips one random bit\n"
                 "in 1 %% of the frames, both ways.\n\n", STREAM_BYTES);
    fprintf(out, "  frames corrupted by the link:            %6llu\n", (unsigned long long)corrupted);
    fprintf(out, "  dropped by the IPv4 header checksum:     %6llu\n", (unsigned long long)ip_bad);
    fprintf(out, "  dropped by the TCP checksum:             %6llu\n", (unsigned long long)tcp_bad);
    fprintf(out, "  London's TCP retransmitted:              %6llu segments\n",
            (unsigned long long)ld->tcp_retransmits);
    fprintf(out, "  (a flipped bit in the Ethernet header is no checksum's business: a wrong\n"
                 "  destination address or type drops the frame, a wrong source is harmless)\n\n");
    nst_lab_figure(o, "frames dropped by the TCP checksum", "", tcp_bad > 0, "", "%llu", (unsigned long long)tcp_bad);
    nst_lab_figure(o, "wrong bytes delivered to the application", "0", r.mismatches == 0, "", "%llu",
                   (unsigned long long)r.mismatches);
    ok &= nst_lab_check(out, r.received == STREAM_BYTES && r.mismatches == 0 && r.eof,
                        "every byte arrived intact, in order: no corrupted byte reached New York's application");
    ok &= nst_lab_check(out, corrupted > 0 && tcp_bad > 0 && ip_bad + tcp_bad <= corrupted,
                        "the checksums caught corrupted frames, and only those");
    ok &= nst_lab_check(out, ld->tcp_retransmits > 0, "TCP sent again what the checksums dropped");
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}

/* ---- flow-control ----------------------------------------------------------- */

/* London's data against the window New York last offered, on New York's
 * own link (what New York sends, what reaches it). */
struct window_watch {
    int ny_wscale;           /* New York's window scale (from its SYN) */
    uint32_t right_edge;     /* ack + window New York last advertised */
    int have_edge;
    uint64_t zero_windows;   /* New York's segments advertising 0 */
    uint64_t beyond;         /* London's bytes past the offered edge */
    uint32_t max_window;
};

static void watch_window(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f,
                         size_t len)
{
    (void)now;
    struct window_watch *w = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    if (!nst_lab_frame_tcp(f, len, &t, &payload))
        return;
    if (ev == NST_SIM_OFFERED && dir == 0 && t.dst_port == STREAM_PORT) { /* New York's side */
        if (t.flags & NST_TCP_SYN) {
            w->ny_wscale = t.opts.has_wscale ? t.opts.wscale : 0;
            return;
        }
        /* RFC 7323 2.2: the window of a segment without SYN is scaled. */
        uint32_t win = (uint32_t)t.window << w->ny_wscale;
        w->zero_windows += win == 0;
        if (win > w->max_window)
            w->max_window = win;
        w->right_edge = t.ack + win;
        w->have_edge = 1;
    } else if (ev == NST_SIM_DELIVERED && dir == 1 && t.src_port == STREAM_PORT && payload && w->have_edge) {
        /* London may probe a zero window with one byte (RFC 9293 3.8.6.1). */
        int32_t past = (int32_t)(t.seq + payload - w->right_edge);
        if (past > 1 || (past == 1 && payload > 1))
            w->beyond += (uint64_t)past;
    }
}

int nst_demo_flow_control(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 0, "flow-control.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    struct window_watch w = {0};
    nst_sim_link_observe(p.links[0], watch_window, &w);
    struct stream_run r = {.p = &p, .paced = 1};
    nst_time_t t0 = nst_world_now(p.world);
    int ok = stream_run(&r, SMALL_RCVBUF) == 0;
    nst_time_t took = nst_world_now(p.world) - t0;
    const struct nst_stats *ld = nst_stack_stats(p.london);
    /* The reader's pace: 16 KiB per 50 ms after the pause. */
    nst_time_t reading = (nst_time_t)(STREAM_BYTES / READ_CHUNK) * READ_EVERY;
    fprintf(out, "\nLondon sends %u bytes to New York, whose application reads nothing for 2 s, then\n"
                 "16 KiB every 50 ms (320 KiB/s), into a %d KiB receive buffer.\n\n",
            STREAM_BYTES, SMALL_RCVBUF / 1024);
    fprintf(out, "  largest window New York offered:     %6u bytes\n", w.max_window);
    fprintf(out, "  New York's segments offering 0:      %6llu\n", (unsigned long long)w.zero_windows);
    fprintf(out, "  London's zero-window probes:         %6llu\n", (unsigned long long)ld->tcp_persist_probes);
    fprintf(out, "  London's bytes beyond the window:    %6llu\n", (unsigned long long)w.beyond);
    fprintf(out, "  the stream took %.3f s: the 2 s pause + 1 MiB at the reader's pace (%.3f s)\n\n",
            (double)took / 1e9, (double)(READ_PAUSE + reading) / 1e9);
    nst_lab_figure(o, "London's bytes beyond the offered window", "0", w.beyond == 0, "", "%llu",
                   (unsigned long long)w.beyond);
    nst_lab_figure(o, "London's zero-window probes", "", ld->tcp_persist_probes > 0, "", "%llu",
                   (unsigned long long)ld->tcp_persist_probes);
    ok &= nst_lab_check(out, r.received == STREAM_BYTES && r.mismatches == 0 && r.eof,
                        "every byte arrived, in order, at the reader's pace");
    ok &= nst_lab_check(out, w.max_window <= SMALL_RCVBUF && w.zero_windows > 0,
                        "New York's window never exceeded its buffer, and closed to zero while it did not read");
    ok &= nst_lab_check(out, ld->tcp_persist_probes > 0, "London probed the zero window instead of giving up");
    ok &= nst_lab_check(out, w.beyond == 0, "London never sent a byte beyond the window it was offered");
    ok &= nst_lab_check(out, took >= READ_PAUSE + reading - READ_EVERY && took < READ_PAUSE + reading + NST_SEC(1),
                        "the slow reader, not the network, set the pace");
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}

/* ---- congestion-control ----------------------------------------------------- */

#define CC_BYTES (8u << 20)
#define CC_RATE 10000000ull /* bit/s, every link: London's own is the bottleneck */
#define CC_QUEUE 50         /* frames London's link holds: about half the path's 100 KB in flight */
#define CC_SAMPLES 4096

struct cc_samples {
    int n;
    nst_time_t t[CC_SAMPLES];
    uint32_t cwnd[CC_SAMPLES];
    uint64_t drops[CC_SAMPLES]; /* queue drops at London's link so far */
    uint64_t frames[CC_SAMPLES]; /* frames London offered its link so far */
    uint64_t received[CC_SAMPLES]; /* bytes New York's application read so far */
    const struct nst_sim_link_stats *out; /* London's link, London to r3 */
};

static void cc_tick(struct stream_run *r, nst_time_t now)
{
    struct cc_samples *s = r->arg;
    struct nst_tcp_info info[4];
    int n = nst_tcp_list(r->p->london, info, 4);
    uint32_t cwnd = 0;
    for (int i = 0; i < n && i < 4; i++)
        if (info[i].local.port == STREAM_PORT && info[i].state != NST_TCPS_LISTEN)
            cwnd = info[i].cwnd;
    if (s->n < CC_SAMPLES) {
        s->t[s->n] = now;
        s->cwnd[s->n] = cwnd;
        s->drops[s->n] = s->out->queue_drops;
        s->frames[s->n] = s->out->offered;
        s->received[s->n] = r->received;
        s->n++;
    }
}

int nst_demo_congestion_control(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.bandwidth_bps = CC_RATE;
    po.queue_limit = CC_QUEUE;
    if (nst_lab_path_build(&p, &po) < 0)
        return 1;
    nst_lab_capture(o, p.links[3], "congestion-control.pcap", out);
    nst_lab_warm_up_arp(&p);
    struct cc_samples *s = calloc(1, sizeof(*s));
    if (!s) {
        nst_lab_path_free(&p);
        return 1;
    }
    s->out = nst_sim_link_stats(p.links[3], 1);
    struct stream_run r = {.p = &p, .tick = cc_tick, .arg = s, .bytes = CC_BYTES};
    nst_time_t t0 = nst_world_now(p.world);
    int ok = stream_run(&r, 0) == 0;
    nst_time_t took = nst_world_now(p.world) - t0;
    /* The first loss episode: cwnd at its top before the first queue drop,
     * and its lowest in the second after. */
    int first = -1;
    for (int i = 0; i < s->n && first < 0; i++)
        if (s->drops[i])
            first = i;
    uint32_t top = 0, after = UINT32_MAX;
    for (int i = 0; first >= 0 && i < s->n && s->t[i] < s->t[first] + NST_SEC(1); i++) {
        if (i < first && s->cwnd[i] > top)
            top = s->cwnd[i];
        if (i > first && s->cwnd[i] < after)
            after = s->cwnd[i];
    }
    uint64_t frames = s->out->offered, drops = s->out->queue_drops;
    /* Steady state: from 2 s after the first drop (slow start's overshoot
     * repaired) to the last sample. */
    int from = -1;
    for (int i = 0; first >= 0 && i < s->n && from < 0; i++)
        if (s->t[i] >= s->t[first] + NST_SEC(2))
            from = i;
    int last = s->n - 1;
    uint64_t st_frames = from >= 0 ? s->frames[last] - s->frames[from] : 0;
    uint64_t st_drops = from >= 0 ? s->drops[last] - s->drops[from] : 0;
    double st_secs = from >= 0 ? (double)(s->t[last] - s->t[from]) / 1e9 : 0;
    double st_rate = st_secs > 0 ? (double)(s->received[last] - s->received[from]) * 8 / st_secs : 0;
    fprintf(out, "\nLondon sends %u MiB to New York over 10 Mbit/s links (80 ms: 100 KB in flight fill\n"
                 "the path); London's link queues at most %d frames and drops the rest.\n\n",
            CC_BYTES >> 20, CC_QUEUE);
    if (first >= 0)
        fprintf(out, "  slow start doubles cwnd each round trip until the queue overflows: first drop at\n"
                 "  %.2f s with cwnd %u bytes; within a second cwnd is down to %u bytes\n",
                (double)s->t[first] / 1e9, top, after == UINT32_MAX ? 0 : after);
    fprintf(out, "  whole transfer: %llu of %llu frames dropped by the full queue, %.3f s, %.2f Mbit/s\n",
            (unsigned long long)drops, (unsigned long long)frames, (double)took / 1e9,
            (double)r.received * 8 / ((double)took / 1e9) / 1e6);
    fprintf(out, "  steady state (from 2 s after the first drop): %llu of %llu frames dropped (%.2f %%),\n"
                 "  %.2f Mbit/s of goodput on the 10 Mbit/s link\n\n",
            (unsigned long long)st_drops, (unsigned long long)st_frames,
            st_frames ? 100.0 * (double)st_drops / (double)st_frames : 0, st_rate / 1e6);
    nst_lab_figure(o, "steady state: frames dropped by the full queue", "1 % at most",
                   st_frames && st_drops * 100 <= st_frames, "%", "%.2f",
                   st_frames ? 100.0 * (double)st_drops / (double)st_frames : 0);
    nst_lab_figure(o, "steady state: goodput on the 10 Mbit/s link", "9 Mbit/s or more", st_rate >= 0.9 * (double)CC_RATE,
                   "Mbit/s", "%.2f", st_rate / 1e6);
    ok &= nst_lab_check(out, r.received == CC_BYTES && r.mismatches == 0 && r.eof, "every byte arrived, in order");
    ok &= nst_lab_check(out, first >= 0 && after <= top / 10 * 8,
                        "at the first drop London's cwnd fell by at least a fifth");
    ok &= nst_lab_check(out, from >= 0 && st_frames > 1000 && st_drops * 100 <= st_frames,
                        "then the queue overflowed for at most 1 % of the frames: TCP backs off, it does not flood");
    ok &= nst_lab_check(out, st_rate >= 0.9 * (double)CC_RATE, "and still uses 90 % of the link or more");
    free(s);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}

/* ---- demultiplexing ---------------------------------------------------------- */

#define DEMUX_HTTPS 443
#define DEMUX_CLOSED 5432 /* PostgreSQL's port: nobody listens there in London */

/* A non-blocking connect from New York to London:port: the descriptor, or -1. */
static int demux_connect(struct nst_lab_path *p, uint16_t port)
{
    int fd = nst_socket(p->ny, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, port};
    if (fd < 0 || nst_connect(p->ny, fd, &to) != -EINPROGRESS)
        return -1;
    return fd;
}

int nst_demo_demultiplexing(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, NULL, 1, "demultiplexing.pcap", out) < 0)
        return 1;
    nst_lab_warm_up_arp(&p);
    int web = nst_lab_listen(p.london, STREAM_PORT, 8), tls = nst_lab_listen(p.london, DEMUX_HTTPS, 8);
    /* Two connections to port 80 (two source ports), one to 443, one to a closed port. */
    static const char *const msgs[3] = {"first to 80", "second to 80", "only to 443"};
    static const uint16_t ports[3] = {STREAM_PORT, STREAM_PORT, DEMUX_HTTPS};
    int fds[3], closed = demux_connect(&p, DEMUX_CLOSED);
    for (int i = 0; i < 3; i++)
        fds[i] = demux_connect(&p, ports[i]);
    nst_time_t t0 = nst_world_now(p.world);
    nst_world_run_until_events(p.world, p.ny, closed, NST_EV_ERR, t0 + NST_SEC(1));
    nst_time_t refused = nst_world_now(p.world) - t0;
    nst_world_run_for(p.world, NST_MSEC(100));
    for (int i = 0; i < 3; i++)
        nst_send(p.ny, fds[i], msgs[i], strlen(msgs[i]), 0);
    nst_world_run_for(p.world, NST_MSEC(100));
    int err = 0;
    size_t elen = sizeof err;
    nst_getsockopt(p.ny, closed, NST_SOL_SOCKET, NST_SO_ERROR, &err, &elen);
    fprintf(out, "\nNew York opens two connections to London:80, one to London:443, one to London:%d\n"
                 "(nobody listens there), and sends a line on each open one.\n\n", DEMUX_CLOSED);
    int ok = web >= 0 && tls >= 0;
    int got80 = 0, got443 = 0, right = 1;
    uint16_t src_ports[3] = {0};
    for (int l = 0; l < 2; l++) {
        int lfd = l ? tls : web, c;
        struct nst_sockaddr peer;
        while ((c = nst_accept(p.london, lfd, &peer)) >= 0) {
            char buf[64] = {0};
            ssize_t n = nst_recv(p.london, c, buf, sizeof buf - 1, 0);
            /* The line this connection carries must be the one New York sent from that source port. */
            int which = -1;
            for (int i = 0; i < 3; i++)
                if (n > 0 && strcmp(buf, msgs[i]) == 0)
                    which = i;
            struct nst_sockaddr me;
            nst_getsockname(p.london, c, &me);
            fprintf(out, "  London:%-4u accepted 10.0.1.2:%u, read \"%s\"\n", me.port, peer.port, buf);
            right &= peer.addr == NST_LAB_NY_ADDR && which >= 0 && ports[which] == me.port && me.port == (l ? DEMUX_HTTPS : STREAM_PORT);
            if (which >= 0) {
                struct nst_sockaddr mine;
                nst_getsockname(p.ny, fds[which], &mine);
                right &= mine.port == peer.port;
                src_ports[which] = peer.port;
            }
            got80 += !l;
            got443 += l;
            nst_close(p.london, c);
        }
    }
    fprintf(out, "  New York's connect() to London:%d: %s after %.3f ms (London answered the SYN with RST)\n\n",
            DEMUX_CLOSED, err == ECONNREFUSED ? "ECONNREFUSED" : "no error", (double)refused / 1e6);
    ok &= nst_lab_check(out, got80 == 2 && got443 == 1 && right,
                        "each listener got only its port's connections, each line on the socket of its 4-tuple");
    ok &= nst_lab_check(out, src_ports[0] && src_ports[1] && src_ports[0] != src_ports[1],
                        "two connections to the same address and port: told apart by their source ports");
    const struct nst_stats *ls = nst_stack_stats(p.london);
    nst_lab_figure(o, "connect() to a closed port refused after", "one round trip (80 ms)",
                   err == ECONNREFUSED && refused >= NST_MSEC(80) && refused < NST_MSEC(81), "ms", "%.3f",
                   (double)refused / 1e6);
    ok &= nst_lab_check(out, err == ECONNREFUSED && ls->tcp_rx_no_socket == 1 && ls->tcp_tx_resets == 1 &&
                                 refused >= NST_MSEC(80) && refused < NST_MSEC(81),
                        "a SYN for a port nobody listens on is answered by RST: ECONNREFUSED one round trip later");
    for (int i = 0; i < 3; i++)
        nst_close(p.ny, fds[i]);
    nst_close(p.ny, closed);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}
