/* Initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 3.6). */
#ifndef NST_TCP_ISN_H
#define NST_TCP_ISN_H

#include <nstack/types.h>

/* A connection's addresses and ports. Addresses are 16 bytes, an IPv4 one
 * IPv4-mapped (::ffff:a.b.c.d: socket/inaddr.h), so one table holds both
 * families and a dual-stack listener's IPv4 children are ordinary entries. */
struct nst_tcp_tuple {
    nst_ip6_t laddr, raddr;
    uint16_t lport, rport;
};

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * M a 4-microsecond timer from `now`, F SipHash-2-4 under `key`. */
uint32_t nst_tcp_isn(const uint8_t key[16], const struct nst_tcp_tuple *t, nst_time_t now);

/* What a SYN cookie carries besides the ISN itself. */
struct nst_syncookie_opts {
    uint16_t mss;    /* encoded as an index into a small table: rounded down */
    uint8_t wscale;  /* 0..14, or 15 = none */
    uint8_t sack_ok;
};

/* The server ISN for a SYN answered statelessly: a keyed MAC of the tuple,
 * the client's ISN and a coarse time counter (64 s slots), with the
 * option bits folded in. */
uint32_t nst_syncookie_make(const uint8_t key[16], const struct nst_tcp_tuple *t, uint32_t client_isn,
                            const struct nst_syncookie_opts *o, nst_time_t now);
/* Checks the cookie echoed in the ACK (ack - 1) for the client's ISN
 * (seq - 1); accepts counters of the current and previous slot (so a cookie
 * lives 64-128 s). 1 and *o filled if valid, else 0. */
int nst_syncookie_check(const uint8_t key[16], const struct nst_tcp_tuple *t, uint32_t client_isn, uint32_t cookie,
                        nst_time_t now, struct nst_syncookie_opts *o);

#endif
