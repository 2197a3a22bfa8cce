/* `ss` output for nstack sockets, in iproute2's layout:
 *
 *   State      Recv-Q Send-Q    Local Address:Port     Peer Address:Port
 *   ESTAB      0      0              10.0.1.2:49152         10.0.4.2:80    timer:(on,280ms,0)
 *            cubic wscale:7,7 rto:280 rtt:80.2/40.1 mss:1448 ... retrans:0/0
 *
 * -o appends the active timer as timer:(NAME,WHEN,COUNT); -i adds a line of
 * TCP internals; -e the time in the current state and the descriptor; a
 * connection the leak detector flagged always carries leak:(close-wait,AGE). */
#include <nstack/inspect.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "inspect/inspect_internal.h"

/* "[" + an IPv6 address + "]%" + a scope */
#define NST_SS_ADDR_MAX (NST_IP6_STRLEN + 16)

const char *nst_ss_state_name(int state)
{
    static const char *const names[] = {
        "UNCONN",     "LISTEN",     "SYN-SENT", "SYN-RECV", "ESTAB",    "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK", "TIME-WAIT",
    };
    if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
        return "UNKNOWN";
    return names[state];
}

const char *nst_ss_duration(nst_time_t d, char *buf, size_t len)
{
    long long ms = d > 0 ? (long long)(d / NST_MSEC(1)) : 0;
    long long secs = ms / 1000, minutes = secs / 60;
    size_t n = 0;
    secs %= 60;
    ms %= 1000;
    buf[0] = 0;
    /* ss's rule: the larger the value, the fewer small units are shown. */
    if (minutes) {
        ms = 0;
        n += (size_t)snprintf(buf + n, len - n, "%lldmin", minutes);
        if (minutes > 9)
            secs = 0;
    }
    if (secs && n < len) {
        if (secs > 9)
            ms = 0;
        n += (size_t)snprintf(buf + n, len - n, "%lld%s", secs, ms ? "." : "sec");
    }
    if ((ms || buf[0] == 0) && n < len)
        snprintf(buf + n, len - n, "%03lldms", ms);
    return buf;
}

/* The address as ss writes it: 10.0.1.2, or an IPv6 one in brackets
 * ([2001:db8:1::2], [::ffff:10.0.1.2] for an IPv4 peer of a dual-stack
 * socket, [fe80::1]%eth0-style scopes as %N: the interface index). */
static const char *ss_addr(const struct nst_sockaddr *a, char *buf, size_t len)
{
    if (a->family != NST_AF_INET6)
        return nst_ip4_str(a->addr, buf);
    char ip[NST_IP6_STRLEN];
    nst_ip6_str(&a->addr6, ip);
    if (a->scope_id)
        snprintf(buf, len, "[%s]%%%u", ip, a->scope_id - 1);
    else
        snprintf(buf, len, "[%s]", ip);
    return buf;
}

const char *nst_ss_endpoint(const struct nst_sockaddr *a, char *buf, size_t len)
{
    char ip[NST_SS_ADDR_MAX];
    ss_addr(a, ip, sizeof(ip));
    if (a->port)
        snprintf(buf, len, "%s:%u", ip, a->port);
    else
        snprintf(buf, len, "%s:*", ip);
    return buf;
}

static int selected(const struct nst_sock_entry *e, unsigned protos, unsigned states, unsigned families)
{
    unsigned fam = e->local.family == NST_AF_INET6 ? NST_SS_INET6 : NST_SS_INET;
    return (e->proto & protos) && (NST_SS_STATE(e->state) & states) && (fam & families);
}

static const char *proto_name(uint8_t p)
{
    return p == NST_INSPECT_TCP ? "tcp" : p == NST_INSPECT_UDP ? "udp" : "icmp";
}

/* Several protocols at once get ss's Netid column. */
static int netid_column(unsigned protos) { return (protos & (protos - 1)) != 0; }

static void print_header(FILE *out, unsigned protos)
{
    if (netid_column(protos))
        fprintf(out, "%-6s", "Netid");
    fprintf(out, "%-10s %-6s %-6s %15s:%-5s %15s:%-5s\n", "State", "Recv-Q", "Send-Q", "Local Address", "Port",
            "Peer Address", "Port");
}

/* An endpoint with the address right-aligned and the port left-aligned
 * around the colon, as ss lines them up. */
static void print_endpoint(FILE *out, const struct nst_sockaddr *a)
{
    char ip[NST_SS_ADDR_MAX], port[8];
    ss_addr(a, ip, sizeof(ip));
    if (a->port)
        snprintf(port, sizeof(port), "%u", a->port);
    else
        snprintf(port, sizeof(port), "*");
    fprintf(out, " %15s:%-5s", ip, port);
}

static const char *timer_name(uint8_t t)
{
    switch (t) {
    case NST_TCPI_TIMER_RETRANSMIT: return "on";
    case NST_TCPI_TIMER_PERSIST: return "persist";
    case NST_TCPI_TIMER_KEEPALIVE: return "keepalive";
    case NST_TCPI_TIMER_DELACK: return "delack";
    case NST_TCPI_TIMER_TIMEWAIT: return "timewait";
    default: return NULL;
    }
}

static void print_timer(FILE *out, const struct nst_sock_entry *e, nst_time_t now)
{
    const char *name = timer_name(e->tcp.timer);
    char d[32];
    if (e->proto != NST_INSPECT_TCP || !name)
        return;
    unsigned count = e->tcp.timer == NST_TCPI_TIMER_RETRANSMIT || e->tcp.timer == NST_TCPI_TIMER_PERSIST
                         ? e->tcp.backoff
                         : 0;
    fprintf(out, " timer:(%s,%s,%u)", name, nst_ss_duration(e->tcp.timer_expires - now, d, sizeof(d)), count);
}

static void print_extended(FILE *out, const struct nst_sock_entry *e, nst_time_t now)
{
    char d[32];
    if (e->state_since)
        fprintf(out, " age:%s", nst_ss_duration(now - e->state_since, d, sizeof(d)));
    if (e->fd >= 0)
        fprintf(out, " fd:%d", e->fd);
    else if (e->proto == NST_INSPECT_TCP)
        fprintf(out, " orphan");
}

/* Bits per second a window of cwnd bytes per RTT gives, as ss's "send". */
static void print_rate(FILE *out, double bps)
{
    if (bps > 1e6)
        fprintf(out, " send %.1fMbps", bps / 1e6);
    else if (bps > 1e3)
        fprintf(out, " send %.1fKbps", bps / 1e3);
    else
        fprintf(out, " send %gbps", bps);
}

/* The -i line: what `ss -i` prints from Linux's tcp_info. Times in ms,
 * windows in segments. */
static void print_info(FILE *out, const struct nst_sock_entry *e, nst_time_t now)
{
    const struct nst_tcp_info *t = &e->tcp;
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    char d[32];
    fprintf(out, "\t");
    if (t->options & NST_TCPI_OPT_TIMESTAMPS)
        fprintf(out, " ts");
    if (t->options & NST_TCPI_OPT_SACK)
        fprintf(out, " sack");
    /* RFC 3168, in ss's words: negotiated, and ECT/CE data received. */
    if (t->options & NST_TCPI_OPT_ECN)
        fprintf(out, " ecn");
    if (t->options & NST_TCPI_OPT_ECN_SEEN)
        fprintf(out, " ecnseen");
    fprintf(out, " %s", t->congestion);
    if (t->options & NST_TCPI_OPT_WSCALE)
        fprintf(out, " wscale:%u,%u", t->snd_wscale, t->rcv_wscale);
    fprintf(out, " rto:%g rtt:%g/%g mss:%u advmss:%u cwnd:%u", (double)t->rto / 1e6, (double)t->rtt / 1e6,
            (double)t->rttvar / 1e6, t->snd_mss, t->rcv_mss, t->cwnd / mss);
    if (t->ssthresh / mss < 0xffff)
        fprintf(out, " ssthresh:%u", t->ssthresh / mss);
    fprintf(out, " bytes_sent:%llu", (unsigned long long)t->bytes_sent);
    if (t->bytes_retrans)
        fprintf(out, " bytes_retrans:%llu", (unsigned long long)t->bytes_retrans);
    fprintf(out, " bytes_acked:%llu bytes_received:%llu segs_out:%llu segs_in:%llu",
            (unsigned long long)t->bytes_acked, (unsigned long long)t->bytes_received,
            (unsigned long long)t->segs_out, (unsigned long long)t->segs_in);
    if (t->rtt > 0)
        print_rate(out, (double)t->cwnd * 8 / ((double)t->rtt / 1e9));
    fprintf(out, " lastrcv:%lld", (long long)((now - t->last_recv) / NST_MSEC(1)));
    if (t->unacked)
        fprintf(out, " unacked:%u", (t->unacked + mss - 1) / mss);
    fprintf(out, " retrans:%u/%llu", t->backoff, (unsigned long long)t->retransmits);
    if (t->rto_timeouts)
        fprintf(out, " rto_timeouts:%llu", (unsigned long long)t->rto_timeouts);
    fprintf(out, " snd_wnd:%u rcv_wnd:%u", t->snd_wnd, t->rcv_wnd);
    if (e->state_since)
        fprintf(out, " state_age:%s", nst_ss_duration(now - e->state_since, d, sizeof(d)));
    if (e->note[0]) /* the application layer's own line, e.g. TLS version and cipher */
        fprintf(out, " %s", e->note);
    fprintf(out, "\n");
}

static void print_row(FILE *out, const struct nst_sock_entry *e, const struct nst_ss_opts *o, unsigned protos,
                      nst_time_t now)
{
    char d[32];
    if (netid_column(protos))
        fprintf(out, "%-6s", proto_name(e->proto));
    fprintf(out, "%-10s %-6u %-6u", nst_ss_state_name(e->state), e->recv_q, e->send_q);
    print_endpoint(out, &e->local);
    print_endpoint(out, &e->peer);
    if (o->processes && e->fd >= 0)
        fprintf(out, " users:((\"nstack\",fd=%d))", e->fd);
    if (o->timers)
        print_timer(out, e, now);
    if (o->extended)
        print_extended(out, e, now);
    if (e->close_wait_leak)
        fprintf(out, " leak:(close-wait,%s)", nst_ss_duration(now - e->state_since, d, sizeof(d)));
    fprintf(out, "\n");
    int connection = e->state != NST_TCPS_LISTEN && e->state != NST_TCPS_TIME_WAIT && e->state != NST_TCPS_CLOSED;
    if (o->info && e->proto == NST_INSPECT_TCP && connection)
        print_info(out, e, now);
}

void nst_ss_format(FILE *out, const struct nst_sock_entry *v, int n, const struct nst_ss_opts *o, nst_time_t now,
                   nst_time_t leak_threshold)
{
    if (o->summary) {
        nst_ss_format_summary(out, v, n, now, leak_threshold);
        return;
    }
    unsigned protos = o->protos ? o->protos : NST_INSPECT_ALL;
    unsigned states = o->states ? o->states : NST_SS_DEFAULT_STATES;
    unsigned families = o->families ? o->families : NST_SS_INET | NST_SS_INET6;
    print_header(out, protos);
    for (int i = 0; i < n; i++)
        if (selected(&v[i], protos, states, families))
            print_row(out, &v[i], o, protos, now);
}

int nst_ss_print(struct nst_stack *st, const struct nst_ss_opts *o, FILE *out)
{
    int n = nst_sock_list(st, NULL, 0);
    struct nst_sock_entry *v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    /* Nothing runs between the two calls: the count still holds. */
    n = nst_sock_list(st, v, n);
    nst_ss_format(out, v, n, o, nst_stack_now(st), st->cfg.tcp.close_wait_leak);
    if (o->summary) {
        struct nst_tcp_mem m;
        nst_tcp_mem_get(st, &m);
        nst_ss_format_tcp_mem(out, &m);
    }
    free(v);
    return 0;
}
