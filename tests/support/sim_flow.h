/* A bulk TCP flow between the two hosts of a simulated pair, cheap enough
 * to run for tens of seconds of virtual time: the stream is byte i =
 * i mod 251 (sent straight from a pattern buffer, nothing generated per
 * call), both ends hash it (FNV-1a) as it passes, the receiver also
 * checks every byte against the pattern as it arrives. */
#ifndef NST_TEST_SIM_FLOW_H
#define NST_TEST_SIM_FLOW_H

#include "support/sim_util.h"

#define SF_PATTERN 251u

struct sf_flow {
    struct su_pair p;
    struct nst_stack *srv, *cli; /* p.a receives, p.b sends */
    int lfd, sfd, cfd;
    uint64_t total, sent, received;
    uint64_t tx_hash, rx_hash;
    int bad_byte;                /* a received byte differed from the pattern */
    uint8_t pattern[65536 + SF_PATTERN];
    uint8_t buf[65536];
};

/* The pair (seed, cfg, lp: NULL for defaults), a listener on a, at 1 s a
 * connect from b: `total` bytes to move. NULL on failure. */
struct sf_flow *sf_flow_start(uint64_t seed, const struct nst_stack_config *cfg, const struct nst_link_params *lp,
                              uint64_t total);
void sf_flow_free(struct sf_flow *f);
/* Moves what it can; 1 once every byte was received (a predicate for
 * nst_world_run_until_cond). */
int sf_flow_pump(void *arg);
/* Runs the world (pumping) until t, or until all is received. */
void sf_flow_run_to(struct sf_flow *f, nst_time_t t);
/* The sender's TCP_INFO. */
struct nst_tcp_info sf_flow_sender_info(struct sf_flow *f);

#endif
