/* TCP Fast Open (RFC 7413) between nstack on a TAP and Linux, in a private
 * network namespace made by this process (net.ipv4.tcp_fastopen = 3 in it),
 * in real time:
 *  - a Linux client (python3, sendto with MSG_FASTOPEN) against nstack's
 *    echo listener with NST_TCP_FASTOPEN: the first connection gets a
 *    cookie, the second carries its request in the SYN; the kernel reports
 *    its SYN data acknowledged (TCP_INFO's TCPI_OPT_SYN_DATA), both echoes
 *    are exact, and nstack counts one cookie given and one Fast Open
 *    connection taken with its data; between the connections nstack's
 *    keys change (RFC 7413 4.1.2): after the first, a new primary with the
 *    old one as backup: the second still carries its data in the SYN
 *    (taken under the backup) and is given a new cookie; after the second
 *    the backup is dropped: the third connection's SYN data is taken too,
 *    so the kernel cached the replacement cookie;
 *  - nstack's client (NST_TCP_FASTOPEN_CONNECT) against a Linux server
 *    with TCP_FASTOPEN: the first connect asks for a cookie, the second
 *    returns at once and its send goes in the SYN, which the kernel
 *    acknowledges with the SYN-ACK; both answers exact.
 * Exits 77 (skipped) without root, /dev/net/tun or python3. */
#include <nstack/nstack.h>
#include <nstack/runloop.h>
#include <nstack/tap.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#define TAPNAME "nsttfo0"
#define OUR_ADDR NST_IP4(10, 97, 0, 2)
#define KERNEL_ADDR NST_IP4(10, 97, 0, 1)
#define MAX_CONNS 8

struct scene {
    char dir[512];
    struct nst_tap *tap;
    struct nst_stack *st;
    struct nst_runloop *rl;
    int lfd;
    int fds[MAX_CONNS];
    int nfds;
    int capture_no;
    int rotate;                  /* change the keys as connections come (test_kernel_client) */
    uint8_t old_key[NST_TCP_FASTOPEN_KEY_LEN];
};

/* 4.1.2: after the first connection, a new primary key with the old one
 * as backup; after the second, the new one alone. */
static void rotate_keys(struct scene *sc)
{
    static const uint8_t NEW_KEY[NST_TCP_FASTOPEN_KEY_LEN] = {0x4e, 0x45, 0x57, 0x2d, 0x6b, 0x65, 0x79, 0x01,
                                                              0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    uint8_t keys[2 * NST_TCP_FASTOPEN_KEY_LEN];
    if (sc->rotate == 1 && sc->nfds == 1) {
        CHECK_EQ(nst_tcp_fastopen_get_keys(sc->st, keys), NST_TCP_FASTOPEN_KEY_LEN);
        memcpy(keys + NST_TCP_FASTOPEN_KEY_LEN, keys, NST_TCP_FASTOPEN_KEY_LEN);
        memcpy(keys, NEW_KEY, NST_TCP_FASTOPEN_KEY_LEN);
        CHECK_EQ(nst_tcp_fastopen_set_keys(sc->st, keys, sizeof keys), 0);
        sc->rotate = 2;
    } else if (sc->rotate == 2 && sc->nfds == 2) {
        CHECK_EQ(nst_tcp_fastopen_set_keys(sc->st, NEW_KEY, sizeof NEW_KEY), 0);
        sc->rotate = 3;
    }
}

/* The echo service: every connection accepted sends back what it reads. */
static int echo_step(void *arg, nst_time_t now)
{
    (void)now;
    struct scene *sc = arg;
    int fd;
    while (sc->nfds < MAX_CONNS && (fd = nst_accept(sc->st, sc->lfd, NULL)) >= 0)
        sc->fds[sc->nfds++] = fd;
    if (sc->rotate)
        rotate_keys(sc);
    for (int i = 0; i < sc->nfds; i++) {
        char buf[512];
        if (sc->fds[i] < 0)
            continue;
        ssize_t n = nst_recv(sc->st, sc->fds[i], buf, sizeof buf, NST_MSG_PEEK);
        if (n == 0) {
            nst_close(sc->st, sc->fds[i]);
            sc->fds[i] = -1;
        } else if (n > 0) {
            ssize_t w = nst_send(sc->st, sc->fds[i], buf, (size_t)n, 0);
            if (w > 0) /* (-EAGAIN before the handshake's end: later) */
                nst_recv(sc->st, sc->fds[i], buf, (size_t)w, 0);
        }
    }
    return 0;
}

static void scene_up(struct scene *sc)
{
    snprintf(sc->dir, sizeof(sc->dir), "%s/tfo-kernel", nst_test_out_dir());
    mkdir(sc->dir, 0700);
    struct nst_tap_config tc;
    nst_tap_config_default(&tc);
    tc.ifname = TAPNAME;
    static char cap[600];
    snprintf(cap, sizeof cap, "%s/tap-%d.pcap", sc->dir, sc->capture_no);
    tc.pcap_path = cap;
    char why[256];
    CHECK_EQ(nst_tap_open(&tc, &sc->tap, why, sizeof(why)), 0);
    CHECK_EQ(system("ip link set lo up && ip addr add 10.97.0.1/24 dev " TAPNAME " && ip link set " TAPNAME
                    " up && sysctl -qw net.ipv4.tcp_fastopen=3"),
             0);
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    cfg.tcp.fastopen = 3;
    sc->st = nst_stack_new(&cfg);
    struct nst_iface_config ic = {.mac = {{0x02, 0x6e, 0, 0, 0, 2}}, .addr = OUR_ADDR, .prefix_len = 24};
    CHECK_EQ(nst_tap_attach(sc->tap, sc->st, &ic), 0);
    CHECK_EQ(nst_runloop_new(sc->st, &sc->rl), 0);
    CHECK_EQ(nst_runloop_add_tap(sc->rl, sc->tap), 0);
    /* One short run: the stack's clock is the loop's before any call. */
    nst_runloop_run(sc->rl, nst_runloop_clock() + NST_MSEC(10), NULL, NULL);
    sc->lfd = -1;
}

static void scene_down(struct scene *sc)
{
    nst_runloop_free(sc->rl);
    nst_stack_free(sc->st);
    nst_tap_close(sc->tap);
}

static int child_exited(void *arg)
{
    pid_t *pid = arg;
    return waitpid(*pid, NULL, WNOHANG) == *pid;
}

/* Starts `python3 -c prog` (output in DIR/name.txt). */
static pid_t spawn(struct scene *sc, const char *prog, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.txt", sc->dir, name);
    unlink(path); /* (not last run's output while the child starts) */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("python3", "python3", "-c", prog, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static char *slurp(const char *path)
{
    static char text[1 << 14];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = 0;
    if (f)
        fclose(f);
    return text;
}

/* Runs the loop while the child lives (20 s at most). */
static void run_child(struct scene *sc, pid_t pid)
{
    if (nst_runloop_run(sc->rl, nst_runloop_clock() + NST_SEC(20), child_exited, &pid) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

static const char KERNEL_CLIENT[] =
    "import socket, struct\n"
    "for i in (1, 2, 3):\n"
    "    s = socket.socket()\n"
    "    msg = b'request %d' % i\n"
    "    s.sendto(msg, socket.MSG_FASTOPEN, ('10.97.0.2', 7))\n"
    "    s.settimeout(5)\n"
    "    got = b''\n"
    "    while len(got) < len(msg):\n"
    "        got += s.recv(100)\n"
    "    opts = struct.unpack('B' * 8, s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8))[5]\n"
    "    print('conn %d echo %s syn_data %d' % (i, 'ok' if got == msg else 'WRONG', 1 if opts & 32 else 0))\n"
    "    s.close()\n";

static void test_kernel_client(void)
{
    struct scene sc = {.capture_no = 1, .rotate = 1};
    scene_up(&sc);
    sc.lfd = nst_socket(sc.st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 7};
    CHECK_EQ(nst_bind(sc.st, sc.lfd, &a), 0);
    int qlen = 16;
    CHECK_EQ(nst_setsockopt(sc.st, sc.lfd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN, &qlen, sizeof qlen), 0);
    CHECK_EQ(nst_listen(sc.st, sc.lfd, 16), 0);
    nst_runloop_set_step(sc.rl, echo_step, &sc);
    char path[700];
    pid_t pid = spawn(&sc, KERNEL_CLIENT, "kernel-client", path, sizeof path);
    run_child(&sc, pid);
    const char *t = slurp(path);
    fprintf(stderr, "%s", t);
    CHECK(strstr(t, "conn 1 echo ok syn_data 0") != NULL);
    CHECK(strstr(t, "conn 2 echo ok syn_data 1") != NULL);
    CHECK(strstr(t, "conn 3 echo ok syn_data 1") != NULL);
    CHECK_EQ(sc.rotate, 3);
    const struct nst_stats *s = nst_stack_stats(sc.st);
    CHECK_EQ(s->tcp_tfo_cookies_sent, 2); /* the first's, the second's replacement */
    CHECK_EQ(s->tcp_tfo_cookie_backup, 1);
    CHECK_EQ(s->tcp_tfo_passive, 2);
    CHECK_EQ(s->tcp_tfo_cookie_invalid, 0);
    scene_down(&sc);
}

static const char KERNEL_SERVER[] =
    "import socket\n"
    "l = socket.socket()\n"
    "l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)\n"
    "l.bind(('10.97.0.1', 5007))\n"
    "l.listen(8)\n"
    "l.settimeout(10)\n"
    "print('listening', flush=True)\n"
    "for i in (1, 2):\n"
    "    c, _ = l.accept()\n"
    "    c.settimeout(5)\n"
    "    data = c.recv(100)\n"
    "    c.sendall(b'got ' + data)\n"
    "    c.close()\n"
    "print('served', flush=True)\n";

struct client {
    struct scene *sc;
    int fd;
    char got[64];
    size_t n;
    const char *msg;
    int sent;
};

/* Sends once connected (or at once if connect returned 0), reads the answer. */
static int client_done(void *arg)
{
    struct client *c = arg;
    if (!c->sent) {
        ssize_t w = nst_send(c->sc->st, c->fd, c->msg, strlen(c->msg), 0);
        if (w == (ssize_t)strlen(c->msg))
            c->sent = 1;
        return 0;
    }
    ssize_t n = nst_recv(c->sc->st, c->fd, c->got + c->n, sizeof c->got - 1 - c->n, 0);
    if (n > 0)
        c->n += (size_t)n;
    c->got[c->n] = 0;
    return c->n >= strlen(c->msg) + 4;
}

static void nstack_request(struct scene *sc, const char *msg, int want_connect)
{
    struct client c = {.sc = sc, .msg = msg};
    c.fd = nst_socket(sc->st, NST_SOCK_STREAM);
    int one = 1;
    CHECK_EQ(nst_setsockopt(sc->st, c.fd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN_CONNECT, &one, sizeof one), 0);
    struct nst_sockaddr to = {KERNEL_ADDR, 5007};
    CHECK_EQ(nst_connect(sc->st, c.fd, &to), want_connect);
    CHECK_EQ(nst_runloop_run(sc->rl, nst_runloop_clock() + NST_SEC(5), client_done, &c), 1);
    char want[64];
    snprintf(want, sizeof want, "got %s", msg);
    CHECK_EQ(strcmp(c.got, want), 0);
    nst_close(sc->st, c.fd);
}

static void test_nstack_client(void)
{
    struct scene sc = {.capture_no = 2};
    scene_up(&sc);
    char path[700];
    pid_t pid = spawn(&sc, KERNEL_SERVER, "kernel-server", path, sizeof path);
    for (int i = 0; i < 100 && !strstr(slurp(path), "listening"); i++)
        usleep(50000);
    /* The first: a cookie request, an ordinary handshake. */
    nstack_request(&sc, "first", -EINPROGRESS);
    const struct nst_stats *s = nst_stack_stats(sc.st);
    CHECK_EQ(s->tcp_tfo_cookie_requests, 1);
    /* The second: connect() returns 0, the request rides in the SYN. */
    nstack_request(&sc, "second", 0);
    CHECK_EQ(s->tcp_tfo_syn_data_sent, 1);
    CHECK_EQ(s->tcp_tfo_syn_data_acked, 1);
    CHECK_EQ(s->tcp_tfo_syn_data_unacked, 0);
    run_child(&sc, pid);
    CHECK(strstr(slurp(path), "served") != NULL);
    scene_down(&sc);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: needs root (makes a network namespace and a TAP)\n");
        return 77;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0 || system("command -v python3 >/dev/null") != 0) {
        printf("SKIP: /dev/net/tun or python3 is missing\n");
        return 77;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: cannot make a network namespace: %s\n", strerror(errno));
        return 77;
    }
    RUN(test_kernel_client);
    RUN(test_nstack_client);
    return nst_test_done();
}
