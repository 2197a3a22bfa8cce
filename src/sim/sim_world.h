/* The world's internals, shared by the files of src/sim/ only. */
#ifndef NST_SIM_WORLD_H
#define NST_SIM_WORLD_H

#include <nstack/sim.h>

#include "core/rng.h"
#include "sim/sim_event.h"

struct nst_sim_host {
    struct nst_stack *st;
    char *name; /* our own copy, for nst_world_find_host */
};

struct nst_world {
    uint64_t seed;
    nst_time_t now;
    /* Draws every impairment of every link, in event order: one generator
     * for the whole world keeps a run a pure function of its seed. */
    struct nst_rng rng;
    struct nst_sim_events events;

    struct nst_sim_host *hosts;
    size_t nhosts, hosts_cap;
    struct nst_sim_link **links;
    size_t nlinks, links_cap;

    uint32_t macs_assigned; /* source of the 02:00:00:00:HH:II addresses */
};

/* world.c */
/* Hands ownership of l to the world (freed by nst_world_free). 0 or -ENOMEM. */
int nst_world_adopt_link(struct nst_world *w, struct nst_sim_link *l);
/* A fresh locally administered unicast MAC. 0 or -ENOSPC once 65536 are used. */
int nst_world_new_mac(struct nst_world *w, struct nst_mac *out);
int nst_world_has_host(const struct nst_world *w, const struct nst_stack *st);

/* sim_link.c */
void nst_sim_link_free(struct nst_sim_link *l);

/* A middlebox in a link's wire (idle_box.c): pass() sees every frame a
 * stack offers to the link, after the capture, and returns 1 to let it
 * travel on, 0 to drop it (counted as box_drops). The box may put frames
 * of its own on the wire with nst_sim_link_inject (captured, queued and
 * impaired like any other, not shown to pass()). The link owns the box
 * (free() at the link's end). */
struct nst_sim_box_ops {
    int (*pass)(void *box, int dir, nst_time_t now, const uint8_t *frame, size_t len);
    void (*free)(void *box);
};
void nst_sim_link_set_box(struct nst_sim_link *l, const struct nst_sim_box_ops *ops, void *box);
int nst_sim_link_inject(struct nst_sim_link *l, int dir, const uint8_t *frame, size_t len);
struct nst_world *nst_sim_link_world(const struct nst_sim_link *l);

#endif
