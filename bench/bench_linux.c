/* The Linux kernel's TCP, beside nstack and lwIP: real sockets driven
 * from one thread, figures per CPU second of the process (user + system
 * time: the system calls and the kernel's TCP work in them and in their
 * softirqs). Two paths:
 *
 *  - loopback (rows "linux"): 127.0.0.1 inside a private network namespace
 *    (scripts/bench.sh: `unshare --net`, then `ip link set lo up`).
 *    Loopback moves 64 KiB GSO units and skips checksums, so its bulk
 *    figure is a reference, not like for like;
 *  - a veth pair (rows "linux-veth", NST_BENCH_VETH_NETNS and
 *    NST_BENCH_VETH_ADDR set): the listener is opened in another namespace
 *    (the file NST_BENCH_VETH_NETNS names, /proc/PID/ns/net) at
 *    NST_BENCH_VETH_ADDR, the client connects from this one, so every
 *    segment crosses the pair; scripts/bench.sh sets MTU 1500 and turns
 *    GSO, TSO, GRO and checksum offload off on both ends: 1448-byte
 *    segments summed in software, as nstack's and lwIP's links carry. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#define CHUNK 65536

/* Which path the run measures (see the top of the file). */
static struct {
    int veth;
    struct in_addr server;    /* the listener's address (127.0.0.1 on loopback) */
    const char *server_netns; /* veth: the namespace the listener lives in */
    const char *impl;         /* "linux" or "linux-veth" */
    const char *what;         /* how the notes name the path */
} g_path;

static int path_init(void)
{
    const char *ns = getenv("NST_BENCH_VETH_NETNS"), *addr = getenv("NST_BENCH_VETH_ADDR");
    g_path.server.s_addr = htonl(INADDR_LOOPBACK);
    g_path.impl = "linux";
    g_path.what = "system calls + kernel over loopback (GSO: 64 KiB units, checksums skipped)";
    if (!ns && !addr)
        return 0;
    if (!ns || !addr || inet_pton(AF_INET, addr, &g_path.server) != 1) {
        fprintf(stderr, "nst_bench_linux: NST_BENCH_VETH_NETNS and NST_BENCH_VETH_ADDR go together\n");
        return -1;
    }
    g_path.veth = 1;
    g_path.server_netns = ns;
    g_path.impl = "linux-veth";
    g_path.what = "system calls + kernel over a veth pair between two namespaces, MTU 1500, GSO/TSO/GRO and "
                  "checksum offloads off";
    return 0;
}

static struct sockaddr_in server_addr(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr = g_path.server;
    a.sin_port = htons(port);
    return a;
}

/* A TCP socket in the server's namespace (veth) or this one: setns there
 * and back; the socket stays in the namespace it was made in. */
static int server_socket(void)
{
    if (!g_path.veth)
        return socket(AF_INET, SOCK_STREAM, 0);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), there = open(g_path.server_netns, O_RDONLY | O_CLOEXEC);
    int s = -1;
    if (self >= 0 && there >= 0 && setns(there, CLONE_NEWNET) == 0) {
        s = socket(AF_INET, SOCK_STREAM, 0);
        if (setns(self, CLONE_NEWNET) != 0) {
            perror("setns back");
            exit(1); /* the client would run in the wrong namespace */
        }
    }
    if (self >= 0)
        close(self);
    if (there >= 0)
        close(there);
    return s;
}

/* A listener on an ephemeral port of the server address; *port receives it. */
static int listener(uint16_t *port)
{
    int l = server_socket(), one = 1;
    struct sockaddr_in a = server_addr(0);
    socklen_t len = sizeof(a);
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1024) || getsockname(l, (struct sockaddr *)&a, &len)) {
        perror("listener");
        if (l >= 0)
            close(l);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return l;
}

static int connect_to(uint16_t port)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = server_addr(port);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a))) {
        perror("connect");
        if (c >= 0)
            close(c);
        return -1;
    }
    return c;
}

static int read_exact(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- bulk ------------------------------------------------------------------------ */

/* One repetition, the application writing and reading io bytes per call
 * (io <= CHUNK), non-blocking. */
static int bulk_once(const struct bu_opts *o, const uint8_t *pattern, size_t io, double *gbps, double *cpu,
                     double *wall)
{
    uint16_t port;
    int l = listener(&port), c = l < 0 ? -1 : connect_to(port), s = c < 0 ? -1 : accept(l, NULL, NULL);
    uint8_t *buf = malloc(CHUNK);
    int rc = -1;
    if (s < 0 || !buf)
        goto done;
    fcntl(c, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETFL, O_NONBLOCK);
    uint64_t sent = 0, rcvd = 0, r0 = 0;
    double c0 = 0, w0 = 0;
    int measuring = 0;
    for (;;) {
        ssize_t n;
        while ((n = write(c, pattern + (sent % BU_PATTERN_PERIOD), io)) > 0)
            sent += (uint64_t)n;
        while ((n = read(s, buf, io)) > 0) {
            if (rcvd < (uint64_t)o->verify_bytes && bu_pattern_check(pattern, rcvd, buf, (size_t)n) < 0) {
                bu_progress("bulk", "linux: received bytes differ from those sent");
                goto done;
            }
            rcvd += (uint64_t)n;
        }
        if (!measuring && rcvd >= (16u << 20)) {
            measuring = 1;
            r0 = rcvd;
            c0 = bu_cpu_seconds();
            w0 = (double)bu_mono_ns() * 1e-9;
        } else if (measuring && bu_cpu_seconds() - c0 >= o->seconds) {
            break;
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *gbps = (double)(rcvd - r0) * 8 / *cpu / 1e9;
    rc = 0;
done:
    free(buf);
    if (s >= 0)
        close(s);
    if (c >= 0)
        close(c);
    if (l >= 0)
        close(l);
    return rc;
}

/* Sets the MTU of lo. Only done when NST_BENCH_NETNS=1 says this process
 * runs in a network namespace of its own (scripts/bench.sh sets it inside
 * `unshare --net`): never on the host's loopback. 0 or -1. */
static int set_lo_mtu(int mtu)
{
    const char *ns = getenv("NST_BENCH_NETNS");
    if (!ns || strcmp(ns, "1") != 0)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    ifr.ifr_mtu = mtu;
    int rc = fd >= 0 && ioctl(fd, SIOCSIFMTU, &ifr) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

static int bench_bulk(const struct bu_opts *o)
{
    uint8_t *pattern = bu_pattern_new(CHUNK);
    if (!pattern)
        return -1;
    static const int mtus[] = {1500, 9000};
    int rc = 0;
    for (int m = 0; m < 2 && !rc; m++) {
        double v[16], cpu = 0, wall = 0;
        int n = o->reps > 16 ? 16 : o->reps;
        int mtu_set = !g_path.veth && set_lo_mtu(mtus[m]) == 0;
        struct bu_result r = {
            "bulk", m ? "mtu9000" : "mtu1500", g_path.impl, "goodput", 0, "Gbit/s per CPU s", n, 0, 0, ""};
        for (int i = 0; i < n && !rc; i++) {
            rc = bulk_once(o, pattern, CHUNK, &v[i], &cpu, &wall);
            if (!rc)
                bu_progress("bulk", "%s mtu %s rep %d/%d: %.2f Gbit/s per CPU s", g_path.impl,
                            g_path.veth ? "1500" : mtu_set ? (m ? "9000" : "1500") : "65536", i + 1, n, v[i]);
        }
        if (rc) {
            snprintf(r.note, sizeof(r.note), "%s: corrupt data or a socket error", BU_FAILED);
            bu_result_write(o->out, &r);
            break;
        }
        r.value = bu_median(v, n);
        r.cpu_s = cpu;
        r.wall_s = wall;
        snprintf(r.note, sizeof(r.note), "%s%s, one thread, verified first %ld MB", g_path.what,
                 g_path.veth ? "" : mtu_set ? (m ? ", MTU 9000" : ", MTU 1500") : ", MTU 65536 (not in a namespace)",
                 o->verify_bytes >> 20);
        bu_result_write(o->out, &r);
        if (!mtu_set)
            break; /* one figure only: the veth's MTU 1500, or lo's own MTU */
    }
    if (!g_path.veth)
        set_lo_mtu(65536);
    free(pattern);
    return rc;
}

/* ---- request/response --------------------------------------------------------------- */

/* Moves one message of n bytes: written on wfd from src, read on rfd into
 * dst, exactly n bytes (both sockets non-blocking: one thread holds both
 * ends, so a blocking write larger than the buffers would never return).
 * On loopback the bytes are there when write returns, so a small message
 * costs one write and one read; poll() waits when they are not (bounded). */
static int xfer(int wfd, const uint8_t *src, int rfd, uint8_t *dst, size_t n)
{
    size_t put = 0, got = 0;
    while (got < n) {
        int moved = 0;
        if (put < n) {
            ssize_t w = write(wfd, src + put, n - put);
            if (w > 0)
                put += (size_t)w, moved = 1;
            else if (w < 0 && errno != EAGAIN)
                return -1;
        }
        ssize_t r = read(rfd, dst + got, n - got);
        if (r > 0)
            got += (size_t)r, moved = 1;
        else if (r == 0 || errno != EAGAIN)
            return -1;
        if (!moved) {
            struct pollfd pf = {.fd = rfd, .events = POLLIN};
            if (poll(&pf, 1, 2000) <= 0)
                return -1;
        }
    }
    return 0;
}

static int rr_once(const struct bu_opts *o, size_t size, double *rate, double *cpu, double *wall)
{
    uint16_t port;
    int l = listener(&port), c = l < 0 ? -1 : connect_to(port), s = c < 0 ? -1 : accept(l, NULL, NULL);
    uint8_t *req = malloc(size), *resp = malloc(size), *buf = malloc(size);
    int rc = -1;
    if (s < 0 || !req || !resp || !buf)
        goto done;
    memset(req, 'q', size);
    memset(resp, 'r', size);
    set_nodelay(c);
    set_nodelay(s);
    fcntl(c, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETFL, O_NONBLOCK);
    uint64_t n = 0, mask = size >= 4096 ? 15 : 1023; /* how often the CPU clock is read */
    double c0 = 0, w0 = 0;
    for (;;) {
        bu_rr_stamp(req, size, n);
        if (xfer(c, req, s, buf, size) || bu_rr_check(buf, size, n))
            goto done;
        bu_rr_stamp(resp, size, n);
        if (xfer(s, resp, c, buf, size) || bu_rr_check(buf, size, n))
            goto done;
        n++;
        if (n == 1000) {
            c0 = bu_cpu_seconds();
            w0 = (double)bu_mono_ns() * 1e-9;
        } else if (n > 1000 && (n & mask) == 0 && bu_cpu_seconds() - c0 >= o->seconds) {
            break;
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)(n - 1000) / *cpu;
    rc = 0;
done:
    free(req);
    free(resp);
    free(buf);
    if (s >= 0)
        close(s);
    if (c >= 0)
        close(c);
    if (l >= 0)
        close(l);
    return rc;
}

/* o->reps repetitions of RR at one size, written as rr/<size>B (a FAILED
 * row if an exchange fails). mtu_note says what lo's MTU was. */
static int rr_series(const struct bu_opts *o, size_t size, const char *mtu_note)
{
    double v[16], cpu = 0, wall = 0;
    int n = o->reps > 16 ? 16 : o->reps;
    char variant[32];
    snprintf(variant, sizeof(variant), "%zuB", size);
    struct bu_result r = {"rr", variant, g_path.impl, "transactions", 0, "per CPU s", n, 0, 0, ""};
    for (int i = 0; i < n; i++) {
        if (rr_once(o, size, &v[i], &cpu, &wall) < 0) {
            bu_progress("rr", "linux %s: the exchange failed", variant);
            snprintf(r.note, sizeof(r.note), "%s: repetition %d: an exchange failed (error, stuck or wrong message)",
                     BU_FAILED, i + 1);
            bu_result_write(o->out, &r);
            return -1;
        }
        bu_progress("rr", "linux %s rep %d/%d: %.0f transactions per CPU s", variant, i + 1, n, v[i]);
    }
    r.value = bu_median(v, n);
    r.cpu_s = cpu;
    r.wall_s = wall;
    snprintf(r.note, sizeof(r.note),
             "%s%s, one thread, TCP_NODELAY, non-blocking reads and writes; every message's length and "
             "first/last bytes checked",
             g_path.what, mtu_note);
    bu_result_write(o->out, &r);
    return 0;
}

static int bench_rr(const struct bu_opts *o) { return rr_series(o, 64, ""); }

/* ---- connection rate ----------------------------------------------------------------- */

static int crr_one(int l, uint16_t port)
{
    uint8_t req[64] = {'q'}, resp[64] = {'r'}, buf[64];
    int c = connect_to(port);
    if (c < 0)
        return -1;
    int s = accept(l, NULL, NULL), rc = -1;
    if (s < 0)
        goto done;
    if (write(c, req, 64) != 64 || read_exact(s, buf, 64) || write(s, resp, 64) != 64)
        goto done;
    close(s); /* the server closes first: TIME_WAIT on its side */
    s = -1;
    if (read_exact(c, buf, 64) || read(c, buf, sizeof(buf)) != 0)
        goto done;
    rc = 0;
done:
    if (s >= 0)
        close(s);
    close(c);
    return rc;
}

static int crr_once(long count, double *rate, double *cpu, double *wall)
{
    uint16_t port;
    int l = listener(&port);
    if (l < 0)
        return -1;
    double c0 = bu_cpu_seconds(), w0 = (double)bu_mono_ns() * 1e-9, last = c0;
    for (long i = 0; i < count; i++) {
        if (crr_one(l, port)) {
            bu_progress("crr", "linux: exchange %ld failed", i);
            close(l);
            return -1;
        }
        if ((i & 1023) == 1023) {
            double c = bu_cpu_seconds();
            if (c - last >= 2.0) {
                bu_progress("crr", "linux: %ld connections, %.0f per CPU s", i + 1, (double)(i + 1) / (c - c0));
                last = c;
            }
        }
    }
    *cpu = bu_cpu_seconds() - c0;
    *wall = (double)bu_mono_ns() * 1e-9 - w0;
    *rate = (double)count / *cpu;
    close(l);
    return 0;
}

static int bench_crr(const struct bu_opts *o)
{
    long count = o->conns > 0 ? o->conns : 10000;
    double v[16], cpu = 0, wall = 0;
    int n = o->reps > 16 ? 16 : o->reps;
    struct bu_result r = {"crr", "64B", g_path.impl, "connections", 0, "per CPU s", n, 0, 0, ""};
    /* A warm-up repetition, not reported. */
    int failed = crr_once(count / 5 + 1, &v[0], &cpu, &wall) < 0;
    for (int i = 0; i < n && !failed; i++) {
        failed = crr_once(count, &v[i], &cpu, &wall) < 0;
        if (!failed)
            bu_progress("crr", "%s rep %d/%d: %.0f connections per CPU s", g_path.impl, i + 1, n, v[i]);
    }
    if (failed) {
        snprintf(r.note, sizeof(r.note), "%s: a connection failed (connect, accept, short answer or no FIN)",
                 BU_FAILED);
        bu_result_write(o->out, &r);
        return -1;
    }
    r.value = bu_median(v, n);
    r.cpu_s = cpu;
    r.wall_s = wall;
    snprintf(r.note, sizeof(r.note),
             "%s: %ld sequential connections, server closes first, one thread, blocking calls", g_path.what, count);
    bu_result_write(o->out, &r);
    return 0;
}

/* ---- the message-size sweep ------------------------------------------------------------ */

/* RR at every size of --rr-sizes and bulk with every write size of
 * --write-sizes, lo's MTU set to 1500 (in our own namespace only) like the
 * in-memory links of nstack and lwIP; every point is tried and written. */
static int bench_sweep(const struct bu_opts *o)
{
    int mtu_set = !g_path.veth && set_lo_mtu(1500) == 0;
    const char *mtu_note = g_path.veth ? "" : mtu_set ? ", MTU 1500" : ", MTU 65536 (not in a namespace: MTU left alone)";
    uint32_t sizes[BU_SWEEP_MAX];
    int rc = 0, n = bu_sweep_rr_sizes(o, sizes);
    for (int i = 0; i < n; i++)
        rc |= rr_series(o, sizes[i], mtu_note) != 0;
    uint8_t *pattern = bu_pattern_new(CHUNK);
    if (!pattern)
        return -1;
    n = bu_sweep_write_sizes(o, sizes);
    for (int i = 0; i < n; i++) {
        double v[16], cpu = 0, wall = 0;
        int reps = o->reps > 16 ? 16 : o->reps, failed = 0;
        char variant[32];
        snprintf(variant, sizeof(variant), "%uB", sizes[i]);
        struct bu_result r = {"bulk-write", variant, g_path.impl, "goodput", 0, "Gbit/s per CPU s", reps, 0, 0, ""};
        for (int k = 0; k < reps && !failed; k++) {
            failed = bulk_once(o, pattern, sizes[i], &v[k], &cpu, &wall) != 0;
            if (!failed)
                bu_progress("bulk-write", "linux %s rep %d/%d: %.2f Gbit/s per CPU s", variant, k + 1, reps, v[k]);
        }
        if (failed) {
            snprintf(r.note, sizeof(r.note), "%s: corrupt data or a socket error", BU_FAILED);
            rc = 1;
        } else {
            r.value = bu_median(v, reps);
            r.cpu_s = cpu;
            r.wall_s = wall;
            snprintf(r.note, sizeof(r.note),
                     "%s%s, one thread; %u-byte writes and reads, verified first %ld MB", g_path.what, mtu_note,
                     sizes[i], o->verify_bytes >> 20);
        }
        bu_result_write(o->out, &r);
    }
    if (!g_path.veth)
        set_lo_mtu(65536);
    free(pattern);
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct bu_opts o;
    if (bu_parse_opts(&o, argc, argv, "nst_bench_linux"))
        return 2;
    if (path_init())
        return 2;
    int rc = 0;
    if (bu_selected(&o, "bulk"))
        rc |= bench_bulk(&o) != 0;
    if (bu_selected(&o, "rr"))
        rc |= bench_rr(&o) != 0;
    if (bu_selected(&o, "crr"))
        rc |= bench_crr(&o) != 0;
    if (bu_selected(&o, "sweep"))
        rc |= bench_sweep(&o) != 0;
    return rc;
}
