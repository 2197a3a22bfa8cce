/* nstack — the demo scenarios that need the application layer (nstack_app:
 * WebSocket over streams), handed to nst_lab_demo via nst_demo_opts.extra
 * because libnstack does not link nstack_app. */
#ifndef NSTACK_APP_DEMO_H
#define NSTACK_APP_DEMO_H

#include "lab.h"

/* Ended by a NULL name. */
extern const struct nst_demo_scenario nst_app_demo_scenarios[];

#endif
