/* Shared by the lab's scenarios. */
#ifndef NST_LAB_INTERNAL_H
#define NST_LAB_INTERNAL_H

#include <stdio.h>

#include <nstack/lab.h>
#include <nstack/socket.h>
#include <nstack/stats.h>

/* Prints "  [ok] what" or "  [FAILED] what"; returns cond. */
int nst_lab_check(FILE *out, int cond, const char *what);
/* Starts a pcap of link l into o->out_dir/name (if out_dir is set) and
 * prints where it goes. */
void nst_lab_capture(const struct nst_demo_opts *o, struct nst_sim_link *l, const char *name, FILE *out);

/* Scenarios: 0 if their checks held. */
int nst_demo_path(const struct nst_demo_opts *o, FILE *out);
int nst_demo_best_effort(const struct nst_demo_opts *o, FILE *out);
int nst_demo_handshake(const struct nst_demo_opts *o, FILE *out);
int nst_demo_reliable_stream(const struct nst_demo_opts *o, FILE *out);

#endif
