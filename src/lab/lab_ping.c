/* ping: echo requests from an ICMP socket (ICMPv6 for an IPv6
 * destination), replies timed by the caller's clock (virtual time on the
 * simulator, the run loop's on a TAP), output in the form of iputils ping. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/lab.h>
#include <nstack/socket.h>

#include "lab/lab_internal.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"

#define PING_MAX_PAYLOAD 65507

void nst_ping_opts_default(struct nst_ping_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->count = 4;
    o->interval = NST_SEC(1);
    o->size = 56;
    o->wait = NST_SEC(2);
}

/* The simulator as a ping clock: virtual time. */
static nst_time_t world_now(void *arg) { return nst_world_now(arg); }

static int world_wait_readable(void *arg, struct nst_stack *st, int fd, nst_time_t until)
{
    return nst_world_run_until_events(arg, st, fd, NST_EV_IN, until);
}

static int world_run_until(void *arg, nst_time_t until)
{
    nst_world_run_until(arg, until);
    return 0;
}

static int is_v6(const struct nst_sockaddr *a) { return a->family == NST_AF_INET6; }

int nst_lab_echo_socket(struct nst_stack *st, const struct nst_sockaddr *dst)
{
    return nst_socket_family(st, is_v6(dst) ? NST_AF_INET6 : NST_AF_INET, NST_SOCK_ICMP);
}

const char *nst_lab_addr_str(const struct nst_sockaddr *a, char *buf)
{
    return is_v6(a) ? nst_ip6_str(&a->addr6, buf) : nst_ip4_str(a->addr, buf);
}

int nst_lab_echo_reply_type(const struct nst_sockaddr *dst)
{
    return is_v6(dst) ? NST_ICMP6_ECHO_REPLY : NST_ICMP_ECHO_REPLY;
}

uint16_t nst_lab_quoted_seq(const uint8_t *msg, size_t n, int v6)
{
    /* The quoted request's sequence number sits after the quoted IP
     * header: 40 bytes for IPv6 (ours carry no extension header unless
     * fragmented, and then the reply quotes the first fragment's 8 more). */
    size_t hl = v6 ? NST_IPV6_HLEN + (n > 8 + 6 && msg[8 + 6] == NST_IP6_NH_FRAGMENT ? 8 : 0) : (size_t)(msg[8] & 0x0f) * 4;
    return n >= 8 + hl + 8 ? nst_get16(msg + 8 + hl + 6) : 0;
}

static int send_echo(struct nst_stack *st, int fd, const struct nst_sockaddr *dst, uint16_t seq, size_t size,
                     nst_time_t now)
{
    uint8_t msg[8 + PING_MAX_PAYLOAD];
    memset(msg, 0, 8);
    msg[0] = is_v6(dst) ? NST_ICMP6_ECHO_REQUEST : NST_ICMP_ECHO_REQUEST;
    nst_put16(msg + 6, seq);
    /* Like ping, the send time travels in the payload (when it fits), then a pattern. */
    for (size_t i = 0; i < size; i++)
        msg[8 + i] = (uint8_t)(0x10 + i);
    if (size >= 8)
        for (int i = 0; i < 8; i++)
            msg[8 + i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
    return (int)nst_sendto(st, fd, msg, 8 + size, 0, dst);
}

static void print_reply(FILE *out, const uint8_t *msg, ssize_t n, const struct nst_sockaddr *from,
                        nst_time_t rtt)
{
    char a[NST_IP6_STRLEN];
    fprintf(out, "%zd bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n", n, nst_lab_addr_str(from, a),
            nst_get16(msg + 6), from->port, (double)rtt / 1e6);
}

/* An ICMPv6 error in ping6's words (RFC 4443 3). */
static void icmp6_error_words(const uint8_t *msg, char *buf, size_t len)
{
    static const char *const unreach[] = {"No route", "Administratively prohibited", "Beyond scope",
                                          "Address unreachable", "Port unreachable"};
    switch (msg[0]) {
    case NST_ICMP6_DEST_UNREACH:
        snprintf(buf, len, "Destination unreachable: %s", msg[1] < 5 ? unreach[msg[1]] : "Unknown code");
        break;
    case NST_ICMP6_PACKET_TOO_BIG: snprintf(buf, len, "Packet too big: mtu=%u", nst_get32(msg + 4)); break;
    case NST_ICMP6_TIME_EXCEEDED:
        snprintf(buf, len, "Time exceeded: %s", msg[1] == 0 ? "Hop limit" : "Defragmentation failure");
        break;
    default: snprintf(buf, len, "Parameter problem: pointer %u", nst_get32(msg + 4)); break;
    }
}

static void print_error(FILE *out, const uint8_t *msg, ssize_t n, const struct nst_sockaddr *from)
{
    char a[NST_IP6_STRLEN], what[64];
    if (is_v6(from))
        icmp6_error_words(msg, what, sizeof(what));
    else
        snprintf(what, sizeof(what), "%s",
                 msg[0] == NST_ICMP_TIME_EXCEEDED ? "Time to live exceeded" : "Destination Unreachable");
    fprintf(out, "From %s icmp_seq=%u %s\n", nst_lab_addr_str(from, a),
            nst_lab_quoted_seq(msg, (size_t)n, is_v6(from)), what);
}

static void take_replies(struct nst_stack *st, int fd, nst_time_t now, const nst_time_t *sent, int nsent,
                         FILE *out, struct nst_ping_result *r)
{
    uint8_t msg[8 + PING_MAX_PAYLOAD];
    struct nst_sockaddr from = {0}; /* an IPv4 socket fills addr and port only */
    ssize_t n;
    while ((n = nst_recvfrom(st, fd, msg, sizeof(msg), 0, &from)) > 0) {
        if (msg[0] != nst_lab_echo_reply_type(&from)) {
            r->errors++;
            if (out)
                print_error(out, msg, n, &from);
            continue;
        }
        uint16_t seq = nst_get16(msg + 6);
        if (seq == 0 || seq > nsent)
            continue;
        nst_time_t rtt = now - sent[seq - 1];
        r->received++;
        r->rtt_sum += rtt;
        r->rtt_sumsq += ((double)rtt / 1e6) * ((double)rtt / 1e6);
        if (r->received == 1 || rtt < r->rtt_min)
            r->rtt_min = rtt;
        if (rtt > r->rtt_max)
            r->rtt_max = rtt;
        if (out)
            print_reply(out, msg, n, &from, rtt);
    }
}

static void print_summary(FILE *out, const struct nst_sockaddr *dst, const struct nst_ping_result *r)
{
    char a[NST_IP6_STRLEN];
    int loss = r->transmitted ? (int)(100.0 * (r->transmitted - r->received) / r->transmitted) : 0;
    fprintf(out, "\n--- %s ping statistics ---\n", nst_lab_addr_str(dst, a));
    fprintf(out, "%d packets transmitted, %d received,", r->transmitted, r->received);
    if (r->errors)
        fprintf(out, " +%d errors,", r->errors);
    fprintf(out, " %d%% packet loss, time %lldms\n", loss, (long long)(r->elapsed / 1000000));
    if (r->received) {
        double avg = (double)r->rtt_sum / r->received / 1e6;
        double var = r->rtt_sumsq / r->received - avg * avg;
        fprintf(out, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", (double)r->rtt_min / 1e6, avg,
                (double)r->rtt_max / 1e6, var > 0 ? sqrt(var) : 0.0);
    }
}

/* Answers to the first `nsent` requests until every one is answered or
 * `end`. 0, or < 0 if the clock was interrupted. */
static int drain_replies(const struct nst_ping_clock *clk, struct nst_stack *st, int fd, nst_time_t end,
                         const nst_time_t *sent, int nsent, FILE *out, struct nst_ping_result *r)
{
    int rc = 0;
    while (r->received + r->errors < r->transmitted && (rc = clk->wait_readable(clk->arg, st, fd, end)) > 0)
        take_replies(st, fd, clk->now(clk->arg), sent, nsent, out, r);
    return rc < 0 ? rc : 0;
}

/* Sends the requests on time, taking replies meanwhile. 0, -errno from
 * sendto, or < 0 from an interrupted clock (r holds what was done). */
static int send_requests(const struct nst_ping_clock *clk, struct nst_stack *from, int fd,
                         const struct nst_sockaddr *dst,
                         const struct nst_ping_opts *o, nst_time_t *sent, FILE *out, struct nst_ping_result *r)
{
    nst_time_t start = clk->now(clk->arg);
    for (int i = 0; i < o->count; i++) {
        nst_time_t t = start + i * o->interval;
        int rc;
        while ((rc = clk->wait_readable(clk->arg, from, fd, t)) > 0)
            take_replies(from, fd, clk->now(clk->arg), sent, i, out, r);
        if (rc < 0 || (rc = clk->run_until(clk->arg, t)) < 0)
            return rc;
        sent[i] = clk->now(clk->arg);
        int err = send_echo(from, fd, dst, (uint16_t)(i + 1), o->size, sent[i]);
        if (err < 0)
            return err;
        r->transmitted++;
        r->elapsed = sent[i] - start;
    }
    return 0;
}

static void print_header(FILE *out, const struct nst_sockaddr *dst, size_t size)
{
    char a[NST_IP6_STRLEN];
    nst_lab_addr_str(dst, a);
    if (is_v6(dst))
        fprintf(out, "PING %s (%s) %zu data bytes\n", a, a, size); /* as iputils ping -6 */
    else
        fprintf(out, "PING %s (%s) %zu(%zu) bytes of data.\n", a, a, size, size + 28);
}

int nst_ping_run_addr(const struct nst_ping_clock *clk, struct nst_stack *from, const struct nst_sockaddr *dst,
                      const struct nst_ping_opts *o, FILE *out, struct nst_ping_result *res)
{
    struct nst_ping_result r;
    memset(&r, 0, sizeof(r));
    if (o->count <= 0 || o->count > 65535 || o->size > PING_MAX_PAYLOAD || o->interval <= 0)
        return -EINVAL;
    int fd = nst_lab_echo_socket(from, dst);
    if (fd < 0)
        return fd;
    if (o->ttl) {
        int ttl = o->ttl;
        nst_setsockopt(from, fd, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof(ttl));
    }
    if (out)
        print_header(out, dst, o->size);
    nst_time_t *sent = malloc((size_t)o->count * sizeof(*sent));
    if (!sent) {
        nst_close(from, fd);
        return -ENOMEM;
    }
    int rc = send_requests(clk, from, fd, dst, o, sent, out, &r);
    /* An interrupted ping (Ctrl-C) still reports what it saw, as ping does;
     * a failed send reports nothing. */
    if (rc == 0 && r.transmitted)
        rc = drain_replies(clk, from, fd, sent[r.transmitted - 1] + o->wait, sent, r.transmitted, out, &r);
    free(sent);
    nst_close(from, fd);
    if (rc < 0 && rc != -EINTR)
        return rc;
    if (out)
        print_summary(out, dst, &r);
    if (res)
        *res = r;
    return rc;
}

int nst_ping_run(const struct nst_ping_clock *clk, struct nst_stack *from, nst_ip4_t dst,
                 const struct nst_ping_opts *o, FILE *out, struct nst_ping_result *res)
{
    const struct nst_sockaddr to = {.addr = dst};
    return nst_ping_run_addr(clk, from, &to, o, out, res);
}

int nst_lab_ping_addr(struct nst_world *w, struct nst_stack *from, const struct nst_sockaddr *dst,
                      const struct nst_ping_opts *o, FILE *out, struct nst_ping_result *res)
{
    const struct nst_ping_clock clk = {w, world_now, world_wait_readable, world_run_until};
    return nst_ping_run_addr(&clk, from, dst, o, out, res);
}

int nst_lab_ping(struct nst_world *w, struct nst_stack *from, nst_ip4_t dst, const struct nst_ping_opts *o,
                 FILE *out, struct nst_ping_result *res)
{
    const struct nst_sockaddr to = {.addr = dst};
    return nst_lab_ping_addr(w, from, &to, o, out, res);
}
