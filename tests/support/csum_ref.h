/* The Internet checksum the textbook way, for the unit tests and fuzzers
 * that hold nst_csum_* (src/wire/checksum.c) against it. Header-only: the
 * fuzzers link no test support library. */
#ifndef NST_TEST_CSUM_REF_H
#define NST_TEST_CSUM_REF_H

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "wire/checksum.h"

/* RFC 1071 4.1: sum plus 16-bit big-endian words, one at a time, an odd
 * last byte padded on the right, then folded. Returns the folded
 * (uncomplemented) sum. */
static inline uint32_t csum_ref(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < len)
        acc += (uint32_t)p[i] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}

/* Ones'-complement sums have two zeros (0 and 0xffff); equal modulo that. */
static inline int csum_same(uint32_t a, uint32_t b)
{
    return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

/* Fills b with n bytes from a generator seeded with seed; returns their
 * sum as nst_csum_add takes it whole, for sums of pieces to match. */
static inline uint32_t csum_random_block(uint64_t seed, uint8_t *b, size_t n)
{
    struct nst_rng rng;
    nst_rng_seed(&rng, seed);
    nst_rng_fill(&rng, b, n);
    return nst_csum_add(0, b, n);
}

#endif
