/* Shared by the lab's scenarios. */
#ifndef NST_LAB_INTERNAL_H
#define NST_LAB_INTERNAL_H

#include <stdio.h>

#include <nstack/lab.h>
#include <nstack/socket.h>
#include <nstack/stats.h>

/* Prints "  [ok] what" or "  [FAILED] what"; returns cond. */
int nst_lab_check(FILE *out, int cond, const char *what);
/* ---- Recording what a scenario measured (lab_results.c) ------------------
 * Checks, captures, keylogs, pictures and `ss` snapshots are recorded from
 * what the helpers print; figures and charts with the calls below. Both are
 * no-ops when the scenario runs outside nst_lab_demo (o->results NULL). */
/* A figure the scenario measured, for the report: name, what the article
 * expects in words ("80 ms", "" when only informative), pass (1, 0, -1: not
 * judged), unit ("ms", "" for a count), and the value formatted exactly as
 * the scenario prints it (printf: fmt, ...), so page and text agree. */
void nst_lab_figure(const struct nst_demo_opts *o, const char *name, const char *expected, int pass,
                    const char *unit, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A chart over virtual time (x in seconds), drawn into the report as
 * `file` (an SVG name): one or two series (right NULL: one), on one scale
 * when shared_y, else each on its own axis. The arrays are copied. */
struct nst_lab_series {
    const char *name;
    const double *y;
    const char *color; /* "#c0392b" */
};
void nst_lab_chart(const struct nst_demo_opts *o, const char *file, const char *title, const double *x_sec, int n,
                   const struct nst_lab_series *left, const struct nst_lab_series *right, int shared_y);
/* How far a long scenario is, in virtual time, for the progress line. */
void nst_lab_progress(const struct nst_demo_opts *o, nst_time_t now, nst_time_t total);

/* o->out_dir/name in buf, or NULL when the demo writes no files. */
const char *nst_lab_out_path(const struct nst_demo_opts *o, const char *name, char *buf, size_t size);
/* Prints where a picture went (or why it did not). */
void nst_lab_picture_note(FILE *out, const char *path, int err);
/* Starts a pcap of link l into o->out_dir/name (if out_dir is set) and
 * prints where it goes. */
void nst_lab_capture(const struct nst_demo_opts *o, struct nst_sim_link *l, const char *name, FILE *out);

/* What a scenario changes on the New York - London path (0: default). */
struct nst_demo_impair {
    double loss, duplicate, reorder; /* on the transatlantic link */
    uint64_t bandwidth_bps;          /* every link */
};
/* Builds the scenario's path with the demo's seed and `imp` (NULL: a clean
 * path), and captures link `cap_link` into `cap_name`. 0 or -errno. */
int nst_demo_build_path(const struct nst_demo_opts *o, struct nst_lab_path *p, const struct nst_demo_impair *imp,
                        int cap_link, const char *cap_name, FILE *out);

/* ---- Event-driven applications on simulated hosts (lab_apps.c) ---------- */
struct nst_lab_app;
/* Called with a descriptor whose readiness may have changed, and its
 * current NST_EV_* events, between two events of the world. */
typedef void (*nst_lab_app_fn)(struct nst_lab_app *a, int fd, int events);
struct nst_lab_app {
    struct nst_stack *st;
    nst_lab_app_fn fn;
    void *arg;
    uint8_t *marked;    /* by descriptor: waiting to be handed to fn */
    size_t marked_cap;
    int *list;          /* the marked descriptors */
    size_t n;
};
/* Takes over st's event callback. */
void nst_lab_app_attach(struct nst_lab_app *a, struct nst_stack *st, nst_lab_app_fn fn, void *arg);
void nst_lab_app_detach(struct nst_lab_app *a);
/* Hands fd to the application at the next turn even if nothing changed. */
void nst_lab_app_watch(struct nst_lab_app *a, int fd);
/* Accepts every connection waiting on listener lfd, each handed to a. */
void nst_lab_app_accept_all(struct nst_lab_app *a, int lfd);
/* Runs the world until `until`, handing each application its descriptors
 * as they change. */
void nst_lab_apps_run(struct nst_world *w, struct nst_lab_app **apps, int n, nst_time_t until);

/* ---- A New York client, a London:80 server (lab_http.c) ----------------- */
/* The world of the TIME_WAIT and CLOSE_WAIT scenarios: New York sends one
 * request per connection, London answers it. A scenario's own state is a
 * struct whose first member is its struct nst_lab_http. */
#define NST_LAB_HTTP_MAX_FD 4096
#define NST_LAB_CLOSE_ON_EOF 1  /* the client closes when the server has */
#define NST_LAB_CLOSE_ON_ERR 2  /* ... and when the connection fails */
struct nst_lab_http {
    struct nst_lab_path p;
    struct nst_lab_app ny, london; /* the client and the server applications */
    int lfd;                       /* London's listener on port 80 */
    const char *request, *response;
    /* London answered on fd: the scenario closes it, now or later. */
    void (*answered)(struct nst_lab_http *h, int fd);
    int client_closes;             /* NST_LAB_CLOSE_ON_*; 0: never (a leak) */
    uint8_t sent[NST_LAB_HTTP_MAX_FD]; /* New York: the request went out on this descriptor */
    unsigned requests, responses;  /* sent by New York; answers read to EOF */
    /* The progress line: the scenario's opts while it runs (NULL when no
     * line is drawn, as in a snapshot) and its length in virtual time. */
    const struct nst_demo_opts *progress;
    nst_time_t progress_total;
};
struct nst_lab_http_opts {
    int cap_link;                  /* captured into the demo's cap_name */
    const char *cap_name;
    const char *request, *response;
    void (*answered)(struct nst_lab_http *h, int fd);
    int client_closes;
};
/* A zeroed scenario state of `size` bytes with its world built: the path
 * (nst_demo_build_path), London's listener, both applications. NULL when
 * out of memory. */
void *nst_lab_http_new(size_t size, const struct nst_demo_opts *o, const struct nst_lab_http_opts *ho, FILE *out);
/* Frees what nst_lab_http_new returned (a snapshot's free_priv). */
void nst_lab_http_delete(void *x);
/* Runs the world and both applications until `until`. */
void nst_lab_http_run(struct nst_lab_http *h, nst_time_t until);
/* A non-blocking connect from New York to London:80, handed to the client
 * application. The descriptor, or -1 (nothing left open). */
int nst_lab_http_connect(struct nst_lab_http *h);
/* Hands h over to snapshot s (focus host, moment in words); returns 0. */
int nst_lab_http_snapshot(struct nst_lab_snapshot *s, struct nst_lab_http *h, const char *focus, const char *moment);

/* ---- Inspection in the demo's output (lab_inspect.c) ---------------------- */
/* Prints "$ nstack ss -s        # on HOST" and the command's output
 * (nst_inspect_run), indented, at most max_lines lines of it (0: all). */
void nst_lab_show(FILE *out, struct nst_stack *st, const char *host, const char *cmd, int max_lines);
/* st's TCP sockets in `state` (NST_TCPS_*): a calloc'd array the caller
 * frees, *n entries; NULL with *n = -1 when out of memory. */
struct nst_sock_entry;
struct nst_sock_entry *nst_lab_tcp_in_state(struct nst_stack *st, int state, int *n);

/* The TCP header of an Ethernet frame and its payload length (bytes), 1;
 * 0 if the frame is not TCP over IPv4 (lab_tcp.c). */
struct nst_tcp_repr;
int nst_lab_frame_tcp(const uint8_t *f, size_t len, struct nst_tcp_repr *t, uint32_t *payload);

/* A TCP listener on `port` (any address). The descriptor or -1. */
int nst_lab_listen(struct nst_stack *st, uint16_t port, int backlog);
/* One ping from New York to London first, so ARP on the LAN edges is
 * settled and what a scenario times is TCP alone (the path tests time ARP). */
void nst_lab_warm_up_arp(struct nst_lab_path *p);

/* Scenarios: 0 if their checks held. */
int nst_demo_path(const struct nst_demo_opts *o, FILE *out);
/* The path scenario's IPv6 part (lab_path6.c); 1 if its checks held. */
int nst_demo_path6(const struct nst_demo_opts *o, FILE *out);

/* Echo requests of either family (lab_ping.c): an ICMP or ICMPv6 echo
 * socket for dst, dst's address as text (buf: NST_IP6_STRLEN bytes), the
 * echo reply's type, and the sequence number of the request an ICMP error
 * quotes (0 if the quote is too short). */
int nst_lab_echo_socket(struct nst_stack *st, const struct nst_sockaddr *dst);
const char *nst_lab_addr_str(const struct nst_sockaddr *a, char *buf);
int nst_lab_echo_reply_type(const struct nst_sockaddr *dst);
uint16_t nst_lab_quoted_seq(const uint8_t *msg, size_t n, int v6);
int nst_demo_best_effort(const struct nst_demo_opts *o, FILE *out);
int nst_demo_handshake(const struct nst_demo_opts *o, FILE *out);
int nst_demo_reliable_stream(const struct nst_demo_opts *o, FILE *out);
/* reliable-stream's second part (lab_lossy_cc.c): 1 % loss, CUBIC vs BBR. */
int nst_demo_lossy_cc(const struct nst_demo_opts *o, FILE *out);
/* Snapshots (nst_lab_snapshot): the scenario's world at its telling moment. */
int nst_lab_snap_ports(const struct nst_demo_opts *o, struct nst_lab_snapshot *s);
int nst_lab_snap_time_wait(const struct nst_demo_opts *o, struct nst_lab_snapshot *s);
int nst_lab_snap_close_wait(const struct nst_demo_opts *o, struct nst_lab_snapshot *s);
int nst_lab_snap_path(const struct nst_demo_opts *o, struct nst_lab_snapshot *s); /* lab_path6.c */
int nst_demo_port_exhaustion(const struct nst_demo_opts *o, FILE *out); /* lab_ports.c */
int nst_demo_time_wait(const struct nst_demo_opts *o, FILE *out);       /* lab_timewait.c */
int nst_demo_close_wait(const struct nst_demo_opts *o, FILE *out);      /* lab_closewait.c */

#endif
