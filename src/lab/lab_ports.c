/* The article's ports, measured: "a client picks its source port from the
 * ephemeral range (49152-65535, about 16,000 ports) ... load tests against
 * one server address and port run out of them."
 *
 * New York is the load generator, London the server. New York opens
 * connections to London:80 until connect() fails: exactly 16,384, then
 * EADDRNOTAVAIL at once. Then the fixes, each measured: another
 * destination port (a new set of 4-tuples), a second source address, a
 * wider range, and TIME_WAIT reuse once the connections are closed.
 *
 * New York gets its second address, 10.0.5.2, on a second link to r1 (the
 * lab's hosts have one address per interface); r2 routes 10.0.5.0/24 back
 * through r1. No capture: tens of thousands of handshakes would make a
 * capture nobody opens. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/inspect.h>
#include <nstack/tcp_info.h>

#define HTTP 80
#define ALT_PORT 8080
#define NY_ADDR2 NST_IP4(10, 0, 5, 2)
#define R1_ADDR2 NST_IP4(10, 0, 5, 1)
#define RANGE_DEFAULT 16384 /* 49152-65535 */
#define LINUX_LO 32768
#define LINUX_HI 60999
#define BACKLOG 65536

/* ---- the world -------------------------------------------------------------- */

/* What each part measured, for the closing table. */
struct results {
    int one_addr, two_addrs, wider, reused;
};

struct load {
    struct nst_lab_path p;
    struct nst_lab_app srv;   /* London: accepts, closes on EOF */
    int lfd, lfd_alt;
    int *fds;                 /* New York's connections to London:80 from 10.0.1.2 */
    int nfds;
};

static int add_second_address(struct nst_lab_path *p)
{
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_USEC(500);
    lp.queue_limit = 0;
    struct nst_stack *r1 = p->routers[0], *r2 = p->routers[1];
    struct nst_sim_link *l = nst_world_connect(p->world, p->ny, NY_ADDR2, 24, r1, R1_ADDR2, 24, &lp);
    if (!l)
        return -ENOMEM;
    struct nst_iface_info a, b;
    nst_iface_get(p->ny, nst_sim_link_ifindex(l, 0), &a);
    nst_iface_get(r1, nst_sim_link_ifindex(l, 1), &b);
    nst_arp_add_static(p->ny, nst_sim_link_ifindex(l, 0), R1_ADDR2, &b.mac);
    nst_arp_add_static(r1, nst_sim_link_ifindex(l, 1), NY_ADDR2, &a.mac);
    return nst_route_add(r2, NST_IP4(10, 0, 5, 0), 24, NST_IP4(10, 0, 12, 1), nst_sim_link_ifindex(p->links[1], 1),
                         0);
}

/* London's application: accept everything, close when the peer does. */
static void server_app(struct nst_lab_app *a, int fd, int ev)
{
    struct load *ld = a->arg;
    if (fd == ld->lfd || fd == ld->lfd_alt) {
        nst_lab_app_accept_all(a, fd);
        return;
    }
    char buf[512];
    if (ev & (NST_EV_IN | NST_EV_HUP | NST_EV_ERR)) {
        ssize_t n;
        while ((n = nst_recv(a->st, fd, buf, sizeof(buf), 0)) > 0)
            ;
        if (n == 0 || (n < 0 && n != -EAGAIN))
            nst_close(a->st, fd);
    }
}

/* The path, links without a queue limit (a burst of thousands of SYNs),
 * New York's range lo-hi, a second address for New York, London serving
 * ports 80 and 8080. */
static int load_build(const struct nst_demo_opts *o, struct load *ld, uint16_t lo, uint16_t hi)
{
    memset(ld, 0, sizeof(*ld));
    struct nst_stack_config cfg;
    nst_stack_config_default(&cfg);
    cfg.ephemeral_lo = lo;
    cfg.ephemeral_hi = hi;
    cfg.tcp.max_backlog = BACKLOG;
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.queue_limit = 0;
    po.host_cfg = &cfg;
    if (nst_lab_path_build(&ld->p, &po) < 0)
        return -1;
    ld->fds = calloc((size_t)hi - lo + 2, sizeof(int));
    if (!ld->fds || add_second_address(&ld->p) < 0)
        return -1;
    nst_lab_warm_up_arp(&ld->p);
    ld->lfd = nst_lab_listen(ld->p.london, HTTP, BACKLOG);
    ld->lfd_alt = nst_lab_listen(ld->p.london, ALT_PORT, BACKLOG);
    if (ld->lfd < 0 || ld->lfd_alt < 0)
        return -1;
    nst_lab_app_attach(&ld->srv, ld->p.london, server_app, ld);
    return 0;
}

static void load_free(struct load *ld)
{
    if (ld->srv.st)
        nst_lab_app_detach(&ld->srv);
    free(ld->fds);
    nst_lab_path_free(&ld->p);
}

static void load_run(struct load *ld, nst_time_t d)
{
    struct nst_lab_app *apps[1] = {&ld->srv};
    nst_lab_apps_run(ld->p.world, apps, 1, nst_world_now(ld->p.world) + d);
}

/* ---- opening connections ------------------------------------------------------ */

struct burst {
    int opened;       /* connect() calls that started a handshake */
    int err;          /* what the first failing call returned (0: none failed) */
    uint64_t sent_by_failure; /* segments the failing call sent (must be 0) */
};

struct open_opts {
    nst_ip4_t bind_addr;      /* 0: let the stack choose */
    int tw_reuse;
};

/* Opens up to max connections to dst, one socket each, all at once, as a
 * load generator does; stops at the first failure. fds (may be NULL) gets
 * the descriptors. */
static struct burst open_burst(struct nst_stack *st, const struct nst_sockaddr *dst, int max,
                               const struct open_opts *o, int *fds)
{
    struct burst b = {0};
    int one = 1;
    for (int i = 0; i < max; i++) {
        uint64_t before = nst_stack_stats(st)->tcp_tx_segments;
        int fd = nst_socket(st, NST_SOCK_STREAM);
        if (o && o->tw_reuse)
            nst_setsockopt(st, fd, NST_IPPROTO_TCP, NST_TCP_TW_REUSE, &one, sizeof(one));
        int rc = 0;
        if (o && o->bind_addr) {
            /* Linux's advice for this very problem: bind the address, leave
             * the port to connect(), which picks it per 4-tuple. */
            struct nst_sockaddr a = {o->bind_addr, 0};
            nst_setsockopt(st, fd, NST_IPPROTO_IP, NST_IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
            rc = nst_bind(st, fd, &a);
        }
        if (rc == 0)
            rc = nst_connect(st, fd, dst);
        if (rc != -EINPROGRESS) {
            b.err = rc;
            b.sent_by_failure = nst_stack_stats(st)->tcp_tx_segments - before;
            nst_close(st, fd);
            break;
        }
        if (fds)
            fds[b.opened] = fd;
        b.opened++;
    }
    return b;
}

/* TCP entries in `state`, from laddr (0: any) to port rport (0: any). */
static int count_state(struct nst_stack *st, int state, nst_ip4_t laddr, uint16_t rport)
{
    int n, k = 0;
    struct nst_sock_entry *v = nst_lab_tcp_in_state(st, state, &n);
    if (!v)
        return -1;
    for (int i = 0; i < n; i++)
        k += (!laddr || v[i].local.addr == laddr) && (!rport || v[i].peer.port == rport);
    free(v);
    return k;
}

static const char *err_name(int err)
{
    return err == -EADDRNOTAVAIL ? "EADDRNOTAVAIL (Cannot assign requested address)" : strerror(-err);
}

/* ---- the scenario's parts ------------------------------------------------------ */

static int part_exhaust(struct load *ld, FILE *out, struct results *r)
{
    struct nst_stack *ny = ld->p.ny;
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    fprintf(out, "New York opens connections to London:80 (10.0.4.2:80) from 10.0.1.2, all at once,\n"
                 "as a load test does, until connect() fails.\n\n");
    struct burst b = open_burst(ny, &dst, RANGE_DEFAULT + 1000, NULL, ld->fds);
    ld->nfds = b.opened;
    r->one_addr = b.opened;
    load_run(ld, NST_SEC(1));
    int estab = count_state(ny, NST_TCPS_ESTABLISHED, NST_LAB_NY_ADDR, 0);
    fprintf(out, "  connect() #%d failed: %s\n", b.opened + 1, err_name(b.err));
    fprintf(out, "  %d connections established; ephemeral range 49152-65535 = %d ports\n", estab, RANGE_DEFAULT);
    nst_lab_show(out, ny, "ny", "ss -s", 0);
    nst_lab_show(out, ny, "ny", "ss -tan", 3);
    int ok = nst_lab_check(out, b.opened == RANGE_DEFAULT && estab == RANGE_DEFAULT,
                           "exactly 16,384 connections from one address to one server address:port");
    ok &= nst_lab_check(out, b.err == -EADDRNOTAVAIL && b.sent_by_failure == 0 &&
                                 nst_stack_stats(ny)->tcp_port_exhausted == 1,
                        "the next connect() fails at once with EADDRNOTAVAIL, sends nothing, counted once");
    /* Another port of the same server: new 4-tuples, the same ports. */
    struct nst_sockaddr alt = {NST_LAB_LONDON_ADDR, ALT_PORT};
    struct burst c = open_burst(ny, &alt, 1, NULL, NULL);
    load_run(ld, NST_SEC(1));
    ok &= nst_lab_check(out, c.opened == 1 && count_state(ny, NST_TCPS_ESTABLISHED, 0, 0) == RANGE_DEFAULT + 1,
                        "the same client still connects to London:8080: the 4-tuple differs");
    return ok;
}

static int part_second_address(struct load *ld, FILE *out, struct results *r)
{
    struct nst_stack *ny = ld->p.ny;
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    fprintf(out, "\nFix: a second source address. New York binds 10.0.5.2 before connect()\n"
                 "(IP_BIND_ADDRESS_NO_PORT; or list both in the stack's tcp.source_addrs, round robin).\n");
    struct open_opts o = {.bind_addr = NY_ADDR2};
    struct burst b = open_burst(ny, &dst, RANGE_DEFAULT + 1000, &o, NULL);
    load_run(ld, NST_SEC(1));
    int second = count_state(ny, NST_TCPS_ESTABLISHED, NY_ADDR2, 0);
    int total = count_state(ld->p.london, NST_TCPS_ESTABLISHED, NST_LAB_LONDON_ADDR, 0);
    r->two_addrs = r->one_addr + b.opened;
    fprintf(out, "  %d more from 10.0.5.2, then %s\n", b.opened, err_name(b.err));
    fprintf(out, "  London now holds %d connections (ports 80 and 8080)\n", total);
    nst_lab_show(out, ny, "ny", "ss -s", 2);
    return nst_lab_check(out, b.opened == RANGE_DEFAULT && second == RANGE_DEFAULT && b.err == -EADDRNOTAVAIL,
                         "a second source address doubles it: 32,768 connections to London:80");
}

static int part_tw_reuse(struct load *ld, FILE *out, struct results *r)
{
    struct nst_stack *ny = ld->p.ny;
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    fprintf(out, "\nNew York closes its %d connections from 10.0.1.2 (it closes first: the\n"
                 "TIME_WAIT records are its own) and opens new ones at once.\n",
            ld->nfds);
    for (int i = 0; i < ld->nfds; i++)
        nst_close(ny, ld->fds[i]);
    load_run(ld, NST_SEC(1));
    int tw = count_state(ny, NST_TCPS_TIME_WAIT, NST_LAB_NY_ADDR, 0);
    uint64_t exhausted = nst_stack_stats(ny)->tcp_port_exhausted;
    struct burst b = open_burst(ny, &dst, 1, NULL, NULL);
    fprintf(out, "  %d ports in TIME_WAIT; connect(): %s\n", tw, err_name(b.err));
    nst_lab_show(out, ny, "ny", "ss -s", 2);
    int ok = nst_lab_check(out, tw == RANGE_DEFAULT && b.opened == 0 && b.err == -EADDRNOTAVAIL &&
                                    nst_stack_stats(ny)->tcp_port_exhausted == exhausted + 1,
                           "TIME_WAIT holds the ports: no new connection for 2*MSL (60 s)");
    load_run(ld, NST_SEC(1)); /* every record is now more than a second old */
    fprintf(out, "\nFix: TIME_WAIT reuse (NST_TCP_TW_REUSE, like Linux's net.ipv4.tcp_tw_reuse): with\n"
                 "timestamps, PAWS tells old segments from new, so a record at least 1 s old may\n"
                 "give its port to a new connection (whose ISN starts beyond the old one's).\n");
    struct open_opts o = {.tw_reuse = 1};
    uint64_t reused = nst_stack_stats(ny)->tcp_timewait_reused;
    b = open_burst(ny, &dst, RANGE_DEFAULT + 1000, &o, ld->fds);
    load_run(ld, NST_SEC(1));
    uint64_t now_reused = nst_stack_stats(ny)->tcp_timewait_reused - reused;
    int estab = count_state(ny, NST_TCPS_ESTABLISHED, NST_LAB_NY_ADDR, HTTP);
    r->reused = (int)now_reused;
    fprintf(out, "  %d new connections, %llu of them on ports taken over from TIME_WAIT, then %s\n", b.opened,
            (unsigned long long)now_reused, err_name(b.err));
    nst_lab_show(out, ny, "ny", "ss -s", 2);
    ok &= nst_lab_check(out, b.opened == RANGE_DEFAULT && now_reused == RANGE_DEFAULT && estab == RANGE_DEFAULT &&
                                 count_state(ny, NST_TCPS_TIME_WAIT, 0, 0) == 0,
                        "with reuse, all 16,384 ports carry new connections one second later");
    return ok;
}

static int part_wider_range(const struct nst_demo_opts *o, FILE *out, struct results *r)
{
    struct load ld;
    fprintf(out, "\nFix: a wider range. A fresh New York with Linux's default, 32768-60999:\n");
    int ok = load_build(o, &ld, LINUX_LO, LINUX_HI) == 0;
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    struct burst b = {0};
    if (ok) {
        b = open_burst(ld.p.ny, &dst, LINUX_HI - LINUX_LO + 1000, NULL, NULL);
        load_run(&ld, NST_SEC(1));
    }
    int estab = ok ? count_state(ld.p.ny, NST_TCPS_ESTABLISHED, 0, 0) : 0;
    r->wider = b.opened;
    fprintf(out, "  %d connections, then %s\n", b.opened, err_name(b.err));
    ok &= nst_lab_check(out, b.opened == LINUX_HI - LINUX_LO + 1 && estab == b.opened && b.err == -EADDRNOTAVAIL,
                        "a range of 28,232 ports gives 28,232 connections to London:80");
    load_free(&ld);
    return ok;
}

int nst_demo_port_exhaustion(const struct nst_demo_opts *o, FILE *out)
{
    struct load ld;
    struct results r = {0};
    int ok = load_build(o, &ld, 49152, 65535) == 0;
    ok = ok && part_exhaust(&ld, out, &r);
    ok = part_second_address(&ld, out, &r) && ok;
    ok = part_tw_reuse(&ld, out, &r) && ok;
    load_free(&ld);
    ok = part_wider_range(o, out, &r) && ok;
    fprintf(out, "\n  connections to one server address:port            before EADDRNOTAVAIL\n"
                 "    one source address, 49152-65535 (RFC 6056)         %6d\n"
                 "    two source addresses                               %6d\n"
                 "    one address, 32768-60999 (Linux's default)         %6d\n"
                 "    TIME_WAIT reuse, 1 s after closing them all        %6d\n"
                 "  and the last fix, multiplexing: over HTTP/2 the whole load is streams on one\n"
                 "  connection, one port (scenario ports-multiplexed)\n",
            r.one_addr, r.two_addrs, r.wider, r.reused);
    nst_lab_figure(o, "connections from one source address (49152-65535)", "16384: one per port",
                   r.one_addr == RANGE_DEFAULT, "", "%d", r.one_addr);
    nst_lab_figure(o, "with two source addresses", "32768", r.two_addrs == 2 * RANGE_DEFAULT, "", "%d",
                   r.two_addrs);
    nst_lab_figure(o, "with Linux's range, 32768-60999", "28232", r.wider == LINUX_HI - LINUX_LO + 1, "", "%d",
                   r.wider);
    nst_lab_figure(o, "with TIME_WAIT reuse, 1 s after closing them all", "16384", r.reused == RANGE_DEFAULT, "",
                   "%d", r.reused);
    return ok ? 0 : 1;
}

static void load_free_priv(void *priv)
{
    load_free(priv);
    free(priv);
}

int nst_lab_snap_ports(const struct nst_demo_opts *o, struct nst_lab_snapshot *s)
{
    struct load *ld = malloc(sizeof(*ld));
    if (!ld)
        return -ENOMEM;
    if (load_build(o, ld, 49152, 65535) < 0) {
        load_free_priv(ld);
        return -ENOMEM;
    }
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    struct burst b = open_burst(ld->p.ny, &dst, RANGE_DEFAULT + 1, NULL, ld->fds);
    ld->nfds = b.opened;
    load_run(ld, NST_SEC(1));
    *s = (struct nst_lab_snapshot){ld->p.world, "ny",
                                   "New York holds 16,384 connections to London:80; the 16,385th connect() failed",
                                   ld, load_free_priv};
    return 0;
}
