/* RFC 6528 ISNs and SYN cookies. The known-answer values were computed with
 * an independent Python SipHash-2-4 (checked against the reference vector)
 * over the byte layout documented in tcp_isn.c. */
#include "core/rng.h"
#include "ip6/ip6.h"
#include "tcp/tcp_isn.h"
#include "test.h"

static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* 10.0.0.1:80 <-> 10.0.0.2:40000, the addresses IPv4-mapped as TCP holds them. */
static struct nst_tcp_tuple tuple(void)
{
    struct nst_tcp_tuple t = {.lport = 80, .rport = 40000};
    nst_ip6_from_ip4(NST_IP4(10, 0, 0, 1), &t.laddr);
    nst_ip6_from_ip4(NST_IP4(10, 0, 0, 2), &t.raddr);
    return t;
}

/* [2001:db8::1]:80 <-> [2001:db8::2]:40000 */
static struct nst_tcp_tuple tuple6(void)
{
    struct nst_tcp_tuple t = {.lport = 80, .rport = 40000};
    CHECK_EQ(nst_ip6_parse("2001:db8::1", &t.laddr, NULL), 0);
    CHECK_EQ(nst_ip6_parse("2001:db8::2", &t.raddr, NULL), 0);
    return t;
}

static void test_isn_known_answer(void)
{
    /* The IPv4 tuple in its short form (13 bytes, the addresses' 4 bytes):
     * the same ISNs as before the stack held addresses in 16 bytes.
     * F = 0x7770e9db, M = 1000000000123 ns / 4 us = 250000000 mod 2^32. */
    struct nst_tcp_tuple t = tuple();
    CHECK_EQ(nst_tcp_isn(key, &t, 1000000000123LL), 0x86579c5bu);
    CHECK_EQ(nst_tcp_isn(key, &t, 0), 0x7770e9dbu);
    /* An IPv6 tuple over its full addresses (37 bytes). */
    struct nst_tcp_tuple t6 = tuple6();
    CHECK_EQ(nst_tcp_isn(key, &t6, 0), 0xd3ac26a1u);
}

/* SipHash-2-4 against the reference vectors (key 00..0f, message 00..n-1,
 * the paper's appendix): every tail length 0..7 and one and two words. */
static void test_siphash_vectors(void)
{
    static const uint64_t want[17] = {
        0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
        0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
        0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
        0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
        0x3f2acc7f57c29bdbULL};
    uint8_t msg[1 + 16];
    for (int i = 0; i < 16; i++)
        msg[1 + i] = (uint8_t)i;
    for (size_t n = 0; n <= 16; n++) {
        CHECK_EQ(nst_siphash24(key, msg + 1, n), want[n]); /* unaligned: the loads may not assume alignment */
    }
}

static void test_isn_clock(void)
{
    struct nst_tcp_tuple t = tuple();
    nst_time_t t0 = NST_SEC(5);
    uint32_t a = nst_tcp_isn(key, &t, t0);
    CHECK_EQ(nst_tcp_isn(key, &t, t0 + 3999), a);       /* same 4 us tick */
    CHECK_EQ(nst_tcp_isn(key, &t, t0 + 4000), a + 1);   /* next tick */
    CHECK_EQ(nst_tcp_isn(key, &t, t0 + NST_MSEC(4)), a + 1000);
    CHECK_EQ(nst_tcp_isn(key, &t, t0 + NST_SEC(1)), a + 250000);
    /* RFC 6528 3: M wraps like the 32-bit sequence space (~4.77 hours) */
    CHECK_EQ(nst_tcp_isn(key, &t, t0 + 4000LL * 4294967296LL), a);
}

static void test_isn_tuple_and_key(void)
{
    struct nst_tcp_tuple t = tuple();
    nst_time_t now = NST_SEC(7);
    uint32_t base = nst_tcp_isn(key, &t, now);
    CHECK_EQ(nst_tcp_isn(key, &t, now), base); /* deterministic */
    struct nst_tcp_tuple v[4];
    for (int i = 0; i < 4; i++)
        v[i] = t;
    v[0].laddr.b[15]++;
    v[1].raddr.b[15]++;
    v[2].lport++;
    v[3].rport++;
    for (int i = 0; i < 4; i++) {
        uint32_t x = nst_tcp_isn(key, &v[i], now);
        CHECK(x != base);
        /* F does not depend on time: the offset between tuples is fixed */
        CHECK_EQ((uint32_t)(nst_tcp_isn(key, &v[i], now + NST_SEC(3)) - nst_tcp_isn(key, &t, now + NST_SEC(3))),
                 (uint32_t)(x - base));
    }
    /* swapping the ends is a different connection */
    struct nst_tcp_tuple sw = {t.raddr, t.laddr, t.rport, t.lport};
    CHECK(nst_tcp_isn(key, &sw, now) != base);
    uint8_t key2[16];
    memcpy(key2, key, 16);
    key2[15] ^= 1;
    CHECK(nst_tcp_isn(key2, &t, now) != base);
}

static void test_cookie_known_answer(void)
{
    struct nst_tcp_tuple t = tuple();
    struct nst_syncookie_opts o = {1460, 7, 1};
    /* slot 15 (odd), option bits 0x6f */
    uint32_t c = nst_syncookie_make(key, &t, 0x12345678, &o, 1000000000123LL);
    CHECK_EQ(c, 0xcccb58efu); /* as before IPv6 */
    struct nst_tcp_tuple t6 = tuple6();
    CHECK_EQ(nst_syncookie_make(key, &t6, 0x12345678, &o, 1000000000123LL), 0x951010efu);
}

static void test_cookie_round_trip_all_options(void)
{
    static const uint16_t mss_in[] = {0, 100, 535, 536, 1000, 1299, 1300, 1400, 1440, 1459, 1460, 9000, 65535};
    static const uint16_t mss_out[] = {536, 536, 536, 536, 536, 536, 1300, 1300, 1440, 1440, 1460, 1460, 1460};
    struct nst_tcp_tuple t = tuple();
    nst_time_t made = NST_SEC(64) * 1000 + NST_SEC(10);
    int checked = 0;
    for (size_t m = 0; m < sizeof(mss_in) / sizeof(mss_in[0]); m++)
        for (unsigned ws = 0; ws <= 16; ws++)
            for (uint8_t sack = 0; sack <= 1; sack++) {
                struct nst_syncookie_opts o = {mss_in[m], (uint8_t)(ws == 16 ? 200 : ws), sack};
                uint32_t isn = 0xfffffff0u + (uint32_t)m;
                uint32_t c = nst_syncookie_make(key, &t, isn, &o, made);
                struct nst_syncookie_opts got;
                /* accepted in its own slot and the next one */
                for (nst_time_t later = 0; later < NST_SEC(120); later += NST_SEC(60)) {
                    memset(&got, 0xee, sizeof(got));
                    CHECK_EQ(nst_syncookie_check(key, &t, isn, c, made + later, &got), 1);
                    CHECK_EQ(got.mss, mss_out[m]);
                    CHECK_EQ(got.wscale, ws == 16 ? 14 : ws); /* RFC 7323 2.3: above 14 means 14 */
                    CHECK_EQ(got.sack_ok, sack);
                    checked++;
                }
                /* sack_ok is a flag: any non-zero value is "yes" */
                o.sack_ok = sack ? 9 : 0;
                CHECK_EQ(nst_syncookie_make(key, &t, isn, &o, made), c);
            }
    CHECK_EQ(checked, 13 * 17 * 2 * 2);
}

static void test_cookie_expiry(void)
{
    struct nst_tcp_tuple t = tuple();
    struct nst_syncookie_opts o = {1440, 2, 0}, got;
    nst_time_t slot = NST_SEC(64);
    /* made at the very end of slot 20 */
    nst_time_t made = 21 * slot - 1;
    uint32_t c = nst_syncookie_make(key, &t, 77, &o, made);
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, made, &got), 1);
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 22 * slot - 1, &got), 1); /* end of slot 21 */
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 22 * slot, &got), 0);     /* slot 22: too old */
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 23 * slot, &got), 0);     /* same parity, still too old */
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 20 * slot, &got), 1);     /* start of its own slot */
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 19 * slot, &got), 0);     /* from the future */
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 18 * slot, &got), 0);
    /* made at the start of slot 20: lives exactly two slots (128 s) */
    made = 20 * slot;
    c = nst_syncookie_make(key, &t, 77, &o, made);
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, made + 2 * slot - 1, &got), 1);
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, made + 2 * slot, &got), 0);
    /* at time 0 there is no previous slot */
    c = nst_syncookie_make(key, &t, 77, &o, 0);
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c, 0, &got), 1);
    CHECK_EQ(nst_syncookie_check(key, &t, 77, c ^ 0x80000000u, 0, &got), 0);
}

static void test_cookie_rejects_tampering(void)
{
    struct nst_rng rng;
    nst_rng_seed(&rng, 7);
    struct nst_syncookie_opts got;
    int flips = 0;
    for (int i = 0; i < 300; i++) {
        struct nst_tcp_tuple t;
        for (int k = 0; k < 16; k++) {
            t.laddr.b[k] = (uint8_t)nst_rng_next(&rng);
            t.raddr.b[k] = (uint8_t)nst_rng_next(&rng);
        }
        t.lport = (uint16_t)nst_rng_next(&rng);
        t.rport = (uint16_t)nst_rng_next(&rng);
        struct nst_syncookie_opts o = {(uint16_t)nst_rng_below(&rng, 2000), (uint8_t)nst_rng_below(&rng, 16),
                                       (uint8_t)nst_rng_below(&rng, 2)};
        uint32_t isn = (uint32_t)nst_rng_next(&rng);
        nst_time_t now = (nst_time_t)nst_rng_below(&rng, (uint64_t)NST_SEC(100000));
        uint32_t c = nst_syncookie_make(key, &t, isn, &o, now);
        CHECK_EQ(nst_syncookie_check(key, &t, isn, c, now, &got), 1);
        for (int b = 0; b < 32; b++, flips++)
            CHECK_EQ(nst_syncookie_check(key, &t, isn, c ^ (1u << b), now, &got), 0);
        CHECK_EQ(nst_syncookie_check(key, &t, isn + 1, c, now, &got), 0);
        CHECK_EQ(nst_syncookie_check(key, &t, isn ^ 0x80000000u, c, now, &got), 0);
        struct nst_tcp_tuple w = t;
        w.laddr.b[15] ^= 1;
        CHECK_EQ(nst_syncookie_check(key, &w, isn, c, now, &got), 0);
        w = t;
        w.raddr.b[0] ^= 0x80;
        CHECK_EQ(nst_syncookie_check(key, &w, isn, c, now, &got), 0);
        w = t;
        w.lport++;
        CHECK_EQ(nst_syncookie_check(key, &w, isn, c, now, &got), 0);
        w = t;
        w.rport ^= 0x8000;
        CHECK_EQ(nst_syncookie_check(key, &w, isn, c, now, &got), 0);
        uint8_t key2[16];
        memcpy(key2, key, 16);
        key2[i % 16] ^= (uint8_t)(1u << (i % 8));
        CHECK_EQ(nst_syncookie_check(key2, &t, isn, c, now, &got), 0);
        CHECK_EQ(nst_syncookie_check(key, &t, isn, c, now + NST_SEC(128), &got), 0);
    }
    CHECK_EQ(flips, 300 * 32);
    /* blind guesses for one tuple: a 24-bit MAC accepts about 1 in 2^24
     * (the parity bit names the one slot tried), so none of these */
    struct nst_tcp_tuple t = tuple();
    int accepted = 0;
    for (int i = 0; i < 200000; i++)
        accepted += nst_syncookie_check(key, &t, 1234, (uint32_t)nst_rng_next(&rng), NST_SEC(1000), &got);
    CHECK_EQ(accepted, 0);
}

int main(void)
{
    RUN(test_siphash_vectors);
    RUN(test_isn_known_answer);
    RUN(test_isn_clock);
    RUN(test_isn_tuple_and_key);
    RUN(test_cookie_known_answer);
    RUN(test_cookie_round_trip_all_options);
    RUN(test_cookie_expiry);
    RUN(test_cookie_rejects_tampering);
    return nst_test_done();
}
