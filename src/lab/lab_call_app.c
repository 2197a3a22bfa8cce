/* Helpers of the lab's app scenarios (lab_app_internal.h): one HTTP call's
 * end, TLS 1.3 contexts. */
#include "lab/lab_app_internal.h"

#include <nstack/tls.h>

void nst_lab_call_done(void *arg, struct nst_http_call *c, int err)
{
    struct nst_lab_call *r = arg;
    r->done = 1;
    r->err = err;
    r->t = *nst_http_call_timing(c);
}

int nst_lab_call_over(void *arg) { return ((struct nst_lab_call *)arg)->done; }

int nst_lab_tls13_contexts(struct nst_tls_test_pki *pki, const char *names, int tickets, struct nst_tls_ctx **sctx,
                           struct nst_tls_ctx **cctx)
{
    if (nst_tls_make_test_pki(pki, names, 30))
        return -1;
    struct nst_tls_config sc, cc;
    nst_tls_config_default(&sc, NST_TLS_SERVER);
    sc.cert = pki->cert;
    sc.key = pki->key;
    sc.min_version = sc.max_version = NST_TLS1_3;
    sc.tickets = tickets;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki->ca_cert;
    cc.session_cache_size = 0;
    if (nst_tls_ctx_new(&sc, sctx, NULL) || nst_tls_ctx_new(&cc, cctx, NULL))
        return -1;
    return 0;
}
