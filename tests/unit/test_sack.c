/* The RFC 6675 scoreboard, step by step on a loss scenario, plus block
 * bookkeeping (merge, clip, bound) and the IsLost thresholds. */
#include "tcp/tcp_sack.h"
#include "test.h"

#define SMSS 1000u
/* The scenario's ISN sits just below 2^32 so the sequence space wraps in
 * the middle of the flight (inside the lost segment 5). */
#define BASE 0xffffee00u
/* Start of segment k (1-based); segment k covers [S(k), S(k+1)). */
#define S(k) ((uint32_t)(BASE + ((uint32_t)(k) - 1u) * SMSS))

struct next {
    int found;
    uint32_t seq, len;
};

static struct next next_seg(const struct nst_sack_board *s, uint32_t una, uint32_t high_rxt, uint32_t nxt)
{
    struct next n = {0, 0, 0};
    n.found = nst_sack_next_lost(s, una, high_rxt, nxt, SMSS, &n.seq, &n.len);
    return n;
}

/* The scoreboard holds `blocks` SACK blocks covering `sacked` bytes. */
static void check_board(const struct nst_sack_board *s, unsigned blocks, uint32_t sacked)
{
    CHECK_EQ(s->n, blocks);
    CHECK_EQ(s->sacked_bytes, sacked);
}

/* Ten segments of 1000 bytes are sent; 3 and 5 are lost. */
static void test_rfc6675_scenario(void)
{
    struct nst_sack_board s;
    nst_sack_init(&s);
    const uint32_t nxt = S(11);
    CHECK_EQ(S(6), 0x00000188u); /* the wrap is really inside the flight */
    /* segments 1 and 2 are cumulatively acknowledged */
    uint32_t una = S(3);
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, una, SMSS), 8000);
    CHECK(!nst_sack_is_lost(&s, S(3), SMSS));
    CHECK(!next_seg(&s, una, una, nxt).found);

    /* segment 4 arrives: dupACK 1, SACK 4 */
    CHECK_EQ(nst_sack_add(&s, S(4), S(5), una, nxt), 1000);
    CHECK(nst_sack_is_sacked(&s, S(4)));
    CHECK(nst_sack_is_sacked(&s, S(5) - 1));
    CHECK(!nst_sack_is_sacked(&s, S(5)));
    CHECK(!nst_sack_is_lost(&s, S(3), SMSS)); /* 1 block, 1000 bytes above */
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, una, SMSS), 7000);
    CHECK(!next_seg(&s, una, una, nxt).found);

    /* segment 6: dupACK 2, SACK 6 and again 4 */
    CHECK_EQ(nst_sack_add(&s, S(6), S(7), una, nxt), 1000);
    CHECK_EQ(nst_sack_add(&s, S(4), S(5), una, nxt), 0);
    check_board(&s, 2, 2000);
    /* 2 blocks and 2000 bytes: not more than (DupThresh-1)*SMSS yet */
    CHECK(!nst_sack_is_lost(&s, S(3), SMSS));
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, una, SMSS), 6000);
    CHECK(!next_seg(&s, una, una, nxt).found);

    /* segment 7: dupACK 3, SACK 6-7 (merges), 4 */
    CHECK_EQ(nst_sack_add(&s, S(6), S(8), una, nxt), 1000);
    CHECK_EQ(s.n, 2);
    CHECK_EQ(s.b[1].start, S(6));
    CHECK_EQ(s.b[1].end, S(8));
    CHECK(nst_sack_is_lost(&s, S(3), SMSS));  /* 3000 bytes above */
    CHECK(nst_sack_is_lost(&s, S(4) - 1, SMSS));
    CHECK(!nst_sack_is_lost(&s, S(5), SMSS)); /* 1 block, 2000 bytes above */
    CHECK(!nst_sack_is_lost(&s, S(8), SMSS));
    /* pipe: hole 3 lost (0) + hole 5 (1000) + 8..10 (3000) */
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, una, SMSS), 4000);
    struct next n = next_seg(&s, una, una, nxt);
    CHECK(n.found);
    CHECK_EQ(n.seq, S(3));
    CHECK_EQ(n.len, 1000);

    /* segment 3 is retransmitted: HighRxt covers it */
    uint32_t high_rxt = S(4);
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, high_rxt, SMSS), 5000);
    CHECK(!next_seg(&s, una, high_rxt, nxt).found); /* 5 is not yet lost */

    /* segment 8: SACK 6-8, 4 */
    CHECK_EQ(nst_sack_add(&s, S(6), S(9), una, nxt), 1000);
    CHECK(nst_sack_is_lost(&s, S(5), SMSS)); /* 3000 bytes above now */
    /* hole 3 retransmitted (1000) + hole 5 lost (0) + 9..10 (2000) */
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, high_rxt, SMSS), 3000);
    n = next_seg(&s, una, high_rxt, nxt);
    CHECK(n.found);
    CHECK_EQ(n.seq, S(5));
    CHECK_EQ(n.len, 1000);
    /* without the retransmission noted, rule 1 still points at 3 */
    n = next_seg(&s, una, una, nxt);
    CHECK_EQ(n.seq, S(3));

    /* segment 5 is retransmitted */
    high_rxt = S(6);
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, high_rxt, SMSS), 4000);
    CHECK(!next_seg(&s, una, high_rxt, nxt).found);

    /* the retransmitted 3 arrives: cumulative ACK up to 5 */
    una = S(5);
    nst_sack_advance(&s, una);
    check_board(&s, 1, 3000);
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, high_rxt, SMSS), 3000);

    /* segments 9 and 10 arrive: SACK 6-10 */
    CHECK_EQ(nst_sack_add(&s, S(6), S(11), una, nxt), 2000);
    CHECK_EQ(s.sacked_bytes, 5000);
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, high_rxt, SMSS), 1000); /* only the retransmitted 5 */
    CHECK(!next_seg(&s, una, high_rxt, nxt).found);

    /* the retransmitted 5 arrives: everything acknowledged */
    una = S(11);
    nst_sack_advance(&s, una);
    check_board(&s, 0, 0);
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, high_rxt, SMSS), 0);
}

static void test_clipping(void)
{
    struct nst_sack_board s;
    nst_sack_init(&s);
    uint32_t una = 5000, max = 9000;
    CHECK_EQ(nst_sack_add(&s, 4000, 5000, una, max), 0);   /* D-SACK below una */
    CHECK_EQ(nst_sack_add(&s, 9000, 9500, una, max), 0);   /* never sent */
    CHECK_EQ(nst_sack_add(&s, 7000, 6000, una, max), 0);   /* inverted */
    CHECK_EQ(nst_sack_add(&s, 4500, 5500, una, max), 500); /* clipped at una */
    CHECK_EQ(nst_sack_add(&s, 8800, 9900, una, max), 200); /* clipped at snd_max */
    CHECK_EQ(s.n, 2);
    CHECK_EQ(s.b[0].start, 5000);
    CHECK_EQ(s.b[0].end, 5500);
    CHECK_EQ(s.b[1].start, 8800);
    CHECK_EQ(s.b[1].end, 9000);
    /* one block bridging both, overlapping each: only the new bytes count */
    CHECK_EQ(nst_sack_add(&s, 5200, 8900, una, max), 3300);
    check_board(&s, 1, 4000);
    /* advance into the middle of a block trims it */
    nst_sack_advance(&s, 6000);
    CHECK_EQ(s.b[0].start, 6000);
    CHECK_EQ(s.sacked_bytes, 3000);
    nst_sack_clear(&s);
    check_board(&s, 0, 0);
}

static void test_is_lost_thresholds(void)
{
    struct nst_sack_board s;
    nst_sack_init(&s);
    uint32_t una = 100, max = 100000;
    /* three discontiguous one-byte blocks: DupThresh sequences */
    nst_sack_add(&s, 1000, 1001, una, max);
    nst_sack_add(&s, 2000, 2001, una, max);
    CHECK(!nst_sack_is_lost(&s, 500, SMSS));
    nst_sack_add(&s, 3000, 3001, una, max);
    CHECK(nst_sack_is_lost(&s, 500, SMSS));
    CHECK(nst_sack_is_lost(&s, 999, SMSS));
    CHECK(!nst_sack_is_lost(&s, 1000, SMSS)); /* only 2 blocks lie above 1000 */
    /* bytes: exactly 2*SMSS above is not enough, one more byte is */
    nst_sack_clear(&s);
    nst_sack_add(&s, 5000, 7000, una, max);
    CHECK(!nst_sack_is_lost(&s, 4000, SMSS));
    nst_sack_add(&s, 7000, 7001, una, max);
    CHECK_EQ(s.n, 1); /* adjacent: merged */
    CHECK(nst_sack_is_lost(&s, 4000, SMSS));
    /* a seq inside a block counts only the bytes above it */
    CHECK(nst_sack_is_lost(&s, 4999, SMSS));  /* 2001 bytes above 4999 */
    CHECK(!nst_sack_is_lost(&s, 5000, SMSS)); /* 2000 above 5000 */
}

static void test_next_seg_lengths(void)
{
    struct nst_sack_board s;
    nst_sack_init(&s);
    uint32_t una = 0, nxt = 20000;
    nst_sack_add(&s, 4000, 8000, una, nxt);
    /* hole [0, 4000) is lost: one segment of SMSS at a time */
    struct next n = next_seg(&s, una, una, nxt);
    CHECK_EQ(n.seq, 0);
    CHECK_EQ(n.len, SMSS);
    n = next_seg(&s, una, 3500, nxt); /* partly retransmitted: up to the SACKed byte */
    CHECK_EQ(n.seq, 3500);
    CHECK_EQ(n.len, 500);
    n = next_seg(&s, una, 5000, nxt); /* HighRxt inside a block: nothing lost above */
    CHECK(!n.found);
    /* a second hole of 300 bytes between blocks, lost too (2200 bytes above) */
    nst_sack_add(&s, 8300, 10500, una, nxt);
    n = next_seg(&s, una, 4000, nxt);
    CHECK(n.found);
    CHECK_EQ(n.seq, 8000);
    CHECK_EQ(n.len, 300);
    /* pipe: [0,4000) lost, 2000 retransmitted; [8000,8300) lost; [10500,20000) not */
    CHECK_EQ(nst_sack_pipe(&s, una, nxt, 2000, SMSS), 2000 + 9500);
    /* snd_nxt pulled back below the SACKed data (after an RTO): holes stop there */
    CHECK_EQ(nst_sack_pipe(&s, una, 3000, una, SMSS), 0);
    n = next_seg(&s, una, una, 700);
    CHECK_EQ(n.len, 700);
}

static void test_bounded(void)
{
    struct nst_sack_board s;
    nst_sack_init(&s);
    uint32_t una = 0, max = 1000000;
    for (uint32_t i = 0; i < NST_SACK_MAX_BLOCKS; i++)
        CHECK_EQ(nst_sack_add(&s, 1000 + 100 * i, 1050 + 100 * i, una, max), 50);
    CHECK_EQ(s.n, NST_SACK_MAX_BLOCKS);
    CHECK_EQ(s.sacked_bytes, 50 * NST_SACK_MAX_BLOCKS);
    uint32_t top = s.b[NST_SACK_MAX_BLOCKS - 1].start;
    /* a new highest block is the one that goes */
    CHECK_EQ(nst_sack_add(&s, 900000, 900010, una, max), 0);
    CHECK_EQ(s.n, NST_SACK_MAX_BLOCKS);
    CHECK_EQ(s.b[NST_SACK_MAX_BLOCKS - 1].start, top);
    /* a new lower block evicts the highest */
    CHECK_EQ(nst_sack_add(&s, 10, 30, una, max), 20);
    CHECK_EQ(s.n, NST_SACK_MAX_BLOCKS);
    CHECK_EQ(s.b[0].start, 10);
    CHECK_EQ(s.b[NST_SACK_MAX_BLOCKS - 1].start, top - 100);
    CHECK_EQ(s.sacked_bytes, 50 * (NST_SACK_MAX_BLOCKS - 1) + 20);
    /* merging while full needs no slot */
    CHECK_EQ(nst_sack_add(&s, 1050, 1100, una, max), 50);
    CHECK_EQ(s.n, NST_SACK_MAX_BLOCKS - 1);
    for (unsigned i = 1; i < s.n; i++)
        CHECK((int32_t)(s.b[i].start - s.b[i - 1].end) > 0); /* sorted, disjoint, not touching */
}

/* What the go-back-N after a timeout uses (RFC 6675 5.1): where the next
 * unSACKed byte is, how far it runs, and how much SACKed data lies below a
 * point; across a wrap of the sequence space too. */
static void test_skip_and_bytes_below(void)
{
    struct nst_sack_board s;
    nst_sack_init(&s);
    uint32_t base = 0xFFFFF000u, room;
    nst_sack_add(&s, base + 1000, base + 2000, base, base + 8000);
    nst_sack_add(&s, base + 2500, base + 3000, base, base + 8000);
    nst_sack_add(&s, base + 5000, base + 6000, base, base + 8000);
    CHECK_EQ(nst_sack_skip(&s, base, &room), base);
    CHECK_EQ(room, 1000);
    CHECK_EQ(nst_sack_skip(&s, base + 1200, &room), base + 2000);
    CHECK_EQ(room, 500);
    CHECK_EQ(nst_sack_skip(&s, base + 2999, &room), base + 3000);
    CHECK_EQ(room, 2000);
    CHECK_EQ(nst_sack_skip(&s, base + 5000, &room), base + 6000);
    CHECK_EQ(room, UINT32_MAX);
    CHECK_EQ(nst_sack_skip(&s, base + 7000, &room), base + 7000);
    CHECK_EQ(room, UINT32_MAX);
    CHECK_EQ(nst_sack_bytes_below(&s, base), 0);
    CHECK_EQ(nst_sack_bytes_below(&s, base + 1500), 500);
    CHECK_EQ(nst_sack_bytes_below(&s, base + 3000), 1500);
    CHECK_EQ(nst_sack_bytes_below(&s, base + 5500), 2000);
    CHECK_EQ(nst_sack_bytes_below(&s, base + 8000), 2500);
}

int main(void)
{
    RUN(test_rfc6675_scenario);
    RUN(test_clipping);
    RUN(test_is_lost_thresholds);
    RUN(test_next_seg_lengths);
    RUN(test_bounded);
    RUN(test_skip_and_bytes_below);
    return nst_test_done();
}
