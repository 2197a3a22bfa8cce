/* The out-of-order interval set: merges, front removal, limits, and a long
 * random run checked against a bitmap of received bytes. */
#include <errno.h>

#include "core/rng.h"
#include "tcp/tcp_assembler.h"
#include "test.h"

static void check_ranges(const struct nst_assembler *a, const uint32_t *want, unsigned n, int line)
{
    struct nst_asm_range got[NST_ASM_MAX_RANGES];
    unsigned k = nst_asm_ranges(a, got, NST_ASM_MAX_RANGES);
    int ok = k == n;
    for (unsigned i = 0; ok && i < n; i++)
        ok = got[i].start == want[2 * i] && got[i].end == want[2 * i + 1];
    if (!ok) {
        fprintf(stderr, "line %d: ranges differ:", line);
        for (unsigned i = 0; i < k; i++)
            fprintf(stderr, " [%u,%u)", got[i].start, got[i].end);
        fprintf(stderr, "\n");
    }
    CHECK(ok);
}
#define RANGES(a, ...)                                                      \
    do {                                                                    \
        static const uint32_t _w[] = {__VA_ARGS__};                         \
        check_ranges((a), _w, (unsigned)(sizeof(_w) / sizeof(_w[0]) / 2), __LINE__); \
    } while (0)

static void test_merges(void)
{
    struct nst_assembler a;
    nst_asm_init(&a);
    CHECK(nst_asm_empty(&a));
    CHECK_EQ(nst_asm_add(&a, 100, 0), 0);
    CHECK(nst_asm_empty(&a));
    CHECK_EQ(nst_asm_add(&a, 100, 50), 0);
    CHECK_EQ(nst_asm_add(&a, 300, 50), 0);
    CHECK_EQ(nst_asm_add(&a, 10, 20), 0);
    RANGES(&a, 10, 30, 100, 150, 300, 350);
    /* adjacent on the right and on the left */
    CHECK_EQ(nst_asm_add(&a, 150, 10), 0);
    CHECK_EQ(nst_asm_add(&a, 90, 10), 0);
    RANGES(&a, 10, 30, 90, 160, 300, 350);
    /* overlapping one end */
    CHECK_EQ(nst_asm_add(&a, 340, 20), 0);
    CHECK_EQ(nst_asm_add(&a, 5, 10), 0);
    RANGES(&a, 5, 30, 90, 160, 300, 360);
    /* duplicate and contained: nothing changes */
    CHECK_EQ(nst_asm_add(&a, 90, 70), 0);
    CHECK_EQ(nst_asm_add(&a, 100, 5), 0);
    RANGES(&a, 5, 30, 90, 160, 300, 360);
    /* containing: swallows several and bridges them */
    CHECK_EQ(nst_asm_add(&a, 20, 290), 0);
    RANGES(&a, 5, 360);
    CHECK_EQ(nst_asm_bytes(&a), 355);
    /* bridging exactly two neighbours by touching both */
    nst_asm_init(&a);
    CHECK_EQ(nst_asm_add(&a, 0, 10), 0);
    CHECK_EQ(nst_asm_add(&a, 20, 10), 0);
    CHECK_EQ(nst_asm_add(&a, 10, 10), 0);
    RANGES(&a, 0, 30);
    CHECK_EQ(nst_asm_add(&a, UINT32_MAX - 5, 10), -EINVAL);
    RANGES(&a, 0, 30);
}

static void test_take_front(void)
{
    struct nst_assembler a;
    nst_asm_init(&a);
    CHECK_EQ(nst_asm_add(&a, 1000, 500), 0);
    CHECK_EQ(nst_asm_add(&a, 2000, 500), 0);
    CHECK_EQ(nst_asm_take_front(&a, 0), 0); /* nothing at 0 */
    RANGES(&a, 1000, 1500, 2000, 2500);
    /* 400 in-order bytes placed by the caller: ranges shift, no front yet */
    CHECK_EQ(nst_asm_take_front(&a, 400), 0);
    RANGES(&a, 600, 1100, 1600, 2100);
    /* 600 more: the first range becomes contiguous and comes back */
    CHECK_EQ(nst_asm_take_front(&a, 600), 500);
    RANGES(&a, 500, 1000); /* moved down by 600 + 500 */
    /* the other style: add the in-order segment, then take everything */
    CHECK_EQ(nst_asm_add(&a, 0, 600), 0);
    CHECK_EQ(nst_asm_take_front(&a, 0), 1000);
    CHECK(nst_asm_empty(&a));
    /* in-order data overlapping the start of a range trims it */
    CHECK_EQ(nst_asm_add(&a, 100, 100), 0);
    CHECK_EQ(nst_asm_add(&a, 300, 100), 0);
    CHECK_EQ(nst_asm_take_front(&a, 150), 50);
    RANGES(&a, 100, 200);
    /* a segment covering everything drops every range */
    CHECK_EQ(nst_asm_take_front(&a, 500), 0);
    CHECK(nst_asm_empty(&a));
}

static void test_full(void)
{
    struct nst_assembler a;
    nst_asm_init(&a);
    for (uint32_t i = 0; i < NST_ASM_MAX_RANGES; i++)
        CHECK_EQ(nst_asm_add(&a, 100 + 20 * i, 10), 0);
    CHECK_EQ(a.n, NST_ASM_MAX_RANGES);
    CHECK_EQ(nst_asm_add(&a, 5000, 10), -ENOSPC);  /* would need a new slot */
    CHECK_EQ(nst_asm_add(&a, 0, 10), -ENOSPC);
    CHECK_EQ(nst_asm_add(&a, 112, 3), -ENOSPC);   /* inside a hole, touching nothing */
    CHECK_EQ(a.n, NST_ASM_MAX_RANGES);
    CHECK_EQ(nst_asm_add(&a, 110, 10), 0);        /* fills a hole exactly: merges */
    CHECK_EQ(a.n, NST_ASM_MAX_RANGES - 1);
    CHECK_EQ(nst_asm_add(&a, 5000, 10), 0);
    CHECK_EQ(nst_asm_add(&a, 105, 2), 0);          /* duplicate while full is fine */
    CHECK_EQ(nst_asm_bytes(&a), 10 * (NST_ASM_MAX_RANGES + 1) + 10);
    struct nst_asm_range two[2];
    CHECK_EQ(nst_asm_ranges(&a, two, 2), 2);
    CHECK_EQ(two[0].start, 100);
    CHECK_EQ(two[0].end, 130);
    CHECK_EQ(two[1].start, 140);
}

/* Random segments over a 4000-byte window; the model is a bitmap of bytes
 * received relative to RCV.NXT. */
static void test_random_against_bitmap(void)
{
    enum { W = 4000 };
    struct nst_rng rng;
    nst_rng_seed(&rng, 42);
    struct nst_assembler a;
    nst_asm_init(&a);
    static uint8_t have[W];
    memset(have, 0, sizeof(have));
    uint64_t delivered_model = 0, delivered = 0;
    int enospc = 0;
    for (int it = 0; it < 20000; it++) {
        uint32_t off = (uint32_t)nst_rng_below(&rng, W - 200);
        uint32_t len = (uint32_t)nst_rng_below(&rng, 40);
        int in_order = nst_rng_below(&rng, 32) == 0;
        if (in_order)
            off = 0;
        /* would the model need a new range? count ranges after adding */
        static uint8_t trial[W];
        memcpy(trial, have, W);
        memset(trial + off, 1, len);
        unsigned runs = 0;
        for (uint32_t i = 0; i < W; i++)
            if (trial[i] && (i == 0 || !trial[i - 1]))
                runs++;
        int rc = nst_asm_add(&a, off, len);
        if (runs > NST_ASM_MAX_RANGES) {
            /* the only refusal allowed: too many ranges */
            CHECK_EQ(rc, -ENOSPC);
            enospc++;
        } else {
            CHECK_EQ(rc, 0);
            memcpy(have, trial, W);
        }
        uint32_t front = 0;
        while (front < W && have[front])
            front++;
        uint32_t got = nst_asm_take_front(&a, 0);
        CHECK_EQ(got, front);
        delivered += got;
        delivered_model += front;
        memmove(have, have + front, W - front);
        memset(have + W - front, 0, front);
        /* compare every range with the bitmap */
        struct nst_asm_range r[NST_ASM_MAX_RANGES];
        unsigned n = nst_asm_ranges(&a, r, NST_ASM_MAX_RANGES);
        unsigned k = 0;
        int same = 1;
        for (uint32_t i = 0; i < W && same; i++) {
            if (have[i] && (i == 0 || !have[i - 1])) {
                uint32_t e = i;
                while (e < W && have[e])
                    e++;
                same = k < n && r[k].start == i && r[k].end == e;
                k++;
            }
        }
        CHECK(same && k == n);
        if (!same)
            break;
    }
    CHECK_EQ(delivered, delivered_model);
    CHECK(delivered > 50000);  /* the run really moved data */
    CHECK(enospc > 0);         /* and really hit the limit */
    fprintf(stderr, "  delivered %llu bytes, %d refusals\n", (unsigned long long)delivered, enospc);
}

int main(void)
{
    RUN(test_merges);
    RUN(test_take_front);
    RUN(test_full);
    RUN(test_random_against_bitmap);
    return nst_test_done();
}
