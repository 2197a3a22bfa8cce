/* The buffer pool and its account (see buf_pool.h). The free list is
 * threaded through the buffers themselves, so the pool costs nothing per
 * buffer. */
#include "core/buf_pool.h"

#include <stdlib.h>

struct nst_pool_buf {
    struct nst_pool_buf *next;
    size_t size;
};

void nst_buf_pool_init(struct nst_buf_pool *p, size_t max_bytes, unsigned max_count)
{
    *p = (struct nst_buf_pool){.max_bytes = max_bytes, .max_count = max_count};
    nst_buf_pool_set_limits(p, SIZE_MAX, SIZE_MAX, SIZE_MAX);
}

void nst_buf_pool_set_limits(struct nst_buf_pool *p, size_t low, size_t pressure, size_t high)
{
    p->pressure_off = low;
    p->pressure_on = pressure;
    p->limit = high;
}

/* Linux's tcp_mem: pressure begins above the middle threshold and ends
 * only below the low one, so it does not flap around a single line. */
static void account(struct nst_buf_pool *p)
{
    if (p->in_use > p->in_use_max)
        p->in_use_max = p->in_use;
    if (!p->pressure && p->in_use > p->pressure_on) {
        p->pressure = 1;
        if (p->pressure_entries)
            (*p->pressure_entries)++;
    } else if (p->pressure && p->in_use < p->pressure_off) {
        p->pressure = 0;
        p->refused = 0;
    }
}

static void *take(struct nst_buf_pool *p, size_t size)
{
    /* Rings of one stack often share a size, so the first buffer usually
     * fits; the list is short (max_count). */
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

void *nst_buf_pool_get(struct nst_buf_pool *p, size_t size)
{
    if (size > p->limit || p->in_use > p->limit - size) {
        p->refusals++;
        p->refused = 1;
        return NULL;
    }
    void *b = take(p, size);
    if (b) {
        p->in_use += size;
        account(p);
    }
    return b;
}

void nst_buf_pool_put(struct nst_buf_pool *p, void *buf, size_t size)
{
    if (!buf)
        return;
    p->in_use -= size;
    account(p);
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
