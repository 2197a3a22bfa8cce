/* Initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 3.6).
 *
 * SYN cookie layout (the 32-bit server ISN), bits from the most significant:
 *
 *   31      : parity of the 64 s time slot the cookie was made in
 *   30..7   : MAC, 24 bits of SipHash-2-4 under the stack key over
 *             (tag, tuple, client ISN, full 32-bit slot number, option bits)
 *   6..5    : MSS table index (536, 1300, 1440, 1460)
 *   4..1    : window scale shift 0..14, 15 = the SYN had no window scale
 *   0       : SACK permitted
 *
 * Why this shape: the option bits travel in the clear but are covered by the
 * MAC, so flipping any of them changes the MAC the checker recomputes. The
 * slot parity is enough to tell "this slot" from "the previous slot", the
 * only two a cookie may come from; the MAC covers the full slot number, so a
 * cookie from two or more slots ago (same or other parity) recomputes with
 * the wrong slot and fails. That leaves 24 MAC bits: a blind forger who knows
 * the tuple must guess 2^24 values per slot (Linux's layout also checks 24). */
#include "tcp_isn.h"

#include <string.h>

#include "core/rng.h"
#include "ip6/ip6.h"

#define ISN_TICK_NS 4000          /* RFC 6528 3: M ticks every 4 microseconds */
#define COOKIE_SLOT NST_SEC(64)   /* RFC 4987 3.6: a coarse counter; 64 s slots */
#define COOKIE_MAC_BITS 24
#define COOKIE_MAC_SHIFT 7
#define COOKIE_SLOT_SHIFT 31

enum { TAG_ISN = 'I', TAG_COOKIE = 'C' };

static const uint16_t cookie_mss_table[4] = {536, 1300, 1440, 1460};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#define TUPLE_MSG_MAX 37

/* The tuple as SipHash input: a domain tag (so ISN and cookie hashes are
 * independent functions of the key), then the addresses and the ports.
 * An IPv4 tuple (both addresses IPv4-mapped) in its short form, 13 bytes,
 * the 4-byte addresses as before IPv6: its ISNs and cookies are those the
 * stack gave before it held addresses in 16 bytes, and SipHash runs 2
 * compressions instead of 5 (on every connection, twice). An IPv6 tuple
 * with its addresses in full, 37 bytes. The lengths differ, and SipHash
 * hashes the length, so the two forms never meet: F stays one keyed
 * pseudo-random function of the whole tuple (RFC 6528 3). */
static size_t put_tuple(uint8_t *p, uint8_t tag, const struct nst_tcp_tuple *t)
{
    size_t n;
    p[0] = tag;
    if (nst_ip6_is_v4mapped(&t->laddr) && nst_ip6_is_v4mapped(&t->raddr)) {
        memcpy(p + 1, t->laddr.b + 12, 4);
        memcpy(p + 5, t->raddr.b + 12, 4);
        n = 9;
    } else {
        memcpy(p + 1, t->laddr.b, 16);
        memcpy(p + 17, t->raddr.b, 16);
        n = 33;
    }
    p[n] = (uint8_t)(t->lport >> 8);
    p[n + 1] = (uint8_t)t->lport;
    p[n + 2] = (uint8_t)(t->rport >> 8);
    p[n + 3] = (uint8_t)t->rport;
    return n + 4;
}

uint32_t nst_tcp_isn(const uint8_t key[16], const struct nst_tcp_tuple *t, nst_time_t now)
{
    uint8_t msg[TUPLE_MSG_MAX];
    size_t n = put_tuple(msg, TAG_ISN, t);
    /* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
    uint32_t f = (uint32_t)nst_siphash24(key, msg, n);
    uint32_t m = (uint32_t)((uint64_t)now / ISN_TICK_NS);
    return m + f;
}

static uint32_t cookie_slot(nst_time_t now)
{
    return (uint32_t)((uint64_t)now / (uint64_t)COOKIE_SLOT);
}

static uint32_t cookie_mac(const uint8_t key[16], const struct nst_tcp_tuple *t, uint32_t client_isn, uint32_t slot,
                           uint32_t optbits)
{
    uint8_t msg[TUPLE_MSG_MAX + 4 + 4 + 1];
    size_t n = put_tuple(msg, TAG_COOKIE, t);
    put32(msg + n, client_isn);
    put32(msg + n + 4, slot);
    msg[n + 8] = (uint8_t)optbits;
    uint64_t h = nst_siphash24(key, msg, n + 9);
    return (uint32_t)h & ((1u << COOKIE_MAC_BITS) - 1);
}

/* Largest table MSS not above the peer's (RFC 4987 3.6: the cookie can only
 * carry a few MSS values; rounding down never exceeds what the peer can take).
 * Below 536, the RFC 9293 default 536 is the floor. */
static uint32_t cookie_mss_index(uint16_t mss)
{
    uint32_t i = 3;
    while (i > 0 && mss < cookie_mss_table[i])
        i--;
    return i;
}

static uint32_t cookie_optbits(const struct nst_syncookie_opts *o)
{
    /* RFC 7323 2.3: a shift above 14 is used as 14. */
    uint32_t ws = o->wscale == 15 ? 15 : (o->wscale > 14 ? 14 : o->wscale);
    return cookie_mss_index(o->mss) << 5 | ws << 1 | (o->sack_ok ? 1u : 0u);
}

uint32_t nst_syncookie_make(const uint8_t key[16], const struct nst_tcp_tuple *t, uint32_t client_isn,
                            const struct nst_syncookie_opts *o, nst_time_t now)
{
    uint32_t slot = cookie_slot(now);
    uint32_t bits = cookie_optbits(o);
    uint32_t mac = cookie_mac(key, t, client_isn, slot, bits);
    return (slot & 1u) << COOKIE_SLOT_SHIFT | mac << COOKIE_MAC_SHIFT | bits;
}

int nst_syncookie_check(const uint8_t key[16], const struct nst_tcp_tuple *t, uint32_t client_isn, uint32_t cookie,
                        nst_time_t now, struct nst_syncookie_opts *o)
{
    uint32_t now_slot = cookie_slot(now);
    /* The parity picks the only candidate slot: this one or the previous. */
    uint32_t slot = (cookie >> COOKIE_SLOT_SHIFT) == (now_slot & 1u) ? now_slot : now_slot - 1;
    uint32_t bits = cookie & ((1u << COOKIE_MAC_SHIFT) - 1);
    uint32_t mac = (cookie >> COOKIE_MAC_SHIFT) & ((1u << COOKIE_MAC_BITS) - 1);
    if (mac != cookie_mac(key, t, client_isn, slot, bits))
        return 0;
    o->mss = cookie_mss_table[bits >> 5];
    o->wscale = (uint8_t)((bits >> 1) & 15);
    o->sack_ok = (uint8_t)(bits & 1);
    return 1;
}
