#include "hash.h"

#include <errno.h>
#include <stdlib.h>

int nst_htable_init(struct nst_htable *t, size_t nbuckets)
{
    size_t n = 16;
    while (n < nbuckets)
        n <<= 1;
    t->buckets = calloc(n, sizeof(*t->buckets));
    if (!t->buckets)
        return -ENOMEM;
    t->nbuckets = n;
    t->count = 0;
    return 0;
}

void nst_htable_free(struct nst_htable *t)
{
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = t->count = 0;
}

static void htable_grow(struct nst_htable *t)
{
    size_t n = t->nbuckets * 2;
    struct nst_hnode **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* keep working with longer chains */
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct nst_hnode *e = t->buckets[i];
        while (e) {
            struct nst_hnode *next = e->next;
            size_t j = e->hash & (n - 1);
            e->next = b[j];
            if (e->next)
                e->next->pprev = &e->next;
            b[j] = e;
            e->pprev = &b[j];
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

int nst_htable_insert(struct nst_htable *t, struct nst_hnode *n, uint64_t h)
{
    if (t->count >= t->nbuckets)
        htable_grow(t);
    size_t i = h & (t->nbuckets - 1);
    n->hash = h;
    n->next = t->buckets[i];
    if (n->next)
        n->next->pprev = &n->next;
    t->buckets[i] = n;
    n->pprev = &t->buckets[i];
    t->count++;
    return 0;
}

void nst_htable_remove(struct nst_htable *t, struct nst_hnode *n)
{
    if (!n->pprev)
        return; /* not in a table */
    *n->pprev = n->next;
    if (n->next)
        n->next->pprev = n->pprev;
    n->next = NULL;
    n->pprev = NULL;
    t->count--;
}
