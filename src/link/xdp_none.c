/* The AF_XDP link driver's stand-in, built when libxdp, libbpf or a BPF
 * clang was missing (cmake/xdp.cmake): opening a driver fails with
 * EOPNOTSUPP and says what to install. No driver can exist, so the other
 * functions are never reached with one; they answer as for a closed one. */
#include <nstack/xdp.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

void nst_xdp_config_default(struct nst_xdp_config *c)
{
    memset(c, 0, sizeof(*c));
    c->frames = 4096;
    c->ring = 2048;
    c->batch = 64;
    c->hold_max = 1024;
    c->seed = 1;
}

int nst_xdp_open(const struct nst_xdp_config *cfg, struct nst_xdp **out, char *why, size_t why_len)
{
    (void)cfg;
    *out = NULL;
    if (why && why_len)
        snprintf(why, why_len, "this nstack was built without AF_XDP: install libxdp-dev, libbpf-dev and "
                               "clang (scripts/deps.sh test) and build again");
    return -EOPNOTSUPP;
}

void nst_xdp_close(struct nst_xdp *x) { (void)x; }
struct nst_xdp_program *nst_xdp_program(const struct nst_xdp *x) { (void)x; return NULL; }
int nst_xdp_fd(const struct nst_xdp *x) { (void)x; return -1; }
const char *nst_xdp_name(const struct nst_xdp *x) { (void)x; return ""; }
unsigned nst_xdp_queue(const struct nst_xdp *x) { (void)x; return 0; }
int nst_xdp_zerocopy(const struct nst_xdp *x) { (void)x; return 0; }
int nst_xdp_native(const struct nst_xdp *x) { (void)x; return 0; }
int nst_xdp_kernel_mac(const struct nst_xdp *x, struct nst_mac *mac) { (void)x, (void)mac; return -EOPNOTSUPP; }
int nst_xdp_kernel_mtu(const struct nst_xdp *x) { (void)x; return -EOPNOTSUPP; }
int nst_xdp_attach(struct nst_xdp *x, struct nst_stack *st, const struct nst_iface_config *ifc)
{
    (void)x, (void)st, (void)ifc;
    return -EOPNOTSUPP;
}
int nst_xdp_receive(struct nst_xdp *x, nst_time_t now) { (void)x, (void)now; return -EOPNOTSUPP; }
void nst_xdp_flush(struct nst_xdp *x) { (void)x; }
void nst_xdp_advance(struct nst_xdp *x, nst_time_t now) { (void)x, (void)now; }
nst_time_t nst_xdp_next_deadline(const struct nst_xdp *x) { (void)x; return NST_TIME_NEVER; }
const struct nst_xdp_stats *nst_xdp_stats(struct nst_xdp *x) { (void)x; return NULL; }
int nst_runloop_add_xdp(struct nst_runloop *rl, struct nst_xdp *x) { (void)rl, (void)x; return -EOPNOTSUPP; }
