/* nstack — the lab: the article's network, built on the simulator.
 *
 * The New York–London path: a host in New York, three routers, a host in
 * London; 40 ms one way, so an 80 ms round trip, as the article says.
 *
 *   ny 10.0.1.2 --(0.5 ms)-- r1 --(19 ms)-- r2 --(20 ms)-- r3 --(0.5 ms)-- london 10.0.4.2
 *        10.0.1.0/24       10.0.12.0/30   10.0.23.0/30       10.0.4.0/24
 *
 * The hosts' LAN edges resolve neighbours with ARP; the routers' WAN links
 * are point-to-point and use static neighbours (as PPP/HDLC WAN links need
 * no address resolution). */
#ifndef NSTACK_LAB_H
#define NSTACK_LAB_H

#include "sim.h"
#include "api.h"

NST_API_BEGIN

#define NST_LAB_NY_ADDR NST_IP4(10, 0, 1, 2)
#define NST_LAB_LONDON_ADDR NST_IP4(10, 0, 4, 2)

struct nst_lab_path {
    struct nst_world *world;
    struct nst_stack *ny, *london;
    struct nst_stack *routers[3];
    struct nst_sim_link *links[4]; /* ny-r1, r1-r2, r2-r3, r3-london */
    int ipv6;                      /* built with both families (opts.ipv6) */
};

struct nst_lab_path_opts {
    uint64_t seed;
    uint64_t bandwidth_bps;     /* every link; default 1 Gbit/s */
    unsigned queue_limit;       /* frames per direction; default 1000 */
    uint32_t mtu;               /* default 1500 */
    uint32_t middle_mtu;        /* the transatlantic link's (r2-r3); 0: mtu */
    /* Impairments applied to the middle (transatlantic) link, r2-r3. */
    double loss, duplicate, reorder, corrupt;
    const struct nst_stack_config *host_cfg; /* NULL: defaults */
    /* 1: both families on the same links: every stack with cfg.ipv6 (its
     * link-local address, DAD), the addresses
     *   ny 2001:db8:1::2 - 2001:db8:1::1 r1 2001:db8:12::1 - 2001:db8:12::2 r2
     *   r2 2001:db8:23::1 - 2001:db8:23::2 r3 2001:db8:4::1 - 2001:db8:4::2 london
     * (/64 each) and the same routes in IPv6, the WAN links' neighbours
     * static in both families (see dynamic_wan). 0 (the default): IPv4
     * only. */
    int ipv6;
    /* 0 (the default): the two WAN links (r1-r2, r2-r3) have static
     * neighbour entries, ARP's and (with ipv6) the ND cache's, as
     * point-to-point links configured by hand would: only the LAN edges
     * resolve addresses. 1: none; every link resolves its neighbours (ARP,
     * Neighbor Discovery) on first use, a round trip on each. */
    int dynamic_wan;
};

/* Fills o with the defaults written beside each field. */
void nst_lab_path_opts_default(struct nst_lab_path_opts *o);
/* Builds the path in a new world. 0 or -errno. */
int nst_lab_path_build(struct nst_lab_path *p, const struct nst_lab_path_opts *o);
void nst_lab_path_free(struct nst_lab_path *p);
/* With opts.ipv6: runs the world until every IPv6 address of the path has
 * passed duplicate address detection (RFC 4862 5.4: one Neighbor
 * Solicitation after a random delay, then RetransTimer of silence).
 * Returns that virtual time, or -ETIMEDOUT after 10 s. */
nst_time_t nst_lab_path_wait_dad(struct nst_lab_path *p);
/* Finds a host by name ("ny", "r1", "r2", "r3", "london") or dotted address. */
struct nst_stack *nst_lab_path_host(struct nst_lab_path *p, const char *name_or_addr, nst_ip4_t *addr);
/* The same in either family: an IPv6 address (a path built with ipv6), or
 * a name or IPv4 address; a name gives its IPv6 address when family is
 * NST_AF_INET6, else its IPv4 one. *addr (may be NULL) gets the address. */
struct nst_stack *nst_lab_path_host_addr(struct nst_lab_path *p, const char *name_or_addr, int family,
                                         struct nst_sockaddr *addr);


/* ---- Measuring on any world ------------------------------------------ */
#include <stdio.h>

struct nst_ping_opts {
    int count;             /* echo requests to send, 4 */
    nst_time_t interval;   /* between requests, 1 s */
    size_t size;           /* payload bytes, 56 (84-byte IP datagrams) */
    uint8_t ttl;           /* 0: default */
    nst_time_t wait;       /* how long to wait after the last request, 2 s */
};

struct nst_ping_result {
    int transmitted, received, errors;
    nst_time_t rtt_min, rtt_max, rtt_sum;
    double rtt_sumsq;      /* in ms^2, for mdev */
    nst_time_t elapsed;
};

/* Fills o with the defaults written beside each field. */
void nst_ping_opts_default(struct nst_ping_opts *o);

/* How a ping lets time pass: the simulator's world (nst_lab_ping) or a
 * real-time run loop (nstack ping --tap). A negative return from a
 * callback (-EINTR: Ctrl-C) ends the ping early. */
struct nst_ping_clock {
    void *arg;
    nst_time_t (*now)(void *arg);
    /* Runs the network until fd of st is readable (1) or time reaches `until` (0). */
    int (*wait_readable)(void *arg, struct nst_stack *st, int fd, nst_time_t until);
    /* Runs the network until time reaches `until` (0). */
    int (*run_until)(void *arg, nst_time_t until);
};

/* Pings dst from `from`, printing lines like iputils ping to out (NULL:
 * silent). 0; -EINTR if the clock was interrupted (the summary is still
 * printed and *res filled, as ping does on Ctrl-C); or -errno. */
int nst_ping_run(const struct nst_ping_clock *clk, struct nst_stack *from, nst_ip4_t dst,
                 const struct nst_ping_opts *o, FILE *out, struct nst_ping_result *res);
/* Pings dst from `from` in virtual time, printing lines like iputils ping
 * to out (NULL: silent). 0 or -errno. */
int nst_lab_ping(struct nst_world *w, struct nst_stack *from, nst_ip4_t dst, const struct nst_ping_opts *o,
                 FILE *out, struct nst_ping_result *res);
/* The same for a destination of either family: an IPv6 one (family
 * NST_AF_INET6; a link-local one with its scope_id) is pinged with ICMPv6
 * echo requests (RFC 4443 4.1), printed as iputils ping -6 prints them.
 * o->ttl is then the hop limit. */
int nst_ping_run_addr(const struct nst_ping_clock *clk, struct nst_stack *from, const struct nst_sockaddr *dst,
                      const struct nst_ping_opts *o, FILE *out, struct nst_ping_result *res);
int nst_lab_ping_addr(struct nst_world *w, struct nst_stack *from, const struct nst_sockaddr *dst,
                      const struct nst_ping_opts *o, FILE *out, struct nst_ping_result *res);

#define NST_TRACE_PROBES 3
struct nst_trace_hop {
    nst_ip4_t addr;                      /* 0 if no probe was answered */
    nst_time_t rtt[NST_TRACE_PROBES];    /* -1: no answer */
    int reached;                         /* the destination answered */
    struct nst_sockaddr from;            /* who answered, either family (port: 0) */
    uint8_t icmp_type;                   /* of the answer: echo reply, time exceeded... */
};
/* traceroute with ICMP echo probes (like traceroute -I): TTL 1, 2, ...
 * until the destination answers. Returns the number of hops or -errno. */
int nst_lab_traceroute(struct nst_world *w, struct nst_stack *from, nst_ip4_t dst, int max_hops, FILE *out,
                       struct nst_trace_hop *hops);
/* The same toward a destination of either family: for IPv6 ICMPv6 echo
 * probes with hop limit 1, 2, ... (traceroute -6 -I); each router answers
 * Time Exceeded code 0 from its address (RFC 4443 3.3). */
int nst_lab_traceroute_addr(struct nst_world *w, struct nst_stack *from, const struct nst_sockaddr *dst, int max_hops,
                            FILE *out, struct nst_trace_hop *hops);

/* ---- The demo ----------------------------------------------------------- */
struct nst_demo_opts;
struct nst_demo_scenario {
    const char *name, *what;  /* as `nstack demo --list` shows them */
    int (*run)(const struct nst_demo_opts *o, FILE *out); /* 0 if its checks held */
};
struct nst_demo_opts {
    uint64_t seed;
    const char *out_dir;   /* pcaps are written here (created); NULL: none */
    const char *only;      /* run just this scenario (by name), NULL: all */
    /* Scenarios from libraries above libnstack, run after its own, ending
     * with a NULL name: nst_demo_app_scenarios (nstack_app: TLS, WebSocket). */
    const struct nst_demo_scenario *more;
    /* --report: the HTML report of the run goes into this directory
     * (created), with links to the captures in out_dir. NULL: none. */
    const char *report_dir;
    /* A progress line for long scenarios: called now and then with the
     * scenario's name and how far it is in virtual time (seconds); with
     * name NULL when output follows, so the line can be erased first.
     * NULL: none. The lab never reads a clock: pacing is the caller's. */
    void (*progress)(void *arg, const char *scenario, double now_s, double total_s);
    void *progress_arg;
    /* What the scenarios measured: set by nst_lab_demo for the run. */
    struct nst_lab_results *results;
};
/* Seed 1, no captures, every scenario. */
void nst_demo_opts_default(struct nst_demo_opts *o);
/* Runs the article's scenarios and prints what they show. 0 if every
 * scenario's own checks held, 1 otherwise. */
int nst_lab_demo(const struct nst_demo_opts *o, FILE *out);
/* Names and one-line descriptions of the scenarios, NULL-terminated. */
extern const char *const nst_demo_scenarios[][2];
/* In nstack_app (it needs TLS): "tls", the first request byte after the
 * SYN with plain TCP, TLS 1.3 and 1.2, full and resumed, and 0-RTT. */
extern const struct nst_demo_scenario nst_demo_app_scenarios[];
int nst_demo_tls(const struct nst_demo_opts *o, FILE *out);
/* In nstack_app (it needs WebSocket): "websocket", through an idle-timeout
 * box (src/lab/lab_websocket.c). */
int nst_demo_websocket(const struct nst_demo_opts *o, FILE *out);

/* ---- A scenario's world, kept for inspection (nstack ss --scenario) ------ */
struct nst_lab_snapshot {
    struct nst_world *world;  /* its hosts: nst_world_find_host(world, "ny") ... */
    const char *focus;        /* the host the scenario is about */
    const char *moment;       /* when the snapshot is taken, in words */
    void *priv;
    void (*free_priv)(void *priv);
};
/* Runs scenario `name` (seed) silently up to its telling moment: for
 * "port-exhaustion" New York's 16,384 connections and the failed 16,385th;
 * for "time-wait" London's TIME_WAIT plateau; for "close-wait" New York's
 * flagged CLOSE_WAIT leaks; for "path" the path with both families after
 * DAD and one ping -6 and one ping -4 from New York to London. 0, -ENOENT (no such scenario, or one without
 * a snapshot) or -ENOMEM. */
int nst_lab_snapshot(const char *name, uint64_t seed, struct nst_lab_snapshot *s);
void nst_lab_snapshot_free(struct nst_lab_snapshot *s);
/* The scenarios nst_lab_snapshot knows, NULL-terminated. */
extern const char *const nst_lab_snapshot_names[];

/* ---- HTTP scenarios (in nstack_app: src/lab/lab_http_app.c) ------------- */
/* "keep-alive": N sequential requests with and without keep-alive, plain
 * and TLS 1.3, handshakes counted and the time saved. "timeouts": a hung
 * server and a stalled body against the client's connect, response and
 * read timeouts. 0 if the scenario's checks held. */
int nst_demo_keepalive(const struct nst_demo_opts *o, FILE *out);
int nst_demo_timeouts(const struct nst_demo_opts *o, FILE *out);
/* "h2-multiplex" (src/lab/lab_h2_app.c): 100 GETs at once over HTTP/1.1 on
 * 1, 6 and 100 connections and over HTTP/2 on one: handshakes, ports, the
 * time to the last answer. */
int nst_demo_h2_multiplex(const struct nst_demo_opts *o, FILE *out);
/* "cdn-edge" (src/lab/lab_cdn_app.c): time to first byte from London to a
 * New York origin, directly and through a London edge that ends TLS and
 * keeps a warm pooled connection to the origin. */
int nst_demo_cdn_edge(const struct nst_demo_opts *o, FILE *out);
/* "ports-multiplexed" (src/lab/lab_ports_app.c): port-exhaustion's load,
 * 16,385 requests at once, over HTTP/2: one connection, one port. */
int nst_demo_ports_multiplexed(const struct nst_demo_opts *o, FILE *out);
/* "h2-head-of-line" (src/lab/lab_h2hol_app.c): 100 GETs over HTTP/2 on one
 * connection and HTTP/1.1 on 6, clean and with 2 % loss: the requests a
 * loss delays in each. */
int nst_demo_h2_head_of_line(const struct nst_demo_opts *o, FILE *out);
/* "error-checked" and "flow-control" (src/lab/lab_stream_app.c): 1 MiB
 * London -> New York through a link that flips bits, and into a slow
 * reader's 64 KiB buffer. */
int nst_demo_error_checked(const struct nst_demo_opts *o, FILE *out);
int nst_demo_flow_control(const struct nst_demo_opts *o, FILE *out);
/* "congestion-control" (src/lab/lab_stream_app.c): 8 MiB over 10 Mbit/s
 * links with a 50-frame queue: cwnd backs off at the drops. */
int nst_demo_congestion_control(const struct nst_demo_opts *o, FILE *out);
/* "demultiplexing" (src/lab/lab_stream_app.c): connections to London:80
 * (two), :443 and a closed port, each delivered by its 4-tuple. */
int nst_demo_demultiplexing(const struct nst_demo_opts *o, FILE *out);

NST_API_END

#endif
