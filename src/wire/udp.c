/* UDP header (RFC 768): ports, length, checksum over a pseudo-header. */
#include "udp.h"

#include "checksum.h"
#include "ipv4.h"
#include "ipv6.h"

#include <errno.h>

/* The length check and the fields; the checksum is the caller's. */
static int parse_header(const uint8_t *buf, size_t len, struct nst_udp_repr *out)
{
    if (len < NST_UDP_HLEN)
        return -EINVAL;
    uint16_t ulen = nst_get16(buf + 4);
    if (ulen < NST_UDP_HLEN || ulen > len)
        return -EINVAL;
    out->src_port = nst_get16(buf);
    out->dst_port = nst_get16(buf + 2);
    out->length = ulen;
    return 0;
}

/* Writes the header and its checksum over the pseudo-header's sum. */
static void emit_header(const struct nst_udp_repr *r, uint8_t *buf, uint32_t pseudo)
{
    nst_put16(buf, r->src_port);
    nst_put16(buf + 2, r->dst_port);
    nst_put16(buf + 4, r->length);
    nst_put16(buf + 6, 0);
    uint16_t c = nst_csum_finish(nst_csum_add(pseudo, buf, r->length));
    /* RFC 768 (and RFC 8200 8.1): a computed zero is sent as all ones,
     * since zero means "none". */
    nst_put16(buf + 6, c == 0 ? 0xffff : c);
}

int nst_udp_parse(const uint8_t *buf, size_t len, nst_ip4_t src, nst_ip4_t dst, struct nst_udp_repr *out,
                  int verify_checksum)
{
    struct nst_udp_repr r;
    if (parse_header(buf, len, &r) < 0)
        return -EINVAL;
    /* RFC 768: an all-zero checksum field means the sender computed none. */
    if (verify_checksum && nst_get16(buf + 6) != 0) {
        uint32_t sum = nst_csum_pseudo(src, dst, NST_IP_PROTO_UDP, r.length);
        if (nst_csum_finish(nst_csum_add(sum, buf, r.length)) != 0)
            return -EBADMSG;
    }
    *out = r;
    return 0;
}

void nst_udp_emit(const struct nst_udp_repr *r, uint8_t *buf, nst_ip4_t src, nst_ip4_t dst)
{
    emit_header(r, buf, nst_csum_pseudo(src, dst, NST_IP_PROTO_UDP, r->length));
}

int nst_udp6_parse(const uint8_t *buf, size_t len, const nst_ip6_t *src, const nst_ip6_t *dst,
                   struct nst_udp_repr *out)
{
    struct nst_udp_repr r;
    if (parse_header(buf, len, &r) < 0)
        return -EINVAL;
    /* RFC 8200 8.1: "IPv6 receivers must discard UDP packets containing a
     * zero checksum". */
    if (nst_get16(buf + 6) == 0)
        return -ENOMSG;
    uint32_t sum = nst_csum_pseudo6(src, dst, NST_IP6_NH_UDP, r.length);
    if (nst_csum_finish(nst_csum_add(sum, buf, r.length)) != 0)
        return -EBADMSG;
    *out = r;
    return 0;
}

void nst_udp6_emit(const struct nst_udp_repr *r, uint8_t *buf, const nst_ip6_t *src, const nst_ip6_t *dst)
{
    emit_header(r, buf, nst_csum_pseudo6(src, dst, NST_IP6_NH_UDP, r->length));
}
