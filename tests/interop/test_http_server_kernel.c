/* nstack's HTTP server (src/app/http_server.c) on a TAP against Linux
 * clients, in a private network namespace made by this process, in real
 * time (the run loop):
 *  - curl: two URLs on one command line share one connection (curl -v says
 *    "Re-using existing connection"); a POST with Expect: 100-continue
 *    echoed; HTTPS with the test CA, kept alive too;
 *  - ab -k (apache2-utils): 2,000 requests over 4 kept-alive connections,
 *    none failed, every one keep-alive; the server saw 4 connections;
 *  - wrk: 2 s over 4 connections (and its probe connection), no socket
 *    error, no non-2xx answer, every request it counted answered.
 * Load is bounded in count and time. Exits 77 (skipped) without root,
 * /dev/net/tun or curl; ab and wrk are skipped one by one if missing. */
#include <nstack/http.h>
#include <nstack/runloop.h>
#include <nstack/tap.h>
#include <nstack/tls.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

#define TAPNAME "nsthttp0"
#define OUR_ADDR NST_IP4(10, 98, 0, 2)

struct scene {
    char dir[512];
    struct nst_tls_test_pki pki;
    struct nst_tls_ctx *sctx;
    struct nst_tap *tap;
    struct nst_stack *st;
    struct nst_runloop *rl;
    struct nst_http_server *http, *https;
    uint8_t echo[65536];
    size_t echo_len;
};

static void h_hello(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    nst_http_reply(x, 200, "text/plain", "hello from nstack\n", 18);
}

static void echo_body(void *arg, struct nst_http_exchange *x, const uint8_t *d, size_t n)
{
    (void)x;
    struct scene *sc = arg;
    if (sc->echo_len + n <= sizeof sc->echo) {
        memcpy(sc->echo + sc->echo_len, d, n);
        sc->echo_len += n;
    }
}

static void echo_end(void *arg, struct nst_http_exchange *x)
{
    struct scene *sc = arg;
    nst_http_reply(x, 200, "application/octet-stream", sc->echo, sc->echo_len);
}

static void h_echo(void *arg, struct nst_http_exchange *x)
{
    struct scene *sc = arg;
    sc->echo_len = 0;
    struct nst_http_exchange_cbs cbs = {.on_body = echo_body, .on_end = echo_end};
    nst_http_exchange_set_cbs(x, &cbs, sc);
}

static struct nst_http_server *server(struct scene *sc, uint16_t port, struct nst_tls_ctx *tls)
{
    int lfd = nst_socket(sc->st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, port};
    CHECK_EQ(nst_bind(sc->st, lfd, &a), 0);
    CHECK_EQ(nst_listen(sc->st, lfd, 128), 0);
    struct nst_http_server_config c;
    nst_http_server_config_default(&c);
    c.max_requests = 0; /* connections last the whole load run (the default, 1000, would cycle them) */
    struct nst_http_server *sv = nst_http_server_new(sc->st, lfd, tls, &c);
    CHECK(sv != NULL);
    nst_http_server_route(sv, NULL, "/", h_hello, sc);
    nst_http_server_route(sv, "POST", "/echo", h_echo, sc);
    return sv;
}

static void scene_up(struct scene *sc)
{
    snprintf(sc->dir, sizeof(sc->dir), "%s/http-kernel", nst_test_out_dir());
    mkdir(sc->dir, 0700);
    CHECK_EQ(nst_tls_make_test_pki(&sc->pki, "http.test,10.98.0.2", 2), 0);
    CHECK_EQ(nst_tls_test_pki_write(&sc->pki, sc->dir), 0);
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert = sc->pki.cert;
    c.key = sc->pki.key;
    c.alpn = "http/1.1";
    CHECK_EQ(nst_tls_ctx_new(&c, &sc->sctx, NULL), 0);
    struct nst_tap_config tc;
    nst_tap_config_default(&tc);
    tc.ifname = TAPNAME;
    char why[256];
    CHECK_EQ(nst_tap_open(&tc, &sc->tap, why, sizeof(why)), 0);
    CHECK_EQ(system("ip link set lo up && ip addr add 10.98.0.1/24 dev " TAPNAME " && ip link set " TAPNAME " up"), 0);
    sc->st = nst_stack_new(NULL);
    struct nst_iface_config ic = {.mac = {{0x02, 0x6e, 0, 0, 0, 2}}, .addr = OUR_ADDR, .prefix_len = 24};
    CHECK_EQ(nst_tap_attach(sc->tap, sc->st, &ic), 0);
    CHECK_EQ(nst_runloop_new(sc->st, &sc->rl), 0);
    CHECK_EQ(nst_runloop_add_tap(sc->rl, sc->tap), 0);
    sc->http = server(sc, 80, NULL);
    sc->https = server(sc, 443, sc->sctx);
}

static void scene_down(struct scene *sc)
{
    nst_http_server_free(sc->http);
    nst_http_server_free(sc->https);
    nst_runloop_free(sc->rl);
    nst_stack_free(sc->st);
    nst_tap_close(sc->tap);
    nst_tls_ctx_free(sc->sctx);
    nst_tls_test_pki_free(&sc->pki);
}

static int child_exited(void *arg)
{
    pid_t *pid = arg;
    return waitpid(*pid, NULL, WNOHANG) == *pid;
}

/* Runs `sh -c cmd` while the loop drives nstack, until it exits (30 s at
 * most, then it is killed). Returns what it printed (stdout and stderr). */
static char *run(struct scene *sc, const char *cmd, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s.txt", sc->dir, name);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    if (nst_runloop_run(sc->rl, nst_runloop_clock() + NST_SEC(30), child_exited, &pid) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    nst_runloop_run(sc->rl, nst_runloop_clock() + NST_MSEC(100), NULL, NULL); /* closes go out */
    FILE *f = fopen(path, "r");
    static char text[1 << 16];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = 0;
    if (f)
        fclose(f);
    return text;
}

static void test_curl(void)
{
    struct scene sc = {0};
    scene_up(&sc);
    const char *t = run(&sc, "curl -sS -v --max-time 10 http://10.98.0.2/ http://10.98.0.2/", "curl-keepalive");
    CHECK(strstr(t, "Re-using existing connection") != NULL);
    const char *first = strstr(t, "hello from nstack\n");
    CHECK(first && strstr(first + 1, "hello from nstack\n"));
    CHECK_EQ(nst_http_server_stats(sc.http)->connections, 1);
    CHECK_EQ(nst_http_server_stats(sc.http)->requests, 2);

    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "head -c 3000 /dev/zero | tr '\\0' 'x' > %s/body && curl -sS --max-time 10 -H 'Expect: 100-continue' "
             "--data-binary @%s/body http://10.98.0.2/echo -o %s/echoed && cmp %s/body %s/echoed && echo SAME",
             sc.dir, sc.dir, sc.dir, sc.dir, sc.dir);
    t = run(&sc, cmd, "curl-continue");
    CHECK(strstr(t, "SAME") != NULL);
    CHECK_EQ(nst_http_server_stats(sc.http)->continues, 1);

    snprintf(cmd, sizeof cmd, "curl -sS -v --max-time 10 --cacert %s/ca.pem https://10.98.0.2/ https://10.98.0.2/",
             sc.dir);
    t = run(&sc, cmd, "curl-https");
    CHECK(strstr(t, "Re-using existing connection") != NULL);
    CHECK_EQ(nst_http_server_stats(sc.https)->connections, 1);
    CHECK_EQ(nst_http_server_stats(sc.https)->requests, 2);
    scene_down(&sc);
}

static void test_ab(void)
{
    if (system("command -v ab >/dev/null") != 0) {
        fprintf(stderr, "  ab missing (apache2-utils): skipped\n");
        return;
    }
    struct scene sc = {0};
    scene_up(&sc);
    const char *t = run(&sc, "ab -q -k -n 2000 -c 4 -s 10 http://10.98.0.2/", "ab");
    CHECK(strstr(t, "Complete requests:      2000") != NULL);
    CHECK(strstr(t, "Failed requests:        0") != NULL);
    CHECK(strstr(t, "Keep-Alive requests:    2000") != NULL);
    CHECK_EQ(nst_http_server_stats(sc.http)->connections, 4);
    CHECK_EQ(nst_http_server_stats(sc.http)->requests, 2000);
    scene_down(&sc);
}

static void test_wrk(void)
{
    if (system("command -v wrk >/dev/null") != 0) {
        fprintf(stderr, "  wrk missing: skipped\n");
        return;
    }
    struct scene sc = {0};
    scene_up(&sc);
    const char *t = run(&sc, "wrk -t1 -c4 -d2s --timeout 5s http://10.98.0.2/", "wrk");
    const char *in = strstr(t, " requests in ");
    CHECK(in != NULL);
    const char *num = in;
    while (num > t && num[-1] >= '0' && num[-1] <= '9')
        num--;
    unsigned long long wrk_requests = in ? strtoull(num, NULL, 10) : 0;
    CHECK(strstr(t, "Socket errors") == NULL);
    CHECK(strstr(t, "Non-2xx") == NULL);
    const struct nst_http_server_stats *ss = nst_http_server_stats(sc.http);
    /* wrk connects once to check the address (sending nothing), then opens its 4. */
    CHECK_EQ(ss->connections, 5);
    /* Every request wrk counted was answered by the server, and the few in
     * flight when wrk stopped were parsed too. */
    CHECK(ss->requests >= wrk_requests && ss->requests <= wrk_requests + 4);
    CHECK_EQ(ss->parse_errors + ss->header_timeouts + ss->idle_timeouts, 0);
    fprintf(stderr, "  wrk: %llu requests in 2 s\n", wrk_requests);
    scene_down(&sc);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: needs root (makes a network namespace and a TAP)\n");
        return 77;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0 || system("command -v curl >/dev/null") != 0) {
        printf("SKIP: /dev/net/tun or curl is missing\n");
        return 77;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: cannot make a network namespace: %s\n", strerror(errno));
        return 77;
    }
    RUN(test_curl);
    RUN(test_ab);
    RUN(test_wrk);
    return nst_test_done();
}
