/* What an ICMPv6 error quotes (RFC 4443 2.4 (c)): as much of the invoking
 * packet as fits, so the IPv6 header first, perhaps extension headers,
 * then the start of the transport header, perhaps cut short anywhere
 * after that. The transports need its addresses and the first bytes of
 * their own header; nothing here trusts a length the quote does not hold. */
#include "socket/inaddr.h"
#include "wire/checksum.h"

int nst_quote6_transport(const uint8_t *q, size_t len, uint8_t proto, nst_ip6_t *src, nst_ip6_t *dst, size_t *off)
{
    if (len < NST_IPV6_HLEN || (q[0] >> 4) != 6)
        return -1;
    memcpy(src->b, q + 8, 16);
    memcpy(dst->b, q + 24, 16);
    uint8_t nh = q[6];
    size_t at = NST_IPV6_HLEN;
    /* The extension headers a packet we sent may carry, a bounded walk. */
    for (int n = 0; n < NST_IPV6_MAX_EXT_HEADERS && nh != proto; n++) {
        if (len < at + 8)
            return -1;
        if (nh == NST_IP6_NH_FRAGMENT) {
            if ((nst_get16(q + at + 2) & 0xfff8) != 0)
                return -1; /* not the first fragment: no transport header */
            nh = q[at];
            at += 8;
        } else if (nh == NST_IP6_NH_HOPOPTS || nh == NST_IP6_NH_ROUTING || nh == NST_IP6_NH_DSTOPTS) {
            nh = q[at];
            at += ((size_t)q[at + 1] + 1) * 8;
        } else {
            return -1;
        }
    }
    if (nh != proto || len < at + 8)
        return -1; /* RFC 4443 2.4: at least the ports and (TCP) the sequence number */
    *off = at;
    return 0;
}
