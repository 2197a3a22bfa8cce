/* Helpers for the TLS tests on the simulator (tests/sim/test_tls_*.c):
 * see tls_util.h. Setup failures abort (they are the harness's, not the
 * code's under test); what a test asserts, it asserts itself. */
#include "support/tls_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: TLS test setup failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

struct nst_tls_test_pki tt_pki;

void tt_init(void)
{
    REQUIRE(nst_tls_make_test_pki(&tt_pki, "london.lab,10.0.4.2", 30) == 0);
}

void tt_fini(void) { nst_tls_test_pki_free(&tt_pki); }

/* ---- the world: the NY–London path, ARP warmed -------------------------- */

void tt_lab_up(struct tt_lab *l, uint64_t seed, double loss)
{
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    o.seed = seed;
    o.loss = loss;
    REQUIRE(nst_lab_path_build(&l->p, &o) == 0);
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

void tt_lab_down(struct tt_lab *l) { nst_lab_path_free(&l->p); }

/* ---- contexts ----------------------------------------------------------- */

/* Role defaults, versions and ALPN; the caller adds the rest. */
static void base_config(struct nst_tls_config *c, enum nst_tls_role role, int minv, int maxv, const char *alpn)
{
    nst_tls_config_default(c, role);
    c->min_version = minv;
    c->max_version = maxv;
    c->alpn = alpn;
}

static struct nst_tls_ctx *must_ctx(const struct nst_tls_config *c)
{
    struct nst_tls_ctx *ctx = NULL;
    const char *why = "";
    int r = nst_tls_ctx_new(c, &ctx, &why);
    if (r)
        fprintf(stderr, "tls context: %s\n", why);
    REQUIRE(r == 0);
    return ctx;
}

struct nst_tls_ctx *tt_server_ctx(int minv, int maxv, uint32_t max_early, const char *alpn)
{
    struct nst_tls_config c;
    base_config(&c, NST_TLS_SERVER, minv, maxv, alpn);
    c.cert = tt_pki.cert;
    c.key = tt_pki.key;
    c.max_early_data = max_early;
    return must_ctx(&c);
}

struct nst_tls_ctx *tt_server_ctx_answering(uint32_t max_early)
{
    struct nst_tls_config c;
    base_config(&c, NST_TLS_SERVER, NST_TLS1_3, NST_TLS1_3, NULL);
    c.cert = tt_pki.cert;
    c.key = tt_pki.key;
    c.max_early_data = max_early;
    c.early_answer = 1;
    return must_ctx(&c);
}

struct nst_tls_ctx *tt_client_ctx(int minv, int maxv, int early, const char *alpn)
{
    struct nst_tls_config c;
    base_config(&c, NST_TLS_CLIENT, minv, maxv, alpn);
    c.ca_cert = tt_pki.ca_cert;
    c.early_data = early;
    return must_ctx(&c);
}

/* ---- an echo server: every connection echoes what it reads ------------- */






static void sconn_step(struct tt_server *sv, struct tt_sconn *c)
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

static void sconn_cb(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    struct tt_sconn *c = arg;
    sconn_step(c->sv, c);
}

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct tt_server *sv = arg;
    if (!(ev & NST_EV_IN))
        return;
    int cfd;
    while ((cfd = nst_accept(sv->st, sv->lfd, NULL)) >= 0) {
        REQUIRE(sv->n < TT_MAX_CONNS);
        if (sv->n >= TT_MAX_CONNS) {
            nst_close(sv->st, cfd);
            continue;
        }
        struct tt_sconn *c = &sv->c[sv->n++];
        c->sv = sv;
        struct nst_sockaddr peer;
        nst_getpeername(sv->st, cfd, &peer);
        c->peer_port = peer.port;
        c->t_accept = nst_stack_now(sv->st);
        c->s = sv->ctx ? nst_tls_server(sv->ctx, sv->st, cfd) : nst_stream_tcp(sv->st, cfd);
        REQUIRE(c->s != NULL);
        nst_stream_set_callback(c->s, sconn_cb, c);
        sconn_step(sv, c);
    }
}

void tt_server_start(struct tt_server *sv, struct nst_stack *st, struct nst_tls_ctx *ctx, uint16_t port)
{
    memset(sv, 0, sizeof(*sv));
    sv->st = st;
    sv->ctx = ctx;
    sv->echo = 1;
    sv->lfd = nst_socket(st, NST_SOCK_STREAM);
    int one = 1;
    nst_setsockopt(st, sv->lfd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof(one));
    struct nst_sockaddr a = {0, port};
    REQUIRE(nst_bind(st, sv->lfd, &a) == 0);
    REQUIRE(nst_listen(st, sv->lfd, 16) == 0);
    REQUIRE(nst_socket_set_event_cb(st, sv->lfd, on_listener, sv) == 0);
}

void tt_server_stop(struct tt_server *sv)
{
    for (int i = 0; i < sv->n; i++)
        nst_stream_close(sv->c[i].s);
    nst_close(sv->st, sv->lfd);
}

/* ---- a client: sends `len` bytes, reads the echo ------------------------ */



static void client_step(struct tt_client *c)
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

int tt_client_fd(struct tt_lab *l, uint16_t port)
{
    int fd = nst_socket(l->ny, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, port};
    REQUIRE(nst_connect(l->ny, fd, &to) == -EINPROGRESS);
    return fd;
}

void tt_client_open(struct tt_client *c, struct tt_lab *l, struct nst_tls_ctx *ctx, const char *host, uint16_t port,
                        const uint8_t *data, size_t len)
{
    memset(c, 0, sizeof(*c));
    int fd = tt_client_fd(l, port);
    c->s = ctx ? nst_tls_client(ctx, l->ny, fd, host, port) : nst_stream_tcp(l->ny, fd);
    REQUIRE(c->s != NULL);
    c->data = data;
    c->len = len;
    c->got = malloc(len ? len : 1);
    nst_stream_set_callback(c->s, client_cb, c);
    client_step(c); /* writes now: 0-RTT bytes queue before TCP connects */
}

void tt_client_free(struct tt_client *c)
{
    nst_stream_close(c->s);
    free(c->got);
    c->s = NULL;
    c->got = NULL;
}

int tt_client_done(void *arg)
{
    struct tt_client *c = arg;
    return c->t_done != 0 || c->err != 0;
}

uint8_t *tt_pattern(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

int tt_client_closed(void *arg)
{
    struct tt_client *c = arg;
    return c->eof || c->err;
}

int tt_one_request(struct tt_lab *l, struct tt_client *c, struct nst_tls_ctx *cctx, const char *host,
                   const uint8_t *req)
{
    tt_client_open(c, l, cctx, host, TT_PORT, req, TT_REQ_LEN);
    int done = nst_world_run_until_cond(l->w, tt_client_done, c, nst_world_now(l->w) + NST_SEC(5));
    int ok = done && c->err == 0 && c->got_len == TT_REQ_LEN && memcmp(c->got, req, TT_REQ_LEN) == 0;
    if (!ok)
        fprintf(stderr, "tt_one_request: done %d err %d got %zu: %s\n", done, c->err, c->got_len,
                nst_stream_error_string(c->s));
    nst_world_run_for(l->w, NST_MSEC(100)); /* TLS 1.3 tickets come after the handshake */
    return ok ? 0 : -1;
}

int tt_request_resumed(struct tt_lab *l, struct nst_tls_ctx *cctx, const char *host, const uint8_t *req)
{
    struct tt_client c;
    struct nst_tls_info info;
    int r = tt_one_request(l, &c, cctx, host, req);
    if (r == 0 && nst_tls_get_info(c.s, &info) == 0)
        r = info.resumed;
    tt_client_free(&c);
    return r;
}

uint16_t tt_local_port(struct nst_stream *s)
{
    struct nst_sockaddr a;
    nst_getsockname(nst_stream_stack(s), nst_stream_fd(s), &a);
    return a.port;
}

struct tt_sconn *tt_sconn_by_port(struct tt_server *sv, uint16_t port)
{
    for (int i = 0; i < sv->n; i++)
        if (sv->c[i].peer_port == port)
            return &sv->c[i];
    return NULL;
}

uint16_t tt_fd_port(struct nst_stack *st, int fd)
{
    struct nst_sockaddr a;
    nst_getsockname(st, fd, &a);
    return a.port;
}

void tt_fix_up(struct tt_fix *f, uint64_t seed, double loss, int version, uint32_t server_early, int client_early)
{
    int lo = version ? version : NST_TLS1_2, hi = version ? version : NST_TLS1_3;
    tt_lab_up(&f->l, seed, loss);
    f->sctx = tt_server_ctx(lo, hi, server_early, NULL);
    f->cctx = tt_client_ctx(lo, hi, client_early, NULL);
    tt_server_start(&f->sv, f->l.ldn, f->sctx, TT_PORT);
    f->req = tt_pattern(TT_REQ_LEN, (uint32_t)seed);
}

void tt_fix_down(struct tt_fix *f)
{
    tt_server_stop(&f->sv);
    nst_tls_ctx_free(f->cctx);
    nst_tls_ctx_free(f->sctx);
    free(f->req);
    tt_lab_down(&f->l);
}
