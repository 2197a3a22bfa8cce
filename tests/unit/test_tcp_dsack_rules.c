/* The pure parts of D-SACK (RFC 2883): which held out-of-order bytes a
 * segment repeats (nst_asm_overlap), and which first SACK block a sender
 * must read as a D-SACK (tcp_dsack_in, RFC 2883 5), with the examples of
 * RFC 2883 4.1 and the edge cases around them. */
#include <string.h>

#include "tcp/tcp_assembler.h"
#include "tcp/tcp_state.h"
#include "test.h"

static void test_overlap(void)
{
    struct nst_assembler a;
    nst_asm_init(&a);
    uint32_t s = 0, e = 0;
    CHECK_EQ(nst_asm_overlap(&a, 0, 100, &s, &e), 0);
    CHECK_EQ(nst_asm_add(&a, 100, 100), 0); /* [100, 200) */
    CHECK_EQ(nst_asm_add(&a, 300, 100), 0); /* [300, 400) */
    CHECK_EQ(nst_asm_overlap(&a, 0, 100, &s, &e), 0);   /* ends where held data starts */
    CHECK_EQ(nst_asm_overlap(&a, 200, 100, &s, &e), 0); /* the hole exactly */
    CHECK_EQ(nst_asm_overlap(&a, 0, 0, &s, &e), 0);
    CHECK_EQ(nst_asm_overlap(&a, 120, 30, &s, &e), 1); /* inside */
    CHECK_EQ(s, 120);
    CHECK_EQ(e, 150);
    CHECK_EQ(nst_asm_overlap(&a, 50, 100, &s, &e), 1); /* the front of a range */
    CHECK_EQ(s, 100);
    CHECK_EQ(e, 150);
    CHECK_EQ(nst_asm_overlap(&a, 150, 200, &s, &e), 1); /* two ranges: the first part only */
    CHECK_EQ(s, 150);
    CHECK_EQ(e, 200);
    CHECK_EQ(nst_asm_overlap(&a, 390, 50, &s, &e), 1); /* the tail */
    CHECK_EQ(s, 390);
    CHECK_EQ(e, 400);
    CHECK_EQ(nst_asm_overlap(&a, UINT32_MAX - 10, 100, &s, &e), 0); /* wraps: refused */
}

static struct tcp_seg ack_with(uint32_t ack, unsigned n, const uint32_t *v)
{
    struct tcp_seg seg;
    memset(&seg, 0, sizeof(seg));
    seg.h.flags = NST_TCP_ACK;
    seg.h.ack = ack;
    seg.h.opts.sack_count = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        seg.h.opts.sack[i].start = v[2 * i];
        seg.h.opts.sack[i].end = v[2 * i + 1];
    }
    return seg;
}
static int is_dsack(uint32_t ack, unsigned n, const uint32_t *v)
{
    struct tcp_seg seg = ack_with(ack, n, v);
    return tcp_dsack_in(&seg);
}
#define IS_DSACK(ack, ...) \
    is_dsack((ack), sizeof((uint32_t[]){__VA_ARGS__}) / (2 * sizeof(uint32_t)), (uint32_t[]){__VA_ARGS__})

static void test_which_block_is_a_dsack(void)
{
    /* 4.1.1: a duplicate below the cumulative ACK (ACK 4000, D-SACK 3000-3500). */
    CHECK(IS_DSACK(4000, 3000, 3500));
    /* 4.1.2 with data held: the D-SACK below the ACK, then a SACK block. */
    CHECK(IS_DSACK(4000, 3000, 3500, 5000, 5500));
    /* 4.1.3: above the ACK but inside the second block. */
    CHECK(IS_DSACK(1000, 3000, 3500, 3000, 4000));
    CHECK(IS_DSACK(1000, 3500, 4000, 3000, 4000));
    /* Ordinary SACK blocks: above the ACK, not inside the next one. */
    CHECK(!IS_DSACK(1000, 3000, 4000));
    CHECK(!IS_DSACK(1000, 5000, 6000, 3000, 4000));
    CHECK(!IS_DSACK(1000, 2500, 3500, 3000, 4000)); /* overlaps, not contained */
    CHECK(!IS_DSACK(3000, 3000, 4000));             /* starts at the ACK: not below it */
    /* An empty or inverted block is nothing. */
    CHECK(!IS_DSACK(4000, 3000, 3000));
    CHECK(!IS_DSACK(4000, 3500, 3000));
    /* Across the wrap of the sequence space. */
    CHECK(IS_DSACK(100, 0xfffffe00u, 0xffffff00u));
    CHECK(!IS_DSACK(0xffffff00u, 50, 100));
    /* No blocks. */
    struct tcp_seg none = ack_with(4000, 0, NULL);
    CHECK(!tcp_dsack_in(&none));
}

int main(void)
{
    RUN(test_overlap);
    RUN(test_which_block_is_a_dsack);
    return nst_test_done();
}
