/* `netstat -s` for a stack: every counter of <nstack/stats.h>, zero or not,
 * grouped by layer under netstat's headings ("Ip:", "Tcp:", ...), one
 * indented line each in netstat's words where it has words for it. The
 * counter's own name follows in brackets, so a line can be found in the
 * code and in `NSTACK_COUNTERS=1` dumps. */
#include <nstack/inspect.h>

#include <string.h>

struct phrase {
    const char *layer, *name, *words;
};

static const struct phrase phrases[] = {
    {"link", "rx_frames", "frames received"},
    {"link", "tx_frames", "frames sent"},
    {"ip", "rx_packets", "total packets received"},
    {"ip", "rx_delivered", "incoming packets delivered"},
    {"ip", "tx_packets", "requests sent out"},
    {"ip", "forwarded", "forwarded"},
    {"ip", "drop_bad_checksum", "incoming packets discarded: bad header checksum"},
    {"ip", "drop_no_route", "dropped because of missing route"},
    {"ip", "drop_ttl_expired", "discarded: time to live exceeded"},
    {"ip", "drop_unknown_protocol", "incoming packets with unknown protocol"},
    {"ip", "reass_ok", "reassemblies ok"},
    {"ip", "reass_timeout", "reassemblies timed out"},
    {"ip", "reass_ecn_mismatch", "reassemblies failed: Not-ECT fragments mixed with ECT or CE (RFC 3168 5.3)"},
    {"ip", "frag_created", "fragments created"},
    {"ip", "drop_martian_src_zero", "not forwarded: martian source on network 0"},
    {"ip", "drop_martian_src_loopback", "not forwarded: martian source on network 127"},
    {"ip", "drop_martian_src_not_unicast", "not forwarded: martian source not unicast"},
    {"ip", "drop_martian_dst_zero", "not forwarded: martian destination on network 0"},
    {"ip", "drop_martian_dst_loopback", "not forwarded: martian destination on network 127"},
    {"ip", "drop_martian_dst_not_unicast", "not forwarded: broadcast, multicast or class E destination"},
    {"icmp", "rx_msgs", "ICMP messages received"},
    {"icmp", "tx_msgs", "ICMP messages sent"},
    {"icmp", "rx_echo_request", "input: echo requests"},
    {"icmp", "rx_echo_reply", "input: echo replies"},
    {"icmp", "rx_dest_unreach", "input: destination unreachable"},
    {"icmp", "rx_time_exceeded", "input: time exceeded"},
    {"icmp", "tx_echo_request", "output: echo requests"},
    {"icmp", "tx_echo_reply", "output: echo replies"},
    {"icmp", "tx_dest_unreach", "output: destination unreachable"},
    {"icmp", "tx_time_exceeded", "output: time exceeded"},
    {"udp", "rx_datagrams", "packets received"},
    {"udp", "tx_datagrams", "packets sent"},
    {"udp", "rx_no_port", "packets to unknown port received"},
    {"udp", "rx_queue_full", "receive buffer errors"},
    {"tcp", "active_opens", "active connection openings"},
    {"tcp", "passive_opens", "passive connection openings"},
    {"tcp", "attempt_fails", "failed connection attempts"},
    {"tcp", "estab_resets", "connection resets received or sent in ESTABLISHED/CLOSE_WAIT"},
    {"tcp", "rx_segments", "segments received"},
    {"tcp", "tx_segments", "segments sent out"},
    {"tcp", "retransmits", "segments retransmitted"},
    {"tcp", "rx_bad_checksum", "bad segments received: checksum"},
    {"tcp", "tx_resets", "resets sent"},
    {"tcp", "rx_out_of_order", "segments received out of order"},
    {"tcp", "rx_duplicate", "duplicate segments received"},
    {"tcp", "challenge_acks", "challenge ACKs sent (RFC 5961)"},
    {"tcp", "pmtu_clamped", "ICMP path MTUs below the floor, raised to it"},
    {"tcp", "rx_urgent", "urgent pointers that moved ahead (RFC 6093, data inline)"},
    {"tcp", "syncookies_sent", "SYN cookies sent"},
    {"tcp", "syncookies_ok", "SYN cookies received and validated"},
    {"tcp", "syncookies_failed", "invalid SYN cookies received"},
    {"tcp", "listen_overflows", "times the listen queue of a socket overflowed"},
    {"tcp", "listen_drops", "SYNs to LISTEN sockets dropped"},
    {"tcp", "port_exhausted", "connects failed: no ephemeral port free (EADDRNOTAVAIL)"},
    {"tcp", "timewait_reused", "TIME_WAIT ports reused by connect (tcp_tw_reuse)"},
    {"tcp", "close_wait_leaks", "connections in CLOSE_WAIT past the leak threshold"},
    {"tcp", "ecn_negotiated", "connections with ECN negotiated (RFC 3168)"},
    {"tcp", "ecn_ce_received", "segments received with CE (congestion experienced)"},
    {"tcp", "ecn_ece_received", "ACKs received with ECE (ECN-Echo)"},
    {"tcp", "ecn_cwr_sent", "segments sent with CWR (congestion window reduced)"},
    {"tcp", "ecn_cwr_received", "segments received with CWR"},
    {"tcp", "ecn_reductions", "congestion windows reduced for ECN-Echo"},
    {"tcp", "dsack_sent", "DSACKs sent for old or out of order packets"},
    {"tcp", "dsack_received", "DSACKs received"},
    {"tcp", "sack_reneged", "times the receiver reneged on SACKed data (RFC 2018 8)"},
    {"tcp", "spurious_rtx_dsack", "recoveries found spurious by DSACK (RFC 3708)"},
    {"tcp", "frto_spurious", "spurious RTOs detected by F-RTO (RFC 5682)"},
    {"tcp", "frto_genuine", "RTOs found genuine by F-RTO (RFC 5682)"},
    {"tcp", "rack_marked_lost", "segments (or runs sent together) RACK marked lost (RFC 8985)"},
    {"tcp", "tlp_probes", "tail loss probes sent (RFC 8985 7)"},
    {"tcp", "tlp_recoveries", "losses repaired by a tail loss probe (RFC 8985 7.4)"},
    {"tcp", "tfo_cookie_requests", "Fast Open cookies requested in our SYNs (RFC 7413)"},
    {"tcp", "tfo_syn_data_sent", "SYNs sent with data and a Fast Open cookie"},
    {"tcp", "tfo_syn_data_acked", "SYN data acknowledged by the SYN-ACK"},
    {"tcp", "tfo_syn_data_unacked", "SYN data not acknowledged by the SYN-ACK (sent again)"},
    {"tcp", "tfo_blackholed", "servers Fast Open was stopped for after lost SYNs with data (RFC 7413 4.4)"},
    {"tcp", "tfo_passive", "Fast Open connections accepted with their SYN data"},
    {"tcp", "tfo_cookies_sent", "Fast Open cookies sent in SYN-ACKs"},
    {"tcp", "tfo_cookie_invalid", "SYNs with an invalid Fast Open cookie (data ignored)"},
    {"tcp", "tfo_passive_overflow", "Fast Open SYNs over the listener's limit (data ignored, RFC 7413 5.1)"},
    {"tcp", "mem_pressure", "times TCP ran low on memory (entered memory pressure)"},
    {"tcp", "mem_rcv_drops", "segments dropped: no TCP memory for their data"},
    {"tcp", "mem_snd_limited", "sends cut short by TCP memory pressure or its limit"},
    {"tcp", "abort_on_memory", "connections aborted due to memory pressure"},
    /* IPv6, in the words of Linux's netstat -s for Ip6/Icmp6 where it has them */
    {"ip6", "rx_packets", "total packets received"},
    {"ip6", "rx_delivered", "incoming packets delivered"},
    {"ip6", "tx_packets", "requests sent out"},
    {"ip6", "forwarded", "forwarded"},
    {"ip6", "drop_hop_limit", "discarded: hop limit exceeded"},
    {"ip6", "drop_no_route", "dropped because of missing route"},
    {"ip6", "drop_too_big", "not forwarded: larger than the next link's MTU (Packet Too Big sent)"},
    {"ip6", "drop_unknown_next_header", "incoming packets with unknown next header"},
    {"ip6", "frag_created", "fragments created"},
    {"ip6", "reass_ok", "reassemblies ok"},
    {"ip6", "reass_timeout", "reassemblies timed out"},
    {"icmp6", "rx_msgs", "ICMPv6 messages received"},
    {"icmp6", "tx_msgs", "ICMPv6 messages sent"},
    {"icmp6", "rx_echo_request", "input: echo requests"},
    {"icmp6", "rx_echo_reply", "input: echo replies"},
    {"icmp6", "rx_dest_unreach", "input: destination unreachable"},
    {"icmp6", "rx_packet_too_big", "input: packet too big"},
    {"icmp6", "rx_time_exceeded", "input: time exceeded"},
    {"icmp6", "rx_param_problem", "input: parameter problem"},
    {"icmp6", "tx_echo_request", "output: echo requests"},
    {"icmp6", "tx_echo_reply", "output: echo replies"},
    {"icmp6", "tx_dest_unreach", "output: destination unreachable"},
    {"icmp6", "tx_packet_too_big", "output: packet too big"},
    {"icmp6", "tx_time_exceeded", "output: time exceeded"},
    {"icmp6", "tx_param_problem", "output: parameter problem"},
    {"nd", "rx_ns", "input: neighbor solicitations"},
    {"nd", "rx_na", "input: neighbor advertisements"},
    {"nd", "rx_rs", "input: router solicitations"},
    {"nd", "rx_ra", "input: router advertisements"},
    {"nd", "rx_redirect", "input: redirects"},
    {"nd", "tx_ns", "output: neighbor solicitations"},
    {"nd", "tx_na", "output: neighbor advertisements"},
    {"nd", "dad_ok", "addresses that passed duplicate address detection"},
    {"nd", "dad_duplicate", "addresses found duplicate by DAD (not used)"},
};

static const char *heading(const char *layer)
{
    static const char *const names[][2] = {{"link", "Link"}, {"arp", "Arp"},   {"ip", "Ip"},     {"icmp", "Icmp"},
                                           {"udp", "Udp"},   {"tcp", "Tcp"},   {"ip6", "Ip6"},   {"icmp6", "Icmp6"},
                                           {"nd", "Nd"},     {"ndra", "NdRa"},   {"mld", "Mld"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i][0], layer) == 0)
            return names[i][1];
    return layer;
}

static const char *words_for(const char *layer, const char *name)
{
    for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (strcmp(phrases[i].layer, layer) == 0 && strcmp(phrases[i].name, name) == 0)
            return phrases[i].words;
    return NULL;
}

struct print_ctx {
    FILE *out;
    const char *layer; /* the heading printed last */
};

static void print_counter(void *arg, const char *layer, const char *name, uint64_t value)
{
    struct print_ctx *x = arg;
    if (!x->layer || strcmp(x->layer, layer) != 0) {
        fprintf(x->out, "%s:\n", heading(layer));
        x->layer = layer;
    }
    const char *words = words_for(layer, name);
    fprintf(x->out, "    %llu ", (unsigned long long)value);
    if (words) {
        fprintf(x->out, "%s [%s]\n", words, name);
        return;
    }
    for (const char *c = name; *c; c++)
        fputc(*c == '_' ? ' ' : *c, x->out);
    fputc('\n', x->out);
}

void nst_netstat_print(const struct nst_stack *st, FILE *out)
{
    struct print_ctx x = {out, NULL};
    nst_stats_foreach(nst_stack_stats(st), print_counter, &x);
}
