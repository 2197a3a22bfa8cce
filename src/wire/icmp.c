/* ICMPv4 (RFC 792): type, code, checksum, four bytes that depend on the
 * type, then data. */
#include "icmp.h"

#include "checksum.h"

#include <errno.h>
#include <string.h>

int nst_icmp_parse(const uint8_t *buf, size_t len, struct nst_icmp_repr *out, int verify_checksum)
{
    if (len < NST_ICMP_HLEN)
        return -EINVAL;
    /* RFC 792: the checksum covers the whole ICMP message. */
    if (verify_checksum && nst_inet_checksum(buf, len) != 0)
        return -EBADMSG;
    out->type = buf[0];
    out->code = buf[1];
    out->id = nst_get16(buf + 4);
    out->seq = nst_get16(buf + 6);
    out->data = buf + NST_ICMP_HLEN;
    out->data_len = len - NST_ICMP_HLEN;
    return 0;
}

int nst_icmp_emit(const struct nst_icmp_repr *r, uint8_t *buf, size_t cap)
{
    if (cap < NST_ICMP_HLEN || r->data_len > cap - NST_ICMP_HLEN || r->data_len > 0xffff - NST_ICMP_HLEN)
        return -ENOSPC;
    size_t total = NST_ICMP_HLEN + r->data_len;
    /* memmove: an echo reply may quote its request from an overlapping spot. */
    if (r->data_len && r->data != buf + NST_ICMP_HLEN)
        memmove(buf + NST_ICMP_HLEN, r->data, r->data_len);
    buf[0] = r->type;
    buf[1] = r->code;
    nst_put16(buf + 2, 0);
    nst_put16(buf + 4, r->id);
    nst_put16(buf + 6, r->seq);
    nst_put16(buf + 2, nst_inet_checksum(buf, total));
    return (int)total;
}

size_t nst_icmp_quote_len(const uint8_t *ip, size_t len)
{
    if (len < 1)
        return 0;
    size_t hl = (size_t)(ip[0] & 0x0f) * 4;
    if (hl < 20)
        hl = 20;
    size_t avail = len;
    /* Link padding past the datagram's total length is not part of it. */
    if (len >= 4) {
        size_t total = nst_get16(ip + 2);
        if (total >= hl && total < avail)
            avail = total;
    }
    /* RFC 792: "the internet header plus the first 64 bits of the original
     * datagram's data". */
    return hl + 8 < avail ? hl + 8 : avail;
}
