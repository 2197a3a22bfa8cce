/* ARP for IPv4 over Ethernet (RFC 826 "Packet format"). */
#include "arp.h"

#include "checksum.h"
#include "eth.h"

#include <errno.h>
#include <string.h>

#define ARP_HTYPE_ETHERNET 1

int nst_arp_parse(const uint8_t *buf, size_t len, struct nst_arp_repr *out)
{
    if (len < NST_ARP_LEN)
        return -EINVAL;
    /* RFC 826: a receiver checks the hardware and protocol types first; a
     * type it does not speak is not an error in the packet, just not ours. */
    if (nst_get16(buf) != ARP_HTYPE_ETHERNET || nst_get16(buf + 2) != NST_ETHERTYPE_IPV4)
        return -EPROTONOSUPPORT;
    /* For Ethernet/IPv4 the address lengths are fixed; anything else would
     * put the addresses somewhere we do not read them from. */
    if (buf[4] != 6 || buf[5] != 4)
        return -EINVAL;
    uint16_t op = nst_get16(buf + 6);
    if (op != NST_ARP_REQUEST && op != NST_ARP_REPLY)
        return -EPROTONOSUPPORT; /* e.g. RARP (3, 4), InARP (8, 9) */
    out->op = op;
    memcpy(out->sha.b, buf + 8, 6);
    out->spa = nst_get32(buf + 14);
    memcpy(out->tha.b, buf + 18, 6);
    out->tpa = nst_get32(buf + 24);
    return NST_ARP_LEN;
}

void nst_arp_emit(const struct nst_arp_repr *r, uint8_t *buf)
{
    nst_put16(buf, ARP_HTYPE_ETHERNET);
    nst_put16(buf + 2, NST_ETHERTYPE_IPV4);
    buf[4] = 6;
    buf[5] = 4;
    nst_put16(buf + 6, r->op);
    memcpy(buf + 8, r->sha.b, 6);
    nst_put32(buf + 14, r->spa);
    memcpy(buf + 18, r->tha.b, 6);
    nst_put32(buf + 24, r->tpa);
}
