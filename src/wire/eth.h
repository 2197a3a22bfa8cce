/* Ethernet II framing (IEEE 802.3 with EtherType). Pure: no allocation. */
#ifndef NST_WIRE_ETH_H
#define NST_WIRE_ETH_H

#include <nstack/types.h>

#define NST_ETH_HLEN 14
#define NST_ETH_MIN_FRAME 60 /* without FCS; shorter frames are padded on emit */
#define NST_ETHERTYPE_IPV4 0x0800
#define NST_ETHERTYPE_ARP 0x0806

struct nst_eth_repr {
    struct nst_mac dst;
    struct nst_mac src;
    uint16_t ethertype;
};

extern const struct nst_mac nst_mac_broadcast;

/* Returns NST_ETH_HLEN, or -EINVAL when the buffer is too short. */
int nst_eth_parse(const uint8_t *buf, size_t len, struct nst_eth_repr *out);
/* Writes the 14-byte header at buf. */
void nst_eth_emit(const struct nst_eth_repr *r, uint8_t *buf);

static inline int nst_mac_is_broadcast(const struct nst_mac *m)
{
    return (m->b[0] & m->b[1] & m->b[2] & m->b[3] & m->b[4] & m->b[5]) == 0xff;
}
static inline int nst_mac_is_multicast(const struct nst_mac *m) { return (m->b[0] & 1) != 0; }
static inline int nst_mac_eq(const struct nst_mac *a, const struct nst_mac *b)
{
    for (int i = 0; i < 6; i++)
        if (a->b[i] != b->b[i])
            return 0;
    return 1;
}

#endif
