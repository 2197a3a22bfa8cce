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

/* A throwaway CA and a certificate for `names`, a TLS 1.3-only server
 * context (session tickets or not) and a client context that trusts the CA
 * and keeps no sessions: every connection a full handshake. 0 or -1. */
struct nst_tls_test_pki;
struct nst_tls_ctx;
int nst_lab_tls13_contexts(struct nst_tls_test_pki *pki, const char *names, int tickets, struct nst_tls_ctx **sctx,
                           struct nst_tls_ctx **cctx);

#endif
