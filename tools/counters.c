/* The full counter dump behind NSTACK_COUNTERS=1 (tools/counters.h). An
 * environment variable rather than an option: it is for test scripts, and
 * every TAP command gets it without touching their option tables. */
#include <stdlib.h>
#include <string.h>

#include "tools/counters.h"

int nst_cli_counters_wanted(void)
{
    const char *v = getenv("NSTACK_COUNTERS");
    return v && *v && strcmp(v, "0") != 0;
}

static void print_one(void *arg, const char *layer, const char *name, uint64_t value)
{
    if (value)
        fprintf(arg, "counter %s.%s %llu\n", layer, name, (unsigned long long)value);
}

void nst_cli_print_counters(FILE *out, const struct nst_stack *st)
{
    nst_stats_foreach(nst_stack_stats(st), print_one, out);
}
