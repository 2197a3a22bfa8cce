/* reliable-stream, second part: the same transatlantic path with random
 * loss alone (1 % of the frames, each way), the same 8 MiB sent by London
 * twice, once with CUBIC and once with BBR chosen on London's listener
 * (NST_TCP_CONGESTION, inherited by the connection it accepts). CUBIC
 * takes each loss for congestion and halves; BBR paces at the bottleneck
 * rate it measured and repairs the losses without slowing down. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/tcp_info.h>

#include "core/util.h"

#define LOSSY_BYTES (8ull << 20)
#define LOSSY_PORT 5001
#define LOSSY_PERIOD 251u /* the stream is byte i = i mod 251 */
#define LOSSY_CHUNK 65536u

struct lossy_run {
    uint64_t received, retransmits;
    nst_time_t took;             /* from the accept to the last byte */
    int intact;                  /* every byte as sent, in order */
};

/* London accepts, sends LOSSY_BYTES and closes; New York reads and checks. */
static void lossy_move(struct nst_lab_path *p, int lfd, int cfd, const uint8_t *pattern, struct lossy_run *r)
{
    uint8_t *buf = malloc(LOSSY_CHUNK);
    int sfd = -1;
    uint64_t sent = 0;
    nst_time_t t0 = 0, deadline = nst_world_now(p->world) + NST_SEC(600);
    r->intact = buf != NULL;
    while (buf && r->received < LOSSY_BYTES && nst_world_now(p->world) < deadline) {
        nst_world_run_for(p->world, NST_MSEC(1));
        if (sfd < 0 && (sfd = nst_accept(p->london, lfd, NULL)) >= 0)
            t0 = nst_world_now(p->world);
        ssize_t n;
        while (sfd >= 0 && sent < LOSSY_BYTES &&
               (n = nst_send(p->london, sfd, pattern + sent % LOSSY_PERIOD,
                             (size_t)NST_MIN((uint64_t)LOSSY_CHUNK, LOSSY_BYTES - sent), 0)) > 0)
            sent += (uint64_t)n;
        while ((n = nst_recv(p->ny, cfd, buf, LOSSY_CHUNK, 0)) > 0) {
            r->intact &= memcmp(buf, pattern + r->received % LOSSY_PERIOD, (size_t)n) == 0;
            r->received += (uint64_t)n;
        }
    }
    r->took = nst_world_now(p->world) - t0;
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    if (sfd >= 0 && nst_getsockopt(p->london, sfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) == 0)
        r->retransmits = ti.retransmits;
    if (sfd >= 0)
        nst_close(p->london, sfd);
    free(buf);
}

static int lossy_run(const struct nst_demo_opts *o, const char *cc, const uint8_t *pattern, struct lossy_run *r)
{
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.loss = 0.01;
    po.bandwidth_bps = 100000000ull;
    struct nst_lab_path p;
    if (nst_lab_path_build(&p, &po) < 0)
        return -1;
    nst_lab_warm_up_arp(&p);
    /* Buffers for twice the bandwidth-delay product (100 Mbit/s x 80 ms = 1 MB). */
    int buf = 4 << 20;
    int lfd = nst_lab_listen(p.london, LOSSY_PORT, 4);
    int cfd = nst_socket(p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr srv = {NST_LAB_LONDON_ADDR, LOSSY_PORT};
    int rc = lfd >= 0 && cfd >= 0 &&
                     nst_setsockopt(p.london, lfd, NST_IPPROTO_TCP, NST_TCP_CONGESTION, cc, strlen(cc)) == 0 &&
                     nst_setsockopt(p.london, lfd, NST_SOL_SOCKET, NST_SO_SNDBUF, &buf, sizeof(buf)) == 0 &&
                     nst_setsockopt(p.ny, cfd, NST_SOL_SOCKET, NST_SO_RCVBUF, &buf, sizeof(buf)) == 0 &&
                     nst_connect(p.ny, cfd, &srv) == -EINPROGRESS
                 ? 0
                 : -1;
    if (rc == 0)
        lossy_move(&p, lfd, cfd, pattern, r);
    nst_lab_path_free(&p);
    return rc;
}

static double mbps(const struct lossy_run *r)
{
    return r->took > 0 ? (double)r->received * 8 / ((double)r->took / 1e9) / 1e6 : 0;
}

int nst_demo_lossy_cc(const struct nst_demo_opts *o, FILE *out)
{
    uint8_t *pattern = malloc(LOSSY_CHUNK + LOSSY_PERIOD);
    if (!pattern)
        return 1;
    for (unsigned i = 0; i < LOSSY_CHUNK + LOSSY_PERIOD; i++)
        pattern[i] = (uint8_t)(i % LOSSY_PERIOD);
    fprintf(out, "\nThe same path with loss alone: 1%% of the frames each way, 8 MiB from London,\n"
                 "first with CUBIC, then with BBR (NST_TCP_CONGESTION on London's listener).\n\n");
    static const char *const ccs[2] = {"cubic", "bbr"};
    struct lossy_run r[2];
    memset(r, 0, sizeof(r));
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        ok &= lossy_run(o, ccs[i], pattern, &r[i]) == 0;
        fprintf(out, "  %-5s %llu bytes in %7.3f s: %6.2f Mbit/s of goodput, %llu segments retransmitted\n", ccs[i],
                (unsigned long long)r[i].received, (double)r[i].took / 1e9, mbps(&r[i]),
                (unsigned long long)r[i].retransmits);
    }
    free(pattern);
    nst_lab_figure(o, "goodput at 1 % loss, CUBIC", "", -1, "Mbit/s", "%.2f", mbps(&r[0]));
    nst_lab_figure(o, "goodput at 1 % loss, BBR", "over ten times CUBIC's", mbps(&r[1]) > 10 * mbps(&r[0]), "Mbit/s",
                   "%.2f", mbps(&r[1]));
    ok &= nst_lab_check(out, r[0].received == LOSSY_BYTES && r[1].received == LOSSY_BYTES && r[0].intact && r[1].intact,
                        "both delivered every byte, in order");
    ok &= nst_lab_check(out, mbps(&r[1]) > 10 * mbps(&r[0]),
                        "BBR's goodput is over ten times CUBIC's: random loss is not congestion to it");
    return ok ? 0 : 1;
}
