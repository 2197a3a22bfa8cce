/* Shared by the lab's scenarios. */
#ifndef NST_LAB_INTERNAL_H
#define NST_LAB_INTERNAL_H

#include <stdio.h>

#include <nstack/lab.h>
#include <nstack/socket.h>
#include <nstack/stats.h>

/* Prints "  [ok] what" or "  [FAILED] what"; returns cond. */
int nst_lab_check(FILE *out, int cond, const char *what);
/* o->out_dir/name in buf, or NULL when the demo writes no files. */
const char *nst_lab_out_path(const struct nst_demo_opts *o, const char *name, char *buf, size_t size);
/* Prints where a picture went (or why it did not). */
void nst_lab_picture_note(FILE *out, const char *path, int err);
/* Starts a pcap of link l into o->out_dir/name (if out_dir is set) and
 * prints where it goes. */
void nst_lab_capture(const struct nst_demo_opts *o, struct nst_sim_link *l, const char *name, FILE *out);

/* What a scenario changes on the New York - London path (0: default). */
struct nst_demo_impair {
    double loss, duplicate, reorder; /* on the transatlantic link */
    uint64_t bandwidth_bps;          /* every link */
};
/* Builds the scenario's path with the demo's seed and `imp` (NULL: a clean
 * path), and captures link `cap_link` into `cap_name`. 0 or -errno. */
int nst_demo_build_path(const struct nst_demo_opts *o, struct nst_lab_path *p, const struct nst_demo_impair *imp,
                        int cap_link, const char *cap_name, FILE *out);

/* Scenarios: 0 if their checks held. */
int nst_demo_path(const struct nst_demo_opts *o, FILE *out);
int nst_demo_best_effort(const struct nst_demo_opts *o, FILE *out);
int nst_demo_handshake(const struct nst_demo_opts *o, FILE *out);
int nst_demo_reliable_stream(const struct nst_demo_opts *o, FILE *out);

#endif
