/* The byte ring: wrap-around, out-of-order placement, lazy storage, limits. */
#include <errno.h>

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
    CHECK_EQ(nst_ring_set_cap(&r, 6), 0);
    CHECK_EQ(r.head, 0);
    CHECK_MEM(r.buf, "defg", 4); /* re-laid out linearly, pending byte kept */
    CHECK_EQ(nst_ring_space(&r), 3);
    nst_ring_commit(&r, 1);
    CHECK_EQ(nst_ring_write(&r, "hi", 2), 2);
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

int main(void)
{
    RUN(test_lazy_alloc_and_free);
    RUN(test_cap_limit);
    RUN(test_wrap_around);
    RUN(test_write_at_commit);
    RUN(test_pending_survives_drain);
    RUN(test_set_cap);
    RUN(test_random_against_model);
    return nst_test_done();
}
