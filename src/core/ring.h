/* A byte ring: the TCP send buffer (bytes not yet acknowledged) and receive
 * buffer (bytes not yet read, with out-of-order data written in place at its
 * offset). Storage is allocated on first use and released when the ring
 * drains, so an idle connection holds no buffer memory.
 *
 * Out-of-order bytes placed with write_at live past the readable part; the
 * ring remembers how far they reach (pending_end) so that a consume which
 * empties the readable part does not free storage still holding them. The
 * storage is released only when len == 0 and pending_end == 0. */
#ifndef NST_CORE_RING_H
#define NST_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

struct nst_ring {
    uint8_t *buf;       /* NULL until bytes arrive */
    size_t cap;         /* capacity limit (bytes) */
    size_t head;        /* index of the first byte */
    size_t len;         /* bytes readable from head */
    size_t pending_end; /* end offset (past len) of the furthest write_at byte not yet made readable; 0 if none */
    struct nst_buf_pool *pool; /* where storage comes from and goes back to; NULL: malloc/free */
};

struct nst_buf_pool;

void nst_ring_init(struct nst_ring *r, size_t cap);
/* Takes storage from, and gives it back to, `pool` (call before first use). */
static inline void nst_ring_set_pool(struct nst_ring *r, struct nst_buf_pool *pool) { r->pool = pool; }
void nst_ring_free(struct nst_ring *r);
/* Changes the capacity (only upward, or downward to >= len + pending_end).
 * Re-lays the stored bytes out from index 0. 0 or -EINVAL/-ENOMEM. */
int nst_ring_set_cap(struct nst_ring *r, size_t cap);
static inline size_t nst_ring_len(const struct nst_ring *r) { return r->len; }
static inline size_t nst_ring_space(const struct nst_ring *r) { return r->cap - r->len; }
/* Appends up to n bytes; returns how many fit (or -ENOMEM). Appended bytes
 * take the place of pending (write_at) bytes at the same offsets. */
long nst_ring_write(struct nst_ring *r, const void *data, size_t n);
/* Writes n bytes at offset off past the end of the readable data (off = 0
 * is the next byte appended) without making them readable: out-of-order
 * data. 0, -EINVAL if off + n > space, or -ENOMEM. */
int nst_ring_write_at(struct nst_ring *r, size_t off, const void *data, size_t n);
/* Makes n more bytes (already placed with write_at) readable. n is clamped
 * to pending_end: bytes never written cannot become readable. */
void nst_ring_commit(struct nst_ring *r, size_t n);
/* Copies n bytes starting `off` bytes after head into out (no consume).
 * The caller guarantees off + n <= len. */
void nst_ring_peek(const struct nst_ring *r, size_t off, void *out, size_t n);
/* Drops n (clamped to len) bytes from the head; frees the storage when
 * nothing readable or pending is left. */
void nst_ring_consume(struct nst_ring *r, size_t n);
/* Copies and consumes up to n bytes; returns the count. */
size_t nst_ring_read(struct nst_ring *r, void *out, size_t n);
/* Direct access to the storage, for callers that copy and checksum in one
 * pass (TCP): the bytes at logical offsets [off, off+n) from head, readable
 * or not, as one piece or two (where the ring wraps). Returns the count of
 * pieces: 0 if n == 0 or there is no storage. The caller guarantees
 * off + n <= cap. */
struct nst_ring_span {
    uint8_t *p;
    size_t n;
};
unsigned nst_ring_spans(const struct nst_ring *r, size_t off, size_t n, struct nst_ring_span span[2]);
/* Makes sure the ring has storage (allocated on first use). 0 or -ENOMEM. */
int nst_ring_reserve(struct nst_ring *r);
/* Makes n bytes readable that the caller has already put right after the
 * readable data through nst_ring_spans (n <= space): nst_ring_write without
 * the copy. Pending (write_at) bytes at the same offsets are replaced. */
void nst_ring_append_placed(struct nst_ring *r, size_t n);
/* Gives the storage back if nothing readable or pending is left (after a
 * nst_ring_reserve whose bytes were not kept). */
void nst_ring_release_if_idle(struct nst_ring *r);
/* Forgets every pending (write_at, not committed) byte, e.g. when the
 * out-of-order queue is discarded; frees the storage if len == 0. */
void nst_ring_drop_pending(struct nst_ring *r);

#endif
