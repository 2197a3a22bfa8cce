/* The same benchmarks on lwIP 2.1.3, in two builds of one source file:
 *
 *  - NST_LWIP_TUNED: our build of Debian's lwIP source, configured for
 *    throughput (bench/lwip/lwipopts.h: NO_SYS, 256 KiB windows and send
 *    buffers with window scaling, MSS 1460 or 8960, no asserts, no stats,
 *    fixed pools) and compiled as nstack is (-O3, LTO, static). Its rows are
 *    "lwip" (the comparison's lwIP column).
 *  - otherwise Debian's liblwip-dev as packaged (its lwipopts.h, its shared
 *    library): rows "lwip-debian". The package is built with NO_SYS=0 and
 *    core locking, but never starting the tcpip thread (tcpip_init) makes it
 *    a single-threaded stack: lwip_init, netif input and the raw API are
 *    called from this thread only, and the core-lock assertion is inert
 *    while no tcpip thread exists. Its TCP_MSS is 1460, TCP_WND =
 *    TCP_SND_BUF = 64 KiB, pools from malloc.
 *
 * Both: two lwIP netifs in one process joined by the same kind of in-memory
 * link as the nstack benchmarks, one thread, the raw (callback) TCP API,
 * LWIP_CHECKSUM_ON_COPY (checksum fused with the copy in tcp_write),
 * checksums generated and checked in software. Timers run from
 * sys_check_timeouts(). sys_now() is defined here (and replaces the
 * package's, which it calls through the PLT): real milliseconds plus a
 * skew, so that a stall can jump to lwIP's next timeout instead of
 * spinning, as the nstack benchmarks do.
 *
 * The message-size sweep (bench "sweep") runs the same RR and bulk loops
 * at other sizes: RR messages larger than the send buffer are written as
 * it frees room (the server from its sent callback). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "bench_util.h"

#define CHUNK 65536
#define LQ_CAP 65536

#ifdef NST_LWIP_TUNED
#define LWIP_IMPL "lwip"
#define LWIP_BUILD "tuned build (bench/lwip/lwipopts.h)"
#else
#define LWIP_IMPL "lwip-debian"
#define LWIP_BUILD "Debian package"
#endif

/* ---- virtual-able clock ------------------------------------------------------------ */

static int64_t g_skew_ms;

u32_t sys_now(void) { return (u32_t)(bu_mono_ns() / 1000000 + g_skew_ms); }

/* ---- the in-memory link: a FIFO of pbufs per direction ------------------------------ */

struct lq {
    struct pbuf *v[LQ_CAP];
    unsigned head, count;
    uint64_t dropped;
};

struct side {
    struct netif nif;
    struct lq *out; /* frames this netif sends */
    uint8_t mac_last;
};

static struct side g_side[2];
static struct lq g_q[2]; /* g_q[0]: a -> b, g_q[1]: b -> a */
static uint64_t g_stalls;

static err_t link_output(struct netif *nif, struct pbuf *p)
{
    struct side *s = nif->state;
    /* A link driver copies what it keeps: one copy, as nstack's link does. */
    struct pbuf *q = pbuf_alloc(PBUF_RAW, p->tot_len, PBUF_RAM);
    if (!q || s->out->count == LQ_CAP) {
        if (q)
            pbuf_free(q);
        s->out->dropped++;
        return ERR_MEM;
    }
    pbuf_copy_partial(p, q->payload, p->tot_len, 0);
    s->out->v[(s->out->head + s->out->count++) % LQ_CAP] = q;
    return ERR_OK;
}

static err_t netif_setup(struct netif *nif)
{
    struct side *s = nif->state;
    nif->name[0] = 'm';
    nif->name[1] = (char)('0' + s->mac_last);
    nif->output = etharp_output;
    nif->linkoutput = link_output;
    nif->hwaddr_len = 6;
    static const u8_t base[6] = {0x02, 0, 0, 0, 0, 0};
    memcpy(nif->hwaddr, base, 6);
    nif->hwaddr[5] = s->mac_last;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

static ip_addr_t g_addr[2];

/* Netif a (10.0.0.1) is added first and b (10.0.0.2) last, so b heads
 * lwIP's netif list; connections are bound to their netif (tcp_bind_netif)
 * so that lwIP never takes its loopback path for an address of its own. */
static int pair_up(uint32_t mtu)
{
    ip4_addr_t mask, gw;
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    IP_ADDR4(&g_addr[0], 10, 0, 0, 1);
    IP_ADDR4(&g_addr[1], 10, 0, 0, 2);
    for (int i = 0; i < 2; i++) {
        g_side[i].out = &g_q[i];
        g_side[i].mac_last = (uint8_t)(i + 1);
        if (!netif_add(&g_side[i].nif, ip_2_ip4(&g_addr[i]), &mask, &gw, &g_side[i], netif_setup, ethernet_input))
            return -1;
        g_side[i].nif.mtu = (u16_t)mtu;
        netif_set_up(&g_side[i].nif);
        netif_set_link_up(&g_side[i].nif);
    }
    return 0;
}

static void pair_down(void)
{
    for (int i = 0; i < 2; i++) {
        while (g_q[i].count) {
            pbuf_free(g_q[i].v[g_q[i].head]);
            g_q[i].head = (g_q[i].head + 1) % LQ_CAP;
            g_q[i].count--;
        }
        netif_remove(&g_side[i].nif);
    }
}

/* Delivers queued frames in both directions until none is left. */
static uint64_t pump(void)
{
    uint64_t total = 0;
    for (;;) {
        uint64_t n = 0;
        for (int i = 0; i < 2; i++) {
            struct lq *q = &g_q[i];
            struct netif *to = &g_side[1 - i].nif;
            while (q->count) {
                struct pbuf *p = q->v[q->head];
                q->head = (q->head + 1) % LQ_CAP;
                q->count--;
                if (to->input(p, to) != ERR_OK)
                    pbuf_free(p);
                n++;
            }
        }
        if (!n)
            return total;
        total += n;
    }
}

/* Nothing can move: jump to lwIP's next timeout (a stall) and run it. */
static void idle(void)
{
    u32_t ms = sys_timeouts_sleeptime();
    if (ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE)
        g_skew_ms += ms;
    g_stalls++;
    sys_check_timeouts();
    pump();
}

/* lwIP's TIME_WAIT lasts 2*MSL counted in slow-timer ticks: run enough of
 * them that the records of one repetition do not slow the next. */
static void purge_time_wait(void)
{
    for (int i = 0; i < (int)(2 * TCP_MSL / TCP_SLOW_INTERVAL) + 4; i++)
        tcp_slowtmr();
}

static unsigned list_len(const struct tcp_pcb *p)
{
    unsigned n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}

/* ---- one connection between the netifs ---------------------------------------------- */

struct conn_end {
    struct tcp_pcb *pcb;
    uint64_t rcvd; /* payload bytes received */
    int connected, eof, closed, error;
    uint8_t *buf; /* the application's read buffer */
    const uint8_t *pattern;
    long verify_bytes;
    int corrupt;
    size_t io;    /* the application's read size (bytes copied out per call) */
    int in_place; /* --in-place: read the pbufs where they are (bulk) */
    /* Request/response roles. */
    size_t msg;             /* request and response size (RR sweep; 64 otherwise) */
    int track_msgs;         /* count the messages received (servers, RR client) */
    int check_msgs;         /* and check each one's tags (bench_util.h) */
    int respond;            /* server: answer each msg bytes with msg bytes */
    int request_on_connect; /* CRR client: send the request once connected */
    int close_after;        /* server: close after the first answer (CRR) */
    /* Counted as bytes go, not divided out: a 64-bit division per callback
     * would show in the 64-byte RR figure. */
    uint64_t msg_k;      /* messages received in full */
    size_t msg_at;       /* bytes of the next one received */
    uint64_t resp_k;     /* server: responses written in full */
    size_t resp_at;      /* bytes of the next one written */
};

/* Walks n received bytes through the message boundaries, checking the
 * first and last byte of each message if asked. 0, or -1 on a wrong tag. */
static int track_msgs(struct conn_end *e, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (e->check_msgs && e->msg_at == 0 && d[i] != bu_rr_tag(e->msg_k))
            return -1;
        size_t left = e->msg - e->msg_at; /* to the end of this message */
        if (n - i < left) {
            e->msg_at += n - i;
            return 0;
        }
        if (e->check_msgs && d[i + left - 1] != bu_rr_tag(e->msg_k))
            return -1;
        i += left;
        e->msg_at = 0;
        e->msg_k++;
    }
    return 0;
}

static struct conn_end g_cli, g_srv;
static struct tcp_pcb *g_listener;

static void on_err(void *arg, err_t err)
{
    struct conn_end *e = arg;
    (void)err;
    e->error = 1;
    e->pcb = NULL;
}

/* Copies the data out (the application's read, io bytes at a time), as a
 * socket read would. */
/* --in-place: the bytes checked where they lie, pbuf by pbuf (lwIP's own
 * zero-copy receive: its callback hands the application the buffers). */
static void consume_in_place(struct conn_end *e, struct pbuf *p)
{
    for (struct pbuf *q = p; q; q = q->next) {
        const uint8_t *d = q->payload;
        for (size_t at = 0; at < q->len;) {
            size_t n = q->len - at < e->io ? q->len - at : e->io;
            if (e->pattern && e->rcvd < (uint64_t)e->verify_bytes && bu_pattern_check(e->pattern, e->rcvd, d + at, n) < 0)
                e->corrupt = 1;
            e->rcvd += n;
            at += n;
        }
    }
}

static void consume(struct conn_end *e, struct pbuf *p)
{
    if (e->in_place && !e->track_msgs) {
        consume_in_place(e, p);
        return;
    }
    u16_t off = 0;
    while (off < p->tot_len) {
        size_t left = (size_t)(p->tot_len - off);
        u16_t n = (u16_t)(left > e->io ? e->io : left);
        pbuf_copy_partial(p, e->buf, n, off);
        if (e->pattern && e->rcvd < (uint64_t)e->verify_bytes && bu_pattern_check(e->pattern, e->rcvd, e->buf, n) < 0)
            e->corrupt = 1;
        if (e->track_msgs && track_msgs(e, e->buf, n) < 0)
            e->corrupt = 1;
        e->rcvd += n;
        off = (u16_t)(off + n);
    }
}

/* The server's response and the client's request (RR): msg bytes of fill,
 * tags stamped per message; tcp_write copies them (TCP_WRITE_FLAG_COPY). */
static uint8_t g_resp[BU_SWEEP_MAX_SIZE], g_reqmsg[BU_SWEEP_MAX_SIZE];

/* Room for a write: lwIP's send buffer, unless its segment queue is full. */
static size_t send_room(const struct tcp_pcb *pcb)
{
    return tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN ? 0 : tcp_sndbuf(pcb);
}

/* Writes what the send buffer takes of the responses owed, each stamped
 * with its tags; the rest goes from the sent callback as ACKs free room. */
static void push_responses(struct conn_end *e, struct tcp_pcb *pcb)
{
    while (e->resp_k < e->msg_k) {
        size_t len = e->msg - e->resp_at, room = send_room(pcb);
        if (len > room)
            len = room;
        if (!len)
            return;
        bu_rr_stamp(g_resp, e->msg, e->resp_k);
        if (tcp_write(pcb, g_resp + e->resp_at, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK)
            return;
        e->resp_at += len;
        if (e->resp_at == e->msg) {
            e->resp_at = 0;
            e->resp_k++;
        }
    }
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct conn_end *e = arg;
    (void)len;
    if (e && e->respond && !e->closed)
        push_responses(e, pcb); /* lwIP calls tcp_output after this callback */
    return ERR_OK;
}

/* Closes our side; lwIP may free the pcb any time after, so nothing of
 * ours is left on it (a late FIN or RST must not reach a reused conn_end). */
static void close_end(struct conn_end *e, struct tcp_pcb *pcb)
{
    e->closed = 1;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_close(pcb);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn_end *e = arg;
    (void)err;
    if (!p) {
        e->eof = 1;
        if (!e->closed)
            close_end(e, pcb);
        return ERR_OK;
    }
    uint64_t before = e->msg_k;
    consume(e, p);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (e->respond && !e->closed && e->msg_k > before) {
        push_responses(e, pcb); /* a response per complete request */
        if (e->close_after && e->resp_k >= 1) {
            close_end(e, pcb); /* the FIN follows the answer */
        } else {
            tcp_output(pcb);
        }
    }
    return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct conn_end *e = arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    e->pcb = pcb;
    e->connected = 1;
    tcp_arg(pcb, e);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

static const uint8_t g_req[64] = {'q'};

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct conn_end *e = arg;
    e->connected = err == ERR_OK;
    if (e->request_on_connect) {
        tcp_write(pcb, g_req, 64, TCP_WRITE_FLAG_COPY);
        tcp_output(pcb);
    }
    return ERR_OK;
}

static void end_init(struct conn_end *e, uint8_t *buf)
{
    memset(e, 0, sizeof(*e));
    e->buf = buf;
    e->io = CHUNK;
    e->msg = 64;
}

static int listen_on(u16_t port, struct conn_end *srv)
{
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb)
        return -1;
    tcp_bind_netif(pcb, &g_side[1].nif);
    if (tcp_bind(pcb, &g_addr[1], port) != ERR_OK)
        return -1;
    g_listener = tcp_listen_with_backlog(pcb, 255);
    if (!g_listener)
        return -1;
    tcp_arg(g_listener, srv);
    tcp_accept(g_listener, on_accept);
    return 0;
}

static int connect_to(u16_t port, struct conn_end *cli)
{
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb)
        return -1;
    cli->pcb = pcb;
    tcp_bind_netif(pcb, &g_side[0].nif);
    tcp_arg(pcb, cli);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
    return tcp_connect(pcb, &g_addr[1], port, on_connected) == ERR_OK ? 0 : -1;
}

static int run_until_connected(void)
{
    for (int i = 0; i < 20 && !(g_cli.connected && g_srv.connected); i++) {
        pump();
        sys_check_timeouts();
        if (!(g_cli.connected && g_srv.connected))
            idle();
    }
    return g_cli.connected && g_srv.connected ? 0 : -1;
}

/* Ends a repetition. Connections are dropped without a RST (tcp_abandon
 * with reset 0): a RST answered for a pcb already gone would be routed by
 * address, and lwIP would hand a frame for 10.0.0.2 sent from netif a to
 * its loopback path, which needs the tcpip thread. */
static void teardown(void)
{
    if (g_cli.pcb && !g_cli.error)
        tcp_abandon(g_cli.pcb, 0);
    if (g_srv.pcb && !g_srv.error && !g_srv.closed)
        tcp_abandon(g_srv.pcb, 0);
    if (g_listener)
        tcp_close(g_listener);
    g_listener = NULL;
    pair_down(); /* frees the frames still queued */
    purge_time_wait();
}

/* ---- bulk ---------------------------------------------------------------------------- */

struct bulk_run {
    double gbps, cpu_s, wall_s;
    uint64_t bytes, stalls;
};

/* Writes while lwIP has room, io bytes per call or what room there is (a
 * non-blocking socket's partial write; io >= 64 KiB: all the room at once). */
static uint64_t fill(struct tcp_pcb *pcb, const uint8_t *pattern, uint64_t *sent, size_t io)
{
    uint64_t total = 0;
    for (;;) {
        u16_t room = tcp_sndbuf(pcb);
        if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN)
            break;
        if (room > io)
            room = (u16_t)io;
        if (tcp_write(pcb, pattern + (*sent % BU_PATTERN_PERIOD), room, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        *sent += room;
        total += room;
    }
    if (total)
        tcp_output(pcb);
    return total;
}

/* One repetition at MTU mtu, the application writing and reading io bytes
 * per call (io <= CHUNK). */
static int bulk_once(uint32_t mtu, size_t io, const struct bu_opts *o, const uint8_t *pattern, uint8_t *buf,
                     struct bulk_run *out)
{
    int rc = -1;
    end_init(&g_cli, buf);
    end_init(&g_srv, buf);
    g_srv.io = io;
    g_srv.pattern = pattern;
    g_srv.verify_bytes = o->verify_bytes;
    g_srv.in_place = o->in_place;
    if (pair_up(mtu) || listen_on(5001, &g_srv) || connect_to(5001, &g_cli) || run_until_connected())
        goto done;
    uint64_t sent = 0, r0 = 0;
    double c0 = 0, w0 = 0;
    int measuring = 0;
    for (unsigned it = 0;; it++) {
        uint64_t moved = fill(g_cli.pcb, pattern, &sent, io);
        moved += pump();
        if ((it & 63) == 0)
            sys_check_timeouts();
        if (g_srv.corrupt || g_cli.error || g_srv.error) {
            bu_progress("bulk", "%s: %s", LWIP_IMPL, g_srv.corrupt ? "received bytes differ from those sent" : "error");
            goto done;
        }
        if (!moved)
            idle();
        if (!measuring && g_srv.rcvd >= (16u << 20)) {
            measuring = 1;
            r0 = g_srv.rcvd;
            c0 = bu_cpu_seconds();
            w0 = (double)bu_mono_ns() * 1e-9;
            g_stalls = 0;
        } else if (measuring && bu_cpu_seconds() - c0 >= o->seconds) {
            break;
        }
    }
    out->cpu_s = bu_cpu_seconds() - c0;
    out->wall_s = (double)bu_mono_ns() * 1e-9 - w0;
    out->bytes = g_srv.rcvd - r0;
    out->gbps = (double)out->bytes * 8 / out->cpu_s / 1e9;
    out->stalls = g_stalls;
    rc = 0;
done:
    teardown();
    return rc;
}

/* o->reps repetitions at one MTU and write size, the median written as
 * bench/variant; a failed repetition writes a FAILED row and returns -1. */
static int bulk_series(const struct bu_opts *o, const uint8_t *pattern, uint8_t *buf, uint32_t mtu, size_t io,
                       const char *bench, const char *variant)
{
    double v[16];
    struct bulk_run runs[16];
    int n = o->reps > 16 ? 16 : o->reps;
    struct bu_result res = {bench, variant, bu_impl(o, LWIP_IMPL), "goodput", 0, "Gbit/s per CPU s", n, 0, 0, ""};
    for (int i = 0; i < n; i++) {
        if (bulk_once(mtu, io, o, pattern, buf, &runs[i])) {
            snprintf(res.note, sizeof(res.note),
                     "%s: repetition %d, MTU %u, %zu-byte writes: corrupt data, an error or a deadlock", BU_FAILED,
                     i + 1, mtu, io);
            bu_result_write(o->out, &res);
            return -1;
        }
        v[i] = runs[i].gbps;
        bu_progress(bench, "lwip %s mtu %u rep %d/%d: %.2f Gbit/s per CPU s (%.0f MB, %llu stalls)", variant, mtu,
                    i + 1, n, runs[i].gbps, (double)runs[i].bytes / 1e6, (unsigned long long)runs[i].stalls);
    }
    double med = bu_median(v, n);
    const struct bulk_run *r = &runs[0];
    for (int i = 0; i < n; i++)
        if (runs[i].gbps == med)
            r = &runs[i];
    res.value = med;
    res.cpu_s = r->cpu_s;
    res.wall_s = r->wall_s;
    int at = snprintf(res.note, sizeof(res.note),
                      "%s: %.0f MB moved, %llu stalls, TCP_MSS %u, %u KiB window, verified first %ld MB", LWIP_BUILD,
                      (double)r->bytes / 1e6, (unsigned long long)r->stalls, (unsigned)TCP_MSS,
                      (unsigned)(TCP_WND / 1024), o->verify_bytes >> 20);
    if (strcmp(bench, "bulk") && at > 0 && (size_t)at < sizeof(res.note))
        snprintf(res.note + at, sizeof(res.note) - (size_t)at,
                 "; MTU %u, %zu-byte writes (or the room left) and reads", mtu, io);
    bu_result_write(o->out, &res);
    return 0;
}

static int bench_bulk(const struct bu_opts *o)
{
    uint8_t *pattern = bu_pattern_new(CHUNK), *buf = malloc(CHUNK);
    if (!pattern || !buf)
        return -1;
    static const uint32_t mtus[] = {1500, 9000};
    int rc = 0;
    for (size_t m = 0; m < 2 && !rc; m++) {
        if (o->mtu && (uint32_t)o->mtu != mtus[m])
            continue;
        /* Each build at the MTU its TCP_MSS fills, as nstack fills both:
         * MSS 1460 at MTU 1500, the jumbo build's 8960 at MTU 9000. */
        if ((mtus[m] == 9000) != (TCP_MSS > 1460))
            continue;
        rc = bulk_series(o, pattern, buf, mtus[m], CHUNK, "bulk", mtus[m] == 1500 ? "mtu1500" : "mtu9000");
    }
    free(pattern);
    free(buf);
    return rc;
}

/* ---- request/response ---------------------------------------------------------------- */

/* How many stalls one transaction may take before it counts as stuck. */
#define RR_MAX_IDLES 10000

/* Writes request k (size bytes, tags stamped) as lwIP's send buffer takes
 * it, delivering frames between writes; the server answers from its
 * callbacks meanwhile. 0, or -1 on an error, corrupt data or no progress. */
static int send_request(struct tcp_pcb *pcb, size_t size, uint64_t k)
{
    bu_rr_stamp(g_reqmsg, size, k);
    size_t put = 0;
    for (int idles = 0; put < size;) {
        size_t len = size - put, room = send_room(pcb);
        if (len > room)
            len = room;
        if (len && tcp_write(pcb, g_reqmsg + put, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK)
            len = 0;
        put += len;
        tcp_output(pcb);
        uint64_t moved = pump();
        if (g_cli.error || g_srv.error || g_srv.corrupt)
            return -1;
        if (!len && !moved) {
            if (++idles > RR_MAX_IDLES)
                return -1;
            idle();
        }
    }
    return 0;
}

static int rr_once(const struct bu_opts *o, size_t size, double *rate, double *cpu, double *wall)
{
    uint8_t buf[CHUNK];
    int rc = -1;
    end_init(&g_cli, buf);
    end_init(&g_srv, buf);
    g_cli.msg = g_srv.msg = size;
    g_cli.track_msgs = g_srv.track_msgs = 1;
    g_cli.check_msgs = g_srv.check_msgs = 1;
    g_srv.respond = 1; /* the server answers from its receive (and sent) callbacks */
    if (pair_up(1500) || listen_on(5002, &g_srv) || connect_to(5002, &g_cli) || run_until_connected())
        goto done;
    uint64_t n = 0, mask = size >= 4096 ? 15 : 1023; /* how often the CPU clock is read */
    double c0 = 0, w0 = 0;
    for (;;) {
        if (send_request(g_cli.pcb, size, n))
            goto done;
        uint64_t want = (n + 1) * size;
        for (int idles = 0; g_cli.rcvd < want; idles++) {
            if (g_cli.error || g_srv.error || idles > RR_MAX_IDLES)
                goto done;
            idle();
        }
        if (g_cli.corrupt || g_cli.rcvd != want)
            goto done; /* a wrong message, or more bytes than the responses hold */
        n++;
        if ((n & 255) == 0)
            sys_check_timeouts();
        if (n == 1000) {
            c0 = bu_cpu_seconds();
            w0 = (double)bu_mono_ns() * 1e-9;
            g_stalls = 0;
        } else if (n > 1000 && (n & mask) == 0 && bu_cpu_seconds() - c0 >= o->seconds) {
            break;
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)(n - 1000) / *cpu;
    rc = 0;
done:
    teardown();
    return rc;
}

/* o->reps repetitions of RR at one size, written as rr/<size>B (a FAILED
 * row if an exchange fails). */
static int rr_series(const struct bu_opts *o, size_t size)
{
    double v[16], cpu = 0, wall = 0;
    uint64_t stalls = 0;
    int n = o->reps > 16 ? 16 : o->reps;
    char variant[32];
    snprintf(variant, sizeof(variant), "%zuB", size);
    struct bu_result res = {"rr", variant, bu_impl(o, LWIP_IMPL), "transactions", 0, "per CPU s", n, 0, 0, ""};
    for (int i = 0; i < n; i++) {
        if (rr_once(o, size, &v[i], &cpu, &wall) < 0) {
            bu_progress("rr", "%s %s: the exchange failed", LWIP_IMPL, variant);
            snprintf(res.note, sizeof(res.note),
                     "%s: repetition %d: an exchange failed (error, stuck, short or wrong message)", BU_FAILED, i + 1);
            bu_result_write(o->out, &res);
            return -1;
        }
        stalls = g_stalls;
        bu_progress("rr", "lwip %s rep %d/%d: %.0f transactions per CPU s (%llu stalls)", variant, i + 1, n, v[i],
                    (unsigned long long)g_stalls);
    }
    res.value = bu_median(v, n);
    res.cpu_s = cpu;
    res.wall_s = wall;
    snprintf(res.note, sizeof(res.note),
             "one connection, Nagle off, server answers from its recv callback; %llu stalls; every message's length "
             "and first/last bytes checked",
             (unsigned long long)stalls);
    bu_result_write(o->out, &res);
    return 0;
}

static int bench_rr(const struct bu_opts *o) { return rr_series(o, 64); }

/* ---- the message-size sweep ------------------------------------------------------------- */

/* RR at every size of --rr-sizes, bulk at MTU 1500 with every write size of
 * --write-sizes; every point is tried and written, failed or not. */
static int bench_sweep(const struct bu_opts *o)
{
    uint32_t sizes[BU_SWEEP_MAX];
    int rc = 0, n = bu_sweep_rr_sizes(o, sizes);
    for (int i = 0; i < n; i++)
        rc |= rr_series(o, sizes[i]) != 0;
    uint8_t *pattern = bu_pattern_new(CHUNK), *buf = malloc(CHUNK);
    if (!pattern || !buf) {
        free(pattern);
        free(buf);
        return -1;
    }
    n = bu_sweep_write_sizes(o, sizes);
    for (int i = 0; i < n; i++) {
        char variant[32];
        snprintf(variant, sizeof(variant), "%uB", sizes[i]);
        rc |= bulk_series(o, pattern, buf, 1500, sizes[i], "bulk-write", variant) != 0;
    }
    free(pattern);
    free(buf);
    return rc ? -1 : 0;
}

/* ---- connection rate -------------------------------------------------------------------- */

__attribute__((noinline)) static int crr_one(uint8_t *buf)
{
    end_init(&g_cli, buf);
    end_init(&g_srv, buf);
    g_cli.request_on_connect = 1;
    g_srv.respond = 1;
    g_srv.track_msgs = 1;
    g_srv.close_after = 1;
    if (connect_to(80, &g_cli))
        return -1;
    pump();
    /* Done when the client has read the answer and EOF and closed, and
     * the last ACK has gone back (the client's pcb is then freed). */
    for (int i = 0; !(g_cli.eof && g_cli.closed && g_cli.rcvd == 64); i++) {
        if (g_cli.error || g_srv.error || i > 10)
            return -1;
        idle();
    }
    pump();
    return 0;
}

/* count connections one after the other. TIME_WAIT is lwIP's own: a pcb
 * kept 2*MSL (TCP_MSL), recycled oldest first only when the pcb pool is
 * empty (tcp_alloc -> tcp_kill_timewait). The tuned build's pool holds 128
 * pcbs, so its TIME_WAIT list (walked for every SYN and every port choice)
 * stays that short; the package allocates pcbs from malloc with no such
 * bound, so all of them stay on the list: its rate falls as the list grows. */
static int crr_once(long count, double *rate, double *cpu, double *wall, char *note, size_t note_len)
{
    uint8_t buf[CHUNK];
    int rc = -1;
    end_init(&g_srv, buf);
    if (pair_up(1500) || listen_on(80, &g_srv))
        goto done;
    /* The first connection pays for ARP: not timed. */
    if (crr_one(buf))
        goto done;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9, last = c0;
    g_stalls = 0;
    unsigned tw_max = 0;
    for (long i = 0; i < count; i++) {
        if (crr_one(buf)) {
            bu_progress("crr", "%s: exchange %ld failed", LWIP_IMPL, i);
            snprintf(note, note_len, "%s: exchange %ld of %ld failed (error, stuck or short answer)", BU_FAILED, i,
                     count);
            goto done;
        }
        if ((i & 1023) == 1023) {
            sys_check_timeouts();
            unsigned tw = list_len(tcp_tw_pcbs);
            tw_max = tw > tw_max ? tw : tw_max;
            double c = bu_cpu_seconds();
            if (c - last >= 2.0) {
                bu_progress("crr", "%s: %ld connections, %.0f per CPU s, %u TIME_WAIT pcbs", LWIP_IMPL, i + 1,
                            (double)(i + 1) / (c - c0), tw);
                last = c;
            }
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)count / *cpu;
    snprintf(note, note_len,
             "%s: %ld sequential connections, server closes first; TIME_WAIT kept 2*MSL (MSL %u s) unless the pcb "
             "pool runs out; up to %u TIME_WAIT pcbs on the list, %llu stalls",
             LWIP_BUILD, count, (unsigned)(TCP_MSL / 1000), tw_max, (unsigned long long)g_stalls);
    rc = 0;
done:
    g_cli.pcb = NULL; /* freed by lwIP after LAST_ACK */
    g_srv.pcb = NULL;
    teardown();
    return rc;
}

static int bench_crr(const struct bu_opts *o)
{
    long count = o->conns > 0 ? o->conns : 10000;
    if (count > 16000) {
        /* lwIP cannot reopen a tuple its TIME_WAIT holds: stay within the
         * 16,384 ephemeral ports. */
        count = 16000;
    }
    double v[16], cpu = 0, wall = 0;
    char note[256] = "";
    int n = o->reps > 16 ? 16 : o->reps;
    struct bu_result res = {"crr", "64B", bu_impl(o, LWIP_IMPL), "connections", 0, "per CPU s", n, 0, 0, ""};
    /* A warm-up repetition, not reported: the first one pays for growing the heap. */
    int failed = crr_once(count / 5 + 1, &v[0], &cpu, &wall, note, sizeof(note)) < 0;
    for (int i = 0; i < n && !failed; i++) {
        failed = crr_once(count, &v[i], &cpu, &wall, note, sizeof(note)) < 0;
        if (!failed)
            bu_progress("crr", "%s rep %d/%d: %.0f connections per CPU s", LWIP_IMPL, i + 1, n, v[i]);
    }
    if (failed) {
        if (strncmp(note, BU_FAILED, strlen(BU_FAILED)))
            snprintf(note, sizeof(note), "%s: the CRR set-up failed (netifs or listener)", BU_FAILED);
        snprintf(res.note, sizeof(res.note), "%s", note);
        bu_result_write(o->out, &res);
        return -1;
    }
    res.value = bu_median(v, n);
    res.cpu_s = cpu;
    res.wall_s = wall;
    snprintf(res.note, sizeof(res.note), "%s", note);
    bu_result_write(o->out, &res);
    return 0;
}

int main(int argc, char **argv)
{
    struct bu_opts o;
    if (bu_parse_opts(&o, argc, argv, "nst_bench_lwip"))
        return 2;
    lwip_init();
    memset(g_resp, 'r', sizeof(g_resp));
    memset(g_reqmsg, 'q', sizeof(g_reqmsg));
    int rc = 0;
    if (bu_selected(&o, "bulk"))
        rc |= bench_bulk(&o) != 0;
    if (bu_selected(&o, "rr"))
        rc |= bench_rr(&o) != 0;
    if (bu_selected(&o, "crr"))
        rc |= bench_crr(&o) != 0;
    if (bu_selected(&o, "sweep"))
        rc |= bench_sweep(&o) != 0;
    return rc;
}
