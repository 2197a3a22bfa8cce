/* The pieces of the fused copy + checksum paths: the vector checksum
 * against the textbook 16-bit sum (lengths around its 32-byte steps, every
 * alignment, and past its 1 MiB chunks with all-ones data, the worst case
 * for its 32-bit lanes), block sums combined at odd and even offsets, a
 * TCP header summed while written, and the ring's direct storage access. */
#include <errno.h>
#include <stdlib.h>

#include "core/rng.h"
#include "core/ring.h"
#include "support/csum_ref.h"
#include "test.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

static void test_vector_lengths_and_alignments(void)
{
    struct nst_rng rng;
    nst_rng_seed(&rng, 32);
    static uint8_t src[4200], dst[4300];
    nst_rng_fill(&rng, src, sizeof src);
    int bad = 0, runs = 0;
    /* Around every step size of the vector loop (32, 64) and a frame. */
    for (size_t len = 0; len <= 4096; len += (len < 200 ? 1 : 61)) {
        for (size_t a = 0; a < 8; a += 3) {
            const uint8_t *p = src + a + (len & 1);
            uint32_t want = csum_ref(0, p, len);
            memset(dst, 0x5c, sizeof dst);
            uint32_t copied = nst_csum_copy(0, dst + 1 + a, p, len);
            bad += !csum_same(nst_csum_add(0, p, len), want);
            bad += !csum_same(copied, want);
            bad += memcmp(dst + 1 + a, p, len) != 0;
            bad += dst[a] != 0x5c || dst[1 + a + len] != 0x5c; /* nothing written outside */
            runs++;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(runs > 3 * 250);
}

static void test_all_ones_past_the_chunks(void)
{
    /* 0xffff in every word, 3 MiB + 34 bytes: a 32-bit lane adding 0xffff
     * each step overflows after 65537 steps (2 MiB) if never folded. */
    size_t n = (3u << 20) + 34;
    uint8_t *ff = malloc(n), *d = malloc(n);
    CHECK(ff && d);
    if (!ff || !d)
        return;
    memset(ff, 0xff, n);
    CHECK_EQ(nst_csum_add(0, ff, n), 0xffff);
    CHECK_EQ(nst_csum_copy(0, d, ff, n), 0xffff);
    CHECK(memcmp(d, ff, n) == 0);
    /* 0xff01 words: the sum is 0xff01 * count, folded by hand. */
    for (size_t i = 0; i < n; i += 2) {
        ff[i] = 0xff;
        ff[i + 1] = 0x01;
    }
    uint64_t t = (uint64_t)(n / 2) * 0xff01;
    while (t >> 16)
        t = (t & 0xffff) + (t >> 16);
    CHECK_EQ(nst_csum_add(0, ff, n), t);
    CHECK_EQ(nst_csum_copy(0, d, ff, n), t);
    free(ff);
    free(d);
}

static void test_block_add_offsets(void)
{
    uint8_t b[1501];
    uint32_t whole = csum_random_block(1624, b, sizeof b);
    int bad = 0;
    /* Two pieces summed apart, the cut at every offset, odd ones included
     * (a ring that wraps in the middle of a 16-bit word). */
    for (size_t cut = 0; cut <= sizeof b; cut++) {
        uint32_t s = nst_csum_block_add(nst_csum_add(0, b, cut), nst_csum_add(0, b + cut, sizeof b - cut), cut);
        bad += !csum_same(s, whole);
    }
    /* Three pieces, each from nst_csum_copy. */
    uint8_t d[1501];
    for (size_t c1 = 1; c1 < 40; c1 += 3) {
        size_t c2 = c1 + 700 + c1 % 2;
        uint32_t s = nst_csum_copy(0, d, b, c1);
        s = nst_csum_block_add(s, nst_csum_copy(0, d + c1, b + c1, c2 - c1), c1);
        s = nst_csum_block_add(s, nst_csum_copy(0, d + c2, b + c2, sizeof b - c2), c2);
        bad += !csum_same(s, whole) || memcmp(d, b, sizeof b) != 0;
    }
    CHECK_EQ(bad, 0);
    /* Unfolded inputs are folded first. */
    CHECK_EQ(nst_csum_block_add(0x1ffff, 0x10000, 0), 0x0002);
    CHECK_EQ(nst_csum_block_add(0, 0x1234, 1), 0x3412);
}

static void test_tcp_header_summed_while_written(void)
{
    struct nst_tcp_repr r;
    memset(&r, 0, sizeof(r));
    r.src_port = 8080;
    r.dst_port = 40000;
    r.seq = 0x89abcdefu;
    r.ack = 0xfedcba98u;
    r.flags = NST_TCP_ACK | NST_TCP_PSH;
    r.window = 0xfff0;
    int bad = 0;
    /* Every combination of options our layout writes, SACK blocks too. */
    for (unsigned m = 0; m < 32; m++) {
        memset(&r.opts, 0, sizeof(r.opts));
        r.opts.has_mss = m & 1;
        r.opts.mss = 1460;
        r.opts.has_ts = (m >> 1) & 1;
        r.opts.ts_val = 0xffff0001u;
        r.opts.ts_ecr = 0x0001ffffu;
        r.opts.sack_ok = (m >> 2) & 1;
        r.opts.has_wscale = (m >> 3) & 1;
        r.opts.wscale = 14;
        r.opts.sack_count = (m >> 4) & 1 ? 4 : 0;
        for (int i = 0; i < 4; i++) {
            r.opts.sack[i].start = 0xfffe0000u + (uint32_t)i * 3000;
            r.opts.sack[i].end = r.opts.sack[i].start + 1448;
        }
        uint8_t h[60], h2[60];
        memset(h, 0xee, sizeof h);
        memset(h2, 0xee, sizeof h2);
        uint32_t sum;
        int hl = nst_tcp_emit_sum(&r, h, &sum);
        bad += hl != nst_tcp_emit(&r, h2) || memcmp(h, h2, sizeof h) != 0;
        bad += !csum_same(sum, csum_ref(0, h, (size_t)hl)) || sum > 0xffff;
        /* With a payload: the same checksum as summing the bytes. */
        uint8_t seg[60 + 33];
        memcpy(seg, h, (size_t)hl);
        for (int i = 0; i < 33; i++)
            seg[hl + i] = (uint8_t)(i * 29 + 1);
        size_t len = (size_t)hl + 33;
        uint8_t ref[sizeof seg];
        memcpy(ref, seg, len);
        nst_tcp_set_checksum(ref, len, NST_IP4(10, 0, 0, 1), NST_IP4(10, 0, 0, 2));
        nst_tcp_put_checksum(seg, len, nst_csum_block_add(sum, nst_csum_add(0, seg + hl, 33), (size_t)hl),
                             NST_IP4(10, 0, 0, 1), NST_IP4(10, 0, 0, 2));
        bad += memcmp(seg, ref, len) != 0;
        /* And the receiver's check, started from the header. */
        uint32_t start = nst_tcp_csum_start(seg, (size_t)hl, len, NST_IP4(10, 0, 0, 1), NST_IP4(10, 0, 0, 2));
        bad += nst_csum_finish(nst_csum_block_add(start, nst_csum_add(0, seg + hl, 33), (size_t)hl)) != 0;
    }
    CHECK_EQ(bad, 0);
}

static void test_ring_spans_and_placement(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 8);
    struct nst_ring_span sp[2];
    CHECK_EQ(nst_ring_spans(&r, 0, 4, sp), 0); /* no storage yet */
    CHECK_EQ(nst_ring_reserve(&r, 4), 0);
    CHECK(r.buf != NULL);
    nst_ring_release_if_idle(&r); /* reserved and not kept */
    CHECK(r.buf == NULL);
    CHECK_EQ(nst_ring_write(&r, "abcdef", 6), 6);
    char out[8];
    CHECK_EQ(nst_ring_read(&r, out, 5), 5); /* head at 5, "f" readable */
    /* Place 5 bytes right after the readable one: indexes 6, 7, then 0..2. */
    CHECK_EQ(nst_ring_spans(&r, nst_ring_len(&r), 5, sp), 2);
    CHECK(sp[0].p == r.buf + 6 && sp[0].n == 2 && sp[1].p == r.buf && sp[1].n == 3);
    memcpy(sp[0].p, "gh", 2);
    memcpy(sp[1].p, "ijk", 3);
    CHECK_EQ(nst_ring_len(&r), 1); /* not readable until appended */
    nst_ring_append_placed(&r, 5);
    CHECK_EQ(nst_ring_len(&r), 6);
    CHECK_EQ(nst_ring_read(&r, out, 8), 6);
    CHECK_MEM(out, "fghijk", 6);
    CHECK(r.buf == NULL);
    /* Appending placed bytes replaces pending ones at the same offsets, and
     * never goes past the capacity. */
    CHECK_EQ(nst_ring_write_at(&r, 2, "zz", 2), 0);
    CHECK_EQ(r.pending_end, 4);
    CHECK_EQ(nst_ring_spans(&r, 0, 3, sp), 1);
    memcpy(sp[0].p, "xyz", 3);
    nst_ring_append_placed(&r, 3);
    CHECK_EQ(r.pending_end, 1);
    nst_ring_append_placed(&r, 100);
    CHECK_EQ(nst_ring_len(&r), 8);
    nst_ring_free(&r);
}

int main(void)
{
    RUN(test_vector_lengths_and_alignments);
    RUN(test_all_ones_past_the_chunks);
    RUN(test_block_add_offsets);
    RUN(test_tcp_header_summed_while_written);
    RUN(test_ring_spans_and_placement);
    return nst_test_done();
}
