/* See load_util.h. */
#include "support/load_util.h"

#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct nst_sim_link *join(struct lu_world *lw, nst_ip4_t ca, nst_ip4_t sa)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.queue_limit = 0;
    lp.bandwidth_bps = 0;
    struct nst_sim_link *l = nst_world_connect(lw->w, lw->cli, ca, 24, lw->srv, sa, 24, &lp);
    if (!l)
        return NULL;
    int ic = nst_sim_link_ifindex(l, 0), is = nst_sim_link_ifindex(l, 1);
    struct nst_iface_info c, s;
    nst_iface_get(lw->cli, ic, &c);
    nst_iface_get(lw->srv, is, &s);
    nst_arp_add_static(lw->cli, ic, sa, &s.mac);
    nst_arp_add_static(lw->srv, is, ca, &c.mac);
    return l;
}

int lu_build(struct lu_world *lw, uint64_t seed, const struct nst_stack_config *cli_cfg,
             const struct nst_stack_config *srv_cfg)
{
    memset(lw, 0, sizeof(*lw));
    struct nst_stack_config sc;
    if (srv_cfg)
        sc = *srv_cfg;
    else
        nst_stack_config_default(&sc);
    sc.tcp.max_backlog = LU_BACKLOG;
    sc.name = "server";
    lw->w = nst_world_new(seed);
    if (!lw->w)
        return -ENOMEM;
    lw->cli = nst_world_add_host(lw->w, "client", cli_cfg);
    lw->srv = nst_world_add_host(lw->w, "server", &sc);
    if (!lw->cli || !lw->srv)
        goto fail;
    lw->links[0] = join(lw, LU_CLI_A, LU_SRV_A);
    lw->links[1] = join(lw, LU_CLI_B, LU_SRV_B);
    if (!lw->links[0] || !lw->links[1])
        goto fail;
    return 0;
fail:
    lu_free(lw);
    return -ENOMEM;
}

void lu_free(struct lu_world *lw)
{
    nst_world_free(lw->w);
    memset(lw, 0, sizeof(*lw));
}

int lu_listen(struct lu_world *lw, uint16_t port, int reuse)
{
    int fd = nst_socket(lw->srv, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, port};
    if (fd < 0)
        return fd;
    if (reuse)
        nst_setsockopt(lw->srv, fd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &reuse, sizeof(reuse));
    int err = nst_bind(lw->srv, fd, &a);
    if (!err)
        err = nst_listen(lw->srv, fd, LU_BACKLOG);
    if (err) {
        nst_close(lw->srv, fd);
        return err;
    }
    return fd;
}

static int open_one(struct lu_world *lw, const struct nst_sockaddr *dst, const struct lu_open_opts *o, int *fd_out)
{
    struct nst_stack *st = lw->cli;
    int fd = nst_socket(st, NST_SOCK_STREAM);
    if (fd < 0)
        return fd;
    int one = 1, err = 0;
    if (o && o->tw_reuse)
        nst_setsockopt(st, fd, NST_IPPROTO_TCP, NST_TCP_TW_REUSE, &one, sizeof(one));
    if (o && o->bind_no_port)
        nst_setsockopt(st, fd, NST_IPPROTO_IP, NST_IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (o && o->bind_addr) {
        struct nst_sockaddr a = {o->bind_addr, 0};
        err = nst_bind(st, fd, &a);
    }
    if (!err) {
        err = nst_connect(st, fd, dst);
        if (err == -EINPROGRESS)
            err = 0;
    }
    if (err) {
        nst_close(st, fd);
        return err;
    }
    *fd_out = fd;
    return 0;
}

int lu_open(struct lu_world *lw, const struct nst_sockaddr *dst, int n, const struct lu_open_opts *o, int *fds,
            int *err)
{
    *err = 0;
    for (int i = 0; i < n; i++) {
        int fd;
        int e = open_one(lw, dst, o, &fd);
        if (e) {
            *err = e;
            return i;
        }
        if (fds)
            fds[i] = fd;
    }
    return n;
}

int lu_accept_all(struct lu_world *lw, int lfd, int *fds, int max)
{
    int n = 0, fd;
    while ((fd = nst_accept(lw->srv, lfd, NULL)) >= 0) {
        if (fds && n < max)
            fds[n] = fd;
        n++;
    }
    return n;
}

int lu_count_state(struct nst_stack *st, int state)
{
    int n;
    free(nst_lab_tcp_in_state(st, state, &n));
    return n;
}
