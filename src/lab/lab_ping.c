/* ping over the simulator: echo requests from an ICMP socket, replies timed
 * in virtual time, output in the form of iputils ping. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <nstack/lab.h>
#include <nstack/socket.h>

#include "wire/checksum.h"
#include "wire/icmp.h"

#define PING_MAX_PAYLOAD 65507

void nst_ping_opts_default(struct nst_ping_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->count = 4;
    o->interval = NST_SEC(1);
    o->size = 56;
    o->wait = NST_SEC(2);
}

struct sock_wait {
    struct nst_stack *st;
    int fd;
};

static int sock_readable(void *arg)
{
    struct sock_wait *sw = arg;
    return (nst_socket_events(sw->st, sw->fd) & NST_EV_IN) != 0;
}

/* Runs the world until fd is readable or `until`. 1 if readable. */
static int wait_readable(struct nst_world *w, struct nst_stack *st, int fd, nst_time_t until)
{
    struct sock_wait sw = {st, fd};
    return nst_world_run_until_cond(w, sock_readable, &sw, until);
}

static int send_echo(struct nst_stack *st, int fd, nst_ip4_t dst, uint16_t seq, size_t size, nst_time_t now)
{
    uint8_t msg[8 + PING_MAX_PAYLOAD];
    memset(msg, 0, 8);
    msg[0] = NST_ICMP_ECHO_REQUEST;
    nst_put16(msg + 6, seq);
    /* Like ping, the send time travels in the payload (when it fits), then a pattern. */
    for (size_t i = 0; i < size; i++)
        msg[8 + i] = (uint8_t)(0x10 + i);
    if (size >= 8)
        for (int i = 0; i < 8; i++)
            msg[8 + i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
    struct nst_sockaddr to = {dst, 0};
    return (int)nst_sendto(st, fd, msg, 8 + size, 0, &to);
}

static void print_reply(FILE *out, const uint8_t *msg, ssize_t n, const struct nst_sockaddr *from,
                        nst_time_t rtt)
{
    char a[16];
    fprintf(out, "%zd bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n", n, nst_ip4_str(from->addr, a),
            nst_get16(msg + 6), from->port, (double)rtt / 1e6);
}

static void print_error(FILE *out, const uint8_t *msg, const struct nst_sockaddr *from)
{
    char a[16];
    const char *what = msg[0] == NST_ICMP_TIME_EXCEEDED ? "Time to live exceeded" : "Destination Unreachable";
    /* The quoted request's sequence number sits after the quoted IP header. */
    size_t hl = (size_t)(msg[8] & 0x0f) * 4;
    fprintf(out, "From %s icmp_seq=%u %s\n", nst_ip4_str(from->addr, a), nst_get16(msg + 8 + hl + 6), what);
}

static void take_replies(struct nst_stack *st, int fd, nst_time_t now, const nst_time_t *sent, int nsent,
                         FILE *out, struct nst_ping_result *r)
{
    uint8_t msg[8 + PING_MAX_PAYLOAD];
    struct nst_sockaddr from;
    ssize_t n;
    while ((n = nst_recvfrom(st, fd, msg, sizeof(msg), 0, &from)) > 0) {
        if (msg[0] != NST_ICMP_ECHO_REPLY) {
            r->errors++;
            if (out)
                print_error(out, msg, &from);
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

static void print_summary(FILE *out, nst_ip4_t dst, const struct nst_ping_result *r)
{
    char a[16];
    int loss = r->transmitted ? (int)(100.0 * (r->transmitted - r->received) / r->transmitted) : 0;
    fprintf(out, "\n--- %s ping statistics ---\n", nst_ip4_str(dst, a));
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

int nst_lab_ping(struct nst_world *w, struct nst_stack *from, nst_ip4_t dst, const struct nst_ping_opts *o,
                 FILE *out, struct nst_ping_result *res)
{
    struct nst_ping_result r;
    memset(&r, 0, sizeof(r));
    if (o->count <= 0 || o->count > 65535 || o->size > PING_MAX_PAYLOAD || o->interval <= 0)
        return -EINVAL;
    int fd = nst_socket(from, NST_SOCK_ICMP);
    if (fd < 0)
        return fd;
    if (o->ttl) {
        int ttl = o->ttl;
        nst_setsockopt(from, fd, NST_IPPROTO_IP, NST_IP_TTL, &ttl, sizeof(ttl));
    }
    char a[16];
    if (out)
        fprintf(out, "PING %s (%s) %zu(%zu) bytes of data.\n", nst_ip4_str(dst, a), a, o->size, o->size + 28);
    nst_time_t sent[65535];
    nst_time_t start = nst_world_now(w);
    for (int i = 0; i < o->count; i++) {
        nst_time_t t = start + i * o->interval;
        while (wait_readable(w, from, fd, t))
            take_replies(from, fd, nst_world_now(w), sent, i, out, &r);
        nst_world_run_until(w, t);
        sent[i] = nst_world_now(w);
        int err = send_echo(from, fd, dst, (uint16_t)(i + 1), o->size, sent[i]);
        if (err < 0) {
            nst_close(from, fd);
            return err;
        }
        r.transmitted++;
    }
    nst_time_t end = sent[o->count - 1] + o->wait;
    while (r.received + r.errors < r.transmitted && wait_readable(w, from, fd, end))
        take_replies(from, fd, nst_world_now(w), sent, o->count, out, &r);
    r.elapsed = sent[o->count - 1] - start;
    nst_close(from, fd);
    if (out)
        print_summary(out, dst, &r);
    if (res)
        *res = r;
    return 0;
}
