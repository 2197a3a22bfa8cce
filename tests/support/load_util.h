/* A load-test world for port and connection tests: a client and a server
 * joined by two links, so the client has two source addresses and the
 * server two destination addresses:
 *
 *   client 10.0.0.1/24 --(1 ms)-- 10.0.0.2/24 server
 *   client 10.0.1.1/24 --(1 ms)-- 10.0.1.2/24 server
 *
 * Links have no queue limit and no bandwidth limit, neighbours are static
 * (ARP would hold only 8 packets per address while resolving), and the
 * server's backlog is large: tens of thousands of connections can be opened
 * at one instant and all complete one round trip later. */
#ifndef NST_TEST_LOAD_UTIL_H
#define NST_TEST_LOAD_UTIL_H

#include <nstack/nstack.h>

#define LU_CLI_A NST_IP4(10, 0, 0, 1)
#define LU_SRV_A NST_IP4(10, 0, 0, 2)
#define LU_CLI_B NST_IP4(10, 0, 1, 1)
#define LU_SRV_B NST_IP4(10, 0, 1, 2)
#define LU_BACKLOG (1 << 17)

struct lu_world {
    struct nst_world *w;
    struct nst_stack *cli, *srv;
    struct nst_sim_link *links[2];
};

/* cli_cfg / srv_cfg may be NULL (defaults; the server's max_backlog is
 * raised to LU_BACKLOG either way). 0 or -errno. */
int lu_build(struct lu_world *lw, uint64_t seed, const struct nst_stack_config *cli_cfg,
             const struct nst_stack_config *srv_cfg);
void lu_free(struct lu_world *lw);

/* A listener on the server's wildcard address (SO_REUSEADDR if reuse). */
int lu_listen(struct lu_world *lw, uint16_t port, int reuse);

/* Opens connections from the client to dst, one socket each, binding
 * first to `bind_addr` (port 0) if it is not 0, with the options given.
 * Stops at the first socket whose bind or connect does not return 0 /
 * -EINPROGRESS: *err gets that error (0 if all n went out) and that socket
 * is closed. fds (may be NULL) gets the descriptors. Returns how many went
 * out. */
struct lu_open_opts {
    nst_ip4_t bind_addr;
    int bind_no_port;       /* NST_IP_BIND_ADDRESS_NO_PORT */
    int tw_reuse;           /* NST_TCP_TW_REUSE */
};
int lu_open(struct lu_world *lw, const struct nst_sockaddr *dst, int n, const struct lu_open_opts *o, int *fds,
            int *err);

/* Accepts every connection waiting on lfd; returns how many. Their
 * descriptors go to fds (may be NULL, up to max). */
int lu_accept_all(struct lu_world *lw, int lfd, int *fds, int max);

/* How many of the stack's sockets are in `state` (TCP). */
int lu_count_state(struct nst_stack *st, int state);

#endif
