/* The reassembly bookkeeping for out-of-order TCP data: a small sorted set
 * of disjoint byte ranges [start, end) relative to the first byte not yet
 * received in order (RCV.NXT). The data itself is written straight into the
 * receive ring at its offset; this only records which ranges are filled.
 * Bounded: at most NST_ASM_MAX_RANGES holes' worth of ranges. */
#ifndef NST_TCP_ASSEMBLER_H
#define NST_TCP_ASSEMBLER_H

#include <stdint.h>

#define NST_ASM_MAX_RANGES 32

struct nst_asm_range {
    uint32_t start, end; /* offsets from RCV.NXT, start < end */
};

struct nst_assembler {
    struct nst_asm_range r[NST_ASM_MAX_RANGES];
    unsigned n;
};

void nst_asm_init(struct nst_assembler *a);
/* A set on the heap, empty (NULL if out of memory), and its release (NULL is
 * a no-op): a connection holds one only while data is out of order. */
struct nst_assembler *nst_asm_new(void);
void nst_asm_delete(struct nst_assembler *a);
/* The empty set, for readers of a connection that holds none. */
extern const struct nst_assembler nst_asm_empty_set;
/* Records [off, off+len). Merges with neighbours (overlapping or adjacent).
 * Returns 0, -ENOSPC when the range would need a new slot and all are in use
 * (the caller drops the segment: it will be retransmitted), or -EINVAL if
 * off + len overflows 32 bits. len == 0 records nothing. */
int nst_asm_add(struct nst_assembler *a, uint32_t off, uint32_t len);
/* RCV.NXT moved by `advance` bytes of in-order data the caller placed itself
 * (0 if none): every range shifts down by `advance`, parts now below 0 are
 * dropped. Then, if a range starts at offset 0, it is removed, the rest
 * shift down by its length too, and its length is returned (the bytes that
 * became contiguous: the caller commits them and moves RCV.NXT on by them as
 * well, so RCV.NXT moves by advance + the result in total); else 0.
 * Both uses work: add(0, L) then take_front(0) returns the whole contiguous
 * run; writing L in-order bytes then take_front(L) returns what follows them. */
uint32_t nst_asm_take_front(struct nst_assembler *a, uint32_t advance);
/* Copies up to max ranges, in ascending order, as offsets from RCV.NXT (the
 * caller adds RCV.NXT to make SACK blocks; RFC 2018 4: putting the most
 * recently received first is the caller's job). Returns the count copied. */
unsigned nst_asm_ranges(const struct nst_assembler *a, struct nst_asm_range *out, unsigned max);
/* The first part of [off, off+len) already recorded (RFC 2883: data
 * received twice), as offsets in *start, *end: 1, or 0 if none. */
int nst_asm_overlap(const struct nst_assembler *a, uint32_t off, uint32_t len, uint32_t *start, uint32_t *end);
/* Total bytes recorded (held out of order). */
uint32_t nst_asm_bytes(const struct nst_assembler *a);
static inline int nst_asm_empty(const struct nst_assembler *a) { return a->n == 0; }

#endif
