/* The out-of-order interval set. Ranges are kept sorted and disjoint, and
 * adjacent ranges are merged, so the number of slots in use equals the
 * number of holes the peer left: that is what NST_ASM_MAX_RANGES bounds. */
#include "tcp_assembler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct nst_assembler nst_asm_empty_set = {.n = 0};

void nst_asm_init(struct nst_assembler *a)
{
    a->n = 0;
}

struct nst_assembler *nst_asm_new(void)
{
    struct nst_assembler *a = malloc(sizeof(*a));
    if (a)
        nst_asm_init(a);
    return a;
}

void nst_asm_delete(struct nst_assembler *a) { free(a); }

/* Removes ranges [from, to) from the array. */
static void asm_remove(struct nst_assembler *a, unsigned from, unsigned to)
{
    memmove(&a->r[from], &a->r[to], (a->n - to) * sizeof(a->r[0]));
    a->n -= to - from;
}

int nst_asm_add(struct nst_assembler *a, uint32_t off, uint32_t len)
{
    if (len == 0)
        return 0;
    if (len > UINT32_MAX - off)
        return -EINVAL;
    uint32_t end = off + len;
    /* First range that ends at or after off: it touches or follows us. */
    unsigned i = 0;
    while (i < a->n && a->r[i].end < off)
        i++;
    /* Ranges i..j-1 overlap or touch [off, end). */
    unsigned j = i;
    while (j < a->n && a->r[j].start <= end)
        j++;
    if (i == j) {
        if (a->n == NST_ASM_MAX_RANGES)
            return -ENOSPC;
        memmove(&a->r[i + 1], &a->r[i], (a->n - i) * sizeof(a->r[0]));
        a->r[i].start = off;
        a->r[i].end = end;
        a->n++;
        return 0;
    }
    if (a->r[i].start < off)
        off = a->r[i].start;
    if (a->r[j - 1].end > end)
        end = a->r[j - 1].end;
    a->r[i].start = off;
    a->r[i].end = end;
    asm_remove(a, i + 1, j);
    return 0;
}

/* Moves every range down by d, dropping what falls below offset 0. */
static void asm_shift(struct nst_assembler *a, uint32_t d)
{
    unsigned gone = 0;
    while (gone < a->n && a->r[gone].end <= d)
        gone++;
    asm_remove(a, 0, gone);
    for (unsigned k = 0; k < a->n; k++) {
        a->r[k].start = a->r[k].start > d ? a->r[k].start - d : 0;
        a->r[k].end -= d;
    }
}

uint32_t nst_asm_take_front(struct nst_assembler *a, uint32_t advance)
{
    if (advance)
        asm_shift(a, advance);
    if (a->n == 0 || a->r[0].start != 0)
        return 0;
    uint32_t got = a->r[0].end;
    asm_remove(a, 0, 1);
    asm_shift(a, got);
    return got;
}

unsigned nst_asm_ranges(const struct nst_assembler *a, struct nst_asm_range *out, unsigned max)
{
    unsigned n = a->n < max ? a->n : max;
    if (n)
        memcpy(out, a->r, n * sizeof(a->r[0]));
    return n;
}

int nst_asm_overlap(const struct nst_assembler *a, uint32_t off, uint32_t len, uint32_t *start, uint32_t *end)
{
    if (len == 0 || len > UINT32_MAX - off)
        return 0;
    uint32_t e = off + len;
    for (unsigned k = 0; k < a->n; k++) {
        uint32_t s = a->r[k].start > off ? a->r[k].start : off;
        uint32_t t = a->r[k].end < e ? a->r[k].end : e;
        if (s < t) {
            *start = s;
            *end = t;
            return 1;
        }
    }
    return 0;
}

uint32_t nst_asm_bytes(const struct nst_assembler *a)
{
    uint32_t sum = 0;
    for (unsigned k = 0; k < a->n; k++)
        sum += a->r[k].end - a->r[k].start;
    return sum;
}
