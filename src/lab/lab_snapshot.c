/* nst_lab_snapshot: a scenario's world kept at its telling moment, so
 * `nstack ss --scenario NAME` can inspect the simulated hosts with the
 * same options as a live process. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <string.h>

const char *const nst_lab_snapshot_names[] = {"port-exhaustion", "time-wait", "close-wait", "path", NULL};

static int (*const snap_fns[])(const struct nst_demo_opts *, struct nst_lab_snapshot *) = {
    nst_lab_snap_ports,
    nst_lab_snap_time_wait,
    nst_lab_snap_close_wait,
    nst_lab_snap_path,
};

int nst_lab_snapshot(const char *name, uint64_t seed, struct nst_lab_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    struct nst_demo_opts o;
    nst_demo_opts_default(&o);
    o.seed = seed;
    o.out_dir = NULL;
    for (size_t i = 0; nst_lab_snapshot_names[i]; i++)
        if (strcmp(name, nst_lab_snapshot_names[i]) == 0)
            return snap_fns[i](&o, s);
    return -ENOENT;
}

void nst_lab_snapshot_free(struct nst_lab_snapshot *s)
{
    if (s->free_priv)
        s->free_priv(s->priv);
    memset(s, 0, sizeof(*s));
}
