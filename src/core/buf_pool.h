/* A per-stack cache of large buffers (the TCP rings' storage), and the
 * account of that storage (Linux's tcp_mem): the bytes handed out to rings
 * and not yet given back are the memory all TCP connections hold.
 *
 * Rings give their storage back the moment they drain, so an idle
 * connection holds no buffer memory; the pool keeps a bounded number of
 * those buffers for the next ring that fills, instead of returning them to
 * malloc, which would shrink and regrow the heap (and fault in fresh pages)
 * on every drain. Cached buffers are not held by anyone and are not
 * counted in `in_use`.
 *
 * The account has three thresholds. Rising above `pressure_on` starts
 * memory pressure, falling below `pressure_off` ends it (TCP stops growing
 * windows and send buffers meanwhile); `limit` is hard: a request that
 * would take `in_use` above it is refused. */
#ifndef NST_CORE_BUF_POOL_H
#define NST_CORE_BUF_POOL_H

#include <stddef.h>
#include <stdint.h>

struct nst_pool_buf;

struct nst_buf_pool {
    struct nst_pool_buf *free; /* most recently returned first */
    size_t bytes;              /* held in the pool */
    size_t max_bytes;          /* bound on `bytes` */
    unsigned count, max_count;
    uint64_t hits, misses;     /* for inspection and benchmarks */
    /* the account */
    size_t in_use;             /* bytes handed out and not given back */
    size_t in_use_max;         /* the most in_use has been (high-water mark) */
    size_t limit;              /* in_use never exceeds it (SIZE_MAX: no limit) */
    size_t pressure_on, pressure_off;
    int pressure;              /* between rising above pressure_on and falling below pressure_off */
    int refused;               /* a request was refused during this pressure episode */
    uint64_t *pressure_entries; /* bumped when pressure begins (a stack counter), or NULL */
    uint64_t refusals;         /* requests refused at the limit */
};

/* No limit and no pressure until nst_buf_pool_set_limits. */
void nst_buf_pool_init(struct nst_buf_pool *p, size_t max_bytes, unsigned max_count);
/* low <= pressure <= high (Linux's tcp_mem order). */
void nst_buf_pool_set_limits(struct nst_buf_pool *p, size_t low, size_t pressure, size_t high);
/* A buffer of exactly `size` bytes (size >= 16), from the pool or malloc;
 * NULL if the account's limit or malloc refuses. */
void *nst_buf_pool_get(struct nst_buf_pool *p, size_t size);
/* Gives a buffer of `size` bytes back: kept if the pool has room, else freed. */
void nst_buf_pool_put(struct nst_buf_pool *p, void *buf, size_t size);
void nst_buf_pool_drain(struct nst_buf_pool *p);

#endif
