/* One HTTP call's end, for the lab's scenarios (lab_app_internal.h). */
#include "lab/lab_app_internal.h"

void nst_lab_call_done(void *arg, struct nst_http_call *c, int err)
{
    struct nst_lab_call *r = arg;
    r->done = 1;
    r->err = err;
    r->t = *nst_http_call_timing(c);
}

int nst_lab_call_over(void *arg) { return ((struct nst_lab_call *)arg)->done; }
