/* TLS benchmarks: the same OpenSSL 3 over two TCPs, in one run.
 *   nstack: nstack's TLS streams (src/app/) over two nstack stacks joined
 *           in memory (nst_pair.h), client and server in this thread;
 *   linux:  OpenSSL's SSL objects over kernel TCP sockets on loopback,
 *           client and server in this thread (non-blocking).
 * Both: TLS 1.3 only, the same RSA 2048 certificate (a throwaway CA made at
 * start), the client verifying chain and name, no tickets and no session
 * cache (every handshake is a full one), OpenSSL's defaults otherwise
 * (X25519, TLS_AES_256_GCM_SHA384).
 *   handshake: connections per CPU second, each TCP connect + TLS handshake
 *              + close_notify + close, one after the other;
 *   bulk:      one connection, the client writing 16 KiB, the server
 *              reading: goodput per CPU second through AES-256-GCM.
 * CPU seconds are the process's (user + system: the kernel's TCP work is
 * counted for Linux, as nstack's is). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/tls.h>

#include "bench_util.h"
#include "nst_pair.h"

#define HOST "bench.test"
#define PORT 443
#define CHUNK 16384
#define MAX_REPS 16

static struct nst_tls_test_pki pki;

/* ---- nstack ---------------------------------------------------------------- */

static struct nst_tls_ctx *nst_ctx(enum nst_tls_role role)
{
    struct nst_tls_config c;
    nst_tls_config_default(&c, role);
    c.min_version = c.max_version = NST_TLS1_3;
    if (role == NST_TLS_SERVER) {
        c.cert = pki.cert;
        c.key = pki.key;
        c.tickets = 0;
        c.tls13_tickets = 0;
    } else {
        c.ca_cert = pki.ca_cert;
        c.session_cache_size = 0;
    }
    struct nst_tls_ctx *ctx = NULL;
    const char *why = "";
    if (nst_tls_ctx_new(&c, &ctx, &why))
        bu_progress("tls", "nstack context: %s", why);
    return ctx;
}

/* Moves frames and timers until cond(a, b) or nothing can move. */
static int np_until(struct np_pair *p, int (*cond)(struct nst_stream *, struct nst_stream *), struct nst_stream *a,
                    struct nst_stream *b)
{
    for (int spins = 0; spins < 100000; spins++) {
        uint64_t n = np_pump(p);
        np_poll(p);
        if (cond(a, b))
            return 0;
        if (nst_stream_error(a) || (b && nst_stream_error(b)))
            return -1;
        if (!n && np_idle(p) < 0)
            return -1;
    }
    return -1;
}

static int both_established(struct nst_stream *a, struct nst_stream *b)
{
    return nst_stream_established(a) == 1 && b && nst_stream_established(b) == 1;
}

/* One connection: TCP + TLS handshake, then both close. */
static int nst_handshake_one(struct np_pair *p, int lfd, struct nst_tls_ctx *cctx, struct nst_tls_ctx *sctx)
{
    int cfd = nst_socket(p->a, NST_SOCK_STREAM);
    struct nst_sockaddr to = {p->addr_b, PORT};
    if (cfd < 0 || nst_connect(p->a, cfd, &to) != -EINPROGRESS)
        return -1;
    struct nst_stream *c = nst_tls_client(cctx, p->a, cfd, HOST, PORT), *s = NULL;
    if (!c)
        return -1;
    int sfd = -1;
    for (int i = 0; i < 1000 && sfd < 0; i++) {
        np_pump(p);
        sfd = nst_accept(p->b, lfd, NULL);
    }
    if (sfd >= 0)
        s = nst_tls_server(sctx, p->b, sfd);
    int rc = s ? np_until(p, both_established, c, s) : -1;
    nst_stream_close(c);
    if (s)
        nst_stream_close(s);
    np_pump(p);
    return rc;
}

static int nst_handshakes(const struct bu_opts *o, double *rate, double *cpu, double *wall)
{
    struct np_pair p;
    struct nst_tls_ctx *cctx = nst_ctx(NST_TLS_CLIENT), *sctx = nst_ctx(NST_TLS_SERVER);
    int rc = -1, lfd;
    if (!cctx || !sctx || np_pair_init(&p, 1500, NULL))
        goto done;
    lfd = nst_socket(p.b, NST_SOCK_STREAM);
    if (lfd < 0 || nst_bind(p.b, lfd, &(struct nst_sockaddr){0, PORT}) || nst_listen(p.b, lfd, 128))
        goto done;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9;
    long n = 0;
    while (bu_cpu_seconds() - c0 < o->seconds) {
        if (nst_handshake_one(&p, lfd, cctx, sctx) < 0) {
            bu_progress("tls", "nstack: handshake %ld failed", n);
            goto done;
        }
        n++;
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)n / *cpu;
    rc = nst_tls_ctx_stats(sctx)->handshakes_full == (uint64_t)n ? 0 : -1;
done:
    np_pair_free(&p);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    return rc;
}

static int nst_bulk(const struct bu_opts *o, double *gbps, double *cpu, double *wall)
{
    struct np_pair p;
    struct nst_tls_ctx *cctx = nst_ctx(NST_TLS_CLIENT), *sctx = nst_ctx(NST_TLS_SERVER);
    static uint8_t out[CHUNK], in[4 * CHUNK];
    memset(out, 'x', sizeof(out));
    int rc = -1, lfd, cfd, sfd = -1;
    struct nst_stream *c = NULL, *s = NULL;
    if (!cctx || !sctx || np_pair_init(&p, 1500, NULL))
        goto done;
    lfd = nst_socket(p.b, NST_SOCK_STREAM);
    cfd = nst_socket(p.a, NST_SOCK_STREAM);
    if (lfd < 0 || nst_bind(p.b, lfd, &(struct nst_sockaddr){0, PORT}) || nst_listen(p.b, lfd, 8) ||
        nst_connect(p.a, cfd, &(struct nst_sockaddr){p.addr_b, PORT}) != -EINPROGRESS)
        goto done;
    c = nst_tls_client(cctx, p.a, cfd, HOST, PORT);
    for (int i = 0; i < 1000 && sfd < 0; i++) {
        np_pump(&p);
        sfd = nst_accept(p.b, lfd, NULL);
    }
    if (!c || sfd < 0 || !(s = nst_tls_server(sctx, p.b, sfd)) || np_until(&p, both_established, c, s))
        goto done;
    uint64_t sent = 0, got = 0;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9;
    for (long turn = 0;; turn++) {
        ssize_t r;
        while ((r = nst_stream_write(c, out, sizeof(out))) > 0)
            sent += (uint64_t)r;
        if (r != -EAGAIN)
            goto done;
        uint64_t moved = np_pump(&p);
        while ((r = nst_stream_read(s, in, sizeof(in))) > 0)
            got += (uint64_t)r;
        if (r != -EAGAIN)
            goto done;
        moved += np_pump(&p);
        np_poll(&p);
        if (!moved && np_idle(&p) < 0)
            goto done;
        if ((turn & 63) == 63 && bu_cpu_seconds() - c0 >= o->seconds)
            break;
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *gbps = (double)got * 8 / 1e9 / *cpu;
    rc = got > 0 && got <= sent ? 0 : -1;
done:
    if (c)
        nst_stream_close(c);
    if (s)
        nst_stream_close(s);
    np_pair_free(&p);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    return rc;
}

/* ---- Linux: OpenSSL over kernel TCP on loopback ---------------------------- */

static SSL_CTX *lx_ctx(int server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    int ok = 1;
    if (server) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx, 0);
        ok = SSL_CTX_use_certificate(ctx, pki.cert) == 1 && SSL_CTX_use_PrivateKey(ctx, pki.key) == 1;
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        ok = X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), pki.ca_cert) == 1;
    }
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int lx_listener(uint16_t *port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 128) ||
        getsockname(l, (struct sockaddr *)&a, &len)) {
        if (l >= 0)
            close(l);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return l;
}

/* A connected pair over loopback, both non-blocking, Nagle off (as nstack's
 * TLS streams and curl do). */
static int lx_tcp_pair(int l, uint16_t port, int *c, int *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    *c = socket(AF_INET, SOCK_STREAM, 0);
    if (*c < 0 || connect(*c, (struct sockaddr *)&a, sizeof(a)) || (*s = accept(l, NULL, NULL)) < 0) {
        if (*c >= 0)
            close(*c);
        return -1;
    }
    int one = 1;
    for (int i = 0; i < 2; i++) {
        int fd = i ? *s : *c;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return 0;
}

/* 1 if r (from an SSL call on ssl) means "call again later", 0 if done, -1 on error. */
static int lx_again(SSL *ssl, int r)
{
    if (r == 1)
        return 0;
    int e = SSL_get_error(ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 1 : -1;
}

static int lx_handshake(SSL *c, SSL *s)
{
    int cd = 0, sd = 0;
    for (int spins = 0; spins < 100000 && !(cd && sd); spins++) {
        int rc = cd ? 0 : lx_again(c, SSL_connect(c));
        int rs = sd ? 0 : lx_again(s, SSL_accept(s));
        if (rc < 0 || rs < 0)
            return -1;
        cd = rc == 0;
        sd = rs == 0;
    }
    return cd && sd ? 0 : -1;
}

static int lx_handshake_one(int l, uint16_t port, SSL_CTX *cctx, SSL_CTX *sctx)
{
    int cfd, sfd;
    if (lx_tcp_pair(l, port, &cfd, &sfd))
        return -1;
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    int rc = -1;
    if (c && s && SSL_set_fd(c, cfd) == 1 && SSL_set_fd(s, sfd) == 1 && SSL_set1_host(c, HOST) == 1 &&
        SSL_set_tlsext_host_name(c, HOST) == 1)
        rc = lx_handshake(c, s);
    if (rc == 0) {
        SSL_shutdown(c); /* close_notify each way, as nst_stream_close sends */
        SSL_shutdown(s);
    }
    SSL_free(c);
    SSL_free(s);
    close(cfd);
    close(sfd);
    ERR_clear_error();
    return rc;
}

static int lx_handshakes(const struct bu_opts *o, double *rate, double *cpu, double *wall)
{
    SSL_CTX *cctx = lx_ctx(0), *sctx = lx_ctx(1);
    uint16_t port;
    int l = lx_listener(&port), rc = -1;
    if (!cctx || !sctx || l < 0)
        goto done;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9;
    long n = 0;
    while (bu_cpu_seconds() - c0 < o->seconds) {
        if (lx_handshake_one(l, port, cctx, sctx) < 0) {
            bu_progress("tls", "linux: handshake %ld failed", n);
            goto done;
        }
        n++;
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)n / *cpu;
    rc = 0;
done:
    if (l >= 0)
        close(l);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return rc;
}

static int lx_bulk(const struct bu_opts *o, double *gbps, double *cpu, double *wall)
{
    SSL_CTX *cctx = lx_ctx(0), *sctx = lx_ctx(1);
    static uint8_t out[CHUNK], in[4 * CHUNK];
    memset(out, 'x', sizeof(out));
    uint16_t port;
    int l = lx_listener(&port), rc = -1, cfd = -1, sfd = -1;
    SSL *c = NULL, *s = NULL;
    if (!cctx || !sctx || l < 0 || lx_tcp_pair(l, port, &cfd, &sfd))
        goto done;
    c = SSL_new(cctx);
    s = SSL_new(sctx);
    if (!c || !s || SSL_set_fd(c, cfd) != 1 || SSL_set_fd(s, sfd) != 1 || SSL_set1_host(c, HOST) != 1 ||
        lx_handshake(c, s))
        goto done;
    uint64_t sent = 0, got = 0;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9;
    for (long turn = 0;; turn++) {
        int r;
        while ((r = SSL_write(c, out, sizeof(out))) > 0)
            sent += (uint64_t)r;
        if (lx_again(c, r) < 0)
            goto done;
        while ((r = SSL_read(s, in, sizeof(in))) > 0)
            got += (uint64_t)r;
        if (lx_again(s, r) < 0)
            goto done;
        if ((turn & 63) == 63 && bu_cpu_seconds() - c0 >= o->seconds)
            break;
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *gbps = (double)got * 8 / 1e9 / *cpu;
    rc = got > 0 && got <= sent ? 0 : -1;
done:
    SSL_free(c);
    SSL_free(s);
    if (cfd >= 0)
        close(cfd);
    if (sfd >= 0)
        close(sfd);
    if (l >= 0)
        close(l);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return rc;
}

/* ---- the rows ---------------------------------------------------------------- */

typedef int (*measure_fn)(const struct bu_opts *o, double *value, double *cpu, double *wall);

static int series(const struct bu_opts *o, const char *variant, const char *impl, const char *metric,
                  const char *unit, measure_fn fn, const char *note)
{
    double v[MAX_REPS], cpu = 0, wall = 0;
    int n = o->reps > MAX_REPS ? MAX_REPS : o->reps;
    for (int i = 0; i < n; i++) {
        if (fn(o, &v[i], &cpu, &wall) < 0) {
            bu_progress("tls", "%s %s failed", impl, variant);
            return -1;
        }
        bu_progress("tls", "%s %s rep %d/%d: %.1f %s", impl, variant, i + 1, n, v[i], unit);
    }
    struct bu_result r = {"tls", variant, bu_impl(o, impl), metric, bu_median(v, n), unit, n, cpu, wall, ""};
    snprintf(r.note, sizeof(r.note), "%s", note);
    bu_result_write(o->out, &r);
    return 0;
}

int main(int argc, char **argv)
{
    struct bu_opts o;
    if (bu_parse_opts(&o, argc, argv, "nst_bench_tls"))
        return 2;
    if (nst_tls_make_test_pki(&pki, HOST, 2)) {
        fprintf(stderr, "nst_bench_tls: cannot make the test certificates\n");
        return 1;
    }
    int rc = 0;
    static const char hs_note[] = "TLS 1.3 full handshakes (RSA 2048, X25519, verified), TCP connect to close";
    static const char bulk_note[] = "TLS 1.3 TLS_AES_256_GCM_SHA384, 16 KiB writes, one connection";
    if (bu_selected(&o, "handshake")) {
        rc |= series(&o, "handshake-tls1.3", "nstack", "handshakes", "per CPU s", nst_handshakes, hs_note) != 0;
        rc |= series(&o, "handshake-tls1.3", "linux", "handshakes", "per CPU s", lx_handshakes, hs_note) != 0;
    }
    if (bu_selected(&o, "bulk")) {
        rc |= series(&o, "bulk-aes-gcm", "nstack", "goodput", "Gbit/s per CPU s", nst_bulk, bulk_note) != 0;
        rc |= series(&o, "bulk-aes-gcm", "linux", "goodput", "Gbit/s per CPU s", lx_bulk, bulk_note) != 0;
    }
    nst_tls_test_pki_free(&pki);
    return rc;
}
