/* nstack — per-stack counters, in the spirit of `netstat -s`.
 *
 * Every drop of bad input has a counter: malformed input is counted and
 * dropped, never trusted. The X-macro lists keep the names printable
 * (nst_stats_foreach) without a second copy of the list. */
#ifndef NSTACK_STATS_H
#define NSTACK_STATS_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

#define NST_STATS_LINK(X)                                                        \
    X(link, rx_frames) X(link, tx_frames) X(link, rx_bytes) X(link, tx_bytes)    \
    X(link, rx_runt) X(link, rx_not_for_us) X(link, rx_unknown_ethertype)        \
    X(link, tx_errors)

#define NST_STATS_ARP(X)                                                         \
    X(arp, rx_requests) X(arp, rx_replies) X(arp, tx_requests) X(arp, tx_replies) \
    X(arp, rx_malformed) X(arp, rx_not_for_us) X(arp, cache_entries_added)       \
    X(arp, cache_expired) X(arp, queue_drops) X(arp, resolve_failed)             \
    X(arp, gratuitous_rx) X(arp, address_conflicts) X(arp, table_full)           \
    X(arp, tx_probes) X(arp, probe_confirmed) X(arp, probe_failed)               \
    X(arp, incomplete_evicted)

#define NST_STATS_IP(X)                                                          \
    X(ip, rx_packets) X(ip, rx_delivered) X(ip, tx_packets) X(ip, forwarded)     \
    X(ip, drop_truncated) X(ip, drop_bad_version) X(ip, drop_bad_ihl)            \
    X(ip, drop_bad_length) X(ip, drop_bad_checksum) X(ip, drop_bad_options)      \
    X(ip, drop_not_for_us) X(ip, drop_ttl_expired) X(ip, drop_no_route)          \
    X(ip, drop_unknown_protocol) X(ip, drop_bad_source) X(ip, drop_df_too_big)    \
    X(ip, drop_arp_failed) X(ip, frag_created) X(ip, frag_datagrams)             \
    X(ip, frag_rx) X(ip, reass_ok) X(ip, reass_timeout) X(ip, reass_mem_drops)   \
    X(ip, reass_bad) X(ip, reass_overlap)                                       \
    X(ip, drop_martian_src_zero) X(ip, drop_martian_src_loopback)               \
    X(ip, drop_martian_src_not_unicast) X(ip, drop_martian_dst_zero)            \
    X(ip, drop_martian_dst_loopback) X(ip, drop_martian_dst_not_unicast)        \
    X(ip, reass_ecn_mismatch)

#define NST_STATS_ICMP(X)                                                        \
    X(icmp, rx_msgs) X(icmp, tx_msgs) X(icmp, rx_echo_request)                   \
    X(icmp, rx_echo_reply) X(icmp, rx_dest_unreach) X(icmp, rx_time_exceeded)    \
    X(icmp, rx_other) X(icmp, tx_echo_request) X(icmp, tx_echo_reply)            \
    X(icmp, tx_dest_unreach) X(icmp, tx_time_exceeded) X(icmp, rx_malformed)     \
    X(icmp, rx_bad_checksum) X(icmp, rate_limited) X(icmp, rx_unmatched)         \
    X(icmp, rate_limited_dst)

#define NST_STATS_UDP(X)                                                         \
    X(udp, rx_datagrams) X(udp, tx_datagrams) X(udp, rx_no_port)                 \
    X(udp, rx_malformed) X(udp, rx_bad_checksum) X(udp, rx_queue_full)          \
    X(udp, rx_zero_checksum6)

#define NST_STATS_TCP(X)                                                         \
    X(tcp, active_opens) X(tcp, passive_opens) X(tcp, attempt_fails)             \
    X(tcp, estab_resets) X(tcp, rx_segments) X(tcp, tx_segments)                 \
    X(tcp, retransmits) X(tcp, fast_retransmits) X(tcp, rto_timeouts)            \
    X(tcp, rx_malformed) X(tcp, rx_bad_checksum) X(tcp, rx_out_of_order)         \
    X(tcp, rx_duplicate) X(tcp, rx_out_of_window) X(tcp, tx_resets)              \
    X(tcp, rx_resets) X(tcp, challenge_acks) X(tcp, challenge_ack_limited)       \
    X(tcp, syncookies_sent) X(tcp, syncookies_ok) X(tcp, syncookies_failed)      \
    X(tcp, listen_overflows) X(tcp, listen_drops) X(tcp, paws_drops)             \
    X(tcp, persist_probes) X(tcp, keepalive_probes) X(tcp, keepalive_drops)      \
    X(tcp, delayed_acks) X(tcp, sack_recoveries) X(tcp, port_exhausted)          \
    X(tcp, timewait_reused) X(tcp, rx_no_socket) X(tcp, rx_missing_ts)           \
    X(tcp, timewait_overflow) X(tcp, close_wait_leaks)                          \
    X(tcp, ecn_negotiated) X(tcp, ecn_ce_received) X(tcp, ecn_ece_received)     \
    X(tcp, ecn_cwr_sent) X(tcp, ecn_cwr_received) X(tcp, ecn_reductions)       \
    X(tcp, dsack_sent) X(tcp, dsack_received) X(tcp, spurious_rtx_dsack)        \
    X(tcp, sack_reneged)                                                        \
    X(tcp, frto_spurious) X(tcp, frto_genuine)                                  \
    X(tcp, mem_pressure) X(tcp, mem_rcv_drops) X(tcp, mem_snd_limited)           \
    X(tcp, abort_on_memory) X(tcp, pmtu_clamped) X(tcp, rx_urgent)            \
    X(tcp, pmtu_blackholes) X(tcp, pmtu_probes) X(tcp, pmtu_probes_ok)         \
    X(tcp, pmtu_probes_failed)                                                 \
    X(tcp, rack_marked_lost) X(tcp, tlp_probes) X(tcp, tlp_recoveries)          \
    X(tcp, tfo_cookie_requests) X(tcp, tfo_syn_data_sent) X(tcp, tfo_syn_data_acked) \
    X(tcp, tfo_syn_data_unacked) X(tcp, tfo_blackholed)                        \
    X(tcp, tfo_passive) X(tcp, tfo_cookies_sent) X(tcp, tfo_cookie_invalid)      \
    X(tcp, tfo_passive_overflow)                                               \
    X(tcp, tfo_cookie_backup) X(tcp, tfo_key_rotations)

/* IPv6 (src/ip6/): the network layer, ICMPv6, Neighbor Discovery. */
#define NST_STATS_IP6(X)                                                         \
    X(ip6, rx_packets) X(ip6, rx_delivered) X(ip6, tx_packets) X(ip6, forwarded) \
    X(ip6, drop_truncated) X(ip6, drop_bad_version) X(ip6, drop_bad_length)      \
    X(ip6, drop_jumbo) X(ip6, drop_bad_ext) X(ip6, drop_too_many_ext)            \
    X(ip6, drop_routing_header) X(ip6, drop_unknown_next_header)                 \
    X(ip6, drop_not_for_us) X(ip6, drop_bad_source) X(ip6, drop_bad_dest)        \
    X(ip6, drop_tentative_dst) X(ip6, drop_hop_limit) X(ip6, drop_no_route)      \
    X(ip6, drop_too_big) X(ip6, drop_fwd_link_local) X(ip6, drop_nd_failed)      \
    X(ip6, drop_no_source) X(ip6, rx_mcast_not_joined) X(ip6, loopback)          \
    X(ip6, frag_created) X(ip6, frag_datagrams) X(ip6, frag_rx)                  \
    X(ip6, frag_atomic) X(ip6, drop_frag_chain) X(ip6, reass_ok)                 \
    X(ip6, reass_timeout) X(ip6, reass_mem_drops) X(ip6, reass_overlap)          \
    X(ip6, reass_bad)

#define NST_STATS_ICMP6(X)                                                       \
    X(icmp6, rx_msgs) X(icmp6, tx_msgs) X(icmp6, rx_bad_checksum)                \
    X(icmp6, rx_malformed) X(icmp6, rx_echo_request) X(icmp6, rx_echo_reply)     \
    X(icmp6, tx_echo_request) X(icmp6, tx_echo_reply) X(icmp6, rx_dest_unreach)  \
    X(icmp6, rx_packet_too_big) X(icmp6, rx_time_exceeded)                       \
    X(icmp6, rx_param_problem) X(icmp6, rx_unknown_error) X(icmp6, rx_other)     \
    X(icmp6, tx_dest_unreach) X(icmp6, tx_packet_too_big)                        \
    X(icmp6, tx_time_exceeded) X(icmp6, tx_param_problem)                        \
    X(icmp6, error_not_allowed) X(icmp6, rate_limited) X(icmp6, rate_limited_dst) \
    X(icmp6, rx_error_not_ours) X(icmp6, rx_error_tcp) X(icmp6, rx_error_udp)    \
    X(icmp6, rx_error_other) X(icmp6, pmtu_updates) X(icmp6, pmtu_ignored)

#define NST_STATS_ND(X)                                                          \
    X(nd, rx_ns) X(nd, rx_na) X(nd, rx_rs) X(nd, rx_ra) X(nd, rx_redirect)       \
    X(nd, tx_ns) X(nd, tx_na) X(nd, rx_bad_hop_limit) X(nd, rx_bad_code)         \
    X(nd, rx_bad_length) X(nd, rx_bad_option) X(nd, rx_bad_target)              \
    X(nd, rx_invalid) X(nd, rx_ns_not_for_us) X(nd, rx_na_unsolicited)          \
    X(nd, dad_started) X(nd, dad_ok) X(nd, dad_duplicate) X(nd, dad_looped)      \
    X(nd, tx_dad_ns) X(nd, addr_conflict) X(nd, cache_added)                    \
    X(nd, cache_expired) X(nd, table_full) X(nd, incomplete_evicted)            \
    X(nd, resolve_failed) X(nd, queue_drops) X(nd, tx_probes)                   \
    X(nd, probe_confirmed) X(nd, probe_failed) X(nd, upper_confirmed)           \
    X(nd, router_lost)

/* IPv6 router discovery, SLAAC and redirects (RFC 4861 6, 8; RFC 4862
 * 5.5; src/ip6/nd_router.c, slaac.c). *_full: a bounded list had no room,
 * the entry was ignored. */
#define NST_STATS_NDRA(X)                                                      \
    X(ndra, rs_sent) X(ndra, rs_received) X(ndra, rs_ignored)                  \
    X(ndra, ra_sent) X(ndra, ra_send_failed) X(ndra, ra_received)              \
    X(ndra, ra_ignored) X(ndra, routers_added) X(ndra, routers_expired)        \
    X(ndra, routers_full) X(ndra, prefixes_added) X(ndra, prefixes_expired)    \
    X(ndra, prefixes_full) X(ndra, prefixes_ignored) X(ndra, prefixes_over_ra) \
    X(ndra, mtu_set) X(ndra, mtu_bad)                                          \
    X(ndra, slaac_formed) X(ndra, slaac_deprecated) X(ndra, slaac_expired)     \
    X(ndra, slaac_full) X(ndra, slaac_bad_prefix_len)                          \
    X(ndra, slaac_bad_lifetimes) X(ndra, slaac_two_hours)                      \
    X(ndra, slaac_dad_failed) X(ndra, slaac_add_failed)                        \
    X(ndra, redirects_received) X(ndra, redirects_accepted)                    \
    X(ndra, redirects_not_first_hop) X(ndra, redirects_ignored)                \
    X(ndra, redirects_recycled) X(ndra, redirects_expired)                     \
    X(ndra, redirects_sent) X(ndra, redirects_rate_limited)                    \
    X(ndra, default_router_unreachable) X(ndra, slaac_stable_retries)          \
    X(ndra, temp_created) X(ndra, temp_regenerated) X(ndra, temp_dad_failed)   \
    X(ndra, temp_no_slot)

/* Multicast Listener Discovery, the listener's part (RFC 3810, MLDv1 of
 * RFC 2710 for compatibility; src/ip6/mld.c). rx_bad_*: a query refused
 * as 5.1.14 / 6.2 says (hop limit not 1, source not link-local, no Router
 * Alert, a length that is neither version's). */
#define NST_STATS_MLD(X)                                                       \
    X(mld, rx_queries) X(mld, rx_v1_queries) X(mld, rx_general_queries)        \
    X(mld, rx_group_queries) X(mld, rx_source_queries)                         \
    X(mld, rx_bad_hop_limit) X(mld, rx_bad_source) X(mld, rx_no_router_alert)   \
    X(mld, rx_bad_length) X(mld, rx_bad_group) X(mld, rx_query_not_joined)      \
    X(mld, rx_reports) X(mld, v1_suppressed) X(mld, v1_querier_present)        \
    X(mld, tx_reports) X(mld, tx_change_records) X(mld, tx_current_records)    \
    X(mld, tx_v1_reports) X(mld, tx_v1_done) X(mld, tx_failed)                 \
    X(mld, sources_overflow)

#define NST_STATS_ALL(X) \
    NST_STATS_LINK(X) NST_STATS_ARP(X) NST_STATS_IP(X) NST_STATS_ICMP(X) NST_STATS_UDP(X) NST_STATS_TCP(X) \
    NST_STATS_IP6(X) NST_STATS_ICMP6(X) NST_STATS_ND(X) NST_STATS_NDRA(X) NST_STATS_MLD(X)

struct nst_stats {
#define NST_STATS_FIELD(layer, name) uint64_t layer##_##name;
    NST_STATS_ALL(NST_STATS_FIELD)
#undef NST_STATS_FIELD
};

/* The stack's counters (valid while it lives; they only grow). */
const struct nst_stats *nst_stack_stats(const struct nst_stack *st);

/* Stack-wide TCP memory now (gauges, not counters): bytes of ring storage
 * held by all TCP connections, send and receive (docs/ARCHITECTURE.md,
 * "Bounded memory"), and the thresholds of struct nst_tcp_config. */
struct nst_tcp_mem {
    size_t in_use;          /* never above high */
    size_t in_use_max;      /* the most it has been */
    size_t low, pressure, high;
    int under_pressure;     /* 1: windows and send buffers do not grow */
    uint64_t refusals;      /* requests for storage refused at the limit */
};
void nst_tcp_mem_get(const struct nst_stack *st, struct nst_tcp_mem *out);

/* Calls fn once per counter, in declaration order, with its layer and name. */
void nst_stats_foreach(const struct nst_stats *s,
                       void (*fn)(void *arg, const char *layer, const char *name, uint64_t value),
                       void *arg);

NST_API_END

#endif
