/* Impairment of one direction of a real link (the TAP driver's netem):
 * loss, a fixed delay, duplication and reordering, drawn from a seeded
 * generator so the n-th frame of a direction meets the same fate on every
 * run with the same seed.
 *
 * Held frames live in two FIFOs: frames only delayed, and frames held back
 * for reordering. With a fixed delay, each FIFO's release times rise with
 * the arrival times, so the next frame due is at one of the two heads:
 * O(1) per frame, and no heap. */
#ifndef NST_LINK_IMPAIR_H
#define NST_LINK_IMPAIR_H

#include <nstack/tap.h>

#include "core/rng.h"

struct nst_held_frame;

struct nst_held_fifo {
    struct nst_held_frame **v;
    unsigned head, n, cap;
};

struct nst_impair {
    struct nst_tap_impair p;
    struct nst_rng rng;
    unsigned hold_max;             /* frames held in both FIFOs together */
    uint64_t next_seq;             /* ties between the FIFOs go to the earlier arrival */
    struct nst_held_fifo delayed;  /* release = arrival + delay */
    struct nst_held_fifo reordered; /* release = arrival + delay + reorder_delay */
    struct nst_tap_dir_stats *stats; /* lost, duplicated, reordered, delayed, hold_drops */
};

/* Where a frame goes when it may pass. */
typedef void (*nst_impair_out_fn)(void *arg, const uint8_t *frame, size_t len);

/* Probabilities are clamped to [0, 1] and negative times to 0. 0 or -ENOMEM. */
int nst_impair_init(struct nst_impair *im, const struct nst_tap_impair *p, uint64_t seed, unsigned hold_max,
                    struct nst_tap_dir_stats *stats);
void nst_impair_fini(struct nst_impair *im);
/* 1 if the direction changes nothing (frames pass straight through). */
int nst_impair_is_clean(const struct nst_impair *im);
/* Decides the fate of a frame arriving at `now`: passes it (and its twin)
 * to out at once, holds it (copied), or drops it. */
void nst_impair_frame(struct nst_impair *im, nst_time_t now, const uint8_t *frame, size_t len,
                      nst_impair_out_fn out, void *arg);
/* Passes to out, in release order, every held frame due by `now`. */
void nst_impair_release(struct nst_impair *im, nst_time_t now, nst_impair_out_fn out, void *arg);
/* Release time of the next held frame, NST_TIME_NEVER if none. */
nst_time_t nst_impair_next(const struct nst_impair *im);
unsigned nst_impair_held(const struct nst_impair *im);

#endif
