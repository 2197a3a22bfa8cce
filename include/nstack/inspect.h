/* nstack — inspection: every socket of a stack, listed and summarised the
 * way iproute2's `ss` and `netstat -s` show a Linux host's.
 *
 *   nst_sock_list()     every socket: TCP listeners, connections (orphans,
 *                       i.e. closed by the application but still finishing,
 *                       included), TIME_WAIT records, UDP and ICMP sockets
 *   nst_sock_summarize() the totals per protocol and per TCP state (ss -s)
 *   nst_ss_print()      `ss` output: -s, -tan, -i, -o, -u, state filters
 *   nst_netstat_print() `netstat -s`: every counter of <nstack/stats.h>
 *   nst_ip_print()      `ip addr`, `ip neigh`, `ip route`: both families
 *   nst_inspect_run()   one of those from a command line ("ss -tan"), what
 *                       the control socket (<nstack/control.h>) answers
 *
 * Nothing here changes the stack. Times shown are relative to the stack's
 * own clock (nst_stack_now()). */
#ifndef NSTACK_INSPECT_H
#define NSTACK_INSPECT_H

#include <stdio.h>

#include "stats.h"
#include "socket.h"
#include "tcp_info.h"
#include "api.h"

NST_API_BEGIN

/* Protocols, as a mask (nst_ss_opts.protos). */
enum {
    NST_INSPECT_TCP = 1,
    NST_INSPECT_UDP = 2,
    NST_INSPECT_ICMP = 4,
    NST_INSPECT_ALL = 7,
};

/* One socket. `state` uses the TCP states for every protocol, as Linux
 * does: a UDP or ICMP socket is NST_TCPS_CLOSED ("UNCONN") or, once
 * connected, NST_TCPS_ESTABLISHED. */
struct nst_sock_entry {
    uint8_t proto;          /* NST_INSPECT_TCP, _UDP or _ICMP */
    uint8_t state;          /* enum nst_tcp_conn_state */
    uint8_t close_wait_leak; /* TCP: flagged by the CLOSE_WAIT leak detector */
    int fd;                 /* the application's descriptor, -1 for none (orphan, TIME_WAIT) */
    struct nst_sockaddr local, peer; /* ICMP: the identifier is the "port" */
    uint32_t recv_q, send_q; /* bytes waiting to be read / to be sent or acknowledged;
                             * a listener: connections waiting for accept() / the backlog */
    nst_time_t state_since; /* TCP: when it entered its state; 0 if unknown */
    struct nst_tcp_info tcp; /* TCP only (zeroed otherwise) */
    char note[NST_SOCKET_NOTE_MAX]; /* what an application layer attached (nst_socket_set_note), or "" */
};

/* Fills out[0..max) and returns how many sockets there are in all (call
 * with max 0 to size the array). TCP comes first, in nst_tcp_list()'s
 * order, then UDP and ICMP sockets by descriptor. */
int nst_sock_list(struct nst_stack *st, struct nst_sock_entry *out, int max);

struct nst_sock_summary {
    unsigned total;         /* every entry */
    unsigned tcp, udp, icmp;
    unsigned tcp_states[NST_TCPS_TIME_WAIT + 1]; /* by enum nst_tcp_conn_state */
    unsigned tcp_orphaned;  /* connections the application closed that are still finishing
                             * (nst_tcp_info.orphan), TIME_WAIT records excluded */
    unsigned close_wait_leaks; /* connections flagged right now */
};

/* Counts the n entries of v (from nst_sock_list) into *out. */
void nst_sock_summarize(const struct nst_sock_entry *v, int n, struct nst_sock_summary *out);

/* What `ss` is asked to show. nst_ss_parse() fills it from ss's own
 * options; zero is "ss" with no option. */
struct nst_ss_opts {
    unsigned protos;        /* NST_INSPECT_* mask; 0: all */
    unsigned states;        /* mask of 1u << NST_TCPS_*; 0: ss's default (connected: not
                             * LISTEN, CLOSED, TIME_WAIT or SYN_RECEIVED) */
    int summary;            /* -s */
    int info;               /* -i: TCP internals (rtt, rto, cwnd, ...) */
    int timers;             /* -o: the active timer and when it fires */
    int extended;           /* -e: how long in its state, the descriptor */
    int processes;          /* -p: the descriptor, as users:(("nstack",fd=N)) */
    unsigned families;      /* -4 / -6: NST_SS_INET, NST_SS_INET6 (by the local address's
                             * family; an IPv4 peer of a dual-stack socket is IPv6); 0: both */
};
enum { NST_SS_INET = 1, NST_SS_INET6 = 2 };

/* Parses ss's arguments (argv[0] is the first option, not "ss"):
 * -s -t -u -w (ICMP) -a -l -n -r -i -o -e -p -4 -6, clustered or not (-tanio),
 * and `state NAME` / `exclude NAME` with ss's names (established,
 * time-wait, close-wait, listening, connected, synchronized, bucket, big,
 * all, ...). 0, or -EINVAL with a message in err. */
int nst_ss_parse(int argc, char *const argv[], struct nst_ss_opts *o, char *err, size_t errlen);

/* Prints what ss would for the stack. 0 or -ENOMEM. */
int nst_ss_print(struct nst_stack *st, const struct nst_ss_opts *o, FILE *out);
/* The same over a list already taken (now: the stack's time then;
 * leak_threshold: its cfg.tcp.close_wait_leak, for the warning). */
void nst_ss_format(FILE *out, const struct nst_sock_entry *v, int n, const struct nst_ss_opts *o, nst_time_t now,
                   nst_time_t leak_threshold);
/* The summary alone (ss -s). */
void nst_ss_format_summary(FILE *out, const struct nst_sock_entry *v, int n, nst_time_t now,
                           nst_time_t leak_threshold);

/* Every counter, grouped by layer like netstat -s ("Tcp:", then one
 * indented line per counter). */
void nst_netstat_print(const struct nst_stack *st, FILE *out);

/* `ip [-4|-6] addr|neigh|route` (src/inspect/ip_show.c): the interfaces
 * and their addresses of both families (IPv6 ones with scope, state:
 * tentative while DAD runs, lifetimes), the ARP and IPv6 neighbour caches,
 * the routing tables, in iproute2's layout. */
enum { NST_IP_ADDR, NST_IP_NEIGH, NST_IP_ROUTE };
struct nst_ip_opts {
    int what;   /* NST_IP_ADDR, NST_IP_NEIGH, NST_IP_ROUTE */
    int v4, v6; /* the families shown (-4: v4 only, -6: v6 only) */
};
/* Parses the words after "ip" (abbreviations as iproute2's: a, n, r). 0, or
 * -EINVAL with a message in err. */
int nst_ip_parse(int argc, char *const argv[], struct nst_ip_opts *o, char *err, size_t errlen);
/* Prints it for the stack. 0 or -ENOMEM. */
int nst_ip_print(struct nst_stack *st, const struct nst_ip_opts *o, FILE *out);

/* Runs one inspection command line: "ss [ARGS]", "netstat -s" or
 * "ip [-4|-6] addr|neigh|route".
 * 0, or -EINVAL (a line "error: ..." is printed to out). */
int nst_inspect_run(struct nst_stack *st, const char *line, FILE *out);

NST_API_END

#endif
