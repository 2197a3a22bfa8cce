/* The byte ring: wrap-around, out-of-order placement, lazy storage, limits. */
#include <errno.h>

#include "core/buf_pool.h"
#include "core/ring.h"
#include "test.h"

static void test_lazy_alloc_and_free(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 8);
    CHECK(r.buf == NULL);
    CHECK_EQ(nst_ring_space(&r), 8);
    CHECK_EQ(nst_ring_write(&r, "", 0), 0);
    CHECK(r.buf == NULL); /* an empty write allocates nothing */
    CHECK_EQ(nst_ring_write(&r, "abc", 3), 3);
    CHECK(r.buf != NULL);
    char out[8] = {0};
    CHECK_EQ(nst_ring_read(&r, out, 2), 2);
    CHECK_MEM(out, "ab", 2);
    CHECK(r.buf != NULL); /* one byte left */
    CHECK_EQ(nst_ring_read(&r, out, 8), 1);
    CHECK_EQ(out[0], 'c');
    CHECK(r.buf == NULL); /* drained: storage released */
    CHECK_EQ(r.head, 0);
    CHECK_EQ(nst_ring_read(&r, out, 8), 0);
    nst_ring_free(&r);
}

static void test_cap_limit(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 5);
    CHECK_EQ(nst_ring_write(&r, "0123456789", 10), 5);
    CHECK_EQ(nst_ring_len(&r), 5);
    CHECK_EQ(nst_ring_space(&r), 0);
    CHECK_EQ(nst_ring_write(&r, "x", 1), 0);
    char out[5];
    nst_ring_peek(&r, 0, out, 5);
    CHECK_MEM(out, "01234", 5);
    nst_ring_free(&r);

    struct nst_ring z;
    nst_ring_init(&z, 0);
    CHECK_EQ(nst_ring_write(&z, "a", 1), 0);
    CHECK(z.buf == NULL);
    nst_ring_free(&z);
}

static void test_wrap_around(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 8);
    CHECK_EQ(nst_ring_write(&r, "abcdef", 6), 6);
    nst_ring_consume(&r, 5); /* head = 5, "f" left */
    CHECK_EQ(r.head, 5);
    CHECK_EQ(nst_ring_write(&r, "ghijklm", 7), 7); /* wraps: indexes 6,7,0..4 */
    CHECK_EQ(nst_ring_len(&r), 8);
    CHECK_MEM(r.buf, "ijklmfgh", 8); /* the physical layout */
    char out[8];
    nst_ring_peek(&r, 1, out, 4); /* crosses the end of storage */
    CHECK_MEM(out, "ghij", 4);
    CHECK_EQ(nst_ring_read(&r, out, 8), 8);
    CHECK_MEM(out, "fghijklm", 8);
    CHECK(r.buf == NULL);
    nst_ring_free(&r);
}

static void test_write_at_commit(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 10);
    CHECK_EQ(nst_ring_write(&r, "AB", 2), 2);
    /* out-of-order: bytes 3..4 past the end, then 0..2 fills the hole */
    CHECK_EQ(nst_ring_write_at(&r, 3, "de", 2), 0);
    CHECK_EQ(r.pending_end, 5);
    CHECK_EQ(nst_ring_len(&r), 2); /* not readable yet */
    CHECK_EQ(nst_ring_write_at(&r, 0, "abc", 3), 0);
    CHECK_EQ(r.pending_end, 5);
    nst_ring_commit(&r, 5);
    CHECK_EQ(nst_ring_len(&r), 7);
    CHECK_EQ(r.pending_end, 0);
    char out[10];
    CHECK_EQ(nst_ring_read(&r, out, 10), 7);
    CHECK_MEM(out, "ABabcde", 7);
    CHECK(r.buf == NULL);
    /* beyond the space: refused */
    CHECK_EQ(nst_ring_write_at(&r, 8, "xyz", 3), -EINVAL);
    CHECK_EQ(nst_ring_write_at(&r, (size_t)-1, "x", 1), -EINVAL);
    CHECK(r.buf == NULL);
    CHECK_EQ(nst_ring_write_at(&r, 7, "xyz", 3), 0); /* exactly fits */
    CHECK_EQ(r.pending_end, 10);
    nst_ring_free(&r);
    CHECK(r.buf == NULL);
    CHECK_EQ(r.pending_end, 0);
}

/* The receive path drains the readable part while out-of-order bytes wait
 * beyond it: those bytes must survive. */
static void test_pending_survives_drain(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 8);
    CHECK_EQ(nst_ring_write(&r, "abcdef", 6), 6);
    char out[8];
    CHECK_EQ(nst_ring_read(&r, out, 3), 3); /* head 3, "def" readable */
    CHECK_EQ(nst_ring_write_at(&r, 2, "XY", 2), 0); /* offsets 5,6 from head: indexes 0, 1 (wraps) */
    CHECK_EQ(r.pending_end, 4);
    CHECK_MEM(r.buf, "XY", 2);
    CHECK_EQ(nst_ring_read(&r, out, 8), 3);
    CHECK_MEM(out, "def", 3);
    CHECK(r.buf != NULL); /* pending bytes keep the storage */
    CHECK_EQ(r.head, 6);
    CHECK_EQ(nst_ring_space(&r), 8);
    /* in-order write takes the place of pending offset 0 */
    CHECK_EQ(nst_ring_write(&r, "g", 1), 1);
    CHECK_EQ(r.pending_end, 3);
    CHECK_EQ(nst_ring_write_at(&r, 0, "h", 1), 0); /* fills the hole */
    CHECK_EQ(r.pending_end, 3);
    nst_ring_commit(&r, 3);
    CHECK_EQ(r.pending_end, 0);
    CHECK_EQ(nst_ring_read(&r, out, 8), 4);
    CHECK_MEM(out, "ghXY", 4);
    CHECK(r.buf == NULL);

    /* drop_pending releases storage kept only for pending bytes */
    CHECK_EQ(nst_ring_write_at(&r, 4, "q", 1), 0);
    CHECK(r.buf != NULL);
    nst_ring_drop_pending(&r);
    CHECK(r.buf == NULL);
    CHECK_EQ(r.pending_end, 0);

    /* commit cannot make never-written bytes readable */
    nst_ring_commit(&r, 3);
    CHECK_EQ(nst_ring_len(&r), 0);
    /* a write longer than the pending run zeroes pending_end */
    CHECK_EQ(nst_ring_write_at(&r, 0, "12", 2), 0);
    CHECK_EQ(nst_ring_write(&r, "abcd", 4), 4);
    CHECK_EQ(r.pending_end, 0);
    CHECK_EQ(nst_ring_read(&r, out, 8), 4);
    CHECK_MEM(out, "abcd", 4);
    CHECK(r.buf == NULL);
    nst_ring_free(&r);
}

static void test_set_cap(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 4);
    CHECK_EQ(nst_ring_set_cap(&r, 2), 0); /* empty, no storage: anything goes */
    CHECK_EQ(r.cap, 2);
    CHECK_EQ(nst_ring_set_cap(&r, 4), 0);
    CHECK_EQ(nst_ring_write(&r, "abcd", 4), 4);
    nst_ring_consume(&r, 3);
    CHECK_EQ(nst_ring_write(&r, "ef", 2), 2); /* "d","e","f" wrapped: head 3 */
    CHECK_EQ(nst_ring_write_at(&r, 0, "g", 1), 0);
    CHECK_EQ(nst_ring_set_cap(&r, 3), -EINVAL); /* 3 readable + 1 pending */
    uint8_t *was = r.buf;
    CHECK_EQ(nst_ring_set_cap(&r, 6), 0);
    CHECK(r.buf == was); /* a larger capacity moves nothing: storage grows when needed */
    CHECK_EQ(r.size, 4);
    CHECK_EQ(r.head, 3);
    CHECK_EQ(nst_ring_space(&r), 3);
    nst_ring_commit(&r, 1);
    CHECK_EQ(nst_ring_write(&r, "hi", 2), 2); /* grows to the capacity, 6 */
    CHECK_EQ(r.size, 6);
    CHECK_EQ(r.head, 0);
    CHECK_MEM(r.buf, "defghi", 6); /* re-laid out linearly, the committed byte kept */
    CHECK_EQ(nst_ring_set_cap(&r, 6), 0);
    CHECK_EQ(nst_ring_set_cap(&r, 5), -EINVAL);
    char out[6];
    CHECK_EQ(nst_ring_read(&r, out, 6), 6);
    CHECK_MEM(out, "defghi", 6);
    CHECK(r.buf == NULL);
    nst_ring_free(&r);
}

/* Long random run against a flat model of the stream. */
static void test_random_against_model(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 97);
    uint8_t model[200], tmp[200];
    size_t mlen = 0;
    uint32_t x = 12345, next = 0;
    for (int it = 0; it < 20000; it++) {
        x = x * 1103515245u + 12345u;
        size_t n = (x >> 16) % 60;
        if ((x >> 8) & 1) {
            uint8_t src[60];
            for (size_t i = 0; i < n; i++)
                src[i] = (uint8_t)(next + i);
            long w = nst_ring_write(&r, src, n);
            size_t expect = n < 97 - mlen ? n : 97 - mlen;
            CHECK_EQ(w, expect);
            memcpy(model + mlen, src, expect);
            mlen += expect;
            next += (uint32_t)expect;
        } else {
            size_t got = nst_ring_read(&r, tmp, n);
            size_t expect = n < mlen ? n : mlen;
            CHECK_EQ(got, expect);
            CHECK_MEM(tmp, model, got);
            memmove(model, model + got, mlen - got);
            mlen -= got;
        }
        CHECK_EQ(nst_ring_len(&r), mlen);
        CHECK((mlen == 0) == (r.buf == NULL));
    }
    nst_ring_free(&r);
}

/* Storage starts small and doubles as more is held at once, keeping every
 * byte (readable, wrapped, and out of order at its offset) in place. */
static void test_grows_in_steps(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 256 * 1024);
    CHECK_EQ(nst_ring_write(&r, "a", 1), 1);
    CHECK_EQ(r.size, NST_RING_MIN_STORAGE); /* one byte holds 4 KiB, not 256 */
    static uint8_t src[300 * 1024], out[300 * 1024];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 7 + i / 251);
    /* Wrap the small storage, then grow: the wrapped bytes come out whole. */
    CHECK_EQ(nst_ring_write(&r, src, 4000), 4000);
    nst_ring_consume(&r, 3000); /* "a" and src[0, 2999) gone: head at 3000 */
    CHECK_EQ(nst_ring_write(&r, src + 4000, 2000), 2000); /* 3001 held, wrapping */
    CHECK_EQ(r.size, NST_RING_MIN_STORAGE);
    CHECK_EQ(nst_ring_write(&r, src + 6000, 3000), 3000); /* 6001 held: 8 KiB */
    CHECK_EQ(r.size, 2 * NST_RING_MIN_STORAGE);
    CHECK_EQ(r.head, 0);
    /* Out of order at 100,000 past the readable bytes: storage for the
     * offsets up to it, doubled from 8 KiB (128 KiB), gaps included. */
    CHECK_EQ(nst_ring_write_at(&r, 100000, src + 109000, 1000), 0);
    CHECK_EQ(r.size, 128 * 1024);
    CHECK_EQ(nst_ring_write(&r, src + 9000, 100000), 100000); /* fills the gap in front of it */
    nst_ring_commit(&r, 1000);
    CHECK_EQ(nst_ring_len(&r), 6001 + 101000);
    CHECK_EQ(nst_ring_read(&r, out, sizeof(out)), 6001 + 101000);
    CHECK_MEM(out, src + 2999, 6001 + 101000);
    CHECK(r.buf == NULL);
    CHECK_EQ(r.size, 0);
    /* Refilled after draining: storage starts at the size it last had. */
    CHECK_EQ(nst_ring_write(&r, "b", 1), 1);
    CHECK_EQ(r.size, 128 * 1024);
    nst_ring_consume(&r, 1);
    /* Never past the capacity, however far it doubles. */
    CHECK_EQ(nst_ring_write(&r, src, sizeof(src)), 256 * 1024);
    CHECK_EQ(r.size, 256 * 1024);
    nst_ring_free(&r);
    nst_ring_init(&r, 5000); /* a capacity that is no power of two */
    CHECK_EQ(nst_ring_write(&r, src, 4500), 4500);
    CHECK_EQ(r.size, 5000);
    nst_ring_free(&r);
}

/* A pinned ring (bytes shown in place) does not move: writes take only the
 * room its storage has, out-of-order bytes beyond it are refused, and a
 * consume unpins it. */
static void test_pinned_does_not_move(void)
{
    struct nst_ring r;
    nst_ring_init(&r, 64 * 1024);
    CHECK_EQ(nst_ring_write(&r, "xyz", 3), 3);
    nst_ring_pin(&r);
    uint8_t *was = r.buf;
    static uint8_t src[8192];
    CHECK_EQ(nst_ring_held_space(&r), NST_RING_MIN_STORAGE - 3);
    CHECK_EQ(nst_ring_write(&r, src, 5000), NST_RING_MIN_STORAGE - 3);
    CHECK_EQ(nst_ring_write(&r, src, 1), -ENOMEM);
    CHECK_EQ(nst_ring_write_at(&r, 10, src, 10), -ENOMEM);
    CHECK_EQ(nst_ring_reserve(&r, 1), -ENOMEM);
    CHECK(r.buf == was);
    nst_ring_consume(&r, 1);
    CHECK_EQ(nst_ring_write(&r, src, 10), 10); /* unpinned: grows */
    CHECK_EQ(r.size, 2 * NST_RING_MIN_STORAGE);
    nst_ring_free(&r);
}

/* Long random run with growth, out-of-order writes and commits, against a
 * flat model of the stream. */
static void test_random_growth_against_model(void)
{
    enum { CAP = 40000 };
    struct nst_ring r;
    nst_ring_init(&r, CAP);
    static uint8_t model[CAP], tmp[CAP];
    size_t mlen = 0, pend = 0; /* readable bytes; model bytes written past them */
    uint32_t x = 777, next = 0;
    for (int it = 0; it < 20000; it++) {
        x = x * 1103515245u + 12345u;
        size_t n = (x >> 16) % 9000;
        unsigned op = (x >> 8) % 3;
        if (op == 0) {
            /* In order: the model's next bytes (pending ones are the same
             * bytes, so they are simply replaced). */
            uint8_t src[9000];
            for (size_t i = 0; i < n; i++)
                src[i] = (uint8_t)(next + mlen + i);
            long w = nst_ring_write(&r, src, n);
            size_t expect = n < CAP - mlen ? n : CAP - mlen;
            CHECK_EQ(w, expect);
            mlen += expect;
            pend = pend > expect ? pend - expect : 0;
        } else if (op == 1 && mlen + n < CAP) {
            /* Out of order a little ahead, then committed. */
            size_t off = (x >> 4) % (CAP - mlen - n + 1);
            uint8_t src[9000];
            for (size_t i = 0; i < n; i++)
                src[i] = (uint8_t)(next + mlen + off + i);
            CHECK_EQ(nst_ring_write_at(&r, off, src, n), 0);
            if (off == 0 && n) {
                nst_ring_commit(&r, n);
                mlen += n;
                pend = pend > n ? pend - n : 0;
            } else if (off + n > pend) {
                pend = off + n;
            }
        } else {
            size_t got = nst_ring_read(&r, tmp, n);
            size_t expect = n < mlen ? n : mlen;
            CHECK_EQ(got, expect);
            for (size_t i = 0; i < got; i++)
                model[i] = (uint8_t)(next + i);
            CHECK_MEM(tmp, model, got);
            next += (uint32_t)got;
            mlen -= got;
        }
        CHECK_EQ(nst_ring_len(&r), mlen);
        CHECK(r.size <= CAP);
        CHECK((mlen == 0 && r.pending_end == 0) == (r.buf == NULL));
    }
    nst_ring_free(&r);
}

/* The pool's account: bytes held by rings (cached buffers not counted),
 * pressure entered above the middle threshold and left only below the low
 * one, the hard limit never passed. */
static void test_pool_account(void)
{
    struct nst_buf_pool p;
    uint64_t entries = 0;
    nst_buf_pool_init(&p, 1 << 20, 16);
    nst_buf_pool_set_limits(&p, 8192, 12288, 16384);
    p.pressure_entries = &entries;
    struct nst_ring a, b, c;
    nst_ring_init(&a, 65536);
    nst_ring_init(&b, 65536);
    nst_ring_init(&c, 65536);
    nst_ring_set_pool(&a, &p);
    nst_ring_set_pool(&b, &p);
    nst_ring_set_pool(&c, &p);
    static uint8_t src[65536];
    CHECK_EQ(nst_ring_write(&a, src, 5000), 5000); /* 8 KiB */
    CHECK_EQ(p.in_use, 8192);
    CHECK_EQ(p.pressure, 0);
    CHECK_EQ(nst_ring_write(&b, src, 4096), 4096); /* 12 KiB: not above 12 KiB */
    CHECK_EQ(p.pressure, 0);
    CHECK_EQ(nst_ring_write(&c, src, 1), 1); /* 16 KiB: pressure */
    CHECK_EQ(p.in_use, 16384);
    CHECK_EQ(p.pressure, 1);
    CHECK_EQ(entries, 1);
    /* At the limit: b cannot grow (its storage's room is full), c takes
     * what its storage holds. */
    CHECK_EQ(nst_ring_write(&b, src, 100), -ENOMEM);
    CHECK_EQ(nst_ring_write(&c, src, 5000), 4095);
    CHECK_EQ(p.refusals, 2);
    CHECK_EQ(p.refused, 1);
    CHECK_EQ(p.in_use, 16384);
    CHECK_EQ(p.in_use_max, 16384);
    nst_ring_consume(&c, 4096); /* 12 KiB: still under pressure (not below 8 KiB) */
    CHECK_EQ(p.in_use, 12288);
    CHECK_EQ(p.pressure, 1);
    nst_ring_consume(&b, 4096); /* 8 KiB: not below the low mark */
    CHECK_EQ(p.pressure, 1);
    nst_ring_consume(&a, 1); /* no change */
    nst_ring_consume(&a, 4999); /* 0: pressure over, the refusal forgotten */
    CHECK_EQ(p.in_use, 0);
    CHECK_EQ(p.pressure, 0);
    CHECK_EQ(p.refused, 0);
    CHECK_EQ(entries, 1);
    nst_ring_free(&a);
    nst_ring_free(&b);
    nst_ring_free(&c);
    nst_buf_pool_drain(&p);
}

int main(void)
{
    RUN(test_lazy_alloc_and_free);
    RUN(test_cap_limit);
    RUN(test_wrap_around);
    RUN(test_write_at_commit);
    RUN(test_pending_survives_drain);
    RUN(test_set_cap);
    RUN(test_random_against_model);
    RUN(test_grows_in_steps);
    RUN(test_pinned_does_not_move);
    RUN(test_random_growth_against_model);
    RUN(test_pool_account);
    return nst_test_done();
}
