/* nstack ss / netstat -s over the stacks of `nstack serve --queues N
 * --control PATH`, which opens one control socket per stack: PATH.0 to
 * PATH.N-1. Each stack is asked, and the answers are merged: counters
 * (netstat -s, ss -s) summed line by line, socket lists joined under one
 * header. */
#ifndef NST_TOOLS_SS_MERGE_H
#define NST_TOOLS_SS_MERGE_H

#include <stdio.h>

/* How many of PATH.0, PATH.1, ... exist (0: PATH is a single stack's). */
unsigned nst_ss_stack_count(const char *path);
/* Asks PATH.0 .. PATH.n-1 the request and writes the merged answer.
 * 0, or the first failing query's -errno (nothing written then). */
int nst_ss_query_merged(const char *path, unsigned n, const char *req, FILE *out, int timeout_ms);

#endif
