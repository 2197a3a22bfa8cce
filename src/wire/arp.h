/* ARP for IPv4 over Ethernet (RFC 826). Pure: no allocation. */
#ifndef NST_WIRE_ARP_H
#define NST_WIRE_ARP_H

#include <nstack/types.h>

#define NST_ARP_LEN 28
#define NST_ARP_REQUEST 1
#define NST_ARP_REPLY 2

struct nst_arp_repr {
    uint16_t op;
    struct nst_mac sha; /* sender hardware address */
    nst_ip4_t spa;      /* sender protocol address */
    struct nst_mac tha;
    nst_ip4_t tpa;
};

/* Accepts only htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4, op 1 or 2.
 * Returns NST_ARP_LEN, -EINVAL (short or bad lengths) or -EPROTONOSUPPORT. */
int nst_arp_parse(const uint8_t *buf, size_t len, struct nst_arp_repr *out);
/* Writes NST_ARP_LEN bytes. */
void nst_arp_emit(const struct nst_arp_repr *r, uint8_t *buf);

#endif
