/* See serve_control.h. */
#include "tools/serve_control.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int serve_control_start(const struct tap_host *h, const char *path, struct nst_control **out)
{
    int err = nst_control_open(h->rl, h->st, path, out);
    if (err) {
        fprintf(stderr, "nstack serve: cannot open the control socket %s: %s\n", path, strerror(-err));
        if (err == -EEXIST)
            fprintf(stderr, "nstack serve: %s exists and is not a socket; choose another path\n", path);
        return 1;
    }
    printf("nstack serve: control socket %s (nstack ss --control %s -s)\n", path, path);
    return 0;
}

void serve_control_stop(struct nst_control *c) { nst_control_close(c); }
