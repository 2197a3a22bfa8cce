/* `ss -s`: totals, in iproute2's layout, then what a port or state problem
 * needs at a glance: the count of every TCP state (TIME-WAIT and
 * CLOSE-WAIT always shown) and the connections the CLOSE_WAIT leak
 * detector flagged, with their addresses and age.
 *
 * "TCP: N" counts every TCP entry, TIME_WAIT records included; the
 * Transport table's TCP row counts sockets, i.e. without TIME_WAIT (as
 * Linux's, where TIME_WAIT records are not sockets). */
#include <nstack/inspect.h>

#include "inspect/inspect_internal.h"

#define LEAKS_LISTED 10

static void print_totals(FILE *out, const struct nst_sock_summary *s)
{
    unsigned tw = s->tcp_states[NST_TCPS_TIME_WAIT];
    unsigned tcp_socks = s->tcp - tw;
    fprintf(out, "Total: %u\n", s->total);
    fprintf(out, "TCP:   %u (estab %u, closed %u, orphaned %u, timewait %u)\n\n", s->tcp,
            s->tcp_states[NST_TCPS_ESTABLISHED], s->tcp_states[NST_TCPS_CLOSED], s->tcp_orphaned, tw);
    fprintf(out, "Transport Total     IP        IPv6\n");
    fprintf(out, "RAW       %-9u %-9u %-9u\n", 0u, 0u, 0u);
    fprintf(out, "ICMP      %-9u %-9u %-9u\n", s->icmp, s->icmp, 0u);
    fprintf(out, "UDP       %-9u %-9u %-9u\n", s->udp, s->udp, 0u);
    fprintf(out, "TCP       %-9u %-9u %-9u\n", tcp_socks, tcp_socks, 0u);
    fprintf(out, "INET      %-9u %-9u %-9u\n", tcp_socks + s->udp + s->icmp, tcp_socks + s->udp + s->icmp, 0u);
}

static void print_states(FILE *out, const struct nst_sock_summary *s)
{
    fprintf(out, "\nTCP states:\n");
    for (int st = 0; st <= NST_TCPS_TIME_WAIT; st++) {
        int always = st == NST_TCPS_TIME_WAIT || st == NST_TCPS_CLOSE_WAIT;
        if (s->tcp_states[st] || always)
            fprintf(out, "  %-11s %u\n", nst_ss_state_name(st), s->tcp_states[st]);
    }
}

static void print_leaks(FILE *out, const struct nst_sock_entry *v, int n, const struct nst_sock_summary *s,
                        nst_time_t now, nst_time_t threshold)
{
    char d[32], l[80], p[80];
    if (!s->close_wait_leaks)
        return;
    fprintf(out, "\nCLOSE-WAIT leaks: %u connection%s in CLOSE-WAIT for more than %s: the peer closed, the\n"
                 "application never called close() (an application bug: each holds its descriptor and port)\n",
            s->close_wait_leaks, s->close_wait_leaks == 1 ? "" : "s", nst_ss_duration(threshold, d, sizeof(d)));
    unsigned listed = 0;
    for (int i = 0; i < n && listed < LEAKS_LISTED; i++) {
        if (!v[i].close_wait_leak)
            continue;
        fprintf(out, "  %-21s %-21s for %s", nst_ss_endpoint(&v[i].local, l, sizeof(l)),
                nst_ss_endpoint(&v[i].peer, p, sizeof(p)), nst_ss_duration(now - v[i].state_since, d, sizeof(d)));
        if (v[i].fd >= 0)
            fprintf(out, " fd:%d", v[i].fd);
        fprintf(out, "\n");
        listed++;
    }
    if (s->close_wait_leaks > listed)
        fprintf(out, "  ... and %u more\n", s->close_wait_leaks - listed);
}

void nst_ss_format_tcp_mem(FILE *out, const struct nst_tcp_mem *m)
{
    fprintf(out, "\nTCP memory: %zu bytes held (at most %zu so far); pressure above %zu until below %zu, "
                 "limit %zu%s\n",
            m->in_use, m->in_use_max, m->pressure, m->low, m->high, m->under_pressure ? "; UNDER PRESSURE" : "");
}

void nst_ss_format_summary(FILE *out, const struct nst_sock_entry *v, int n, nst_time_t now,
                           nst_time_t leak_threshold)
{
    struct nst_sock_summary s;
    nst_sock_summarize(v, n, &s);
    print_totals(out, &s);
    print_states(out, &s);
    print_leaks(out, v, n, &s, now, leak_threshold);
}
