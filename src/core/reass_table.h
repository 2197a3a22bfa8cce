/* The bookkeeping both IP reassemblers share (src/ip/ip_reass.c, RFC 791
 * 3.2; src/ip6/ip6_reass.c, RFC 8200 4.5): a list of partial datagrams,
 * oldest first, each with its fragments in offset order and a timeout;
 * every byte they hold charged against a bound, the oldest evicted to make
 * room. What a fragment means (its header, which overlaps are refused, the
 * ICMP error on timeout) stays with each family. */
#ifndef NST_CORE_REASS_TABLE_H
#define NST_CORE_REASS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/timer.h"

#define NST_REASS_MAX_FRAGS 128    /* per datagram: bounds the work of a tiny-fragment flood */
#define NST_REASS_FRAG_OVERHEAD 48 /* bytes charged per fragment besides its data */

struct nst_reass_frag {
    struct nst_reass_frag *next; /* sorted by offset */
    uint32_t off, len;
    uint8_t data[];
};

/* One partial datagram, inside each family's descriptor. */
struct nst_reass_entry {
    struct nst_reass_entry *next; /* oldest first */
    struct nst_reass_frag *frags; /* sorted by offset */
    unsigned nfrags;
    int32_t total;                /* the data's length, -1 until the last fragment arrives */
    size_t mem;                   /* bytes charged for the fragments and what the family adds */
    struct nst_timer timer;       /* the reassembly timeout */
};

struct nst_reass_table {
    struct nst_reass_entry *oldest;
    unsigned count;    /* partial datagrams */
    size_t mem;        /* bytes charged: each descriptor and what it holds */
    size_t entry_size; /* what a descriptor is charged: its family's sizeof */
    uint64_t *evicted; /* the counter an eviction bumps */
    /* Frees a descriptor (and what the family hung on it). */
    void (*release)(struct nst_reass_entry *e);
};

/* Puts e (zeroed by its family, which allocated it) at the young end of
 * the table; fn runs at `expires`, the reassembly timeout. */
void nst_reass_add(struct nst_stack *st, struct nst_reass_table *t, struct nst_reass_entry *e, nst_time_t expires,
                   nst_timer_fn fn);
/* Takes e out of the table and frees it with all it holds. */
void nst_reass_drop(struct nst_stack *st, struct nst_reass_table *t, struct nst_reass_entry *e);
/* Frees e's fragments, e staying in the table (its charge 0 again). */
void nst_reass_drop_frags(struct nst_reass_table *t, struct nst_reass_entry *e);
void nst_reass_drop_all(struct nst_stack *st, struct nst_reass_table *t);
/* Evicts the oldest datagrams other than keep while `need` more bytes
 * would pass mem_max or the table holds max_count datagrams or more, each
 * counted in *t->evicted. 0, or -ENOBUFS when only keep is left. */
int nst_reass_evict(struct nst_stack *st, struct nst_reass_table *t, const struct nst_reass_entry *keep, size_t need,
                    size_t mem_max, unsigned max_count);

/* Copies [off, off + len) into a new fragment linked at *at (the family
 * chose the place) and charges it. 0 or -ENOMEM. */
int nst_reass_frag_add(struct nst_reass_table *t, struct nst_reass_entry *e, struct nst_reass_frag **at,
                       uint32_t off, const uint8_t *data, uint32_t len);
/* Charges `bytes` more that the family holds for e. */
static inline void nst_reass_charge(struct nst_reass_table *t, struct nst_reass_entry *e, size_t bytes)
{
    e->mem += bytes;
    t->mem += bytes;
}
/* Has the last fragment come, and every byte before it? */
int nst_reass_have_all(const struct nst_reass_entry *e);
/* Does any fragment end past `end`? */
int nst_reass_any_beyond(const struct nst_reass_entry *e, uint32_t end);
/* Copies every fragment to its offset in out. */
void nst_reass_copy(const struct nst_reass_entry *e, uint8_t *out);

#endif
