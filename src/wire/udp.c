/* UDP header (RFC 768): ports, length, checksum over a pseudo-header. */
#include "udp.h"

#include "checksum.h"
#include "ipv4.h"

#include <errno.h>

int nst_udp_parse(const uint8_t *buf, size_t len, nst_ip4_t src, nst_ip4_t dst, struct nst_udp_repr *out,
                  int verify_checksum)
{
    if (len < NST_UDP_HLEN)
        return -EINVAL;
    uint16_t ulen = nst_get16(buf + 4);
    if (ulen < NST_UDP_HLEN || ulen > len)
        return -EINVAL;
    /* RFC 768: an all-zero checksum field means the sender computed none. */
    if (verify_checksum && nst_get16(buf + 6) != 0) {
        uint32_t sum = nst_csum_pseudo(src, dst, NST_IP_PROTO_UDP, ulen);
        if (nst_csum_finish(nst_csum_add(sum, buf, ulen)) != 0)
            return -EBADMSG;
    }
    out->src_port = nst_get16(buf);
    out->dst_port = nst_get16(buf + 2);
    out->length = ulen;
    return 0;
}

void nst_udp_emit(const struct nst_udp_repr *r, uint8_t *buf, nst_ip4_t src, nst_ip4_t dst)
{
    nst_put16(buf, r->src_port);
    nst_put16(buf + 2, r->dst_port);
    nst_put16(buf + 4, r->length);
    nst_put16(buf + 6, 0);
    uint32_t sum = nst_csum_pseudo(src, dst, NST_IP_PROTO_UDP, r->length);
    uint16_t c = nst_csum_finish(nst_csum_add(sum, buf, r->length));
    /* RFC 768: a computed zero is sent as all ones, since zero means "none". */
    nst_put16(buf + 6, c == 0 ? 0xffff : c);
}
