/* Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4). */
#ifndef NST_TCP_SEQ_H
#define NST_TCP_SEQ_H

#include <stdint.h>

static inline int nst_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int nst_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline int nst_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline int nst_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t nst_seq_max(uint32_t a, uint32_t b) { return nst_seq_gt(a, b) ? a : b; }
static inline uint32_t nst_seq_min(uint32_t a, uint32_t b) { return nst_seq_lt(a, b) ? a : b; }
/* a <= x < b */
static inline int nst_seq_in(uint32_t x, uint32_t a, uint32_t b) { return nst_seq_leq(a, x) && nst_seq_lt(x, b); }

#endif
