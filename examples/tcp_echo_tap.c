/* A TCP echo server on a Linux TAP device, driven from the program's own
 * epoll loop.
 *
 *   tcp_echo_tap --tap tap0 --addr 10.0.0.2/24 [--port 7] [--conns N] [--seconds S]
 *
 * The stack answers on the TAP as 10.0.0.2 (the kernel side of the TAP is
 * another host: give it an address in the same subnet, `ip link set tap0 up`,
 * then `nc 10.0.0.2 7`). It serves until N connections have ended (0: no
 * limit) or S seconds passed (default 30).
 *
 * Shows: nst_runloop_fd/nst_runloop_run_once (the stack inside another
 * event loop) and a poll set (readiness of the stack's own sockets).
 * Build: cc tcp_echo_tap.c $(pkg-config --cflags --libs nstack) */
#include <nstack/nstack.h>
#include <nstack/poll.h>
#include <nstack/runloop.h>
#include <nstack/tap.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct opts {
    const char *tap;
    nst_ip4_t addr;
    uint8_t prefix;
    uint16_t port;
    int conns, seconds;
};

static int usage(void)
{
    fprintf(stderr, "usage: tcp_echo_tap --tap NAME --addr A.B.C.D/P [--port N] [--conns N] [--seconds S]\n");
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.port = 7, .seconds = 30};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help"))
            return usage(), 1;
        if (!v)
            return -1;
        if (!strcmp(a, "--tap"))
            o->tap = v;
        else if (!strcmp(a, "--addr") && nst_ip4_parse(v, &o->addr, &o->prefix) == 0)
            ;
        else if (!strcmp(a, "--port"))
            o->port = (uint16_t)atoi(v);
        else if (!strcmp(a, "--conns"))
            o->conns = atoi(v);
        else if (!strcmp(a, "--seconds"))
            o->seconds = atoi(v);
        else
            return -1;
        i++;
    }
    return o->tap && o->addr ? 0 : -1;
}

/* Echoes what fd has to read; closes it at EOF or on an error. Returns 1
 * when the connection ended. (A real server would keep what the send
 * buffer did not take and wait for NST_EV_OUT; an echo of a few lines
 * always fits.) */
static int echo(struct nst_stack *st, int fd)
{
    char buf[2048];
    ssize_t n;
    while ((n = nst_recv(st, fd, buf, sizeof(buf), 0)) > 0)
        nst_send(st, fd, buf, (size_t)n, 0);
    if (n == -EAGAIN)
        return 0;
    nst_close(st, fd); /* EOF (0) or an error: also leaves the poll set */
    return 1;
}

int main(int argc, char **argv)
{
    struct opts o;
    int r = parse(argc, argv, &o);
    if (r)
        return r > 0 ? 0 : usage();

    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    struct nst_stack *st = nst_stack_new(&cfg);
    struct nst_tap_config tc;
    nst_tap_config_default(&tc);
    tc.ifname = o.tap;
    struct nst_tap *tap;
    char why[256];
    if (!st || nst_tap_open(&tc, &tap, why, sizeof(why)) < 0) {
        fprintf(stderr, "tcp_echo_tap: %s\n", st ? why : "out of memory");
        return 1;
    }
    /* A locally administered MAC; the kernel learns it by ARP. */
    struct nst_iface_config ifc = {.name = "tap", .mac = {{0x02, 0, 0, 0, 0, 0x02}}, .addr = o.addr,
                                   .prefix_len = o.prefix};
    struct nst_runloop *rl;
    struct nst_pollset *ps;
    int lfd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr any = {.port = o.port};
    if (nst_tap_attach(tap, st, &ifc) < 0 || nst_runloop_new(st, &rl) < 0 || nst_runloop_add_tap(rl, tap) < 0 ||
        nst_pollset_new(st, &ps) < 0 || nst_bind(st, lfd, &any) < 0 || nst_listen(st, lfd, 16) < 0 ||
        nst_pollset_add(ps, lfd, NST_EV_IN, (nst_poll_data_t){.fd = lfd}) < 0) {
        fprintf(stderr, "tcp_echo_tap: setup failed\n");
        return 1;
    }

    /* The application's own loop: the stack is one descriptor in it. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, nst_runloop_fd(rl), &ev);
    printf("tcp_echo_tap: listening on port %u\n", o.port);
    fflush(stdout);

    nst_time_t end = nst_runloop_clock() + NST_SEC(o.seconds);
    int ended = 0;
    while (nst_runloop_clock() < end && (o.conns == 0 || ended < o.conns)) {
        /* Frames in, timers run; then what became ready on our sockets. */
        if (nst_runloop_run_once(rl) < 0)
            break;
        struct nst_poll_event evs[32];
        int n = nst_pollset_wait(ps, evs, 32);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != lfd) {
                ended += echo(st, fd);
                continue;
            }
            int c;
            while ((c = nst_accept(st, lfd, NULL)) >= 0)
                nst_pollset_add(ps, c, NST_EV_IN | NST_EV_RDHUP, (nst_poll_data_t){.fd = c});
        }
        /* Our sends queued segments: let the stack send them and re-arm its
         * timer before sleeping. */
        if (n > 0)
            continue;
        epoll_wait(ep, &ev, 1, 100);
    }
    printf("tcp_echo_tap: %d connections served\n", ended);
    close(ep);
    nst_pollset_free(ps);
    nst_runloop_free(rl);
    nst_tap_close(tap);
    nst_stack_free(st);
    return 0;
}
