/* The simulator's event queue: a binary min-heap of pending events ordered
 * by (time, insertion sequence).
 *
 * The sequence number makes ties deterministic: two events due at the same
 * nanosecond fire in the order they were scheduled (a duplicated frame
 * right after its original, frames of a burst in the order they were sent),
 * on every run and every platform. */
#ifndef NST_SIM_EVENT_H
#define NST_SIM_EVENT_H

#include <nstack/types.h>

struct nst_world;
struct nst_sim_event;

/* fire() takes ownership of the event (it frees it); discard() frees an
 * event that will never fire (the world is being torn down). */
struct nst_sim_event_ops {
    void (*fire)(struct nst_world *w, struct nst_sim_event *ev);
    void (*discard)(struct nst_sim_event *ev);
};

/* Embedded as the first member of each concrete event type. */
struct nst_sim_event {
    nst_time_t when;
    uint64_t seq; /* set by nst_sim_events_push */
    const struct nst_sim_event_ops *ops;
};

struct nst_sim_events {
    struct nst_sim_event **v;
    size_t n, cap;
    uint64_t next_seq;
};

void nst_sim_events_init(struct nst_sim_events *q);
/* Discards (ops->discard) every pending event and frees the heap. */
void nst_sim_events_free(struct nst_sim_events *q);
/* Schedules ev at ev->when. 0 or -ENOMEM (ev is then not queued). */
int nst_sim_events_push(struct nst_sim_events *q, struct nst_sim_event *ev);
/* Time of the earliest event, NST_TIME_NEVER if none. */
nst_time_t nst_sim_events_next(const struct nst_sim_events *q);
/* Removes and returns the earliest event, NULL if none. */
struct nst_sim_event *nst_sim_events_pop(struct nst_sim_events *q);
static inline size_t nst_sim_events_count(const struct nst_sim_events *q) { return q->n; }

#endif
