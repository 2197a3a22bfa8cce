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
        else if (r != -EAGAIN)
            c->err = (int)r;
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
    nst_time_t t_done;
};

static void client_step(struct client *c)
{
    while (c->sent < c->len) {
        ssize_t w = nst_stream_write(c->s, c->data + c->sent, c->len - c->sent);
        if (w < 0) {
            if (w != -EAGAIN)
                c->err = (int)w;
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
        else if (r != -EAGAIN)
            c->err = (int)r;
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
    CHECK_EQ(plain / NST_MSEC(1), 80);
    CHECK_EQ(t13 / NST_MSEC(1), 160);
    CHECK_EQ(t12 / NST_MSEC(1), 240);
    CHECK_EQ(t12r / NST_MSEC(1), 160);
    CHECK_EQ(t13e / NST_MSEC(1), 80);
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
    if (nst_tls_make_test_pki(&pki, "london.lab,10.0.4.2", 30) != 0) {
        fprintf(stderr, "cannot make the test PKI\n");
        return 1;
    }
    RUN(test_first_request_byte_timings);
    nst_tls_test_pki_free(&pki);
    return nst_test_done();
}
