/* Ethernet II framing: destination, source, EtherType (IEEE 802.3 3.2,
 * RFC 894 for IPv4 over Ethernet). */
#include "eth.h"

#include "checksum.h"

#include <errno.h>
#include <string.h>

const struct nst_mac nst_mac_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

int nst_eth_parse(const uint8_t *buf, size_t len, struct nst_eth_repr *out)
{
    if (len < NST_ETH_HLEN)
        return -EINVAL;
    memcpy(out->dst.b, buf, 6);
    memcpy(out->src.b, buf + 6, 6);
    out->ethertype = nst_get16(buf + 12);
    return NST_ETH_HLEN;
}

void nst_eth_emit(const struct nst_eth_repr *r, uint8_t *buf)
{
    memcpy(buf, r->dst.b, 6);
    memcpy(buf + 6, r->src.b, 6);
    nst_put16(buf + 12, r->ethertype);
}
