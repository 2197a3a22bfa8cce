/* Every counter of a stack (<nstack/stats.h>), for scripts: `nstack serve`
 * and `nstack connect` print them at exit when the environment has
 * NSTACK_COUNTERS=1 (the adversarial tests read them back). */
#ifndef NST_TOOLS_COUNTERS_H
#define NST_TOOLS_COUNTERS_H

#include <stdio.h>

#include <nstack/stats.h>

/* Nonzero if NSTACK_COUNTERS is set to something other than "" or "0". */
int nst_cli_counters_wanted(void);
/* One line per nonzero counter, "counter LAYER.NAME VALUE", in declaration
 * order (a counter not printed is 0). */
void nst_cli_print_counters(FILE *out, const struct nst_stack *st);

#endif
