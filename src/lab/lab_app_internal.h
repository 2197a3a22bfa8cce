/* Shared by the lab scenarios above libnstack (the _app.c files of src/lab). */
#ifndef NST_LAB_APP_INTERNAL_H
#define NST_LAB_APP_INTERNAL_H

#include <nstack/http.h>

/* One HTTP call's end, as a scenario waits for it: pass a zeroed struct as
 * the call's arg with nst_lab_call_done as on_done, then run the world
 * until nst_lab_call_over(arg). */
struct nst_lab_call {
    int done, err;
    struct nst_http_timing t;
};
void nst_lab_call_done(void *arg, struct nst_http_call *c, int err);
int nst_lab_call_over(void *arg);

#endif
