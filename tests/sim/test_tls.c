/* TLS over nstack TCP on the simulator (src/app/, include/nstack/tls.h):
 * handshakes of both versions on the article's New York–London path with
 * the exact virtual time the first request byte leaves New York, bulk
 * echo through a lossy path, resumption through the client's cache, 0-RTT
 * accepted and rejected, ALPN, SNI, verification and version failures,
 * and bad peers (garbage, truncation, a FIN or an alert mid-handshake, a
 * peer that never answers) with a good connection running beside them. */
#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/timer.h>
#include <nstack/tls.h>
#include <errno.h>

#include "test.h"

#define PORT 443
#define REQ_LEN 300 /* longer than any handshake record, so the first such record is the request */

static struct nst_tls_test_pki pki; /* made once: RSA key generation is slow */

/* ---- the world: the NY–London path, ARP warmed -------------------------- */

struct lab {
    struct nst_lab_path p;
    struct nst_world *w;
    struct nst_stack *ny, *ldn;
};

static void lab_up(struct lab *l, uint64_t seed, double loss)
{
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    o.seed = seed;
    o.loss = loss;
    CHECK_EQ(nst_lab_path_build(&l->p, &o), 0);
    l->w = l->p.world;
    l->ny = l->p.ny;
    l->ldn = l->p.london;
    /* Resolve the LAN neighbours both ways (a connect to a closed port and
     * its RST), so the timings below are the handshakes' own. */
    int fd = nst_socket(l->ny, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, 9};
    nst_connect(l->ny, fd, &to);
    nst_world_run_for(l->w, NST_MSEC(200));
    nst_close(l->ny, fd);
}

static void lab_down(struct lab *l) { nst_lab_path_free(&l->p); }

/* ---- contexts ----------------------------------------------------------- */

static struct nst_tls_ctx *server_ctx(int minv, int maxv, uint32_t max_early, const char *alpn)
{
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert = pki.cert;
    c.key = pki.key;
    c.min_version = minv;
    c.max_version = maxv;
    c.max_early_data = max_early;
    c.alpn = alpn;
    struct nst_tls_ctx *ctx = NULL;
    const char *why;
    int r = nst_tls_ctx_new(&c, &ctx, &why);
    if (r)
        fprintf(stderr, "server ctx: %s\n", why);
    CHECK_EQ(r, 0);
    return ctx;
}

static struct nst_tls_ctx *client_ctx(int minv, int maxv, int early, const char *alpn)
{
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_CLIENT);
    c.ca_cert = pki.ca_cert;
    c.min_version = minv;
    c.max_version = maxv;
    c.early_data = early;
    c.alpn = alpn;
    struct nst_tls_ctx *ctx = NULL;
    const char *why;
    int r = nst_tls_ctx_new(&c, &ctx, &why);
    if (r)
        fprintf(stderr, "client ctx: %s\n", why);
    CHECK_EQ(r, 0);
    return ctx;
}

/* ---- an echo server: every connection echoes what it reads ------------- */

#define MAX_CONNS 16

struct sconn {
    struct nst_stream *s;
    uint8_t buf[16384];
    size_t len, off;
    uint64_t in, early_in;
    int eof, err, shut;
    uint16_t peer_port;
    nst_time_t t_accept, t_err;
    struct nst_tls_info info;
};

struct server {
    struct nst_stack *st;
    struct nst_tls_ctx *ctx; /* NULL: plain TCP */
    int lfd;
    int echo;                /* 0: read and count only */
    struct sconn c[MAX_CONNS];
    int n;
};

static void sconn_step(struct server *sv, struct sconn *c)
{
    for (;;) {
        if (c->len > c->off) {
            ssize_t w = nst_stream_write(c->s, c->buf + c->off, c->len - c->off);
            if (w < 0)
                break;
            c->off += (size_t)w;
            if (c->off < c->len)
                break;
            c->len = c->off = 0;
        }
        ssize_t r = nst_stream_read(c->s, c->buf, sizeof(c->buf));
        if (r > 0) {
            c->in += (uint64_t)r;
            if (nst_stream_read_was_early(c->s))
                c->early_in += (uint64_t)r;
            if (sv->echo)
                c->len = (size_t)r;
            continue;
        }
        if (r == 0)
            c->eof = 1;
        else if (r != -EAGAIN && !c->err) {
            c->err = (int)r;
            c->t_err = nst_stack_now(sv->st);
        }
        break;
    }
    if (c->eof && !c->shut && c->len == c->off && nst_stream_shutdown(c->s) == 0)
        c->shut = 1;
    if (nst_stream_is_tls(c->s))
        nst_tls_get_info(c->s, &c->info);
}

static struct server *g_servers[4];

static struct server *server_of(struct sconn *c)
{
    for (int i = 0; i < 4; i++)
        if (g_servers[i] && c >= g_servers[i]->c && c < g_servers[i]->c + MAX_CONNS)
            return g_servers[i];
    return NULL;
}

static void sconn_cb(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    struct sconn *c = arg;
    sconn_step(server_of(c), c);
}

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct server *sv = arg;
    if (!(ev & NST_EV_IN))
        return;
    int cfd;
    while ((cfd = nst_accept(sv->st, sv->lfd, NULL)) >= 0) {
        CHECK(sv->n < MAX_CONNS);
        if (sv->n >= MAX_CONNS) {
            nst_close(sv->st, cfd);
            continue;
        }
        struct sconn *c = &sv->c[sv->n++];
        struct nst_sockaddr peer;
        nst_getpeername(sv->st, cfd, &peer);
        c->peer_port = peer.port;
        c->t_accept = nst_stack_now(sv->st);
        c->s = sv->ctx ? nst_tls_server(sv->ctx, sv->st, cfd) : nst_stream_tcp(sv->st, cfd);
        CHECK(c->s != NULL);
        nst_stream_set_callback(c->s, sconn_cb, c);
        sconn_step(sv, c);
    }
}

static void server_start(struct server *sv, struct nst_stack *st, struct nst_tls_ctx *ctx, uint16_t port)
{
    memset(sv, 0, sizeof(*sv));
    sv->st = st;
    sv->ctx = ctx;
    sv->echo = 1;
    sv->lfd = nst_socket(st, NST_SOCK_STREAM);
    int one = 1;
    nst_setsockopt(st, sv->lfd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof(one));
    struct nst_sockaddr a = {0, port};
    CHECK_EQ(nst_bind(st, sv->lfd, &a), 0);
    CHECK_EQ(nst_listen(st, sv->lfd, 16), 0);
    CHECK_EQ(nst_socket_set_event_cb(st, sv->lfd, on_listener, sv), 0);
    for (int i = 0; i < 4; i++)
        if (!g_servers[i]) {
            g_servers[i] = sv;
            break;
        }
}

static void server_stop(struct server *sv)
{
    for (int i = 0; i < sv->n; i++)
        nst_stream_close(sv->c[i].s);
    nst_close(sv->st, sv->lfd);
    for (int i = 0; i < 4; i++)
        if (g_servers[i] == sv)
            g_servers[i] = NULL;
}

/* ---- a client: sends `len` bytes, reads the echo ------------------------ */

struct client {
    struct nst_stream *s;
    const uint8_t *data;
    size_t len, sent;
    uint8_t *got;
    size_t got_len;
    int eof, err, shut_when_done;
    nst_time_t t_done, t_err;
};

static void client_step(struct client *c)
{
    while (c->sent < c->len) {
        ssize_t w = nst_stream_write(c->s, c->data + c->sent, c->len - c->sent);
        if (w < 0) {
            if (w != -EAGAIN && !c->err) {
                c->err = (int)w;
                c->t_err = nst_stack_now(nst_stream_stack(c->s));
            }
            break;
        }
        c->sent += (size_t)w;
    }
    for (;;) {
        size_t room = c->len - c->got_len;
        uint8_t sink[4096];
        ssize_t r = nst_stream_read(c->s, room ? c->got + c->got_len : sink, room ? room : sizeof(sink));
        if (r > 0) {
            if (room)
                c->got_len += (size_t)r;
            continue;
        }
        if (r == 0)
            c->eof = 1;
        else if (r != -EAGAIN && !c->err) {
            c->err = (int)r;
            c->t_err = nst_stack_now(nst_stream_stack(c->s));
        }
        break;
    }
    if (c->got_len == c->len && !c->t_done) {
        c->t_done = nst_stack_now(nst_stream_stack(c->s));
        if (c->shut_when_done)
            nst_stream_shutdown(c->s);
    }
}

static void client_cb(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    client_step(arg);
}

static int client_fd(struct lab *l, uint16_t port)
{
    int fd = nst_socket(l->ny, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, port};
    CHECK_EQ(nst_connect(l->ny, fd, &to), -EINPROGRESS);
    return fd;
}

static void client_open(struct client *c, struct lab *l, struct nst_tls_ctx *ctx, const char *host, uint16_t port,
                        const uint8_t *data, size_t len)
{
    memset(c, 0, sizeof(*c));
    int fd = client_fd(l, port);
    c->s = ctx ? nst_tls_client(ctx, l->ny, fd, host, port) : nst_stream_tcp(l->ny, fd);
    CHECK(c->s != NULL);
    c->data = data;
    c->len = len;
    c->got = malloc(len ? len : 1);
    nst_stream_set_callback(c->s, client_cb, c);
    client_step(c); /* writes now: 0-RTT bytes queue before TCP connects */
}

static void client_free(struct client *c)
{
    nst_stream_close(c->s);
    free(c->got);
    c->s = NULL;
    c->got = NULL;
}

static int client_done(void *arg)
{
    struct client *c = arg;
    return c->t_done != 0 || c->err != 0;
}

static uint8_t *pattern(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

/* ---- watching the wire: when the request leaves New York --------------- */

#define MAX_FRAMES 4096

struct wframe {
    nst_time_t at;
    uint16_t sport;
    uint8_t flags;
    uint32_t seq;
    uint16_t len;
    uint8_t data[1500];
};

struct watch {
    struct wframe *f;
    int n;
};

static void on_frame(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *fr, size_t len)
{
    struct watch *w = arg;
    if (ev != NST_SIM_OFFERED || dir != 0 || len < 14 + 20 + 20 || fr[12] != 0x08 || fr[13] != 0x00)
        return;
    const uint8_t *ip = fr + 14;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = (size_t)ip[2] << 8 | ip[3];
    if (ip[9] != 6 || tot > len - 14)
        return;
    const uint8_t *tcp = ip + ihl;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    uint16_t dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
    if (dport != PORT || w->n >= MAX_FRAMES)
        return;
    struct wframe *f = &w->f[w->n++];
    f->at = now;
    f->sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
    f->flags = tcp[13];
    f->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    f->len = (uint16_t)(tot - ihl - doff);
    memcpy(f->data, tcp + doff, f->len);
}

/* For the connection from sport: the time from its SYN to the first frame
 * carrying the first byte of the request (plain: the first payload byte;
 * TLS: the first application-data record of at least REQ_LEN + 16 bytes,
 * which no handshake record is). -1 if not seen. */
static nst_time_t request_delay(const struct watch *w, uint16_t sport, int tls)
{
    static uint8_t stream[65536];
    static nst_time_t when[65536];
    nst_time_t syn = -1;
    uint32_t isn = 0;
    size_t have = 0;
    for (int i = 0; i < w->n; i++) {
        const struct wframe *f = &w->f[i];
        if (f->sport != sport)
            continue;
        if ((f->flags & 0x02) && syn < 0) {
            syn = f->at;
            isn = f->seq;
        }
        if (syn < 0 || !f->len)
            continue;
        size_t off = (size_t)(f->seq - isn - 1);
        for (size_t k = 0; k < f->len && off + k < sizeof(stream); k++) {
            if (off + k >= have) {
                stream[off + k] = f->data[k];
                when[off + k] = f->at;
                have = off + k + 1;
            }
        }
    }
    if (syn < 0 || !have)
        return -1;
    if (!tls)
        return when[0] - syn;
    for (size_t o = 0; o + 5 <= have;) {
        size_t rl = (size_t)stream[o + 3] << 8 | stream[o + 4];
        if (stream[o] == 23 && rl >= REQ_LEN + 16)
            return when[o] - syn;
        o += 5 + rl;
    }
    return -1;
}

static uint16_t local_port(struct nst_stream *s)
{
    struct nst_sockaddr a;
    nst_getsockname(nst_stream_stack(s), nst_stream_fd(s), &a);
    return a.port;
}

/* ---- 1. timings on the 80 ms path --------------------------------------- */

enum scenario { PLAIN, TLS13_FULL, TLS12_FULL, TLS12_RESUMED, TLS13_0RTT };

/* Runs one request of REQ_LEN bytes (echoed) in a new world; for the
 * resumed scenarios a first connection primes the client's cache. Returns
 * the delay from SYN to the request's first byte on the wire. */
static nst_time_t run_scenario(enum scenario sc, struct nst_tls_info *cinfo, struct nst_tls_info *sinfo)
{
    struct lab l;
    lab_up(&l, 7, 0);
    struct watch w = {calloc(MAX_FRAMES, sizeof(struct wframe)), 0};
    nst_sim_link_observe(l.p.links[0], on_frame, &w);
    int v = sc == TLS12_FULL || sc == TLS12_RESUMED ? NST_TLS1_2 : NST_TLS1_3;
    struct nst_tls_ctx *sctx = sc == PLAIN ? NULL : server_ctx(v, v, sc == TLS13_0RTT ? 16384 : 0, NULL);
    struct nst_tls_ctx *cctx = sc == PLAIN ? NULL : client_ctx(v, v, sc == TLS13_0RTT, NULL);
    struct server sv;
    server_start(&sv, l.ldn, sctx, PORT);
    uint8_t *req = pattern(REQ_LEN, 1);
    struct client c;
    if (sc == TLS12_RESUMED || sc == TLS13_0RTT) {
        client_open(&c, &l, cctx, "london.lab", PORT, req, REQ_LEN);
        CHECK(nst_world_run_until_cond(l.w, client_done, &c, nst_world_now(l.w) + NST_SEC(5)));
        nst_world_run_for(l.w, NST_MSEC(100)); /* TLS 1.3 tickets follow the handshake */
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 1);
        client_free(&c);
        nst_world_run_for(l.w, NST_SEC(1));
    }
    client_open(&c, &l, cctx, "london.lab", PORT, req, REQ_LEN);
    CHECK(nst_world_run_until_cond(l.w, client_done, &c, nst_world_now(l.w) + NST_SEC(5)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.got_len, REQ_LEN);
    CHECK_MEM(c.got, req, REQ_LEN);
    nst_time_t d = request_delay(&w, local_port(c.s), sc != PLAIN);
    if (cctx) {
        CHECK_EQ(nst_tls_get_info(c.s, cinfo), 0);
        *sinfo = sv.c[sv.n - 1].info;
        CHECK_EQ(sv.c[sv.n - 1].in, REQ_LEN);
        const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
        int resumed = sc == TLS12_RESUMED || sc == TLS13_0RTT;
        CHECK_EQ(cs->handshakes_full, 1);
        CHECK_EQ(cs->handshakes_resumed, resumed);
        CHECK_EQ(ss->handshakes_full, 1);
        CHECK_EQ(ss->handshakes_resumed, resumed);
        CHECK_EQ(cs->early_accepted, sc == TLS13_0RTT);
        CHECK_EQ(ss->early_accepted, sc == TLS13_0RTT);
        CHECK_EQ(sv.c[sv.n - 1].early_in, sc == TLS13_0RTT ? REQ_LEN : 0);
        CHECK_EQ(cs->handshake_failures + ss->handshake_failures, 0);
        /* ss -i shows it. */
        const char *note = nst_socket_get_note(l.ny, nst_stream_fd(c.s));
        CHECK(strstr(note, v == NST_TLS1_3 ? "tls:TLSv1.3" : "tls:TLSv1.2") != NULL);
        CHECK((strstr(note, "resumed") != NULL) == resumed);
    }
    client_free(&c);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    free(w.f);
    lab_down(&l);
    return d;
}

static void test_first_request_byte_timings(void)
{
    struct nst_tls_info ci, si;
    /* SYN to the first request byte on the wire: the round trips each
     * handshake costs on the 80 ms path, plus the serialisation of the
     * frames that had to arrive first (1 Gbit/s links, store and forward). */
    nst_time_t plain = run_scenario(PLAIN, &ci, &si);
    nst_time_t t13 = run_scenario(TLS13_FULL, &ci, &si);
    CHECK_EQ(ci.version, NST_TLS1_3);
    CHECK_EQ(ci.resumed, 0);
    nst_time_t t12 = run_scenario(TLS12_FULL, &ci, &si);
    CHECK_EQ(ci.version, NST_TLS1_2);
    nst_time_t t12r = run_scenario(TLS12_RESUMED, &ci, &si);
    CHECK_EQ(ci.resumed, 1);
    nst_time_t t13e = run_scenario(TLS13_0RTT, &ci, &si);
    CHECK_EQ(ci.resumed, 1);
    CHECK_EQ(ci.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(si.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(ci.early_bytes, REQ_LEN);
    fprintf(stderr, "  SYN -> request: plain %lld, tls1.3 %lld, tls1.2 %lld, tls1.2 resumed %lld, tls1.3 0-rtt %lld ns\n",
            (long long)plain, (long long)t13, (long long)t12, (long long)t12r, (long long)t13e);
    /* Plain TCP: one round trip, plus the SYN and SYN-ACK (74-byte frames,
     * 592 ns on each of 4 links) serialised. */
    CHECK_EQ(plain, NST_MSEC(80) + 4736);
    /* TLS 1.3 full: one more round trip; the server's flight (certificate
     * included) takes its serialisation time on every hop. */
    CHECK_EQ(t13, NST_MSEC(160) + 61568);
    /* TLS 1.2 full: two more round trips. */
    CHECK_EQ(t12, NST_MSEC(240) + 70304);
    /* TLS 1.2 resumed (abbreviated handshake): one more round trip. */
    CHECK_EQ(t12r, NST_MSEC(160) + 27808);
    /* TLS 1.3 with 0-RTT: the request leaves with the ClientHello, as
     * early as plain TCP's. */
    CHECK_EQ(t13e, NST_MSEC(80) + 4736);
}


/* ---- 2. bulk echo through a lossy path, clean close both ways ----------- */

static int client_closed(void *arg)
{
    struct client *c = arg;
    return c->eof || c->err;
}

static void bulk_echo(int version, uint64_t seed)
{
    enum { LEN = 3 << 20 };
    struct lab l;
    lab_up(&l, seed, 0.01);
    struct nst_tls_ctx *sctx = server_ctx(version, version, 0, NULL), *cctx = client_ctx(version, version, 0, NULL);
    struct server sv;
    server_start(&sv, l.ldn, sctx, PORT);
    uint8_t *data = pattern(LEN, (uint32_t)seed);
    struct client c;
    client_open(&c, &l, cctx, "london.lab", PORT, data, LEN);
    c.shut_when_done = 1;
    CHECK(nst_world_run_until_cond(l.w, client_closed, &c, nst_world_now(l.w) + NST_SEC(600)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.got_len, LEN);
    CHECK_MEM(c.got, data, LEN);
    CHECK_EQ(c.eof, 1);             /* the server's close_notify: a clean end */
    CHECK_EQ(sv.c[0].in, LEN);
    CHECK_EQ(sv.c[0].eof, 1);       /* and the client's */
    CHECK_EQ(sv.c[0].err, 0);
    CHECK(nst_sim_link_stats(l.p.links[2], 0)->lost + nst_sim_link_stats(l.p.links[2], 1)->lost > 0);
    struct nst_tls_info ci;
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(ci.version, version);
    CHECK_EQ(ci.peer_closed, 1);
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
    CHECK_EQ(cs->close_notify_sent, 1);
    CHECK_EQ(cs->close_notify_received, 1);
    CHECK_EQ(ss->close_notify_sent, 1);
    CHECK_EQ(ss->close_notify_received, 1);
    CHECK_EQ(cs->truncations + ss->truncations, 0);
    CHECK_EQ(cs->alerts_sent, 1); /* close_notify, nothing else */
    client_free(&c);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(data);
    lab_down(&l);
}

static void test_bulk_echo_lossy_tls12(void) { bulk_echo(NST_TLS1_2, 21); }
static void test_bulk_echo_lossy_tls13(void) { bulk_echo(NST_TLS1_3, 22); }

/* The same exchange over a plain TCP stream: the interface is the same. */
static void test_plain_stream_echo(void)
{
    enum { LEN = 1 << 20 };
    struct lab l;
    lab_up(&l, 23, 0);
    struct server sv;
    server_start(&sv, l.ldn, NULL, PORT);
    uint8_t *data = pattern(LEN, 23);
    struct client c;
    client_open(&c, &l, NULL, NULL, PORT, data, LEN);
    c.shut_when_done = 1;
    CHECK(nst_world_run_until_cond(l.w, client_done, &c, nst_world_now(l.w) + NST_SEC(60)));
    CHECK_EQ(nst_stream_established(c.s), 1);
    CHECK(nst_world_run_until_cond(l.w, client_closed, &c, nst_world_now(l.w) + NST_SEC(60)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.got_len, LEN);
    CHECK_MEM(c.got, data, LEN);
    CHECK_EQ(c.eof, 1);
    CHECK_EQ(nst_stream_is_tls(c.s), 0);
    CHECK(nst_stream_alpn(c.s) == NULL);
    struct nst_tls_info ti;
    CHECK_EQ(nst_tls_get_info(c.s, &ti), -EINVAL);
    client_free(&c);
    server_stop(&sv);
    free(data);
    lab_down(&l);
}

/* ---- 3. resumption and 0-RTT -------------------------------------------- */

/* One request/echo on a new connection; returns with the client open. */
static void one_request(struct lab *l, struct client *c, struct nst_tls_ctx *cctx, const char *host,
                        const uint8_t *req)
{
    client_open(c, l, cctx, host, PORT, req, REQ_LEN);
    CHECK(nst_world_run_until_cond(l->w, client_done, c, nst_world_now(l->w) + NST_SEC(5)));
    CHECK_EQ(c->err, 0);
    CHECK_EQ(c->got_len, REQ_LEN);
    CHECK_MEM(c->got, req, REQ_LEN);
    nst_world_run_for(l->w, NST_MSEC(100));
}

static void test_resumption_through_cache(void)
{
    struct lab l;
    lab_up(&l, 31, 0);
    for (int v = NST_TLS1_2; v <= NST_TLS1_3; v++) {
        struct nst_tls_ctx *sctx = server_ctx(v, v, 0, NULL), *cctx = client_ctx(v, v, 0, NULL);
        struct server sv;
        server_start(&sv, l.ldn, sctx, PORT);
        uint8_t *req = pattern(REQ_LEN, 3);
        struct client c;
        struct nst_tls_info ci;
        for (int i = 0; i < 3; i++) {
            one_request(&l, &c, cctx, "london.lab", req);
            nst_tls_get_info(c.s, &ci);
            CHECK_EQ(ci.resumed, i > 0); /* the second and third resume */
            client_free(&c);
        }
        /* Another host:port is another cache entry: a full handshake. */
        one_request(&l, &c, cctx, "10.0.4.2", req);
        nst_tls_get_info(c.s, &ci);
        CHECK_EQ(ci.resumed, 0);
        client_free(&c);
        const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
        CHECK_EQ(cs->handshakes_full, 2);
        CHECK_EQ(cs->handshakes_resumed, 2);
        CHECK_EQ(ss->handshakes_full, 2);
        CHECK_EQ(ss->handshakes_resumed, 2);
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 2);
        /* Flushed: the next connection is full again. */
        nst_tls_ctx_flush_sessions(cctx);
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 0);
        one_request(&l, &c, cctx, "london.lab", req);
        nst_tls_get_info(c.s, &ci);
        CHECK_EQ(ci.resumed, 0);
        client_free(&c);
        server_stop(&sv);
        nst_tls_ctx_free(cctx);
        nst_tls_ctx_free(sctx);
        free(req);
        nst_world_run_for(l.w, NST_SEC(1));
    }
    lab_down(&l);
}

/* A server that no longer takes early data (another context: its tickets
 * are unknown there) rejects the 0-RTT bytes: the client stream sends them
 * again after the handshake; the server sees them once, not as early. */
static void test_early_data_rejected_resent(void)
{
    struct lab l;
    lab_up(&l, 33, 0);
    struct nst_tls_ctx *sctx = server_ctx(NST_TLS1_3, NST_TLS1_3, 16384, NULL);
    struct nst_tls_ctx *sctx_no = server_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    struct nst_tls_ctx *cctx = client_ctx(NST_TLS1_3, NST_TLS1_3, 1, NULL);
    struct server sv;
    server_start(&sv, l.ldn, sctx, PORT);
    uint8_t *req = pattern(REQ_LEN, 4);
    struct client c;
    one_request(&l, &c, cctx, "london.lab", req);
    client_free(&c);
    CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 1);
    sv.ctx = sctx_no;
    one_request(&l, &c, cctx, "london.lab", req);
    struct nst_tls_info ci;
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(ci.early, NST_TLS_EARLY_REJECTED);
    CHECK_EQ(ci.early_bytes, REQ_LEN);
    CHECK_EQ(ci.resumed, 0);
    struct sconn *s2 = &sv.c[1];
    CHECK_EQ(s2->in, REQ_LEN);   /* once */
    CHECK_EQ(s2->early_in, 0);   /* and not as early data */
    CHECK_EQ(s2->info.early, NST_TLS_EARLY_REJECTED);
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx);
    CHECK_EQ(cs->early_rejected, 1);
    CHECK_EQ(cs->early_accepted, 0);
    CHECK_EQ(cs->early_resent_bytes, REQ_LEN);
    CHECK_EQ(nst_tls_ctx_stats(sctx_no)->early_rejected, 1);
    client_free(&c);
    /* The ticket from that connection is sctx_no's, which allows no early
     * data: the next connection resumes without 0-RTT. */
    one_request(&l, &c, cctx, "london.lab", req);
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(ci.resumed, 1);
    CHECK_EQ(ci.early, NST_TLS_EARLY_NONE);
    CHECK_EQ(sv.c[2].early_in, 0);
    client_free(&c);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(sctx_no);
    free(req);
    lab_down(&l);
}

/* ---- 4. ALPN, SNI, keylog ------------------------------------------------ */

struct keylog {
    int lines, client_random, traffic0;
};

static void count_keylog(void *arg, const char *line)
{
    struct keylog *k = arg;
    k->lines++;
    k->client_random += strncmp(line, "CLIENT_RANDOM ", 14) == 0;
    k->traffic0 += strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
}

static const char *negotiate(struct lab *l, const char *server_alpn, const char *client_alpn, const char *host,
                             char *out, size_t outlen, char *sni, size_t snilen, struct keylog *kl, int version)
{
    struct nst_tls_ctx *sctx = server_ctx(version, version, 0, server_alpn);
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki.ca_cert;
    cc.alpn = client_alpn;
    cc.min_version = cc.max_version = version;
    cc.keylog_fn = count_keylog;
    cc.keylog_arg = kl;
    struct nst_tls_ctx *cctx;
    CHECK_EQ(nst_tls_ctx_new(&cc, &cctx, NULL), 0);
    struct server sv;
    server_start(&sv, l->ldn, sctx, PORT);
    uint8_t *req = pattern(REQ_LEN, 5);
    struct client c;
    one_request(l, &c, cctx, host, req);
    const char *a = nst_stream_alpn(c.s);
    snprintf(out, outlen, "%s", a ? a : "(none)");
    snprintf(sni, snilen, "%s", sv.c[0].info.sni ? sv.c[0].info.sni : "(none)");
    const char *sa = sv.c[0].info.alpn;
    CHECK_EQ(strcmp(sa ? sa : "(none)", out), 0); /* both ends agree */
    client_free(&c);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    return out;
}

static void test_alpn_sni_keylog(void)
{
    struct lab l;
    lab_up(&l, 41, 0);
    char a[64], sni[64];
    struct keylog k = {0};
    /* RFC 7301 3.2: the server's preference among what the client offers. */
    CHECK_EQ(strcmp(negotiate(&l, "h2,http/1.1", "http/1.1,h2", "london.lab", a, sizeof(a), sni, sizeof(sni), &k,
                              NST_TLS1_3), "h2"), 0);
    CHECK_EQ(strcmp(sni, "london.lab"), 0);
    /* TLS 1.3 keylog: two handshake secrets, two traffic secrets, exporter. */
    CHECK_EQ(k.lines, 5);
    CHECK_EQ(k.traffic0, 1);
    memset(&k, 0, sizeof(k));
    CHECK_EQ(strcmp(negotiate(&l, "h2,http/1.1", "http/1.1", "london.lab", a, sizeof(a), sni, sizeof(sni), &k,
                              NST_TLS1_2), "http/1.1"), 0);
    CHECK_EQ(k.lines, 1); /* TLS 1.2: CLIENT_RANDOM <random> <master secret> */
    CHECK_EQ(k.client_random, 1);
    /* No overlap: no ALPN, not an error. */
    CHECK_EQ(strcmp(negotiate(&l, "h2", "spdy/3", "london.lab", a, sizeof(a), sni, sizeof(sni), &k, NST_TLS1_3),
                 "(none)"), 0);
    CHECK_EQ(strcmp(negotiate(&l, "h2", NULL, "london.lab", a, sizeof(a), sni, sizeof(sni), &k, NST_TLS1_3),
                    "(none)"), 0);
    /* An address: verified against the certificate's IP entry, no SNI
     * (RFC 6066 3). */
    negotiate(&l, NULL, NULL, "10.0.4.2", a, sizeof(a), sni, sizeof(sni), &k, NST_TLS1_3);
    CHECK_EQ(strcmp(sni, "(none)"), 0);
    lab_down(&l);
}

/* ---- 5. failures: verification, versions -------------------------------- */

static int both_failed(void *arg)
{
    void **v = arg;
    struct client *c = v[0];
    struct server *sv = v[1];
    return c->err && sv->n > 0 && sv->c[0].err;
}

/* alert: the one alert the failing side sends (RFC 8446 6.2), by the
 * client (alert_by_client) or the server; it is counted on both sides. */
static void failing_handshake(struct nst_tls_config *cc, int smin, int smax, const char *host, int want_client_err,
                              const char *want_client_str, int want_server_err, const char *want_server_str,
                              int alert, int alert_by_client)
{
    struct lab l;
    lab_up(&l, 51, 0);
    struct nst_tls_ctx *sctx = server_ctx(smin, smax, 0, NULL), *cctx;
    CHECK_EQ(nst_tls_ctx_new(cc, &cctx, NULL), 0);
    struct server sv;
    server_start(&sv, l.ldn, sctx, PORT);
    uint8_t *req = pattern(REQ_LEN, 6);
    struct client c;
    client_open(&c, &l, cctx, host, PORT, req, REQ_LEN);
    void *both[2] = {&c, &sv};
    CHECK(nst_world_run_until_cond(l.w, both_failed, both, nst_world_now(l.w) + NST_SEC(5)));
    fprintf(stderr, "  client: %s; server: %s\n", nst_stream_error_string(c.s),
            sv.n ? nst_stream_error_string(sv.c[0].s) : "-");
    CHECK_EQ(c.err, want_client_err);
    CHECK(strstr(nst_stream_error_string(c.s), want_client_str) != NULL);
    CHECK(nst_stream_events(c.s) & NST_EV_ERR);
    CHECK_EQ(nst_stream_established(c.s), want_client_err);
    CHECK_EQ(sv.c[0].err, want_server_err);
    CHECK(strstr(nst_stream_error_string(sv.c[0].s), want_server_str) != NULL);
    CHECK_EQ(sv.c[0].in, 0);
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
    CHECK_EQ(cs->handshake_failures, 1);
    CHECK_EQ(ss->handshake_failures, 1);
    const struct nst_tls_stats *from = alert_by_client ? cs : ss, *to = alert_by_client ? ss : cs;
    CHECK_EQ(from->alerts_sent, 1);
    CHECK_EQ(from->alert_sent[alert], 1);
    CHECK_EQ(to->alerts_received, 1);
    CHECK_EQ(to->alert_received[alert], 1);
    CHECK_EQ(from->alerts_received + to->alerts_sent, 0);
    client_free(&c);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    lab_down(&l);
}

static void test_hostname_mismatch(void)
{
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki.ca_cert;
    failing_handshake(&cc, NST_TLS1_2, NST_TLS1_3, "paris.lab", -EKEYREJECTED, "hostname mismatch", -EPROTO,
                      "TLS alert received: bad_certificate", 42, 1);
}

static void test_unknown_ca(void)
{
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki.cert; /* trusts the server's certificate, but not as a root: no chain */
    failing_handshake(&cc, NST_TLS1_2, NST_TLS1_3, "london.lab", -EKEYREJECTED,
                      "certificate verify failed: unable to get local issuer certificate", -EPROTO,
                      "TLS alert received: unknown_ca", 48, 1);
}

static void test_version_mismatch(void)
{
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki.ca_cert;
    cc.max_version = NST_TLS1_2;
    /* RFC 8446 4.2.1: a server that cannot agree answers protocol_version. */
    failing_handshake(&cc, NST_TLS1_3, NST_TLS1_3, "london.lab", -EPROTO, "alert received: protocol_version",
                      -EPROTO, "unsupported protocol (alert sent: protocol_version)", 70, 0);
}


/* ---- 6. bad peers, with a good connection beside them ------------------- */

static struct sconn *sconn_by_port(struct server *sv, uint16_t port)
{
    for (int i = 0; i < sv->n; i++)
        if (sv->c[i].peer_port == port)
            return &sv->c[i];
    return NULL;
}

static uint16_t fd_port(struct nst_stack *st, int fd)
{
    struct nst_sockaddr a;
    nst_getsockname(st, fd, &a);
    return a.port;
}

struct bad_run {
    struct client *good;
    struct server *sv;
    uint16_t ports[6];
};

static int bad_run_done(void *arg)
{
    struct bad_run *b = arg;
    if (!b->good->t_done)
        return 0;
    for (int i = 0; i < 6; i++) {
        struct sconn *c = sconn_by_port(b->sv, b->ports[i]);
        if (!c || !c->err)
            return 0;
    }
    return 1;
}

static void test_bad_peers_beside_a_good_one(void)
{
    enum { LEN = 1 << 20 };
    struct lab l;
    lab_up(&l, 61, 0);
    struct nst_tls_ctx *sctx = server_ctx(NST_TLS1_2, NST_TLS1_3, 0, NULL);
    struct nst_tls_ctx *cctx = client_ctx(NST_TLS1_2, NST_TLS1_3, 0, NULL);
    struct server sv;
    server_start(&sv, l.ldn, sctx, PORT);
    uint8_t *data = pattern(LEN, 61);
    struct client good, midway;
    client_open(&good, &l, cctx, "london.lab", PORT, data, LEN);
    /* Raw TCP peers: garbage, a truncated record then FIN, an alert, and
     * one that says nothing; and a TLS client that leaves mid-handshake. */
    int garbage = client_fd(&l, PORT), trunc = client_fd(&l, PORT), alert = client_fd(&l, PORT),
        silent = client_fd(&l, PORT), malformed = client_fd(&l, PORT);
    client_open(&midway, &l, cctx, "london.lab", PORT, data, 0);
    nst_time_t t0 = nst_world_now(l.w);
    nst_world_run_for(l.w, NST_MSEC(81)); /* every TCP handshake done */
    static const char junk[] = "this is not a ClientHello\r\n\r\n";
    static const uint8_t partial[] = {22, 3, 1, 1, 0, 1, 0, 0, 252, 3, 3}; /* 256 bytes promised, 6 given */
    static const uint8_t fatal[] = {21, 3, 3, 0, 2, 2, 40};               /* fatal handshake_failure */
    static const uint8_t bad_hello[] = {22, 3, 1, 0, 8, 1, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef}; /* a 4-byte ClientHello */
    CHECK_EQ(nst_send(l.ny, garbage, junk, sizeof(junk) - 1, 0), (ssize_t)sizeof(junk) - 1);
    CHECK_EQ(nst_send(l.ny, trunc, partial, sizeof(partial), 0), (ssize_t)sizeof(partial));
    CHECK_EQ(nst_shutdown(l.ny, trunc, NST_SHUT_WR), 0);
    CHECK_EQ(nst_send(l.ny, alert, fatal, sizeof(fatal), 0), (ssize_t)sizeof(fatal));
    CHECK_EQ(nst_send(l.ny, malformed, bad_hello, sizeof(bad_hello), 0), (ssize_t)sizeof(bad_hello));
    nst_world_run_until(l.w, t0 + NST_MSEC(130)); /* the ClientHello is at the server, its answer on the way */
    uint16_t midway_port = local_port(midway.s);
    nst_stream_close(midway.s); /* FIN, no close_notify */
    midway.s = NULL;
    struct bad_run br = {&good, &sv, {fd_port(l.ny, garbage), fd_port(l.ny, trunc), fd_port(l.ny, alert),
                                      fd_port(l.ny, silent), midway_port, fd_port(l.ny, malformed)}};
    CHECK(nst_world_run_until_cond(l.w, bad_run_done, &br, t0 + NST_SEC(30)));

    /* The good connection: every byte back, in order. */
    CHECK_EQ(good.err, 0);
    CHECK_EQ(good.got_len, LEN);
    CHECK_MEM(good.got, data, LEN);
    struct sconn *g = sconn_by_port(&sv, local_port(good.s));
    CHECK(g && g->err == 0 && g->in == LEN);

    /* Not TLS at all: OpenSSL answers no alert to a peer that does not
     * speak TLS records (there is no version to answer in). */
    struct sconn *c = sconn_by_port(&sv, br.ports[0]);
    CHECK_EQ(c->err, -EPROTO);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "TLS error during the handshake: wrong version number"), 0);
    CHECK_EQ(c->info.alert_sent, -1);
    c = sconn_by_port(&sv, br.ports[1]);
    CHECK_EQ(c->err, -ECONNABORTED);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "peer closed the connection during the handshake"), 0);
    /* An alert where a ClientHello must come: unexpected_message back
     * (RFC 8446 5.1: the first record must be a handshake record). */
    c = sconn_by_port(&sv, br.ports[2]);
    CHECK_EQ(c->err, -EPROTO);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s),
                    "TLS error during the handshake: unexpected message (alert sent: unexpected_message)"), 0);
    CHECK_EQ(c->info.alert_sent, 10);
    c = sconn_by_port(&sv, br.ports[3]);
    CHECK_EQ(c->err, -ETIMEDOUT);
    CHECK_EQ(c->t_err, c->t_accept + NST_SEC(10)); /* the handshake timeout, to the nanosecond */
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "TLS handshake timed out after 10000 ms"), 0);
    CHECK(nst_stream_events(c->s) & NST_EV_ERR);
    c = sconn_by_port(&sv, br.ports[4]);
    CHECK_EQ(c->err, -ECONNABORTED);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "peer closed the connection during the handshake"), 0);
    /* A ClientHello too short to parse: decode_error (RFC 8446 6.2). */
    c = sconn_by_port(&sv, br.ports[5]);
    CHECK_EQ(c->err, -EPROTO);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s),
                    "TLS error during the handshake: length mismatch (alert sent: decode_error)"), 0);
    CHECK_EQ(c->info.alert_sent, 50);

    const struct nst_tls_stats *ss = nst_tls_ctx_stats(sctx);
    CHECK_EQ(ss->handshakes_started, 7);
    CHECK_EQ(ss->handshakes_full, 1);
    CHECK_EQ(ss->handshake_failures, 6);
    CHECK_EQ(ss->handshake_timeouts, 1);
    CHECK_EQ(ss->alerts_received, 0);
    CHECK_EQ(ss->alert_sent[10], 1);
    CHECK_EQ(ss->alert_sent[50], 1);
    CHECK_EQ(ss->alerts_sent, 2);
    nst_close(l.ny, garbage);
    nst_close(l.ny, trunc);
    nst_close(l.ny, alert);
    nst_close(l.ny, silent);
    nst_close(l.ny, malformed);
    client_free(&good);
    free(midway.got);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(data);
    lab_down(&l);
}

/* A server that accepts and never answers: the client's handshake times
 * out at the configured moment after TCP was established. */
static void test_client_handshake_timeout(void)
{
    struct lab l;
    lab_up(&l, 62, 0);
    int lfd = nst_socket(l.ldn, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, PORT};
    CHECK_EQ(nst_bind(l.ldn, lfd, &a), 0);
    CHECK_EQ(nst_listen(l.ldn, lfd, 4), 0); /* TCP completes; nobody reads */
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki.ca_cert;
    cc.handshake_timeout = NST_SEC(3);
    struct nst_tls_ctx *cctx;
    CHECK_EQ(nst_tls_ctx_new(&cc, &cctx, NULL), 0);
    uint8_t req[REQ_LEN] = {0};
    struct client c;
    nst_time_t t0 = nst_world_now(l.w);
    client_open(&c, &l, cctx, "london.lab", PORT, req, REQ_LEN);
    CHECK(nst_world_run_until_cond(l.w, client_done, &c, t0 + NST_SEC(10)));
    struct nst_tls_info ci;
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(c.err, -ETIMEDOUT);
    CHECK_EQ(ci.handshake_start, t0 + NST_MSEC(80) + 4736); /* when TCP was established */
    CHECK_EQ(c.t_err, ci.handshake_start + NST_SEC(3));
    CHECK_EQ(strcmp(nst_stream_error_string(c.s), "TLS handshake timed out after 3000 ms"), 0);
    CHECK_EQ(nst_tls_ctx_stats(cctx)->handshake_timeouts, 1);
    client_free(&c);
    nst_close(l.ldn, lfd);
    nst_tls_ctx_free(cctx);
    lab_down(&l);
}

/* A truncation after the handshake: a peer that FINs without close_notify
 * is an error on the stream, never a clean end. */
static void test_truncation_is_not_eof(void)
{
    struct lab l;
    lab_up(&l, 63, 0);
    struct nst_tls_ctx *sctx = server_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    struct nst_tls_ctx *cctx = client_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    struct server sv;
    server_start(&sv, l.ldn, sctx, PORT);
    uint8_t *req = pattern(REQ_LEN, 7);
    struct client c;
    one_request(&l, &c, cctx, "london.lab", req);
    /* The server's TCP sends FIN under the TLS layer's feet. */
    CHECK_EQ(nst_shutdown(l.ldn, nst_stream_fd(sv.c[0].s), NST_SHUT_WR), 0);
    CHECK(nst_world_run_until_cond(l.w, client_closed, &c, nst_world_now(l.w) + NST_SEC(2)));
    CHECK_EQ(c.eof, 0);
    CHECK_EQ(c.err, -ECONNABORTED);
    CHECK_EQ(strcmp(nst_stream_error_string(c.s), "TCP FIN without close_notify (truncated)"), 0);
    CHECK_EQ(nst_tls_ctx_stats(cctx)->truncations, 1);
    client_free(&c);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    lab_down(&l);
}

/* ---- 7. application timers ---------------------------------------------- */

struct fired {
    int n;
    nst_time_t at;
    struct nst_stack *st;
};

static void on_fire(void *arg, struct nst_app_timer *t)
{
    struct fired *f = arg;
    f->n++;
    f->at = nst_stack_now(f->st);
    if (f->n == 1)
        nst_app_timer_arm(t, f->at + NST_MSEC(250)); /* re-arm from inside */
}

static void test_app_timers_in_virtual_time(void)
{
    struct nst_world *w = nst_world_new(71);
    struct nst_stack *st = nst_world_add_host(w, "h", NULL);
    struct fired f = {0, 0, st}, g = {0, 0, st};
    struct nst_app_timer *t = nst_app_timer_new(st, on_fire, &f), *u = nst_app_timer_new(st, on_fire, &g);
    nst_time_t t0 = nst_world_now(w);
    CHECK_EQ(nst_app_timer_arm(t, t0 + NST_SEC(30)), 0);
    CHECK_EQ(nst_app_timer_arm(u, t0 + NST_SEC(5)), 0);
    CHECK_EQ(nst_app_timer_armed(t), 1);
    CHECK_EQ(nst_app_timer_when(t), t0 + NST_SEC(30));
    CHECK_EQ(nst_stack_next_deadline(st), t0 + NST_SEC(5));
    nst_app_timer_cancel(u);
    CHECK_EQ(nst_app_timer_armed(u), 0);
    nst_world_run_until(w, t0 + NST_SEC(30) - 1);
    CHECK_EQ(f.n, 0);
    nst_world_run_until(w, t0 + NST_SEC(31));
    CHECK_EQ(f.n, 2);
    CHECK_EQ(f.at, t0 + NST_SEC(30) + NST_MSEC(250));
    CHECK_EQ(g.n, 0);
    nst_app_timer_free(t);
    nst_app_timer_free(u);
    nst_world_free(w);
}


/* ---- 8. contexts from files, shared ticket keys, keylog file, ss -i ---- */

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static void test_files_ticket_keys_keylog_ss(void)
{
    char dir[512], ca[600], cert[600], key[600], klog[600];
    snprintf(dir, sizeof(dir), "%s/tls-pki", nst_test_out_dir());
    mkdir(dir, 0700);
    CHECK_EQ(nst_tls_test_pki_write(&pki, dir), 0);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(klog, sizeof(klog), "%s/keylog.txt", dir);
    remove(klog);
    struct stat stt;
    CHECK_EQ(stat(key, &stt), 0);
    CHECK_EQ(stt.st_mode & 0777, 0600);

    /* Errors say what is wrong. */
    struct nst_tls_config c;
    struct nst_tls_ctx *ctx = NULL;
    const char *why = NULL;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert_file = cert;
    c.key_file = "/nonexistent/key.pem";
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -ENOENT);
    CHECK(ctx == NULL && why && *why);
    c.cert_file = c.key_file = NULL;
    c.cert = pki.cert;
    c.key = pki.ca_key; /* not the certificate's key */
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EPROTO);
    c.key = pki.key;
    c.alpn = "h2,,http/1.1";
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EINVAL);
    c.alpn = NULL;
    c.min_version = NST_TLS1_3;
    c.max_version = NST_TLS1_2;
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EINVAL);
    nst_tls_config_default(&c, NST_TLS_SERVER);
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EINVAL); /* a server without a certificate */

    /* Two servers from the PEM files sharing ticket keys: a session from
     * one resumes on the other. */
    uint8_t keys[80];
    for (int i = 0; i < 80; i++)
        keys[i] = (uint8_t)(i * 7 + 1);
    struct nst_tls_ctx *sa, *sb, *cctx;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert_file = cert;
    c.key_file = key;
    CHECK_EQ(nst_tls_ctx_new(&c, &sa, NULL), 0);
    CHECK_EQ(nst_tls_ctx_new(&c, &sb, NULL), 0);
    CHECK_EQ(nst_tls_ctx_set_ticket_keys(sa, keys), 0);
    CHECK_EQ(nst_tls_ctx_set_ticket_keys(sb, keys), 0);
    nst_tls_config_default(&c, NST_TLS_CLIENT);
    c.ca_file = ca;
    c.keylog_file = klog;
    CHECK_EQ(nst_tls_ctx_new(&c, &cctx, NULL), 0);
    CHECK_EQ(nst_tls_ctx_set_ticket_keys(cctx, keys), -EINVAL); /* a client has none */

    struct lab l;
    lab_up(&l, 81, 0);
    struct server sv;
    server_start(&sv, l.ldn, sa, PORT);
    uint8_t *req = pattern(REQ_LEN, 8);
    struct client cl;
    one_request(&l, &cl, cctx, "london.lab", req);
    /* ss -i shows the TLS line after TCP's. */
    char *text = NULL;
    size_t tlen = 0;
    FILE *mf = open_memstream(&text, &tlen);
    struct nst_ss_opts o = {0};
    o.info = 1;
    nst_ss_print(l.ny, &o, mf);
    fclose(mf);
    CHECK(strstr(text, " tls:TLSv1.3 cipher:TLS_AES_256_GCM_SHA384\n") != NULL);
    free(text);
    client_free(&cl);
    CHECK_EQ(count_lines(klog), 5);
    sv.ctx = sb;
    one_request(&l, &cl, cctx, "london.lab", req);
    struct nst_tls_info ci;
    nst_tls_get_info(cl.s, &ci);
    CHECK_EQ(ci.resumed, 1);
    CHECK_EQ(nst_tls_ctx_stats(sb)->handshakes_resumed, 1);
    client_free(&cl);
    CHECK_EQ(count_lines(klog), 10);
    server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sa);
    nst_tls_ctx_free(sb);
    free(req);
    lab_down(&l);
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
    if (nst_tls_make_test_pki(&pki, "london.lab,10.0.4.2", 30) != 0) {
        fprintf(stderr, "cannot make the test PKI\n");
        return 1;
    }
    RUN(test_first_request_byte_timings);
    RUN(test_bulk_echo_lossy_tls12);
    RUN(test_bulk_echo_lossy_tls13);
    RUN(test_plain_stream_echo);
    RUN(test_resumption_through_cache);
    RUN(test_early_data_rejected_resent);
    RUN(test_alpn_sni_keylog);
    RUN(test_hostname_mismatch);
    RUN(test_unknown_ca);
    RUN(test_version_mismatch);
    RUN(test_bad_peers_beside_a_good_one);
    RUN(test_client_handshake_timeout);
    RUN(test_truncation_is_not_eof);
    RUN(test_app_timers_in_virtual_time);
    RUN(test_files_ticket_keys_keylog_ss);
    nst_tls_test_pki_free(&pki);
    return nst_test_done();
}
