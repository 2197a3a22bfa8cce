/* The byte ring: one contiguous allocation of `cap` bytes used circularly.
 * Allocation is lazy and release is eager, so an idle connection costs no
 * buffer memory (the design brief's bounded, predictable memory). */
#include "ring.h"

#include "buf_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nst_ring_init(struct nst_ring *r, size_t cap)
{
    r->buf = NULL;
    r->cap = cap;
    r->head = 0;
    r->len = 0;
    r->pending_end = 0;
    r->pool = NULL;
}

static uint8_t *storage_get(struct nst_ring *r, size_t size)
{
    return r->pool ? nst_buf_pool_get(r->pool, size) : malloc(size);
}

static void storage_put(struct nst_ring *r, uint8_t *buf, size_t size)
{
    if (r->pool)
        nst_buf_pool_put(r->pool, buf, size);
    else
        free(buf);
}

void nst_ring_free(struct nst_ring *r)
{
    storage_put(r, r->buf, r->cap);
    r->buf = NULL;
    r->head = 0;
    r->len = 0;
    r->pending_end = 0;
}

/* Index of the byte `off` bytes after head; off < cap, head < cap. */
static size_t ring_index(const struct nst_ring *r, size_t off)
{
    size_t i = r->head + off;
    return i >= r->cap ? i - r->cap : i;
}

static int ring_ensure_storage(struct nst_ring *r)
{
    if (r->buf)
        return 0;
    r->buf = storage_get(r, r->cap ? r->cap : 1);
    if (!r->buf)
        return -ENOMEM;
    r->head = 0;
    return 0;
}

/* Copies n bytes into the ring at logical offset off (from head), wrapping. */
static void ring_copy_in(struct nst_ring *r, size_t off, const uint8_t *src, size_t n)
{
    size_t i = ring_index(r, off);
    size_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(r->buf + i, src, first);
    memcpy(r->buf, src + first, n - first);
}

static void ring_copy_out(const struct nst_ring *r, size_t off, uint8_t *dst, size_t n)
{
    size_t i = ring_index(r, off);
    size_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(dst, r->buf + i, first);
    memcpy(dst + first, r->buf, n - first);
}

void nst_ring_release_if_idle(struct nst_ring *r)
{
    if (r->len == 0 && r->pending_end == 0) {
        storage_put(r, r->buf, r->cap);
        r->buf = NULL;
        r->head = 0;
    }
}

int nst_ring_set_cap(struct nst_ring *r, size_t cap)
{
    size_t used = r->len + r->pending_end;
    if (cap < used)
        return -EINVAL;
    if (!r->buf || cap == r->cap) {
        r->cap = cap;
        return 0;
    }
    /* used <= cap and buf != NULL imply used > 0 or an idle buffer; either
     * way a fresh linear copy keeps every stored byte at its offset. */
    uint8_t *nb = storage_get(r, cap ? cap : 1);
    if (!nb)
        return -ENOMEM;
    if (used)
        ring_copy_out(r, 0, nb, used);
    storage_put(r, r->buf, r->cap);
    r->buf = nb;
    r->head = 0;
    r->cap = cap;
    return 0;
}

long nst_ring_write(struct nst_ring *r, const void *data, size_t n)
{
    size_t space = nst_ring_space(r);
    if (n > space)
        n = space;
    if (n == 0)
        return 0;
    if (ring_ensure_storage(r) < 0)
        return -ENOMEM;
    ring_copy_in(r, r->len, data, n);
    r->len += n;
    /* The pending offsets are relative to the end of the readable data. */
    r->pending_end = r->pending_end > n ? r->pending_end - n : 0;
    return (long)n;
}

int nst_ring_write_at(struct nst_ring *r, size_t off, const void *data, size_t n)
{
    size_t space = nst_ring_space(r);
    if (off > space || n > space - off)
        return -EINVAL;
    if (n == 0)
        return 0;
    if (ring_ensure_storage(r) < 0)
        return -ENOMEM;
    ring_copy_in(r, r->len + off, data, n);
    if (off + n > r->pending_end)
        r->pending_end = off + n;
    return 0;
}

void nst_ring_commit(struct nst_ring *r, size_t n)
{
    if (n > r->pending_end)
        n = r->pending_end;
    r->len += n;
    r->pending_end -= n;
}

void nst_ring_peek(const struct nst_ring *r, size_t off, void *out, size_t n)
{
    if (n == 0 || !r->buf)
        return;
    ring_copy_out(r, off, out, n);
}

void nst_ring_consume(struct nst_ring *r, size_t n)
{
    if (n > r->len)
        n = r->len;
    r->len -= n;
    if (r->buf)
        r->head = ring_index(r, n);
    nst_ring_release_if_idle(r);
}

size_t nst_ring_read(struct nst_ring *r, void *out, size_t n)
{
    if (n > r->len)
        n = r->len;
    nst_ring_peek(r, 0, out, n);
    nst_ring_consume(r, n);
    return n;
}

unsigned nst_ring_spans(const struct nst_ring *r, size_t off, size_t n, struct nst_ring_span span[2])
{
    if (n == 0 || !r->buf)
        return 0;
    size_t i = ring_index(r, off);
    size_t first = r->cap - i < n ? r->cap - i : n;
    span[0].p = r->buf + i;
    span[0].n = first;
    if (first == n)
        return 1;
    span[1].p = r->buf;
    span[1].n = n - first;
    return 2;
}

int nst_ring_reserve(struct nst_ring *r) { return ring_ensure_storage(r); }

void nst_ring_append_placed(struct nst_ring *r, size_t n)
{
    if (n > nst_ring_space(r))
        n = nst_ring_space(r);
    r->len += n;
    r->pending_end = r->pending_end > n ? r->pending_end - n : 0;
}

void nst_ring_drop_pending(struct nst_ring *r)
{
    r->pending_end = 0;
    nst_ring_release_if_idle(r);
}
