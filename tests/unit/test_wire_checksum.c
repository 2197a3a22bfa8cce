/* The Internet checksum against a textbook 16-bit reference (RFC 1071 4.1)
 * over random buffers of many lengths, alignments and starting sums, the
 * RFC 1071 3 worked example, real frames, and the helpers. */
#include "core/rng.h"
#include "support/csum_ref.h"
#include "test.h"
#include "wire/checksum.h"
#include "wire_frames.h"

static void test_rfc1071_example(void)
{
    /* RFC 1071 3, "Numerical Examples": these 8 bytes sum to ddf2. */
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_EQ(nst_csum_add(0, b, 8), 0xddf2);
    CHECK_EQ(nst_inet_checksum(b, 8), 0x220d);
    /* Byte-swapped input gives the byte-swapped sum (RFC 1071 2(B)). */
    const uint8_t s[8] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
    CHECK_EQ(nst_csum_add(0, s, 8), 0xf2dd);
}

static void test_random_against_reference(void)
{
    struct nst_rng rng;
    nst_rng_seed(&rng, 1071);
    static uint8_t buf[(1 << 20) + 64];
    nst_rng_fill(&rng, buf, sizeof buf);
    int mismatches = 0, runs = 0;
    for (size_t len = 0; len <= 600; len++) {
        for (size_t align = 0; align < 8; align++) {
            uint32_t start = (uint32_t)nst_rng_next(&rng);
            if (len % 3 == 0)
                start = 0;
            const uint8_t *p = buf + align + (nst_rng_next(&rng) % 32) * 8;
            uint32_t got = nst_csum_add(start, p, len);
            runs++;
            if (!csum_same(got, csum_ref(start, p, len)) || got > 0xffff)
                mismatches++;
        }
    }
    const size_t big[] = {1499, 1500, 1514, 4095, 9000, 65535, 65536, 65537, 131075, 1 << 20};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        for (size_t align = 0; align < 8; align += 3) {
            runs++;
            if (!csum_same(nst_csum_add(0, buf + align, big[i]), csum_ref(0, buf + align, big[i])))
                mismatches++;
        }
    }
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(runs, 601 * 8 + 10 * 3);
}

static void test_large_all_ones(void)
{
    /* All-ones words are the worst case for carries: a 32-bit accumulator
     * summing 16-bit words overflows after 128 KiB; 1 MiB + 1 must not. */
    static uint8_t ff[(1 << 20) + 1];
    memset(ff, 0xff, sizeof ff);
    CHECK_EQ(nst_csum_add(0, ff, sizeof ff - 1), 0xffff);
    CHECK_EQ(nst_csum_add(0, ff, sizeof ff), csum_ref(0, ff, sizeof ff));
    CHECK_EQ(nst_inet_checksum(ff, sizeof ff - 1), 0);
    /* 0xff01 repeated 40000 times: 40000 * 0xff01 folded by hand. */
    static uint8_t w[80000];
    for (size_t i = 0; i < sizeof w; i += 2) {
        w[i] = 0xff;
        w[i + 1] = 0x01;
    }
    uint64_t total = 40000ull * 0xff01;
    while (total >> 16)
        total = (total & 0xffff) + (total >> 16);
    CHECK_EQ(nst_csum_add(0, w, sizeof w), total);
}

static void test_chaining(void)
{
    uint8_t b[777];
    uint32_t whole = csum_random_block(7, b, sizeof b);
    int bad = 0;
    for (size_t cut = 0; cut <= sizeof b; cut += 2) {
        uint32_t s = nst_csum_add(nst_csum_add(0, b, cut), b + cut, sizeof b - cut);
        if (!csum_same(s, whole))
            bad++;
    }
    CHECK_EQ(bad, 0);
    /* add16 is the same as adding the two bytes. */
    const uint8_t two[2] = {0xbe, 0xef};
    CHECK_EQ(nst_csum_add16(0x1234, 0xbeef), nst_csum_add(0x1234, two, 2));
    CHECK_EQ(nst_csum_add16(0xffff, 0x0001), 0x0001);
    /* A starting sum that is not folded yet is folded first. */
    CHECK_EQ(nst_csum_add(0xfffffffful, NULL, 0), 0xffff);
    CHECK_EQ(nst_csum_add(0x00012345ul, two, 2), csum_ref(0x00012345ul, two, 2));
    /* Starting sums near 2^32 must not wrap when the data sum is added. */
    const uint8_t ones[2] = {0xff, 0xff};
    CHECK_EQ(nst_csum_add(0xfffffffful, ones, 2), 0xffff);
    CHECK_EQ(nst_csum_add(0xffff0000ul, b, 31), csum_ref(0xffff0000ul, b, 31));
    CHECK_EQ(nst_csum_add16(0xfffffffful, 0xffff), 0xffff);
}

static void test_finish(void)
{
    CHECK_EQ(nst_csum_finish(0), 0xffff);
    CHECK_EQ(nst_csum_finish(0xffff), 0);
    CHECK_EQ(nst_csum_finish(0x1fffe), 0);      /* folds to 0xffff */
    CHECK_EQ(nst_csum_finish(0xddf2), 0x220d);
    CHECK_EQ(nst_inet_checksum(NULL, 0), 0xffff);
}

static void test_pseudo_header(void)
{
    /* The pseudo-header of the captured UDP datagram, laid out as bytes. */
    const uint8_t ph[12] = {192, 0, 2, 1, 192, 0, 2, 2, 0, 17, 0, 21};
    uint32_t p = nst_csum_pseudo(NST_IP4(192, 0, 2, 1), NST_IP4(192, 0, 2, 2), 17, 21);
    CHECK_EQ(p, nst_csum_add(0, ph, 12));
    CHECK(p <= 0xffff);
    /* Addresses whose halves carry. */
    const uint8_t ph2[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 6, 0xff, 0xff};
    CHECK(csum_same(nst_csum_pseudo(0xffffffffu, 0xfffffffeu, 6, 0xffff), csum_ref(0, ph2, 12)));
}

static void test_real_frames(void)
{
    /* IPv4 headers the kernel sent verify to zero, with and without options. */
    CHECK_EQ(nst_inet_checksum(icmp_echo_req + 14, 20), 0);
    CHECK_EQ(nst_inet_checksum(icmp_echo_rr + 14, 60), 0);
    CHECK_EQ(nst_inet_checksum(ip_frag_first + 14, 20), 0);
    /* The whole ICMP echo message (64 bytes) and the 1480-byte first
     * fragment's ICMP part cannot be checked alone; the echo can. */
    CHECK_EQ(nst_inet_checksum(icmp_echo_req + 34, 64), 0);
    CHECK_EQ(nst_inet_checksum(icmp_echo_rep + 34, 64), 0);
    /* Zeroing the field and recomputing gives the captured value 0xabcf. */
    uint8_t m[64];
    memcpy(m, icmp_echo_req + 34, 64);
    m[2] = m[3] = 0;
    CHECK_EQ(nst_inet_checksum(m, 64), 0xabcf);
    /* TCP with 17 data bytes: odd total (32 + 17), over the pseudo-header. */
    uint32_t s = nst_csum_pseudo(NST_IP4(192, 0, 2, 1), NST_IP4(192, 0, 2, 2), 6, 49);
    CHECK_EQ(nst_csum_finish(nst_csum_add(s, tcp_data_odd + 34, 49)), 0);
    /* The same, started at an odd address. */
    uint8_t odd[1 + 49];
    memcpy(odd + 1, tcp_data_odd + 34, 49);
    CHECK_EQ(nst_csum_finish(nst_csum_add(s, odd + 1, 49)), 0);
}

static void test_copy(void)
{
    struct nst_rng rng;
    nst_rng_seed(&rng, 99);
    static uint8_t src[5000], dst[5016];
    nst_rng_fill(&rng, src, sizeof src);
    int bad = 0;
    for (size_t len = 0; len < 300; len++) {
        for (size_t a = 0; a < 4; a++) {
            memset(dst, 0xa5, sizeof dst);
            uint32_t start = (uint32_t)(nst_rng_next(&rng) & 0xffff);
            uint32_t got = nst_csum_copy(start, dst + a, src + (len & 7), len);
            if (!csum_same(got, nst_csum_add(start, src + (len & 7), len)))
                bad++;
            if (memcmp(dst + a, src + (len & 7), len) != 0)
                bad++;
            if (dst[a + len] != 0xa5 || (a > 0 && dst[a - 1] != 0xa5))
                bad++; /* wrote outside [dst, dst + len) */
        }
    }
    uint32_t got = nst_csum_copy(0, dst, src, sizeof src);
    CHECK(csum_same(got, csum_ref(0, src, sizeof src)));
    CHECK_EQ(bad, 0);
}

/* The inline header sum is the general sum, for every header length and
 * for the words that stress the folding (all ones, all zeros, mixed). */
static void test_header_sum(void)
{
    uint8_t h[60];
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof(h); i++) {
            x = x * 1103515245u + 12345u;
            h[i] = round % 3 == 0 ? 0xff : round % 3 == 1 ? (uint8_t)(x >> 16) : (uint8_t)((x >> 16) & 0x80);
        }
        for (size_t len = 4; len <= 60; len += 4)
            CHECK_EQ(nst_csum_header(h, len), nst_csum_add(0, h, len));
    }
    memset(h, 0, sizeof(h));
    CHECK_EQ(nst_csum_header(h, 20), 0);
}

static void test_incremental_update(void)
{
    /* A router decrements TTL 64 -> 63 on the captured echo request: the
     * 16-bit word at offset 8 is TTL << 8 | protocol (RFC 1624 4). */
    uint8_t h[20];
    memcpy(h, icmp_echo_req + 14, 20);
    uint16_t old_word = nst_get16(h + 8), field = nst_get16(h + 10);
    h[8]--;
    uint16_t updated = nst_csum_update16(field, old_word, nst_get16(h + 8));
    CHECK_EQ(updated, 0x09d4); /* 0x08d4 + 0x0100 */
    nst_put16(h + 10, 0);
    CHECK_EQ(updated, nst_inet_checksum(h, 20));

    struct nst_rng rng;
    nst_rng_seed(&rng, 1624);
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t b[20];
        nst_rng_fill(&rng, b, sizeof b);
        nst_put16(b + 10, 0);
        nst_put16(b + 10, nst_inet_checksum(b, 20));
        size_t w = 2 * (nst_rng_next(&rng) % 10);
        if (w == 10)
            continue;
        uint16_t ov = nst_get16(b + w), nv = (uint16_t)nst_rng_next(&rng);
        nst_put16(b + w, nv);
        nst_put16(b + 10, nst_csum_update16(nst_get16(b + 10), ov, nv));
        if (nst_inet_checksum(b, 20) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    RUN(test_rfc1071_example);
    RUN(test_random_against_reference);
    RUN(test_large_all_ones);
    RUN(test_chaining);
    RUN(test_finish);
    RUN(test_pseudo_header);
    RUN(test_real_frames);
    RUN(test_copy);
    RUN(test_incremental_update);
    RUN(test_header_sum);
    return nst_test_done();
}
