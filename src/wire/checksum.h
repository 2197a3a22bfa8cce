/* The Internet checksum (RFC 1071), the one routine every layer uses.
 *
 * Sums are kept as 32-bit partial ones'-complement sums folded to 16 bits,
 * so they chain: nst_csum_add(nst_csum_add(0, a, 20), b, n). Chaining is
 * exact when every block but the last has an even length. The inner loop
 * uses a 64-bit accumulator (about 8x the textbook 16-bit loop). */
#ifndef NST_WIRE_CHECKSUM_H
#define NST_WIRE_CHECKSUM_H

#include <nstack/types.h>

/* Adds `len` bytes at `data` to the partial sum `sum`. */
uint32_t nst_csum_add(uint32_t sum, const void *data, size_t len);
/* The small helpers are inline: they run several times per packet. */
/* Folds a 32-bit partial sum to 16 bits (twice: the first fold may carry). */
static inline uint32_t nst_csum_fold(uint32_t s)
{
    s = (s & 0xffffu) + (s >> 16);
    return (s & 0xffffu) + (s >> 16);
}
/* Adds a 16-bit value (host order) to a partial sum. */
static inline uint32_t nst_csum_add16(uint32_t sum, uint16_t v) { return nst_csum_fold(nst_csum_fold(sum) + v); }
/* Complement of the folded sum: the value that goes on the wire
 * (host order; store with nst_put16). */
static inline uint16_t nst_csum_finish(uint32_t sum) { return (uint16_t)~nst_csum_fold(sum); }
/* Partial sum of the IPv4 pseudo-header (RFC 9293 3.1, RFC 768): source,
 * destination, zero + protocol, length. */
static inline uint32_t nst_csum_pseudo(nst_ip4_t src, nst_ip4_t dst, uint8_t proto, uint16_t len)
{
    uint32_t s = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);
    return nst_csum_fold(s + proto + len);
}
/* The partial sum (host order, folded) of a protocol header: len a
 * multiple of 4, at most 60 (IPv4 and TCP headers with options). The same
 * value as nst_csum_add(0, p, len); inline, as every segment has two and
 * the general loop's set-up costs more than these few words. */
static inline uint32_t nst_csum_header(const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t w;
        __builtin_memcpy(&w, p + i, 4);
        acc += w; /* at most 15 words: no carry out of 64 bits */
    }
    /* 2^16 = 1 (mod 2^16 - 1): the sum of the 16-bit digits, folded. */
    uint32_t s = nst_csum_fold((uint32_t)((acc & 0xffffu) + ((acc >> 16) & 0xffffu) + (acc >> 32)));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = ((s & 0xffu) << 8) | (s >> 8); /* native order to host order (RFC 1071 2(B)) */
#endif
    return s;
}
/* Checksum of a whole buffer: nst_csum_finish(nst_csum_add(0, data, len)).
 * A buffer that carries its own correct checksum gives 0. */
uint16_t nst_inet_checksum(const void *data, size_t len);
/* Copies len bytes from src to dst (not overlapping) and adds them to the
 * partial sum in the same pass: nst_csum_add(sum, dst, len) after a memcpy. */
uint32_t nst_csum_copy(uint32_t sum, void *dst, const void *src, size_t len);
/* Adds `block`, the partial sum of a block of data on its own (as
 * nst_csum_add(0, block, n) gives it), to `sum`, the block lying at byte
 * offset `offset` of the covered data: a block at an odd offset has its
 * bytes in the other halves of the 16-bit words (RFC 1071 2(B): the sum is
 * then byte-swapped). So pieces can be summed apart, e.g. the two parts of
 * a wrapped ring, and combined exactly. */
static inline uint32_t nst_csum_block_add(uint32_t sum, uint32_t block, size_t offset)
{
    block = nst_csum_fold(block);
    if (offset & 1)
        block = ((block & 0xffu) << 8) | (block >> 8);
    return nst_csum_fold(nst_csum_fold(sum) + block);
}
/* Incremental update (RFC 1624 eqn. 3) of a checksum field `csum` (host
 * order) when one 16-bit word of the covered data changes from old_v to
 * new_v, e.g. a router's TTL decrement. */
uint16_t nst_csum_update16(uint16_t csum, uint16_t old_v, uint16_t new_v);

/* Big-endian loads and stores, used by every wire module. */
static inline uint16_t nst_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t nst_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void nst_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void nst_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
