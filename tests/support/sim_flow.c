/* A long bulk flow on the simulator (see sim_flow.h). */
#include "sim_flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/tcp_info.h>

#define SF_PORT 5001

struct sf_flow *sf_flow_start(uint64_t seed, const struct nst_stack_config *cfg, const struct nst_link_params *lp,
                              uint64_t total)
{
    struct sf_flow *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    for (size_t i = 0; i < sizeof(f->pattern); i++)
        f->pattern[i] = (uint8_t)(i % SF_PATTERN);
    if (su_pair_build(&f->p, seed, cfg, lp) < 0) {
        free(f);
        return NULL;
    }
    f->srv = f->p.a;
    f->cli = f->p.b;
    f->total = total;
    f->tx_hash = f->rx_hash = SU_FNV_BASIS;
    f->sfd = -1;
    f->lfd = nst_socket(f->srv, NST_SOCK_STREAM);
    struct nst_sockaddr la = {0, SF_PORT}, ra = {SU_A_ADDR, SF_PORT};
    if (nst_bind(f->srv, f->lfd, &la) < 0 || nst_listen(f->srv, f->lfd, 4) < 0)
        goto fail;
    nst_world_run_until(f->p.w, NST_SEC(1));
    f->cfd = nst_socket(f->cli, NST_SOCK_STREAM);
    if (nst_connect(f->cli, f->cfd, &ra) != -EINPROGRESS)
        goto fail;
    return f;
fail:
    sf_flow_free(f);
    return NULL;
}

void sf_flow_free(struct sf_flow *f)
{
    su_pair_free(&f->p);
    free(f);
}

int sf_flow_pump(void *arg)
{
    struct sf_flow *f = arg;
    while (f->sent < f->total) {
        uint64_t want = f->total - f->sent;
        if (want > 65536)
            want = 65536;
        const uint8_t *p = f->pattern + f->sent % SF_PATTERN;
        long n = nst_send(f->cli, f->cfd, p, (size_t)want, 0);
        if (n <= 0)
            break;
        f->tx_hash = su_fnv(f->tx_hash, p, (size_t)n);
        f->sent += (uint64_t)n;
    }
    if (f->sfd < 0)
        f->sfd = nst_accept(f->srv, f->lfd, NULL);
    while (f->sfd >= 0) {
        long n = nst_recv(f->srv, f->sfd, f->buf, sizeof(f->buf), 0);
        if (n <= 0)
            break;
        if (memcmp(f->buf, f->pattern + f->received % SF_PATTERN, (size_t)n) != 0)
            f->bad_byte = 1;
        f->rx_hash = su_fnv(f->rx_hash, f->buf, (size_t)n);
        f->received += (uint64_t)n;
    }
    return f->received == f->total;
}

void sf_flow_run_to(struct sf_flow *f, nst_time_t t) { nst_world_run_until_cond(f->p.w, sf_flow_pump, f, t); }

struct nst_tcp_info sf_flow_sender_info(struct sf_flow *f)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    nst_getsockopt(f->cli, f->cfd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    return ti;
}
