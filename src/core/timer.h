/* Timers: one mechanism for the whole stack (ARP, reassembly, TCP...).
 *
 * Timers are intrusive (embedded in the object they serve) and kept in a
 * binary min-heap per stack: arm/cancel are O(log n), the next deadline is
 * O(1) and exact to the nanosecond, which virtual time needs (a TIME_WAIT of
 * 2*MSL ends exactly 60 s later, not at the next wheel tick). */
#ifndef NST_CORE_TIMER_H
#define NST_CORE_TIMER_H

#include <nstack/types.h>

struct nst_stack;
struct nst_timer;
typedef void (*nst_timer_fn)(struct nst_stack *st, struct nst_timer *t);

struct nst_timer {
    nst_time_t when;
    uint32_t heap_idx; /* 0: not armed; else index + 1 */
    uint32_t armed_in; /* the heap's round when it was last armed */
    nst_timer_fn fn;
};

struct nst_timer_heap {
    struct nst_timer **v;
    uint32_t n, cap;
    uint32_t round;    /* bumped by each nst_timers_run */
};

static inline void nst_timer_init(struct nst_timer *t, nst_timer_fn fn)
{
    t->when = 0;
    t->heap_idx = 0;
    t->fn = fn;
}
static inline int nst_timer_armed(const struct nst_timer *t) { return t->heap_idx != 0; }

/* Arms (or re-arms) t to fire at `when`. Returns 0 or -ENOMEM. */
int nst_timer_arm(struct nst_stack *st, struct nst_timer *t, nst_time_t when);
void nst_timer_cancel(struct nst_stack *st, struct nst_timer *t);

void nst_timer_heap_free(struct nst_timer_heap *h);
nst_time_t nst_timer_heap_next(const struct nst_timer_heap *h);
/* Fires, in time order, the timers due at or before now. A callback may arm
 * or cancel any timer, itself included. When the earliest due timer was armed
 * during this very call, the call stops there and the rest wait for the next
 * call (the deadline then says "now"): two parties answering each other at
 * the same instant cannot keep one poll busy forever. */
void nst_timers_run(struct nst_stack *st, nst_time_t now);

#endif
