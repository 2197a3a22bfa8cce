#include <nstack/stats.h>

#include "core/stack_impl.h"

const struct nst_stats *nst_stack_stats(const struct nst_stack *st) { return &st->stats; }

void nst_stats_foreach(const struct nst_stats *s,
                       void (*fn)(void *arg, const char *layer, const char *name, uint64_t value), void *arg)
{
#define NST_STATS_VISIT(layer, name) fn(arg, #layer, #name, s->layer##_##name);
    NST_STATS_ALL(NST_STATS_VISIT)
#undef NST_STATS_VISIT
}
