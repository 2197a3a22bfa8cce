/* nstack's TLS (src/app/) on a TAP against OpenSSL's tools on the Linux
 * kernel's TCP, in a private network namespace made by this process, in
 * real time (the run loop):
 *  - nstack's client against s_server: TLS 1.2 and 1.3 handshakes with
 *    certificate and hostname verification, an HTTP request and the whole
 *    answer up to the server's close_notify (a clean end), and resumption
 *    on the second connection of each version;
 *  - s_client against nstack's echo server: both versions, resumption
 *    (-sess_out / -sess_in), and TLS 1.3 0-RTT (-early_data) accepted by
 *    nstack, read as early data and echoed as 0.5-RTT data.
 * Exits 77 (skipped) without root, /dev/net/tun or the openssl program. */
#include <nstack/runloop.h>
#include <nstack/tap.h>
#include <nstack/tls.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

#define TAPNAME "nsttls0"
#define KERNEL_ADDR NST_IP4(10, 99, 0, 1)
#define OUR_ADDR NST_IP4(10, 99, 0, 2)
#define SPORT 4433

struct get {
    struct nst_stream *s;
    int sent, eof, err;
    char resp[16384];
    size_t len;
};

static void get_step(void *arg, struct nst_stream *s, int ev)
{
    (void)ev;
    struct get *g = arg;
    static const char req[] = "GET / HTTP/1.0\r\n\r\n";
    if (!g->sent && nst_stream_write(s, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1)
        g->sent = 1;
    for (;;) {
        ssize_t r = nst_stream_read(s, g->resp + g->len, sizeof(g->resp) - 1 - g->len);
        if (r > 0) {
            g->len += (size_t)r;
            g->resp[g->len] = 0;
            continue;
        }
        if (r == 0)
            g->eof = 1;
        else if (r != -EAGAIN)
            g->err = (int)r;
        break;
    }
}

static int get_done(void *arg)
{
    struct get *g = arg;
    return g->eof || g->err;
}

/* One GET over a new TLS connection from nstack to the kernel's s_server. */
static void one_get(struct nst_runloop *rl, struct nst_stack *st, struct nst_tls_ctx *ctx, struct get *g,
                    struct nst_tls_info *info)
{
    memset(g, 0, sizeof(*g));
    int fd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr to = {KERNEL_ADDR, SPORT};
    CHECK_EQ(nst_connect(st, fd, &to), -EINPROGRESS);
    g->s = nst_tls_client(ctx, st, fd, "tls.test", SPORT);
    CHECK(g->s != NULL);
    nst_stream_set_callback(g->s, get_step, g);
    nst_runloop_run(rl, nst_runloop_clock() + NST_SEC(10), get_done, g);
    nst_tls_get_info(g->s, info);
    if (g->err)
        fprintf(stderr, "  error: %s\n", nst_stream_error_string(g->s));
    nst_stream_close(g->s);
    nst_runloop_run(rl, nst_runloop_clock() + NST_MSEC(50), NULL, NULL); /* the close goes out */
}

/* What both tests stand on: a run-time PKI written to the test's output
 * directory, a TAP whose kernel side is 10.99.0.1/24, and a stack at
 * 10.99.0.2 on it driven by a run loop. */
struct scene {
    char dir[512];
    struct nst_tls_test_pki pki;
    struct nst_tap *tap;
    struct nst_stack *st;
    struct nst_runloop *rl;
};

static void scene_up(struct scene *sc, const char *ifname, const char *names)
{
    snprintf(sc->dir, sizeof(sc->dir), "%s/tls-kernel", nst_test_out_dir());
    mkdir(sc->dir, 0700);
    CHECK_EQ(nst_tls_make_test_pki(&sc->pki, names, 2), 0);
    CHECK_EQ(nst_tls_test_pki_write(&sc->pki, sc->dir), 0);
    struct nst_tap_config tc;
    nst_tap_config_default(&tc);
    tc.ifname = ifname;
    char why[256], cmd[256];
    CHECK_EQ(nst_tap_open(&tc, &sc->tap, why, sizeof(why)), 0);
    snprintf(cmd, sizeof(cmd), "ip link set lo up && ip addr add 10.99.0.1/24 dev %s && ip link set %s up", ifname,
             ifname);
    CHECK_EQ(system(cmd), 0);
    sc->st = nst_stack_new(NULL);
    struct nst_iface_config ic = {.mac = {{0x02, 0x6e, 0, 0, 0, 2}}, .addr = OUR_ADDR, .prefix_len = 24};
    CHECK_EQ(nst_tap_attach(sc->tap, sc->st, &ic), 0);
    CHECK_EQ(nst_runloop_new(sc->st, &sc->rl), 0);
    CHECK_EQ(nst_runloop_add_tap(sc->rl, sc->tap), 0);
}

static void scene_down(struct scene *sc)
{
    nst_runloop_free(sc->rl);
    nst_stack_free(sc->st);
    nst_tap_close(sc->tap);
    nst_tls_test_pki_free(&sc->pki);
}

static pid_t start_s_server(const char *dir)
{
    char cert[600], key[600];
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", "10.99.0.1:4433", "-cert", cert, "-key",
               key, "-num_tickets", "1", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void test_client_against_s_server(void)
{
    struct scene sc;
    scene_up(&sc, TAPNAME, "tls.test,10.99.0.1");
    pid_t server = start_s_server(sc.dir);
    CHECK(server > 0);
    usleep(300 * 1000); /* s_server binds */
    struct nst_runloop *rl = sc.rl;
    struct nst_stack *st = sc.st;
    for (int v = NST_TLS1_2; v <= NST_TLS1_3; v++) {
        struct nst_tls_config c;
        nst_tls_config_default(&c, NST_TLS_CLIENT);
        c.ca_cert = sc.pki.ca_cert;
        c.min_version = c.max_version = v;
        struct nst_tls_ctx *ctx;
        CHECK_EQ(nst_tls_ctx_new(&c, &ctx, NULL), 0);
        for (int i = 0; i < 2; i++) {
            struct get g;
            struct nst_tls_info info;
            one_get(rl, st, ctx, &g, &info);
            CHECK_EQ(g.err, 0);
            CHECK_EQ(g.eof, 1); /* s_server's close_notify */
            CHECK(strncmp(g.resp, "HTTP/1.0 200 ok", 15) == 0);
            CHECK(strstr(g.resp, v == NST_TLS1_3 ? "TLSv1.3" : "TLSv1.2") != NULL);
            CHECK(strstr(g.resp, i ? "Reused, " : "New, ") != NULL);
            CHECK_EQ(info.version, v);
            CHECK_EQ(info.resumed, i);
            CHECK_EQ(info.peer_closed, 1);
        }
        const struct nst_tls_stats *s = nst_tls_ctx_stats(ctx);
        CHECK_EQ(s->handshakes_full, 1);
        CHECK_EQ(s->handshakes_resumed, 1);
        CHECK_EQ(s->handshake_failures + s->truncations, 0);
        nst_tls_ctx_free(ctx);
    }
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    scene_down(&sc);
}

/* ---- s_client against nstack's server ----------------------------------- */

#define MAX_SRV 8

struct echo_srv {
    struct nst_stack *st;
    struct nst_tls_ctx *ctx;
    int lfd, n;
    struct echo_conn {
        struct nst_stream *s;
        char buf[4096];
        size_t pending;
        size_t in, early_in;
        int eof, err;
        struct nst_tls_info info;
    } c[MAX_SRV];
};

static void echo_step(void *arg, struct nst_stream *s, int ev)
{
    (void)ev;
    struct echo_conn *c = arg;
    for (;;) {
        if (c->pending) {
            ssize_t w = nst_stream_write(s, c->buf, c->pending);
            if (w < 0)
                break;
            memmove(c->buf, c->buf + w, c->pending - (size_t)w);
            c->pending -= (size_t)w;
            continue;
        }
        ssize_t r = nst_stream_read(s, c->buf, sizeof(c->buf));
        if (r > 0) {
            c->in += (size_t)r;
            c->early_in += nst_stream_read_was_early(s) ? (size_t)r : 0;
            c->pending = (size_t)r;
            continue;
        }
        if (r == 0 && !c->eof) {
            c->eof = 1;
            nst_stream_shutdown(s);
        } else if (r < 0 && r != -EAGAIN) {
            c->err = (int)r;
        }
        break;
    }
    nst_tls_get_info(s, &c->info);
}

static void echo_accept(void *arg, int fd, int ev)
{
    (void)fd;
    struct echo_srv *e = arg;
    if (!(ev & NST_EV_IN))
        return;
    int cfd;
    while ((cfd = nst_accept(e->st, e->lfd, NULL)) >= 0) {
        if (e->n == MAX_SRV) {
            nst_close(e->st, cfd);
            continue;
        }
        struct echo_conn *c = &e->c[e->n++];
        c->s = nst_tls_server(e->ctx, e->st, cfd);
        nst_stream_set_callback(c->s, echo_step, c);
        echo_step(c, c->s, 0);
    }
}

static int child_exited(void *arg)
{
    pid_t *pid = arg;
    return waitpid(*pid, NULL, WNOHANG) == *pid;
}

/* Runs `sh -c cmd` (an s_client) while the loop drives nstack, until it
 * exits (bounded). Returns what it printed. */
static char *run_client(struct nst_runloop *rl, const char *cmd, const char *out_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    CHECK(nst_runloop_run(rl, nst_runloop_clock() + NST_SEC(15), child_exited, &pid) == 1);
    FILE *f = fopen(out_path, "r");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[n] = 0;
    if (f)
        fclose(f);
    return text;
}

static void test_s_client_against_server(void)
{
    struct scene sc;
    scene_up(&sc, TAPNAME "s", "tls.test,10.99.0.2");
    struct nst_runloop *rl = sc.rl;
    struct nst_stack *st = sc.st;
    const char *dir = sc.dir;

    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert = sc.pki.cert;
    c.key = sc.pki.key;
    c.max_early_data = 16384;
    c.early_answer = 1; /* the echo of early data goes as 0.5-RTT data */
    struct echo_srv e = {st, NULL, -1, 0, {{0}}};
    CHECK_EQ(nst_tls_ctx_new(&c, &e.ctx, NULL), 0);
    e.lfd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, SPORT};
    CHECK_EQ(nst_bind(st, e.lfd, &a), 0);
    CHECK_EQ(nst_listen(st, e.lfd, 8), 0);
    nst_socket_set_event_cb(st, e.lfd, echo_accept, &e);

    char cmd[2048], out[600], sess[600], early[600];
    snprintf(out, sizeof(out), "%s/s_client.out", dir);
    snprintf(sess, sizeof(sess), "%s/sess.pem", dir);
    snprintf(early, sizeof(early), "%s/early.txt", dir);
    FILE *f = fopen(early, "w");
    fputs("GET /early HTTP/1.1\r\n\r\n", f);
    fclose(f);
    const char *base = "openssl s_client -connect 10.99.0.2:4433 -servername tls.test -verify_return_error "
                       "-verify_hostname tls.test";
    int conn = 0;
    for (int v = 2; v <= 3; v++) {
        for (int i = 0; i < 2; i++) {
            snprintf(cmd, sizeof(cmd), "(printf 'ping-%d-%d\\n'; sleep 1) | %s -CAfile %s/ca.pem -tls1_%d %s %s", v, i,
                     base, dir, v, i ? "-sess_in" : "-sess_out", sess);
            char *text = run_client(rl, cmd, out);
            char want[32];
            snprintf(want, sizeof(want), "ping-%d-%d", v, i);
            CHECK(strstr(text, want) != NULL); /* the echo */
            CHECK(strstr(text, i ? "Reused, TLSv1." : "New, TLSv1.") != NULL);
            CHECK(strstr(text, "Verify return code: 0 (ok)") != NULL);
            struct echo_conn *ec = &e.c[conn++];
            CHECK_EQ(ec->info.version, v == 2 ? NST_TLS1_2 : NST_TLS1_3);
            CHECK_EQ(ec->info.resumed, i);
            CHECK_EQ(ec->in, strlen(want) + 1);
            CHECK_EQ(ec->err, 0);
        }
    }
    /* 0-RTT: a fresh TLS 1.3 session, then the request as early data. */
    snprintf(cmd, sizeof(cmd), "(sleep 1) | %s -CAfile %s/ca.pem -tls1_3 -sess_out %s", base, dir, sess);
    run_client(rl, cmd, out);
    conn++;
    snprintf(cmd, sizeof(cmd), "(sleep 1) | %s -CAfile %s/ca.pem -tls1_3 -sess_in %s -early_data %s", base, dir, sess,
             early);
    char *text = run_client(rl, cmd, out);
    struct echo_conn *ec = &e.c[conn];
    CHECK(strstr(text, "Early data was accepted") != NULL);
    CHECK(strstr(text, "GET /early") != NULL); /* echoed */
    CHECK_EQ(ec->info.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(ec->early_in, strlen("GET /early HTTP/1.1\r\n\r\n"));
    const struct nst_tls_stats *s = nst_tls_ctx_stats(e.ctx);
    CHECK_EQ(s->handshakes_full, 3);
    CHECK_EQ(s->handshakes_resumed, 3);
    CHECK_EQ(s->early_accepted, 1);
    /* Echoed from the read callback, before the client's Finished: OpenSSL's
     * client takes the 0.5-RTT record after the server's Finished. */
    CHECK_EQ(s->early_answer_bytes, strlen("GET /early HTTP/1.1\r\n\r\n"));
    CHECK_EQ(s->handshake_failures, 0);
    for (int i = 0; i < e.n; i++)
        nst_stream_close(e.c[i].s);
    nst_close(st, e.lfd);
    nst_tls_ctx_free(e.ctx);
    scene_down(&sc);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: needs root (makes a network namespace and a TAP)\n");
        return 77;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0 || system("command -v openssl >/dev/null") != 0) {
        printf("SKIP: /dev/net/tun or openssl is missing\n");
        return 77;
    }
    /* Everything below happens in a namespace of our own, gone when we exit;
     * s_server, our child, lives in it too. */
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: cannot make a network namespace: %s\n", strerror(errno));
        return 77;
    }
    RUN(test_client_against_s_server);
    RUN(test_s_client_against_server);
    return nst_test_done();
}
