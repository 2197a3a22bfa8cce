/* The byte ring: one contiguous allocation of `size` bytes used circularly,
 * grown (by doubling, up to `cap`) as more bytes are held at once.
 * Allocation is lazy and release is eager, so an idle connection costs no
 * buffer memory and a quiet one little (the design brief's bounded,
 * predictable memory). */
#include "ring.h"

#include "buf_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nst_ring_init(struct nst_ring *r, size_t cap)
{
    r->buf = NULL;
    r->size = 0;
    r->last_size = 0;
    r->cap = cap;
    r->head = 0;
    r->len = 0;
    r->pending_end = 0;
    r->pool = NULL;
    r->pinned = 0;
}

static uint8_t *storage_get(struct nst_ring *r, size_t size)
{
    return r->pool ? nst_buf_pool_get(r->pool, size) : malloc(size);
}

static void storage_return(struct nst_ring *r, uint8_t *buf, size_t size)
{
    if (r->pool)
        nst_buf_pool_put(r->pool, buf, size);
    else
        free(buf);
}

/* Gives the storage back, remembering its size for the next. */
static void storage_put(struct nst_ring *r)
{
    if (r->buf) {
        storage_return(r, r->buf, r->size);
        r->last_size = r->size;
    }
    r->buf = NULL;
    r->size = 0;
    r->head = 0;
    r->pinned = 0;
}

void nst_ring_free(struct nst_ring *r)
{
    storage_put(r);
    r->len = 0;
    r->pending_end = 0;
}

/* Index of the byte `off` bytes after head; off < size, head < size. */
static size_t ring_index(const struct nst_ring *r, size_t off)
{
    size_t i = r->head + off;
    return i >= r->size ? i - r->size : i;
}

static void ring_copy_out(const struct nst_ring *r, size_t off, uint8_t *dst, size_t n)
{
    size_t i = ring_index(r, off);
    size_t first = r->size - i < n ? r->size - i : n;
    memcpy(dst, r->buf + i, first);
    memcpy(dst + first, r->buf, n - first);
}

/* Moves the stored bytes (readable and pending) into new storage of
 * `size` bytes, laid out from index 0. */
static int ring_relocate(struct nst_ring *r, size_t size)
{
    uint8_t *nb = storage_get(r, size);
    if (!nb)
        return -ENOMEM;
    size_t used = r->len + r->pending_end;
    if (r->buf) {
        ring_copy_out(r, 0, nb, used);
        storage_return(r, r->buf, r->size);
    }
    r->buf = nb;
    r->size = size;
    r->head = 0;
    return 0;
}

/* The size new storage starts at: the last one (a drained ring refilling),
 * but the minimum for a new ring or under memory pressure. */
static size_t first_size(const struct nst_ring *r)
{
    if (r->last_size > NST_RING_MIN_STORAGE && !(r->pool && r->pool->pressure))
        return r->last_size;
    return NST_RING_MIN_STORAGE;
}

/* The storage size that holds `need` bytes: doubling from the current
 * size (or the first one), at most cap. Doubling keeps the bytes copied by
 * growing below the bytes held, however the ring fills. */
static size_t grown_size(const struct nst_ring *r, size_t need)
{
    size_t s = r->size ? r->size : first_size(r);
    while (s < need && s < r->cap)
        s *= 2;
    if (s > r->cap)
        s = r->cap;
    return s ? s : 1;
}

size_t nst_ring_held_space(const struct nst_ring *r)
{
    size_t held = r->size;
    if (!r->buf) {
        held = first_size(r);
    } else if (!r->pinned && held < NST_RING_MIN_STORAGE) {
        held = NST_RING_MIN_STORAGE; /* grows to it whatever the pressure */
    }
    if (held > r->cap)
        held = r->cap;
    return held > r->len ? held - r->len : 0;
}

/* Storage for logical offsets [0, need) from head; need <= cap. */
static int ring_grow(struct nst_ring *r, size_t need)
{
    if (need <= r->size && r->buf)
        return 0;
    if (r->pinned)
        return -ENOMEM;
    return ring_relocate(r, grown_size(r, need));
}

/* Copies n bytes into the ring at logical offset off (from head), wrapping. */
static void ring_copy_in(struct nst_ring *r, size_t off, const uint8_t *src, size_t n)
{
    size_t i = ring_index(r, off);
    size_t first = r->size - i < n ? r->size - i : n;
    memcpy(r->buf + i, src, first);
    memcpy(r->buf, src + first, n - first);
}

void nst_ring_release_if_idle(struct nst_ring *r)
{
    if (r->len == 0 && r->pending_end == 0 && r->buf)
        storage_put(r);
}

int nst_ring_set_cap(struct nst_ring *r, size_t cap)
{
    size_t used = r->len + r->pending_end;
    if (cap < used)
        return -EINVAL;
    /* Storage within the new capacity stays where it is (zero-copy spans
     * shown keep pointing at it); only storage larger than it moves. */
    if (r->buf && cap < r->size) {
        size_t old = r->cap;
        r->cap = cap;
        if (ring_relocate(r, cap ? cap : 1) < 0) {
            r->cap = old;
            return -ENOMEM;
        }
    }
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
    if (ring_grow(r, r->len + n) < 0) {
        /* No more storage: take what the storage held has room for. */
        size_t room = r->buf ? r->size - r->len : 0;
        if (room == 0)
            return -ENOMEM;
        n = n < room ? n : room;
    }
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
    if (ring_grow(r, r->len + off + n) < 0)
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
    r->pinned = 0;
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
    size_t first = r->size - i < n ? r->size - i : n;
    span[0].p = r->buf + i;
    span[0].n = first;
    if (first == n)
        return 1;
    span[1].p = r->buf;
    span[1].n = n - first;
    return 2;
}

int nst_ring_reserve(struct nst_ring *r, size_t n)
{
    if (n > nst_ring_space(r))
        return -EINVAL;
    return ring_grow(r, r->len + n);
}

void nst_ring_append_placed(struct nst_ring *r, size_t n)
{
    size_t room = r->size - r->len;
    if (n > room)
        n = room;
    r->len += n;
    r->pending_end = r->pending_end > n ? r->pending_end - n : 0;
}

void nst_ring_drop_pending(struct nst_ring *r)
{
    r->pending_end = 0;
    nst_ring_release_if_idle(r);
}
