/* The world: a virtual clock, the event queue, the hosts (ordinary stacks)
 * and the links between them, and the loop that runs them all in time
 * order. Nothing here reads a real clock: a run is a pure function of the
 * world's seed and of what the caller does at which virtual time. */
#include "sim/sim_world.h"

#include <nstack/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64's output function (Steele, Lea & Flood): spreads nearby inputs
 * (seed, seed+1, host 0, host 1...) into unrelated 64-bit values. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Host i's seed is the (i+1)-th splitmix64 output of the world seed, so a
 * host's randomness depends only on the seed and its index, never on how
 * many frames other links have impaired. */
static uint64_t host_seed(uint64_t world_seed, size_t index)
{
    return mix64(world_seed + 0x9e3779b97f4a7c15ULL * ((uint64_t)index + 1));
}

/* A stream of its own for the links, apart from every host's. */
#define WORLD_RNG_DOMAIN 0x73696d2d6c696e6bULL /* "sim-link" */

struct nst_world *nst_world_new(uint64_t seed)
{
    struct nst_world *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->seed = seed;
    w->now = 0;
    nst_rng_seed(&w->rng, mix64(seed ^ WORLD_RNG_DOMAIN));
    nst_sim_events_init(&w->events);
    return w;
}

void nst_world_free(struct nst_world *w)
{
    if (!w)
        return;
    /* Events point at links, links at stacks: free in that order. */
    nst_sim_events_free(&w->events);
    for (size_t i = 0; i < w->nlinks; i++)
        nst_sim_link_free(w->links[i]);
    free(w->links);
    for (size_t i = 0; i < w->nhosts; i++) {
        nst_stack_free(w->hosts[i].st);
        free(w->hosts[i].name);
    }
    free(w->hosts);
    free(w);
}

/* Makes room for one more element in a growable array. 0 or -ENOMEM. */
static int reserve_one(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *nv = realloc(*v, ncap * elem);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

struct nst_stack *nst_world_add_host(struct nst_world *w, const char *name, const struct nst_stack_config *cfg)
{
    if (!w)
        return NULL;
    if (reserve_one((void **)&w->hosts, &w->hosts_cap, w->nhosts, sizeof *w->hosts) < 0)
        return NULL;
    char fallback[24];
    if (!name) {
        snprintf(fallback, sizeof fallback, "h%zu", w->nhosts);
        name = fallback;
    }
    struct nst_stack_config c;
    if (cfg)
        c = *cfg;
    else
        nst_stack_config_default(&c);
    c.name = name;
    c.seed = host_seed(w->seed, w->nhosts);
    /* OS entropy would make the run unrepeatable: the world seed rules. */
    c.deterministic = 1;

    char *copy = strdup(name);
    if (!copy)
        return NULL;
    struct nst_stack *st = nst_stack_new(&c);
    if (!st) {
        free(copy);
        return NULL;
    }
    w->hosts[w->nhosts].st = st;
    w->hosts[w->nhosts].name = copy;
    w->nhosts++;
    /* A host joins at the world's present, not at time 0. */
    if (w->now > 0)
        nst_stack_poll(st, w->now);
    return st;
}

struct nst_stack *nst_world_find_host(struct nst_world *w, const char *name)
{
    if (!w || !name)
        return NULL;
    for (size_t i = 0; i < w->nhosts; i++)
        if (strcmp(w->hosts[i].name, name) == 0)
            return w->hosts[i].st;
    return NULL;
}

int nst_world_has_host(const struct nst_world *w, const struct nst_stack *st)
{
    for (size_t i = 0; i < w->nhosts; i++)
        if (w->hosts[i].st == st)
            return 1;
    return 0;
}

int nst_world_adopt_link(struct nst_world *w, struct nst_sim_link *l)
{
    if (reserve_one((void **)&w->links, &w->links_cap, w->nlinks, sizeof *w->links) < 0)
        return -ENOMEM;
    w->links[w->nlinks++] = l;
    return 0;
}

int nst_world_new_mac(struct nst_world *w, struct nst_mac *out)
{
    if (w->macs_assigned > 0xffff)
        return -ENOSPC;
    uint32_t n = w->macs_assigned++;
    /* 0x02: the locally administered bit set, the group bit clear
     * (IEEE 802 48-bit address, U/L and I/G bits of the first octet). */
    const uint8_t mac[6] = {0x02, 0, 0, 0, (uint8_t)(n >> 8), (uint8_t)n};
    memcpy(out->b, mac, sizeof mac);
    return 0;
}

nst_time_t nst_world_now(const struct nst_world *w) { return w->now; }

static nst_time_t hosts_next_deadline(const struct nst_world *w)
{
    nst_time_t t = NST_TIME_NEVER;
    for (size_t i = 0; i < w->nhosts; i++) {
        nst_time_t d = nst_stack_next_deadline(w->hosts[i].st);
        if (d < t)
            t = d;
    }
    return t;
}

nst_time_t nst_world_next_event(const struct nst_world *w)
{
    nst_time_t te = nst_sim_events_next(&w->events);
    nst_time_t th = hosts_next_deadline(w);
    return te < th ? te : th;
}

/* Polls, in index order, every host with a timer due at or before t. */
static void poll_due_hosts(struct nst_world *w, nst_time_t t)
{
    for (size_t i = 0; i < w->nhosts; i++)
        if (nst_stack_next_deadline(w->hosts[i].st) <= t)
            nst_stack_poll(w->hosts[i].st, t);
}

/* Runs whatever is due first, if that is at or before `until`. Frame
 * events go before stack timers due at the same instant, so a timer sees
 * the frames that arrived "at the same time". Returns 0 if nothing was due. */
static int world_step(struct nst_world *w, nst_time_t until)
{
    nst_time_t te = nst_sim_events_next(&w->events);
    nst_time_t th = hosts_next_deadline(w);
    nst_time_t t = te < th ? te : th;
    if (t == NST_TIME_NEVER)
        return 0;
    /* A deadline already in the past runs now: time never goes back. */
    if (t < w->now)
        t = w->now;
    if (t > until)
        return 0;
    w->now = t;
    if (te <= t) {
        struct nst_sim_event *ev = nst_sim_events_pop(&w->events);
        ev->ops->fire(w, ev);
    } else {
        poll_due_hosts(w, t);
    }
    return 1;
}

/* Brings every host's clock to the world's, so socket calls the caller
 * makes next are stamped with the present. No timer is due at or before
 * now that the loop has not already run, except ones due exactly now
 * (which would run at this instant anyway). */
static void sync_hosts(struct nst_world *w)
{
    for (size_t i = 0; i < w->nhosts; i++)
        nst_stack_poll(w->hosts[i].st, w->now);
}

static void advance_to(struct nst_world *w, nst_time_t t)
{
    if (t > w->now && t != NST_TIME_NEVER)
        w->now = t;
    sync_hosts(w);
}

void nst_world_run_until(struct nst_world *w, nst_time_t until)
{
    while (world_step(w, until))
        ;
    advance_to(w, until);
}

void nst_world_run_for(struct nst_world *w, nst_time_t duration)
{
    nst_time_t until = duration > NST_TIME_NEVER - w->now ? NST_TIME_NEVER : w->now + duration;
    nst_world_run_until(w, until);
}

int nst_world_run_until_cond(struct nst_world *w, int (*pred)(void *arg), void *arg, nst_time_t deadline)
{
    if (pred(arg))
        return 1;
    while (world_step(w, deadline)) {
        if (pred(arg)) {
            sync_hosts(w);
            return 1;
        }
    }
    advance_to(w, deadline);
    return 0;
}

struct events_wait {
    struct nst_stack *st;
    int fd, mask;
};

static int events_ready(void *arg)
{
    struct events_wait *e = arg;
    int ev = nst_socket_events(e->st, e->fd);
    return ev >= 0 && (ev & e->mask) != 0;
}

int nst_world_run_until_events(struct nst_world *w, struct nst_stack *st, int fd, int mask, nst_time_t deadline)
{
    struct events_wait e = {st, fd, mask};
    return nst_world_run_until_cond(w, events_ready, &e, deadline);
}
