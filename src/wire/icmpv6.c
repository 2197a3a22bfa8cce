/* ICMPv6 messages (RFC 4443 2 and 3, 4). */
#include "icmpv6.h"

#include "checksum.h"
#include "ipv6.h"

#include <errno.h>
#include <string.h>

static uint16_t icmp6_checksum(const uint8_t *buf, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst)
{
    uint32_t s = nst_csum_pseudo6(src, dst, NST_IP6_NH_ICMPV6, (uint32_t)len);
    return nst_csum_finish(nst_csum_add(s, buf, len));
}

int nst_icmp6_parse(const uint8_t *buf, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst,
                    struct nst_icmp6_repr *out, int verify_checksum)
{
    /* 2.1: type, code, checksum, then the body; every message this stack
     * knows has the 32-bit field, and informational messages it does not
     * know are dropped by the caller, so 8 bytes are asked of all. */
    if (len < NST_ICMP6_HLEN)
        return -EINVAL;
    if (verify_checksum && icmp6_checksum(buf, len, src, dst) != 0)
        return -EBADMSG;
    out->type = buf[0];
    out->code = buf[1];
    out->word = nst_get32(buf + 4);
    out->data = buf + NST_ICMP6_HLEN;
    out->data_len = len - NST_ICMP6_HLEN;
    return 0;
}

int nst_icmp6_emit(const struct nst_icmp6_repr *r, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                   size_t cap)
{
    if (r->data_len > cap || cap - r->data_len < NST_ICMP6_HLEN)
        return -ENOSPC;
    size_t len = NST_ICMP6_HLEN + r->data_len;
    if (r->data_len && r->data != buf + NST_ICMP6_HLEN)
        memmove(buf + NST_ICMP6_HLEN, r->data, r->data_len);
    buf[0] = r->type;
    buf[1] = r->code;
    nst_put16(buf + 2, 0);
    nst_put32(buf + 4, r->word);
    nst_put16(buf + 2, icmp6_checksum(buf, len, src, dst));
    return (int)len;
}

int nst_icmp6_error_allowed(const struct nst_icmp6_invoking *p, uint8_t type, uint8_t code)
{
    /* 2.4 (e.1), (e.2): not about an error, nor a redirect. */
    if (p->is_error || p->is_redirect)
        return 0;
    /* 2.4 (e.5): nor to a source that is not one node. */
    if (nst_ip6_is_unspecified(p->src) || nst_ip6_is_multicast(p->src))
        return 0;
    /* 2.4 (e.3), (e.4): about a multicast, only Packet Too Big and the
     * option-type Parameter Problem. */
    if (nst_ip6_is_multicast(p->dst) || p->link_multicast)
        return type == NST_ICMP6_PACKET_TOO_BIG ||
               (type == NST_ICMP6_PARAM_PROBLEM && code == NST_ICMP6_UNKNOWN_OPTION);
    return 1;
}
