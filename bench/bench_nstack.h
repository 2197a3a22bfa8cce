/* The nstack benchmarks, one file per concern: bench_nstack.c (main, bulk,
 * request/response, connection rate), bench_nstack_scale.c (many
 * connections: memory, timers, TIME_WAIT), bench_nstack_lossy.c (a lossy
 * long path on the simulator). */
#ifndef NST_BENCH_NSTACK_H
#define NST_BENCH_NSTACK_H

#include "bench_util.h"

int bench_nstack_bulk(const struct bu_opts *o);
int bench_nstack_rr(const struct bu_opts *o);
int bench_nstack_crr(const struct bu_opts *o);
/* Bulk (MTU 1500) and CRR over IPv6, alternating with IPv4 (bulk6/mtu1500,
 * crr6/64B; the note gives the IPv6/IPv4 ratio). */
int bench_nstack_bulk6(const struct bu_opts *o);
int bench_nstack_crr6(const struct bu_opts *o);
int bench_nstack_scale(const struct bu_opts *o);
int bench_nstack_lossy(const struct bu_opts *o);
/* RR and bulk across message sizes (rr/<n>B, bulk-write/<n>B). */
int bench_nstack_sweep(const struct bu_opts *o);

#endif
