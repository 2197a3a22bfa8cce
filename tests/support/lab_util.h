/* Test helper for the lab's scenarios: one run with the demo's defaults
 * (seed 1, no captures), its output kept. */
#ifndef NST_TEST_LAB_UTIL_H
#define NST_TEST_LAB_UTIL_H

#include <stdio.h>

#include <nstack/lab.h>

/* Runs scenario fn, stores its return in *rc, echoes its output to stderr
 * (for the test log) and returns it (malloc'd, the caller frees). */
char *lab_run_scenario(int (*fn)(const struct nst_demo_opts *, FILE *), int *rc);

#endif
