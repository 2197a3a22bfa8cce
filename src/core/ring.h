/* A byte ring: the TCP send buffer (bytes not yet acknowledged) and receive
 * buffer (bytes not yet read, with out-of-order data written in place at its
 * offset).
 *
 * Storage grows as data needs it: none until the first byte, then
 * NST_RING_MIN_STORAGE bytes, doubling up to the capacity (`cap`, the socket
 * buffer size) as more is held at once; it is released when the ring
 * drains, so an idle connection holds no buffer memory and one holding a
 * byte holds a few KiB, not its whole buffer. A ring that drained takes
 * storage again at the size it last had (`last_size`), so a bulk flow that
 * drains and refills pays for the doubling once, not on every refill;
 * under memory pressure it starts small again. Growing moves the stored
 * bytes (the storage is one contiguous allocation, used circularly), so
 * pointers into it stay valid only until the next write; a ring that has
 * shown its readable bytes in place (zero-copy receive) is pinned, and
 * does not grow until they are consumed.
 *
 * Out-of-order bytes placed with write_at live past the readable part; the
 * ring remembers how far they reach (pending_end) so that a consume which
 * empties the readable part does not free storage still holding them. The
 * storage is released only when len == 0 and pending_end == 0. */
#ifndef NST_CORE_RING_H
#define NST_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

/* The first storage a ring takes, and the least it may always hold (even
 * under memory pressure): a few segments. */
#define NST_RING_MIN_STORAGE 4096u

struct nst_ring {
    uint8_t *buf;       /* NULL until bytes arrive */
    size_t size;        /* bytes of storage at buf (0 without) */
    size_t last_size;   /* the size of the storage last released (where the next starts) */
    size_t cap;         /* capacity limit (bytes): size never exceeds it */
    size_t head;        /* index of the first byte */
    size_t len;         /* bytes readable from head */
    size_t pending_end; /* end offset (past len) of the furthest write_at byte not yet made readable; 0 if none */
    struct nst_buf_pool *pool; /* where storage comes from and goes back to; NULL: malloc/free */
    int pinned;         /* storage must not move (readable bytes shown in place) until a consume */
};

struct nst_buf_pool;

void nst_ring_init(struct nst_ring *r, size_t cap);
/* Takes storage from, and gives it back to, `pool` (call before first use). */
static inline void nst_ring_set_pool(struct nst_ring *r, struct nst_buf_pool *pool) { r->pool = pool; }
void nst_ring_free(struct nst_ring *r);
/* Changes the capacity (only upward, or downward to >= len + pending_end).
 * Storage is moved only when it is larger than the new capacity.
 * 0 or -EINVAL/-ENOMEM. */
int nst_ring_set_cap(struct nst_ring *r, size_t cap);
static inline size_t nst_ring_len(const struct nst_ring *r) { return r->len; }
static inline size_t nst_ring_space(const struct nst_ring *r) { return r->cap - r->len; }
/* Space past the readable bytes that needs no more storage than the ring
 * holds (at least NST_RING_MIN_STORAGE unless pinned), or than the storage
 * it would take first if it holds none: what may be promised without
 * growing (under memory pressure, where the first storage is the minimum). */
size_t nst_ring_held_space(const struct nst_ring *r);
/* Appends up to n bytes; returns how many fit (or -ENOMEM if storage for
 * none of them could be had: the bytes that fit in the storage held are
 * taken when growing fails). Appended bytes take the place of pending
 * (write_at) bytes at the same offsets. */
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
/* Drops n (clamped to len) bytes from the head and unpins the ring; frees
 * the storage when nothing readable or pending is left. */
void nst_ring_consume(struct nst_ring *r, size_t n);
/* Copies and consumes up to n bytes; returns the count. */
size_t nst_ring_read(struct nst_ring *r, void *out, size_t n);
/* Direct access to the storage, for callers that copy and checksum in one
 * pass (TCP): the bytes at logical offsets [off, off+n) from head, readable
 * or not, as one piece or two (where the ring wraps). Returns the count of
 * pieces: 0 if n == 0 or there is no storage. The caller guarantees
 * off + n <= size (nst_ring_reserve makes it so). */
struct nst_ring_span {
    uint8_t *p;
    size_t n;
};
unsigned nst_ring_spans(const struct nst_ring *r, size_t off, size_t n, struct nst_ring_span span[2]);
/* Makes sure the storage holds n bytes past the readable ones (n <= space),
 * growing it if needed. 0 or -ENOMEM (no storage to be had, or pinned). */
int nst_ring_reserve(struct nst_ring *r, size_t n);
/* Storage must not move until the next consume: the readable bytes have
 * been shown in place. Growing is refused meanwhile. */
static inline void nst_ring_pin(struct nst_ring *r) { r->pinned = 1; }
/* Makes n bytes readable that the caller has already put right after the
 * readable data through nst_ring_spans (n <= size - len): nst_ring_write
 * without the copy. Pending (write_at) bytes at the same offsets are
 * replaced. */
void nst_ring_append_placed(struct nst_ring *r, size_t n);
/* Gives the storage back if nothing readable or pending is left (after a
 * nst_ring_reserve whose bytes were not kept). */
void nst_ring_release_if_idle(struct nst_ring *r);
/* Forgets every pending (write_at, not committed) byte, e.g. when the
 * out-of-order queue is discarded; frees the storage if len == 0. */
void nst_ring_drop_pending(struct nst_ring *r);

#endif
