/* Bench 5: nstack on a Linux TAP against the kernel, and the kernel against
 * itself over a veth pair, in wall-clock time (two processes, each on its
 * own CPU: what an application on a TAP gets). One program, four roles:
 *
 *   kserver  kernel sockets: a bulk sink on --port, a CRR responder on --port+1
 *   kclient  kernel sockets: bulk sender or CRR client to --peer
 *   nserver  nstack on --tap: the same two services
 *   nclient  nstack on --tap: bulk sender or CRR client to --peer
 *
 * The client measures and writes the result line (bench_util.h CSV):
 *   bulk  payload bytes the peer acknowledged (TCP_INFO bytes_acked) per
 *         wall second, over --seconds after a 0.5 s warm-up;
 *   crr   connect, 64-byte request, 64-byte response, the server closes
 *         first; connections completed per wall second (at most --conns).
 * Servers exit after --seconds (a bound; the script stops them sooner).
 * With --addr6 (a server's own, nstack's) and --peer6 (a client's peer)
 * every role speaks TCP over IPv6 instead: the IPv6 rows of the TAP bench.
 * scripts/bench.sh runs every role inside network namespaces of its own
 * (--only tap), with addresses that exist only there. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked (glibc's is older) */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nstack/nstack.h>
#include <nstack/runloop.h>
#include <nstack/rss.h>
#include <nstack/tap.h>
#include <nstack/tcp_info.h>
#include <nstack/xdp.h>
#include <pthread.h>

#include "bench_util.h"

#define CHUNK 65536
#define MSG 64
#define WARMUP_NS 500000000LL
#define MAX_CONNS 256

struct opts {
    const char *role, *test, *tap, *out, *impl;
    nst_ip4_t addr, peer;
    uint8_t prefix;
    uint16_t port;
    double seconds;
    long conns;
    int offload;
    int tso;
    int buf; /* nstack's SO_SNDBUF / SO_RCVBUF (the kernel autotunes its own up to 4-6 MB) */
    const char *xdp; /* --xdp IFNAME: nstack on AF_XDP (queues 0..queues-1) instead of --tap */
    unsigned queues; /* --queues N: N client stacks, a thread each, ports steered by RSS */
    /* --addr6 / --peer6: TCP over IPv6 instead (the kernel's sockets and
     * nstack's; nstack also keeps --addr, for ARP-free IPv4 it does not use). */
    int have_addr6, have_peer6;
    nst_ip6_t addr6, peer6;
};

static int parse_ip(const char *s, nst_ip4_t *a, uint8_t *prefix)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%s", s);
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = 0;
        if (prefix)
            *prefix = (uint8_t)atoi(slash + 1);
    }
    struct in_addr in;
    if (inet_pton(AF_INET, buf, &in) != 1)
        return -1;
    *a = ntohl(in.s_addr);
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    static const struct option lo[] = {
        {"role", required_argument, 0, 'r'}, {"test", required_argument, 0, 't'},
        {"addr", required_argument, 0, 'a'}, {"peer", required_argument, 0, 'p'},
        {"port", required_argument, 0, 'P'}, {"seconds", required_argument, 0, 's'},
        {"conns", required_argument, 0, 'c'}, {"tap", required_argument, 0, 'T'},
        {"no-offload", no_argument, 0, 'N'}, {"out", required_argument, 0, 'o'},
        {"impl", required_argument, 0, 'i'}, {"buf", required_argument, 0, 'b'},
        {"no-tso", no_argument, 0, 'S'}, {"xdp", required_argument, 0, 'X'},
        {"queues", required_argument, 0, 'Q'}, {"addr6", required_argument, 0, '6'},
        {"peer6", required_argument, 0, '7'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof(*o));
    o->test = "bulk";
    o->port = 5001;
    o->seconds = 3;
    o->conns = 20000;
    o->offload = 1;
    o->tso = 1;
    o->prefix = 24;
    o->buf = 4 << 20;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'r': o->role = optarg; break;
        case 't': o->test = optarg; break;
        case 'a': if (parse_ip(optarg, &o->addr, &o->prefix)) return -1; break;
        case 'p': if (parse_ip(optarg, &o->peer, NULL)) return -1; break;
        case 'P': o->port = (uint16_t)atoi(optarg); break;
        case 's': o->seconds = atof(optarg); break;
        case 'c': o->conns = atol(optarg); break;
        case 'T': o->tap = optarg; break;
        case 'N': o->offload = 0; break;
        case 'S': o->tso = 0; break;
        case 'o': o->out = optarg; break;
        case 'i': o->impl = optarg; break;
        case 'b': o->buf = atoi(optarg); break;
        case 'X': o->xdp = optarg; break;
        case 'Q': o->queues = (unsigned)atoi(optarg); break;
        case '6': if (nst_ip6_parse(optarg, &o->addr6, NULL)) return -1; o->have_addr6 = 1; break;
        case '7': if (nst_ip6_parse(optarg, &o->peer6, NULL)) return -1; o->have_peer6 = 1; break;
        default: return -1;
        }
    }
    if (!o->role || o->seconds <= 0 || o->seconds > 600 || o->conns <= 0 || o->queues > NST_XDP_MAX_QUEUES)
        return -1;
    if (!o->queues)
        o->queues = 1;
    return 0;
}

static void report(const struct opts *o, const char *metric, double v, const char *unit, double wall,
                   const char *note)
{
    struct bu_result r = {"tap", o->test, o->impl ? o->impl : o->role, metric, v, unit, 1,
                          bu_cpu_seconds(), wall, ""};
    snprintf(r.note, sizeof(r.note), "%s", note);
    bu_result_write(o->out, &r);
}

/* ---- the kernel's side ---------------------------------------------------------- */

static struct sockaddr_in sin_of(nst_ip4_t a, uint16_t port)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    s.sin_addr.s_addr = htonl(a);
    s.sin_port = htons(port);
    return s;
}

static struct sockaddr_in6 sin6_of(const nst_ip6_t *a, uint16_t port)
{
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof(s));
    s.sin6_family = AF_INET6;
    memcpy(&s.sin6_addr, a->b, 16);
    s.sin6_port = htons(port);
    return s;
}

/* The kernel's address of a connection or listener: IPv6 when given. */
static socklen_t k_addr(const struct opts *o, int peer, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (peer ? o->have_peer6 : o->have_addr6) {
        struct sockaddr_in6 s6 = sin6_of(peer ? &o->peer6 : &o->addr6, port);
        memcpy(ss, &s6, sizeof(s6));
        return sizeof(s6);
    }
    struct sockaddr_in s4 = sin_of(peer ? o->peer : o->addr, port);
    memcpy(ss, &s4, sizeof(s4));
    return sizeof(s4);
}

static int k_listen(const struct opts *o, uint16_t port)
{
    struct sockaddr_storage s;
    socklen_t slen = k_addr(o, 0, port, &s);
    int l = socket(s.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(l, (struct sockaddr *)&s, slen) || listen(l, 1024)) {
        perror("kserver: listen");
        return -1;
    }
    return l;
}

struct kconn {
    int fd, crr, got;
    uint64_t off; /* bulk: stream bytes received, each compared with the pattern */
};

/* The bulk sinks (kernel and nstack) check every byte against the pattern
 * the senders write (bench_util.h): a mismatch is logged as FAILED (the
 * script fails the run on it) and the connection is reset, so that the
 * sender's write fails and its figure is FAILED too. */
static const uint8_t *g_pattern;

static int sink_check(struct kconn *c, const char *who, const void *data, size_t n)
{
    if (bu_pattern_check(g_pattern, c->off, data, n) < 0) {
        fprintf(stderr, "%s: FAILED: received bytes differ from those sent, within stream bytes %llu-%llu\n", who,
                (unsigned long long)c->off, (unsigned long long)(c->off + n));
        return -1;
    }
    c->off += n;
    return 0;
}

static void log_verified(const struct kconn *c, const char *who)
{
    if (!c->crr && c->off)
        fprintf(stderr, "%s: verified %llu bytes\n", who, (unsigned long long)c->off);
}

/* The kernel's server: a sink on port, a CRR responder on port + 1. */
static int kserver(const struct opts *o)
{
    int ls[2] = {k_listen(o, o->port), k_listen(o, (uint16_t)(o->port + 1))};
    if (ls[0] < 0 || ls[1] < 0)
        return 1;
    static struct kconn c[MAX_CONNS];
    int n = 0;
    static char buf[CHUNK];
    int64_t end = bu_mono_ns() + (int64_t)(o->seconds * 1e9);
    fprintf(stderr, "kserver: ready\n");
    while (bu_mono_ns() < end) {
        struct pollfd p[MAX_CONNS + 2];
        p[0] = (struct pollfd){ls[0], POLLIN, 0};
        p[1] = (struct pollfd){ls[1], POLLIN, 0};
        for (int i = 0; i < n; i++)
            p[2 + i] = (struct pollfd){c[i].fd, POLLIN, 0};
        if (poll(p, (nfds_t)(n + 2), 100) <= 0)
            continue;
        for (int k = 0; k < 2; k++) {
            int fd;
            while (n < MAX_CONNS && (fd = accept4(ls[k], NULL, NULL, SOCK_NONBLOCK)) >= 0)
                c[n++] = (struct kconn){fd, k, 0, 0};
        }
        for (int i = 0; i < n; i++) {
            ssize_t r = read(c[i].fd, buf, c[i].crr ? (size_t)(MSG - c[i].got) : sizeof(buf));
            if (r < 0 && errno == EAGAIN)
                continue;
            int done = r <= 0;
            if (r > 0 && !c[i].crr && sink_check(&c[i], "kserver", buf, (size_t)r) < 0) {
                struct linger rst = {1, 0}; /* close with a RST: the sender's write fails */
                setsockopt(c[i].fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
                done = 1;
            }
            if (done)
                log_verified(&c[i], "kserver");
            if (r > 0 && c[i].crr && (c[i].got += (int)r) == MSG) {
                /* The response, then the server closes first. */
                done = write(c[i].fd, buf, MSG) != MSG || 1;
            }
            if (done) {
                close(c[i].fd);
                c[i--] = c[--n];
            }
        }
    }
    return 0;
}

static int k_connect(const struct opts *o, uint16_t port)
{
    struct sockaddr_storage s;
    socklen_t slen = k_addr(o, 1, port, &s);
    int fd = socket(s.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&s, slen)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static uint64_t k_bytes_acked(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
    return ti.tcpi_bytes_acked;
}

static int kclient_bulk(const struct opts *o)
{
    int fd = k_connect(o, o->port);
    if (fd < 0) {
        perror("kclient: connect");
        return 1;
    }
    uint8_t *pat = bu_pattern_new(CHUNK);
    uint64_t off = 0, acked0 = 0;
    int failed = 0;
    int64_t t0 = bu_mono_ns(), start = 0, end = t0 + WARMUP_NS + (int64_t)(o->seconds * 1e9);
    double cpu0 = 0;
    for (int64_t now = t0; now < end; now = bu_mono_ns()) {
        if (!start && now - t0 >= WARMUP_NS) {
            start = now;
            acked0 = k_bytes_acked(fd);
            cpu0 = bu_cpu_seconds();
        }
        ssize_t w = write(fd, pat + off % BU_PATTERN_PERIOD, CHUNK);
        if (w <= 0) {
            failed = 1; /* the receiver reset the connection: it found bytes that differ */
            break;
        }
        off += (uint64_t)w;
    }
    double wall = (double)(bu_mono_ns() - start) / 1e9;
    double bytes = (double)(k_bytes_acked(fd) - acked0);
    char note[256];
    snprintf(note, sizeof(note),
             "%skernel sender: %.0f MB acknowledged in %.2f s wall, %.2f CPU s of the sender; the receiver checks "
             "every byte against the pattern",
             failed ? BU_FAILED ": the connection failed (a receiver that finds wrong bytes resets it); " : "",
             bytes / 1e6, wall, bu_cpu_seconds() - cpu0);
    report(o, "goodput", failed ? 0 : bytes * 8 / wall / 1e9, "Gbit/s (wall-clock)", wall, note);
    close(fd);
    free(pat);
    return failed;
}

static int kclient_crr(const struct opts *o)
{
    char buf[MSG];
    memset(buf, 'q', sizeof(buf));
    long done = 0, failed = 0;
    int64_t t0 = bu_mono_ns(), end = t0 + (int64_t)(o->seconds * 1e9);
    while (done < o->conns && bu_mono_ns() < end) {
        int fd = k_connect(o, (uint16_t)(o->port + 1));
        int ok = fd >= 0 && write(fd, buf, MSG) == MSG;
        size_t got = 0;
        ssize_t r = 1;
        while (ok && got < MSG && (r = read(fd, buf, MSG - got)) > 0)
            got += (size_t)r;
        ok = ok && got == MSG && read(fd, buf, 1) == 0; /* the server's FIN */
        if (fd >= 0)
            close(fd);
        done += ok;
        failed += !ok;
        if (failed > 100)
            break;
    }
    double wall = (double)(bu_mono_ns() - t0) / 1e9;
    char note[200];
    snprintf(note, sizeof(note), "kernel client: %ld connections (%ld failed) in %.2f s wall, server closes first",
             done, failed, wall);
    report(o, "connections", (double)done / wall, "conn per s (wall-clock)", wall, note);
    return failed > 100;
}

/* ---- nstack on the TAP ------------------------------------------------------------ */

struct nhost {
    const struct opts *o;
    struct nst_tap *tap;
    struct nst_xdp *xdp;        /* --xdp: the link instead of the TAP */
    unsigned queue;
    struct nst_xdp_program *share; /* queue 0's program, for the others */
    struct nst_rss rss;
    int quiet;                  /* one of --queues' threads: the caller reports */
    double value, wall;
    struct nst_stack *st;
    struct nst_runloop *rl;
    /* client */
    int fd, phase;
    uint64_t off, acked0;
    nst_time_t start, t0, end;
    double cpu0;
    long done, failed;
    uint8_t *pat;
    size_t got;
    /* server */
    int ls[2];
    struct kconn c[MAX_CONNS];
    int n;
    char buf[CHUNK];
};

static int nhost_link(struct nhost *h, const struct opts *o)
{
    char why[256];
    if (o->xdp) {
        struct nst_xdp_config xc;
        nst_xdp_config_default(&xc);
        xc.ifname = o->xdp;
        xc.queue = h->queue;
        xc.addr = o->addr;
        xc.program = h->share;
        if (!nst_xdp_open(&xc, &h->xdp, why, sizeof(why)))
            return 0;
    } else {
        struct nst_tap_config tc;
        nst_tap_config_default(&tc);
        tc.ifname = o->tap;
        tc.vnet_hdr = o->offload;
        tc.tso = o->tso;
        if (!nst_tap_open(&tc, &h->tap, why, sizeof(why)))
            return 0;
    }
    fprintf(stderr, "%s: %s\n", o->role, why);
    return -1;
}

/* Opens the host (h->queue and h->share set by the caller for --xdp). */
static int nhost_open(struct nhost *h, const struct opts *o)
{
    h->o = o;
    h->fd = -1;
    if (nhost_link(h, o) < 0)
        return -1;
    struct nst_stack_config sc;
    nst_stack_config_default(&sc);
    /* IPv6 with the address at once: the bench's namespace has no one
     * else to collide with (no DAD). */
    sc.ipv6 = o->have_addr6;
    sc.ip6_dad_transmits = 0;
    if (o->queues > 1) {
        nst_rss_init(&h->rss, o->queues, 128, h->queue);
        sc.port_steer = nst_rss_port_steer;
        sc.port_steer_arg = &h->rss;
    }
    h->st = nst_stack_new(&sc);
    struct nst_iface_config ic = {.addr = o->addr, .prefix_len = o->prefix};
    ic.mac = (struct nst_mac){{0x02, 0x6e, (uint8_t)(o->addr >> 24), (uint8_t)(o->addr >> 16),
                               (uint8_t)(o->addr >> 8), (uint8_t)o->addr}};
    if (h->xdp)
        nst_xdp_kernel_mac(h->xdp, &ic.mac);
    int idx = !h->st ? -1 : h->xdp ? nst_xdp_attach(h->xdp, h->st, &ic) : nst_tap_attach(h->tap, h->st, &ic);
    if (idx >= 0 && o->have_addr6 && nst_iface_addr6_add(h->st, idx, &o->addr6, 64) < 0)
        idx = -1;
    if (idx < 0 || nst_runloop_new(h->st, &h->rl) ||
        (h->xdp ? nst_runloop_add_xdp(h->rl, h->xdp) : nst_runloop_add_tap(h->rl, h->tap))) {
        fprintf(stderr, "%s: cannot set up the stack\n", o->role);
        return -1;
    }
    /* The kernel turns a TAP's carrier on asynchronously: wait for it (3 s). */
    nst_time_t until = nst_runloop_clock() + NST_SEC(3);
    while (h->tap && nst_tap_kernel_state(h->tap, NULL) == 0 && nst_runloop_clock() < until)
        nst_runloop_run(h->rl, nst_runloop_clock() + NST_MSEC(5), NULL, NULL);
    nst_runloop_run(h->rl, 0, NULL, NULL);
    if (h->tap && o->offload && !nst_tap_vnet(h->tap))
        fprintf(stderr, "%s: the kernel refused the TAP offloads: plain frames\n", o->role);
    return 0;
}

static void nhost_close(struct nhost *h)
{
    nst_runloop_free(h->rl);
    nst_stack_free(h->st);
    nst_tap_close(h->tap);
    nst_xdp_close(h->xdp);
}

/* The buffers of an nstack socket: as large as the kernel's autotuning
 * lets its own grow, so neither side waits on a small window. */
static void n_bufs(struct nhost *h, int fd)
{
    nst_setsockopt(h->st, fd, NST_SOL_SOCKET, NST_SO_SNDBUF, &h->o->buf, sizeof(h->o->buf));
    nst_setsockopt(h->st, fd, NST_SOL_SOCKET, NST_SO_RCVBUF, &h->o->buf, sizeof(h->o->buf));
}

static int n_connect(struct nhost *h, uint16_t port)
{
    int fd = nst_socket_family(h->st, h->o->have_peer6 ? NST_AF_INET6 : NST_AF_INET, NST_SOCK_STREAM);
    n_bufs(h, fd);
    struct nst_sockaddr a = {h->o->peer, port};
    if (h->o->have_peer6)
        a = (struct nst_sockaddr){.family = NST_AF_INET6, .addr6 = h->o->peer6, .port = port};
    int rc = nst_connect(h->st, fd, &a);
    if (rc < 0 && rc != -EINPROGRESS) {
        nst_close(h->st, fd);
        return -1;
    }
    return fd;
}

static uint64_t n_bytes_acked(struct nhost *h)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    nst_getsockopt(h->st, h->fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    return ti.bytes_acked;
}

static int nbulk_step(void *arg, nst_time_t now)
{
    struct nhost *h = arg;
    if (!h->start && now - h->t0 >= WARMUP_NS) {
        h->start = now;
        h->acked0 = n_bytes_acked(h);
        h->cpu0 = bu_cpu_seconds();
    }
    for (int i = 0; i < 64; i++) {
        ssize_t w = nst_send(h->st, h->fd, h->pat + h->off % BU_PATTERN_PERIOD, CHUNK, 0);
        if (w <= 0)
            return w == -EAGAIN || w == -ENOTCONN ? 0 : (h->phase = -1, 0);
        h->off += (uint64_t)w;
    }
    return 1;
}

static int nbulk_over(void *arg)
{
    struct nhost *h = arg;
    return h->phase < 0 || nst_runloop_now(h->rl) >= h->end;
}

static int nclient_bulk(struct nhost *h)
{
    h->pat = bu_pattern_new(CHUNK);
    h->fd = n_connect(h, h->o->port);
    h->t0 = nst_runloop_now(h->rl);
    h->end = h->t0 + WARMUP_NS + (nst_time_t)(h->o->seconds * 1e9);
    nst_runloop_set_step(h->rl, nbulk_step, h);
    nst_runloop_run(h->rl, h->end + NST_SEC(1), nbulk_over, h);
    double wall = (double)(nst_runloop_now(h->rl) - h->start) / 1e9;
    double bytes = (double)(n_bytes_acked(h) - h->acked0);
    h->value = h->phase < 0 || wall <= 0 ? 0 : bytes * 8 / wall / 1e9;
    h->wall = wall;
    char note[256];
    if (h->xdp) {
        const struct nst_xdp_stats *xs = nst_xdp_stats(h->xdp);
        snprintf(note, sizeof(note), "%snstack sender (AF_XDP): %.0f MB acknowledged in %.2f s wall, %.2f CPU s; "
                 "%llu frames sent, %llu received",
                 h->phase < 0 ? BU_FAILED ": the connection failed; " : "", bytes / 1e6, wall,
                 bu_cpu_seconds() - h->cpu0, (unsigned long long)xs->tx.frames, (unsigned long long)xs->rx.frames);
        if (!h->quiet)
            report(h->o, "goodput", h->value, "Gbit/s (wall-clock)", wall, note);
        free(h->pat);
        return h->phase < 0;
    }
    const struct nst_tap_stats *ts = nst_tap_stats(h->tap);
    snprintf(note, sizeof(note),
             "%snstack sender: %.0f MB acknowledged in %.2f s wall, %.2f CPU s; %llu frames written (%llu TSO "
             "frames of %llu segments), %llu read (%llu GSO frames cut into %llu segments)%s",
             h->phase < 0 ? BU_FAILED ": the connection failed (a receiver that finds wrong bytes resets it); " : "",
             bytes / 1e6, wall, bu_cpu_seconds() - h->cpu0, (unsigned long long)ts->tx.frames,
             (unsigned long long)ts->tx.gso_frames, (unsigned long long)ts->tx.gso_segments,
             (unsigned long long)ts->rx.frames, (unsigned long long)ts->rx.gso_frames,
             (unsigned long long)ts->rx.gso_segments, nst_tap_vnet(h->tap) ? "" : ", offloads off");
    report(h->o, "goodput", h->value, "Gbit/s (wall-clock)", wall, note);
    free(h->pat);
    return h->phase < 0;
}

/* One CRR exchange as a state machine, driven by the loop's steps. */
static int ncrr_step(void *arg, nst_time_t now)
{
    struct nhost *h = arg;
    char buf[MSG];
    (void)now;
    for (;;) {
        if (h->fd < 0) {
            h->fd = n_connect(h, (uint16_t)(h->o->port + 1));
            h->phase = 0;
            h->got = 0;
            if (h->fd < 0)
                return h->failed++, 0;
        }
        if (h->phase == 0) {
            memset(buf, 'q', sizeof(buf));
            ssize_t w = nst_send(h->st, h->fd, buf, MSG, 0);
            if (w == -EAGAIN || w == -ENOTCONN)
                return 0;
            if (w != MSG)
                goto fail;
            h->phase = 1;
        }
        ssize_t r = nst_recv(h->st, h->fd, buf, sizeof(buf), 0);
        if (r == -EAGAIN)
            return 0;
        if (r > 0) {
            h->got += (size_t)r;
            continue;
        }
        if (r < 0 || h->got != MSG)
            goto fail;
        nst_close(h->st, h->fd); /* EOF after the response: the server closed first */
        h->fd = -1;
        if (++h->done >= h->o->conns)
            return 0;
        continue;
    fail:
        nst_close(h->st, h->fd);
        h->fd = -1;
        if (++h->failed > 100)
            return 0;
    }
}

static int ncrr_over(void *arg)
{
    struct nhost *h = arg;
    return h->done >= h->o->conns || h->failed > 100 || nst_runloop_now(h->rl) >= h->end;
}

static int nclient_crr(struct nhost *h)
{
    h->t0 = nst_runloop_now(h->rl);
    h->end = h->t0 + (nst_time_t)(h->o->seconds * 1e9);
    nst_runloop_set_step(h->rl, ncrr_step, h);
    nst_runloop_run(h->rl, h->end + NST_SEC(1), ncrr_over, h);
    double wall = (double)(nst_runloop_now(h->rl) - h->t0) / 1e9;
    char note[200];
    snprintf(note, sizeof(note), "nstack client: %ld connections (%ld failed) in %.2f s wall, server closes first",
             h->done, h->failed, wall);
    h->value = (double)h->done / wall;
    h->wall = wall;
    if (!h->quiet)
        report(h->o, "connections", h->value, "conn per s (wall-clock)", wall, note);
    return h->failed > 100;
}

static int nserver_step(void *arg, nst_time_t now)
{
    struct nhost *h = arg;
    char *buf = h->buf;
    (void)now;
    for (int k = 0; k < 2; k++) {
        int fd;
        while (h->n < MAX_CONNS && (fd = nst_accept(h->st, h->ls[k], NULL)) >= 0)
            h->c[h->n++] = (struct kconn){fd, k, 0, 0};
    }
    int busy = 0;
    for (int i = 0; i < h->n; i++) {
        struct kconn *c = &h->c[i];
        ssize_t r = nst_recv(h->st, c->fd, buf, c->crr ? (size_t)(MSG - c->got) : CHUNK, 0);
        if (r == -EAGAIN)
            continue;
        int done = r <= 0;
        if (r > 0 && !c->crr)
            busy = 1; /* more may be waiting: read again before sleeping */
        if (r > 0 && !c->crr && sink_check(c, "nserver", buf, (size_t)r) < 0) {
            struct nst_linger rst = {1, 0}; /* close with a RST: the sender's write fails */
            nst_setsockopt(h->st, c->fd, NST_SOL_SOCKET, NST_SO_LINGER, &rst, sizeof(rst));
            nst_close(h->st, c->fd);
            h->c[i--] = h->c[--h->n];
            continue;
        }
        if (done)
            log_verified(c, "nserver");
        if (r > 0 && c->crr && (c->got += (int)r) == MSG) {
            nst_send(h->st, c->fd, buf, MSG, 0);
            done = 1; /* the server closes first */
        }
        if (done) {
            nst_close(h->st, c->fd);
            h->c[i--] = h->c[--h->n];
        }
    }
    return busy;
}

static int n_listen(struct nhost *h, uint16_t port)
{
    int fd = nst_socket_family(h->st, h->o->have_addr6 ? NST_AF_INET6 : NST_AF_INET, NST_SOCK_STREAM), one = 1;
    struct nst_sockaddr a = {0, port};
    if (h->o->have_addr6)
        a = (struct nst_sockaddr){.family = NST_AF_INET6, .addr6 = h->o->addr6, .port = port};
    n_bufs(h, fd); /* inherited by the connections it accepts */
    nst_setsockopt(h->st, fd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof(one));
    if (nst_bind(h->st, fd, &a) || nst_listen(h->st, fd, 1024))
        return -1;
    return fd;
}

static int nserver(struct nhost *h)
{
    h->ls[0] = n_listen(h, h->o->port);
    h->ls[1] = n_listen(h, (uint16_t)(h->o->port + 1));
    if (h->ls[0] < 0 || h->ls[1] < 0)
        return 1;
    fprintf(stderr, "nserver: ready\n");
    nst_runloop_set_step(h->rl, nserver_step, h);
    nst_runloop_run(h->rl, nst_runloop_now(h->rl) + (nst_time_t)(h->o->seconds * 1e9), NULL, NULL);
    return 0;
}

/* --queues N: N client stacks on queues 0..N-1 of --xdp, a thread each,
 * each with its own connection(s) and ports steered to its queue; the
 * result is their sum, over the process's CPU (all threads). */
static void *nclient_thread(void *arg)
{
    struct nhost *h = arg;
    int crr = !strcmp(h->o->test, "crr");
    if (crr)
        nclient_crr(h);
    else
        nclient_bulk(h);
    return NULL;
}

static int nclient_queues(const struct opts *o, int crr)
{
    struct nhost *h = calloc(o->queues, sizeof(*h));
    pthread_t th[NST_XDP_MAX_QUEUES];
    int rc = 0;
    unsigned opened = 0;
    for (unsigned q = 0; h && q < o->queues; q++, opened++) {
        h[q].queue = q;
        h[q].quiet = 1;
        h[q].share = q ? nst_xdp_program(h[0].xdp) : NULL;
        if (nhost_open(&h[q], o) < 0) {
            rc = 1;
            break;
        }
    }
    double sum = 0, wall = 0;
    long done = 0, failed = 0;
    for (unsigned q = 0; !rc && q < o->queues; q++)
        pthread_create(&th[q], NULL, nclient_thread, &h[q]);
    for (unsigned q = 0; !rc && q < o->queues; q++) {
        pthread_join(th[q], NULL);
        sum += h[q].value;
        wall = h[q].wall > wall ? h[q].wall : wall;
        done += h[q].done;
        failed += h[q].failed;
    }
    if (!rc) {
        char note[200];
        snprintf(note, sizeof(note), "%u nstack stacks (AF_XDP queues 0-%u, a thread each)%s", o->queues,
                 o->queues - 1, crr ? "" : ", one connection each");
        if (crr)
            snprintf(note + strlen(note), sizeof(note) - strlen(note), ": %ld connections (%ld failed)", done,
                     failed);
        report(o, crr ? "connections" : "goodput", sum, crr ? "conn per s (wall-clock)" : "Gbit/s (wall-clock)",
               wall, note);
    }
    for (unsigned q = opened; q-- > 0;)
        nhost_close(&h[q]);
    free(h);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(&o, argc, argv)) {
        fprintf(stderr, "usage: nst_bench_tap --role kserver|kclient|nserver|nclient [--test bulk|crr]\n"
                        "  [--addr A.B.C.D[/N]] [--peer A.B.C.D] [--addr6 X:Y::Z] [--peer6 X:Y::Z] [--port P]\n"
                        "  [--seconds S] [--conns N]\n"
                        "  [--tap NAME | --xdp IFNAME [--queues N]] [--no-offload] [--no-tso] [--buf BYTES]\n"
                        "  [--out FILE] [--impl NAME]\n");
        return 2;
    }
    int crr = !strcmp(o.test, "crr");
    g_pattern = bu_pattern_new(CHUNK);
    if (!g_pattern)
        return 1;
    if (!strcmp(o.role, "kserver"))
        return kserver(&o);
    if (!strcmp(o.role, "kclient"))
        return crr ? kclient_crr(&o) : kclient_bulk(&o);
    if (o.queues > 1)
        return nclient_queues(&o, crr);
    struct nhost *h = calloc(1, sizeof(*h));
    if (!h || nhost_open(h, &o) < 0)
        return 1;
    int rc = !strcmp(o.role, "nserver") ? nserver(h) : crr ? nclient_crr(h) : nclient_bulk(h);
    nhost_close(h);
    free(h);
    return rc;
}
