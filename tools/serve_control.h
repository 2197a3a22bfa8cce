/* nstack serve --control PATH: the Unix-domain control socket that
 * `nstack ss --control PATH` and `nstack netstat -s --control PATH` ask
 * (<nstack/control.h>), registered in the serve's run loop. */
#ifndef NST_TOOLS_SERVE_CONTROL_H
#define NST_TOOLS_SERVE_CONTROL_H

#include <nstack/control.h>

#include "tools/cmd_tap.h"

/* Opens the socket at path for h's stack; prints where it is, or why it
 * failed. 0 or 1 (the exit code). */
int serve_control_start(const struct tap_host *h, const char *path, struct nst_control **out);
/* Closes it and removes the socket file; NULL is fine. */
void serve_control_stop(struct nst_control *c);

#endif
