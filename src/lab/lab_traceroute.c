/* traceroute over the simulator: echo requests with TTL 1, 2, 3 ... (the
 * hop limit, over IPv6). Each router that would send the datagram on with
 * TTL 0 answers with ICMP Time Exceeded from its own address instead (RFC
 * 1812 5.3.1; ICMPv6 Time Exceeded code 0, RFC 4443 3.3, RFC 8200 3): that
 * reveals the path one hop at a time, until the destination itself replies. */
#include <errno.h>
#include <string.h>

#include <nstack/lab.h>
#include <nstack/socket.h>

#include "lab/lab_internal.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/icmpv6.h"

#define TRACE_WAIT NST_SEC(3)
#define PROBE_DATA 32

/* The destination itself answered: an echo reply, or "unreachable" from it. */
static int is_final(uint8_t type, int v6)
{
    if (v6)
        return type == NST_ICMP6_ECHO_REPLY || type == NST_ICMP6_DEST_UNREACH;
    return type == NST_ICMP_ECHO_REPLY || type == NST_ICMP_DEST_UNREACH;
}

/* One probe: 1 if answered (h->from, rtt, reached set), 0 if not. */
static int probe(struct nst_world *w, struct nst_stack *st, int fd, const struct nst_sockaddr *dst, int ttl,
                 uint16_t seq, struct nst_trace_hop *h, nst_time_t *rtt)
{
    int v6 = dst->family == NST_AF_INET6;
    uint8_t msg[8 + PROBE_DATA];
    memset(msg, 0, sizeof(msg));
    msg[0] = v6 ? NST_ICMP6_ECHO_REQUEST : NST_ICMP_ECHO_REQUEST;
    nst_put16(msg + 6, seq);
    nst_setsockopt(st, fd, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof(ttl));
    nst_time_t t0 = nst_world_now(w);
    if (nst_sendto(st, fd, msg, sizeof(msg), 0, dst) < 0)
        return 0;
    while (nst_world_run_until_events(w, st, fd, NST_EV_IN, t0 + TRACE_WAIT)) {
        uint8_t in[1280];
        struct nst_sockaddr from = {0}; /* an IPv4 socket fills addr and port only */
        ssize_t n = nst_recvfrom(st, fd, in, sizeof(in), 0, &from);
        if (n < 8)
            continue;
        uint16_t got = in[0] == nst_lab_echo_reply_type(dst) ? nst_get16(in + 6)
                                                               : nst_lab_quoted_seq(in, (size_t)n, v6);
        if (got != seq)
            continue; /* a late answer to an earlier probe */
        from.port = 0;
        h->from = from;
        h->addr = v6 ? 0 : from.addr;
        h->icmp_type = in[0];
        *rtt = nst_world_now(w) - t0;
        h->reached |= is_final(in[0], v6);
        return 1;
    }
    return 0;
}

static int same_addr(const struct nst_sockaddr *a, const struct nst_sockaddr *b)
{
    return a->family == b->family && a->addr == b->addr && memcmp(&a->addr6, &b->addr6, sizeof(a->addr6)) == 0;
}

int nst_lab_traceroute_addr(struct nst_world *w, struct nst_stack *from, const struct nst_sockaddr *dst, int max_hops,
                            FILE *out, struct nst_trace_hop *hops)
{
    if (max_hops < 1 || max_hops > 255)
        return -EINVAL;
    int fd = nst_lab_echo_socket(from, dst);
    if (fd < 0)
        return fd;
    int v6 = dst->family == NST_AF_INET6;
    char a[NST_IP6_STRLEN];
    if (out)
        fprintf(out, "traceroute to %s (%s), %d hops max, %d byte packets\n", nst_lab_addr_str(dst, a), a, max_hops,
                (v6 ? 40 : 20) + 8 + PROBE_DATA);
    uint16_t seq = 0;
    int n = 0;
    for (int ttl = 1; ttl <= max_hops; ttl++) {
        struct nst_trace_hop *h = &hops[n++];
        memset(h, 0, sizeof(*h));
        if (out)
            fprintf(out, "%2d ", ttl);
        struct nst_sockaddr shown = {0};
        for (int k = 0; k < NST_TRACE_PROBES; k++) {
            h->rtt[k] = -1;
            if (!probe(w, from, fd, dst, ttl, ++seq, h, &h->rtt[k])) {
                if (out)
                    fprintf(out, " *");
                continue;
            }
            if (out && !same_addr(&h->from, &shown)) {
                fprintf(out, " %s", nst_lab_addr_str(&h->from, a));
                shown = h->from;
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

int nst_lab_traceroute(struct nst_world *w, struct nst_stack *from, nst_ip4_t dst, int max_hops, FILE *out,
                       struct nst_trace_hop *hops)
{
    const struct nst_sockaddr to = {.addr = dst};
    return nst_lab_traceroute_addr(w, from, &to, max_hops, out, hops);
}
