/* One hash table for the whole stack: intrusive, chained, power-of-two
 * buckets, grown when the load passes 1. Callers hash their keys with the
 * stack's keyed SipHash (so a remote peer cannot aim at one bucket) and
 * compare keys themselves while walking a bucket. */
#ifndef NST_CORE_HASH_H
#define NST_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

struct nst_hnode {
    struct nst_hnode *next;
    struct nst_hnode **pprev; /* the pointer that points at us: O(1) removal */
    uint64_t hash;
};

struct nst_htable {
    struct nst_hnode **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
};

int nst_htable_init(struct nst_htable *t, size_t nbuckets);
void nst_htable_free(struct nst_htable *t);
/* Inserts n with hash h. Returns 0 (growth failure is not fatal). */
int nst_htable_insert(struct nst_htable *t, struct nst_hnode *n, uint64_t h);
void nst_htable_remove(struct nst_htable *t, struct nst_hnode *n);
/* First node in h's bucket (walk ->next and check ->hash == h yourself). */
static inline struct nst_hnode *nst_htable_bucket(const struct nst_htable *t, uint64_t h)
{
    return t->nbuckets ? t->buckets[h & (t->nbuckets - 1)] : NULL;
}

#define NST_HTABLE_FOREACH_HASH(t, h, n) \
    for ((n) = nst_htable_bucket((t), (h)); (n); (n) = (n)->next) \
        if ((n)->hash == (h))

#endif
