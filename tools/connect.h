/* nstack connect's internals (tools/cmd_connect.c: the command, its
 * options; tools/connect_run.c: the run). */
#ifndef NST_TOOLS_CONNECT_H
#define NST_TOOLS_CONNECT_H

#include <nstack/tcp_info.h>

#include "tools/cmd_tap.h"

struct digest;

#define CONNECT_CHUNK 65536
#define CONNECT_LIST_MAX 8 /* connections looked at after close: this stack has one */

enum { MODE_NONE, MODE_SEND, MODE_RECV };

struct connect_args {
    struct tap_opts tap;
    struct nst_sockaddr dest;
    int mode;
    uint64_t send_bytes;      /* --send */
    const char *send_file;    /* --send-file; "-" is stdin */
    double hold_close;        /* seconds in CLOSE_WAIT before closing */
    double idle;              /* --timeout: give up after this long without progress */
};

enum connect_phase {
    PH_CONNECTING, /* SYN sent, waiting for NST_EV_OUT or NST_EV_ERR */
    PH_TRANSFER,   /* moving bytes until our side is done and the peer's EOF came */
    PH_HOLD,       /* --hold-close: EOF seen, the socket still open */
    PH_CLOSING,    /* closed: watching the state until TIME_WAIT or gone */
    PH_DONE,
};

struct connect_run {
    struct tap_host h;
    const struct connect_args *a;
    enum connect_phase phase;
    enum connect_phase run_phase;     /* the phase when the current run of the loop began */
    int fd;
    struct nst_sockaddr local;
    int err;                  /* what ended the run early (-errno), 0 if nothing */
    nst_time_t t0;            /* the run's start: states are printed relative to it */
    nst_time_t last_progress; /* for --timeout */
    nst_time_t hold_until;
    int state;                /* the last state printed; -1 before the first */
    struct nst_tcp_info info; /* the connection's last TCP_INFO while the socket was open */
    /* The stream. */
    struct digest *digest;    /* of what is sent (send) or received (recv) */
    nst_time_t start, end;    /* established; all sent acknowledged (send) or EOF (recv) */
    uint64_t sent, received;
    int in_fd;                /* --send-file's descriptor, -1 for the pattern */
    int in_flags;             /* in_fd's file status flags before O_NONBLOCK */
    int in_watched;           /* in_fd is in the run loop (waiting for input) */
    uint64_t pattern_left;
    size_t pend_off, pend_len; /* out[pend_off, pend_len): read from the source, not yet sent */
    int shut;                 /* our FIN is queued (send) */
    int eof;                  /* the peer's FIN was read */
    uint8_t out[CONNECT_CHUNK], in[CONNECT_CHUNK];
};

/* --send-file's input, opened non-blocking (a pipe is then watched by the
 * run loop while the step waits for it). 0, or 1 with the reason printed. */
int connect_open_input(struct connect_run *r);
void connect_close_input(struct connect_run *r);
/* Opens the connection (the SYN goes) and installs the run loop's step.
 * 0 or -errno. */
int connect_start(struct connect_run *r);
/* Runs until the connection is done, a signal (-EINTR), --timeout without
 * progress (-ETIMEDOUT), or a failing loop (-errno). */
int connect_loop(struct connect_run *r);
/* The stream's bytes, time, throughput and SHA-256; the connection's TCP
 * counters; the final state; the driver's and the stack's counters. */
void connect_report(struct connect_run *r);

#endif
