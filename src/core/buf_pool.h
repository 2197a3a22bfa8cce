/* A per-stack cache of large buffers (the TCP rings' storage). Rings give
 * their storage back the moment they drain, so an idle connection holds no
 * buffer memory; the pool keeps a bounded number of those buffers for the
 * next ring that fills, instead of returning them to malloc, which would
 * shrink and regrow the heap (and fault in fresh pages) on every drain. */
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
};

void nst_buf_pool_init(struct nst_buf_pool *p, size_t max_bytes, unsigned max_count);
/* A buffer of exactly `size` bytes (size >= 16), from the pool or malloc. */
void *nst_buf_pool_get(struct nst_buf_pool *p, size_t size);
/* Gives a buffer of `size` bytes back: kept if the pool has room, else freed. */
void nst_buf_pool_put(struct nst_buf_pool *p, void *buf, size_t size);
void nst_buf_pool_drain(struct nst_buf_pool *p);

#endif
