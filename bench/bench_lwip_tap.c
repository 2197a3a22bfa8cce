/* Bench 5's lwIP column: Debian's liblwip as packaged (NO_SYS=0, its unix
 * port) on a Linux TAP, against the kernel's server of nst_bench_tap:
 * lwIP's own TAP driver (tapif: a reader thread per device, frames to the
 * tcpip thread through its mailbox) and its BSD-style sockets API from the
 * main thread, which is how that port is meant to be used. The device is
 * the one scripts/bench-tap.sh made: PRECONFIGURED_TAPIF=nstb0 tells tapif
 * to attach to it and run no ifconfig. lwIP is 10.79.0.3, the kernel
 * 10.79.0.1 (--port: its bulk sink; +1: its CRR responder).
 *
 *   bulk  64 KiB writes for --seconds after a 0.5 s warm-up; goodput is the
 *         bytes written per wall second (lwIP has no TCP_INFO; with its
 *         64 KiB send buffer at most that much is unacknowledged);
 *   crr   connect, 64-byte request, 64-byte response, EOF, close. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/inet.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "bench_util.h"

#define CHUNK 65536
#define MSG 64

static struct netif tap_netif;

static int lwip_up(void)
{
    ip4_addr_t ip, mask, gw;
    tcpip_init(NULL, NULL);
    IP4_ADDR(&ip, 10, 79, 0, 3);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 79, 0, 1);
    LOCK_TCPIP_CORE();
    struct netif *n = netif_add(&tap_netif, &ip, &mask, &gw, NULL, tapif_init, tcpip_input);
    if (n) {
        netif_set_default(n);
        netif_set_up(n);
        netif_set_link_up(n);
    }
    UNLOCK_TCPIP_CORE();
    return n ? 0 : -1;
}

static int lconnect(uint16_t port)
{
    int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = lwip_htons(port);
    a.sin_addr.s_addr = lwip_htonl(0x0a4f0001); /* 10.79.0.1 */
    if (fd < 0 || lwip_connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        if (fd >= 0)
            lwip_close(fd);
        return -1;
    }
    return fd;
}

static void report(const char *out, const char *test, const char *metric, double v, const char *unit, double wall,
                   const char *note)
{
    struct bu_result r = {"tap", test, "lwip-tap", metric, v, unit, 1, bu_cpu_seconds(), wall, ""};
    snprintf(r.note, sizeof(r.note), "%s", note);
    bu_result_write(out, &r);
}

static int bulk(const char *out, double secs, uint16_t port)
{
    int fd = lconnect(port);
    if (fd < 0) {
        fprintf(stderr, "lwip-tap: connect failed\n");
        return 1;
    }
    uint8_t *pat = bu_pattern_new(CHUNK);
    uint64_t off = 0, off0 = 0;
    int err = 0;
    int64_t t0 = bu_mono_ns(), start = 0, end = t0 + 500000000LL + (int64_t)(secs * 1e9);
    for (int64_t now = t0; now < end; now = bu_mono_ns()) {
        if (!start && now - t0 >= 500000000LL) {
            start = now;
            off0 = off;
        }
        ssize_t w = lwip_write(fd, pat + off % BU_PATTERN_PERIOD, CHUNK);
        if (w <= 0) {
            err = 1; /* reset by the receiver (wrong bytes), or another error */
            break;
        }
        off += (uint64_t)w;
    }
    double wall = start ? (double)(bu_mono_ns() - start) / 1e9 : 0;
    double bytes = (double)(off - off0);
    int failed = err || wall <= 0;
    char note[256];
    snprintf(note, sizeof(note),
             "%slwIP sender (tapif, sockets API): %.0f MB written in %.2f s wall; the kernel receiver checks every "
             "byte against the pattern",
             failed ? BU_FAILED ": the connection failed (a receiver that finds wrong bytes resets it); " : "",
             bytes / 1e6, wall);
    report(out, "bulk", "goodput", failed ? 0 : bytes * 8 / wall / 1e9, "Gbit/s (wall-clock)", wall, note);
    lwip_close(fd);
    free(pat);
    return failed;
}

static int crr(const char *out, double secs, uint16_t port, long max)
{
    char buf[MSG];
    memset(buf, 'q', sizeof(buf));
    long done = 0, failed = 0;
    int64_t t0 = bu_mono_ns(), end = t0 + (int64_t)(secs * 1e9);
    while (done < max && failed <= 100 && bu_mono_ns() < end) {
        int fd = lconnect(port);
        int ok = fd >= 0 && lwip_write(fd, buf, MSG) == MSG;
        size_t got = 0;
        ssize_t r = 1;
        while (ok && got < MSG && (r = lwip_read(fd, buf, MSG - got)) > 0)
            got += (size_t)r;
        ok = ok && got == MSG && lwip_read(fd, buf, 1) == 0;
        if (fd >= 0)
            lwip_close(fd);
        done += ok;
        failed += !ok;
    }
    double wall = (double)(bu_mono_ns() - t0) / 1e9;
    char note[200];
    snprintf(note, sizeof(note), "lwIP client (tapif, sockets API): %ld connections (%ld failed) in %.2f s wall",
             done, failed, wall);
    report(out, "crr", "connections", (double)done / wall, "conn per s (wall-clock)", wall, note);
    return failed > 100;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {"seconds", required_argument, 0, 's'},
                                       {"test", required_argument, 0, 't'}, {"conns", required_argument, 0, 'c'},
                                       {"port", required_argument, 0, 'p'}, {0, 0, 0, 0}};
    const char *out = NULL, *test = "bulk";
    double secs = 3;
    long conns = 10000;
    int port = 5001, c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 's': secs = atof(optarg); break;
        case 't': test = optarg; break;
        case 'c': conns = atol(optarg); break;
        case 'p': port = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: nst_bench_lwip_tap [--out F] [--seconds S] [--test bulk|crr] [--port P]\n");
            return 2;
        }
    }
    if (secs <= 0 || secs > 600 || lwip_up() < 0)
        return 1;
    /* The kernel answers ARP once the TAP's carrier is on. */
    sys_msleep(1000);
    int rc = !strcmp(test, "crr") ? crr(out, secs, (uint16_t)(port + 1), conns) : bulk(out, secs, (uint16_t)port);
    /* Leave without tearing down lwIP's threads: exit ends them. */
    fflush(NULL);
    _exit(rc);
}
