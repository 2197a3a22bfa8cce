/* The buffer pool (see buf_pool.h). The free list is threaded through the
 * buffers themselves, so the pool costs nothing per buffer. */
#include "core/buf_pool.h"

#include <stdlib.h>

struct nst_pool_buf {
    struct nst_pool_buf *next;
    size_t size;
};

void nst_buf_pool_init(struct nst_buf_pool *p, size_t max_bytes, unsigned max_count)
{
    p->free = NULL;
    p->bytes = 0;
    p->max_bytes = max_bytes;
    p->count = 0;
    p->max_count = max_count;
    p->hits = p->misses = 0;
}

void *nst_buf_pool_get(struct nst_buf_pool *p, size_t size)
{
    /* Rings of one stack almost always share a size, so the first buffer
     * usually fits; the list is short (max_count). */
    for (struct nst_pool_buf **pp = &p->free; *pp; pp = &(*pp)->next) {
        struct nst_pool_buf *b = *pp;
        if (b->size != size)
            continue;
        *pp = b->next;
        p->bytes -= size;
        p->count--;
        p->hits++;
        return b;
    }
    p->misses++;
    return malloc(size < sizeof(struct nst_pool_buf) ? sizeof(struct nst_pool_buf) : size);
}

void nst_buf_pool_put(struct nst_buf_pool *p, void *buf, size_t size)
{
    if (!buf)
        return;
    if (size < sizeof(struct nst_pool_buf) || p->count >= p->max_count || p->bytes + size > p->max_bytes) {
        free(buf);
        return;
    }
    struct nst_pool_buf *b = buf;
    b->size = size;
    b->next = p->free;
    p->free = b;
    p->bytes += size;
    p->count++;
}

void nst_buf_pool_drain(struct nst_buf_pool *p)
{
    while (p->free) {
        struct nst_pool_buf *b = p->free;
        p->free = b->next;
        free(b);
    }
    p->bytes = 0;
    p->count = 0;
}
