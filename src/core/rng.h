/* Per-stack randomness: xoshiro256** seeded through splitmix64, and SipHash-2-4
 * for keyed hashes (ISNs per RFC 6528, ephemeral ports per RFC 6056, hash
 * table buckets). Seeded for tests, from getrandom() otherwise. */
#ifndef NST_CORE_RNG_H
#define NST_CORE_RNG_H

#include <nstack/types.h>

struct nst_rng {
    uint64_t s[4];
};

void nst_rng_seed(struct nst_rng *r, uint64_t seed);
uint64_t nst_rng_next(struct nst_rng *r);
/* Uniform in [0, n) (n > 0), without modulo bias. */
uint64_t nst_rng_below(struct nst_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double nst_rng_double(struct nst_rng *r);
void nst_rng_fill(struct nst_rng *r, void *buf, size_t len);
/* 0, or -errno if the OS has no entropy to give. */
int nst_os_entropy(void *buf, size_t len);

uint64_t nst_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
