/* traceroute over the simulator: echo requests with TTL 1, 2, 3, ... Each
 * router that would send the datagram on with TTL 0 answers with ICMP Time
 * Exceeded from its own address instead (RFC 1812 5.3.1): that reveals the
 * path one hop at a time, until the destination itself replies. */
#include <errno.h>
#include <string.h>

#include <nstack/lab.h>
#include <nstack/socket.h>

#include "wire/checksum.h"
#include "wire/icmp.h"

#define TRACE_WAIT NST_SEC(3)

/* One probe: 1 if answered (addr, rtt, reached set), 0 if not. */
static int probe(struct nst_world *w, struct nst_stack *st, int fd, nst_ip4_t dst, int ttl, uint16_t seq,
                 nst_ip4_t *addr, nst_time_t *rtt, int *reached)
{
    uint8_t msg[8 + 32];
    memset(msg, 0, sizeof(msg));
    msg[0] = NST_ICMP_ECHO_REQUEST;
    nst_put16(msg + 6, seq);
    nst_setsockopt(st, fd, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof(ttl));
    struct nst_sockaddr to = {dst, 0};
    nst_time_t t0 = nst_world_now(w);
    if (nst_sendto(st, fd, msg, sizeof(msg), 0, &to) < 0)
        return 0;
    while (nst_world_run_until_events(w, st, fd, NST_EV_IN, t0 + TRACE_WAIT)) {
        uint8_t in[576];
        struct nst_sockaddr from;
        ssize_t n = nst_recvfrom(st, fd, in, sizeof(in), 0, &from);
        if (n < 8)
            continue;
        uint16_t got;
        if (in[0] == NST_ICMP_ECHO_REPLY) {
            got = nst_get16(in + 6);
        } else {
            size_t hl = (size_t)(in[8] & 0x0f) * 4;
            if ((size_t)n < 8 + hl + 8)
                continue;
            got = nst_get16(in + 8 + hl + 6);
        }
        if (got != seq)
            continue; /* a late answer to an earlier probe */
        *addr = from.addr;
        *rtt = nst_world_now(w) - t0;
        *reached = in[0] == NST_ICMP_ECHO_REPLY || in[0] == NST_ICMP_DEST_UNREACH;
        return 1;
    }
    return 0;
}

int nst_lab_traceroute(struct nst_world *w, struct nst_stack *from, nst_ip4_t dst, int max_hops, FILE *out,
                       struct nst_trace_hop *hops)
{
    if (max_hops < 1 || max_hops > 255)
        return -EINVAL;
    int fd = nst_socket(from, NST_SOCK_ICMP);
    if (fd < 0)
        return fd;
    char a[16];
    if (out)
        fprintf(out, "traceroute to %s (%s), %d hops max, 60 byte packets\n", nst_ip4_str(dst, a), a, max_hops);
    uint16_t seq = 0;
    int n = 0;
    for (int ttl = 1; ttl <= max_hops; ttl++) {
        struct nst_trace_hop *h = &hops[n++];
        memset(h, 0, sizeof(*h));
        if (out)
            fprintf(out, "%2d ", ttl);
        nst_ip4_t shown = 0;
        for (int k = 0; k < NST_TRACE_PROBES; k++) {
            nst_ip4_t addr = 0;
            int reached = 0;
            h->rtt[k] = -1;
            if (!probe(w, from, fd, dst, ttl, ++seq, &addr, &h->rtt[k], &reached)) {
                if (out)
                    fprintf(out, " *");
                continue;
            }
            h->addr = addr;
            h->reached |= reached;
            if (out && addr != shown) {
                fprintf(out, " %s", nst_ip4_str(addr, a));
                shown = addr;
            }
            if (out)
                fprintf(out, "  %.3f ms", (double)h->rtt[k] / 1e6);
        }
        if (out)
            fprintf(out, "\n");
        if (h->reached)
            break;
    }
    nst_close(from, fd);
    return n;
}
