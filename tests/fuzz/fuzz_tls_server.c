/* libFuzzer target: a TLS server stream's handshake input.
 *
 * A simulated world of two hosts: the server runs nstack's TLS server
 * stream (src/app/tls.c, OpenSSL underneath) on port 443; the peer is a
 * plain TCP socket sending the fuzzer's bytes. The first input byte picks:
 *   bits 0-1  the server's versions: 1.2 and 1.3, 1.2 only, 1.3 only
 *   bit 2     start from a real ClientHello (recorded at start-up from
 *             nstack's own TLS client) and XOR the rest of the input into
 *             it from a 2-byte offset; else send the input as it is
 *   bit 3     the peer sends FIN after its bytes
 *   bit 4     the server accepts 0-RTT (max_early_data)
 *   bits 5-7  the bytes go out in 1 + n pieces, 1 ms apart
 * then the world runs until the stream fails, finishes or its handshake
 * times out (1 s), and everything is freed.
 *
 * What must hold besides no crash, leak or undefined behaviour: the stream
 * ends with an error from tls.h's list (or is still waiting for bytes, or
 * established), readiness is a valid mask, and an error comes with its
 * sentence. Any violation aborts.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_tls_server. */
#include <errno.h>
#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/tls.h>
#include <stdlib.h>
#include <string.h>

#define SRV_ADDR NST_IP4(10, 0, 0, 1)
#define PEER_ADDR NST_IP4(10, 0, 0, 2)

static struct nst_tls_test_pki pki;
static struct nst_tls_ctx *server_ctx[3][2]; /* [versions][early data] */
static uint8_t hello[2048];
static size_t hello_len;

struct world {
    struct nst_world *w;
    struct nst_stack *srv, *peer;
    int lfd;
    struct nst_stream *s;
    struct nst_tls_ctx *ctx;
};

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct world *x = arg;
    if (!(ev & NST_EV_IN) || x->s)
        return;
    int c = nst_accept(x->srv, x->lfd, NULL);
    if (c >= 0 && !(x->s = nst_tls_server(x->ctx, x->srv, c)))
        nst_close(x->srv, c);
}

static int world_up(struct world *x, uint64_t seed)
{
    memset(x, 0, sizeof(*x));
    x->w = nst_world_new(seed);
    x->srv = nst_world_add_host(x->w, "srv", NULL);
    x->peer = nst_world_add_host(x->w, "peer", NULL);
    if (!nst_world_connect(x->w, x->srv, SRV_ADDR, 24, x->peer, PEER_ADDR, 24, NULL))
        return -1;
    x->lfd = nst_socket(x->srv, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 443};
    nst_bind(x->srv, x->lfd, &a);
    nst_listen(x->srv, x->lfd, 4);
    nst_socket_set_event_cb(x->srv, x->lfd, on_listener, x);
    return 0;
}

static void world_down(struct world *x)
{
    nst_stream_close(x->s);
    nst_world_free(x->w);
}

/* Records the first flight of nstack's TLS client: a real ClientHello. */
static void on_hello(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f, size_t len)
{
    (void)arg;
    (void)now;
    if (ev != NST_SIM_OFFERED || dir != 1 || len < 54 || hello_len || f[12] != 0x08 || f[13] != 0 || f[23] != 6)
        return;
    size_t ihl = (size_t)(f[14] & 0xf) * 4, tot = (size_t)f[16] << 8 | f[17];
    if (14 + ihl + 20 > len || tot + 14 > len)
        return;
    size_t doff = (size_t)(f[14 + ihl + 12] >> 4) * 4;
    if (ihl + doff >= tot || tot - ihl - doff > sizeof(hello))
        return;
    size_t pl = tot - ihl - doff;
    memcpy(hello, f + 14 + ihl + doff, pl);
    hello_len = pl;
}

static void record_hello(void)
{
    struct world x;
    if (world_up(&x, 1) < 0)
        abort();
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_CLIENT);
    c.verify = 0;
    c.alpn = "h2,http/1.1";
    struct nst_tls_ctx *cctx;
    if (nst_tls_ctx_new(&c, &cctx, NULL) < 0)
        abort();
    nst_sim_link_observe(nst_world_connect(x.w, x.srv, NST_IP4(10, 9, 0, 1), 24, x.peer, NST_IP4(10, 9, 0, 2), 24,
                                           NULL),
                         on_hello, NULL);
    int fd = nst_socket(x.peer, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_IP4(10, 9, 0, 1), 9443};
    nst_connect(x.peer, fd, &to);
    struct nst_stream *s = nst_tls_client(cctx, x.peer, fd, "srv.test", 9443);
    nst_world_run_for(x.w, NST_MSEC(50));
    nst_stream_close(s);
    world_down(&x);
    nst_tls_ctx_free(cctx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (nst_tls_make_test_pki(&pki, "srv.test", 30) < 0)
        abort();
    static const int vers[3][2] = {{NST_TLS1_2, NST_TLS1_3}, {NST_TLS1_2, NST_TLS1_2}, {NST_TLS1_3, NST_TLS1_3}};
    for (int v = 0; v < 3; v++)
        for (int e = 0; e < 2; e++) {
            struct nst_tls_config c;
            nst_tls_config_default(&c, NST_TLS_SERVER);
            c.cert = pki.cert;
            c.key = pki.key;
            c.min_version = vers[v][0];
            c.max_version = vers[v][1];
            c.alpn = "h2,http/1.1";
            c.max_early_data = e ? 16384 : 0;
            c.handshake_timeout = NST_SEC(1);
            if (nst_tls_ctx_new(&c, &server_ctx[v][e], NULL) < 0)
                abort();
        }
    record_hello();
    return 0;
}

static int settled(void *arg)
{
    struct world *x = arg;
    return x->s && nst_stream_error(x->s) != 0;
}

static void check_end(struct nst_stream *s)
{
    int ev = nst_stream_events(s);
    if (ev < 0 || (ev & ~(NST_EV_IN | NST_EV_OUT | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP)))
        abort();
    int err = nst_stream_error(s);
    switch (err) {
    case 0:
        return;
    case -EPROTO:
    case -EKEYREJECTED:
    case -ECONNABORTED:
    case -ETIMEDOUT:
    case -ECONNRESET:
    case -EPIPE:
        if (!*nst_stream_error_string(s) || !(ev & NST_EV_ERR))
            abort();
        return;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    int v = (mode & 3) % 3, early = (mode >> 4) & 1, fin = (mode >> 3) & 1, pieces = 1 + (mode >> 5);
    uint8_t buf[16384 + 2048];
    size_t len;
    if ((mode & 4) && size >= 2) {
        size_t off = ((size_t)data[0] << 8 | data[1]) % (hello_len + 1);
        memcpy(buf, hello, hello_len);
        len = hello_len;
        for (size_t i = 2; i < size && i - 2 < sizeof(buf); i++) {
            size_t at = (off + i - 2) % sizeof(buf);
            if (at >= len) {
                memset(buf + len, 0, at + 1 - len);
                len = at + 1;
            }
            buf[at] ^= data[i];
        }
    } else {
        len = size < sizeof(buf) ? size : sizeof(buf);
        memcpy(buf, data, len);
    }

    struct world x;
    if (world_up(&x, 7) < 0)
        abort();
    x.ctx = server_ctx[v][early];
    int fd = nst_socket(x.peer, NST_SOCK_STREAM);
    struct nst_sockaddr to = {SRV_ADDR, 443};
    nst_connect(x.peer, fd, &to);
    nst_world_run_for(x.w, NST_MSEC(5));
    size_t step = len / (size_t)pieces + 1, sent = 0;
    for (int p = 0; p < pieces && sent < len; p++) {
        size_t n = len - sent < step ? len - sent : step;
        ssize_t r = nst_send(x.peer, fd, buf + sent, n, 0);
        if (r > 0)
            sent += (size_t)r;
        nst_world_run_for(x.w, NST_MSEC(1));
    }
    if (fin)
        nst_shutdown(x.peer, fd, NST_SHUT_WR);
    nst_world_run_until_cond(x.w, settled, &x, nst_world_now(x.w) + NST_SEC(2));
    if (x.s)
        check_end(x.s);
    world_down(&x);
    return 0;
}
