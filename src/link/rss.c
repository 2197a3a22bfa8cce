/* Receive-side scaling: see <nstack/rss.h>. */
#include <nstack/rss.h>

#include <errno.h>
#include <string.h>

const uint8_t nst_rss_default_key[NST_RSS_KEY_LEN] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* For every input bit set, from the most significant of the first byte on,
 * the result takes in (XOR) the 32 key bits starting at that bit's
 * position: a window sliding one bit along the key per input bit. */
uint32_t nst_rss_toeplitz(const uint8_t key[NST_RSS_KEY_LEN], const uint8_t *data, size_t len)
{
    uint32_t hash = 0;
    uint32_t window = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
    for (size_t i = 0; i < len; i++) {
        uint8_t next = i + 4 < NST_RSS_KEY_LEN ? key[i + 4] : 0;
        for (int b = 7; b >= 0; b--) {
            if (data[i] & (1u << b))
                hash ^= window;
            window = window << 1 | ((next >> b) & 1u);
        }
    }
    return hash;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The specification's input for TCP/UDP over IPv4: source address,
 * destination address, source port, destination port, in network order. */
uint32_t nst_rss_hash_ip4(const uint8_t key[NST_RSS_KEY_LEN], nst_ip4_t src, nst_ip4_t dst, uint16_t sport,
                          uint16_t dport)
{
    uint8_t in[12];
    put32(in, src);
    put32(in + 4, dst);
    in[8] = (uint8_t)(sport >> 8), in[9] = (uint8_t)sport;
    in[10] = (uint8_t)(dport >> 8), in[11] = (uint8_t)dport;
    return nst_rss_toeplitz(key, in, sizeof(in));
}

int nst_rss_init(struct nst_rss *r, unsigned nqueues, unsigned indir_size, unsigned queue)
{
    if (!nqueues || queue >= nqueues || !indir_size || indir_size > NST_RSS_INDIR_MAX ||
        (indir_size & (indir_size - 1)))
        return -EINVAL;
    memset(r, 0, sizeof(*r));
    memcpy(r->key, nst_rss_default_key, NST_RSS_KEY_LEN);
    r->indir_size = indir_size;
    for (unsigned i = 0; i < indir_size; i++)
        r->indir[i] = (uint16_t)(i % nqueues);
    r->queue = queue;
    return 0;
}

unsigned nst_rss_queue(const struct nst_rss *r, nst_ip4_t src, nst_ip4_t dst, uint16_t sport, uint16_t dport)
{
    return r->indir[nst_rss_hash_ip4(r->key, src, dst, sport, dport) & (r->indir_size - 1)];
}

int nst_rss_port_steer(void *arg, uint8_t proto, nst_ip4_t laddr, uint16_t lport, nst_ip4_t raddr, uint16_t rport)
{
    (void)proto; /* TCP and UDP hash alike */
    const struct nst_rss *r = arg;
    /* The peer's packets: from raddr:rport to laddr:lport. */
    return nst_rss_queue(r, raddr, laddr, rport, lport) == r->queue;
}
