/* A segment-script harness for TCP tests (in the spirit of packetdrill):
 * one nst_stack with one interface whose link captures every frame it
 * sends, a fake peer on the same subnet (its ARP entry is pre-seeded, and
 * any ARP request for it is answered), virtual time driven by the script.
 *
 * A script injects segments "from the peer" at given times and expects
 * the segments the stack sends by given times, with exact flags, sequence
 * and acknowledgment numbers, windows, options and payloads.
 *
 * Sequence numbers are relative, as in packetdrill:
 *   - in injected segments, seq is relative to the peer's ISN (peer_isn,
 *     chosen by the script) and ack to the stack's ISN;
 *   - in expected segments, seq is relative to the stack's ISN and ack to
 *     the peer's ISN.
 * The stack's ISN is learned from the first SYN (or SYN-ACK) it sends on
 * the script's connection. SACK blocks follow the same rule as ack (they
 * acknowledge the other side's data). Set TS_ABS in `check` (expected) or
 * `abs` (injected) to use absolute numbers.
 *
 * The conformance runner (packetdrill syntax) is meant to sit on top of
 * this: it needs only ts_inject, ts_next, ts_compare and the socket API. */
#ifndef NST_TEST_TCP_SCRIPT_H
#define NST_TEST_TCP_SCRIPT_H

#include <nstack/nstack.h>
#include <nstack/tcp_info.h>

#include "wire/tcp.h"

/* Addresses of the script's world: the stack under test and the fake peer. */
#define TS_LOCAL_ADDR NST_IP4(192, 168, 0, 1)
#define TS_PEER_ADDR NST_IP4(192, 168, 0, 2)
#define TS_PEER_PORT 40000

/* What ts_expect compares (bits of ts_seg.check). */
enum {
    TS_FLAGS = 1 << 0,
    TS_SEQ = 1 << 1,
    TS_ACK = 1 << 2,
    TS_WIN = 1 << 3,
    TS_LEN = 1 << 4,
    TS_DATA = 1 << 5,     /* payload bytes equal `data` */
    TS_OPTS = 1 << 6,     /* presence of MSS/WS/SACKOK/TS and the MSS and WS values */
    TS_TSECR = 1 << 7,    /* the TS echo reply equals opts.ts_ecr */
    TS_SACK = 1 << 8,     /* the SACK blocks equal opts.sack[] */
    TS_TIME = 1 << 9,     /* sent exactly at `at` */
    TS_PORTS = 1 << 10,   /* source and destination ports as given */
    TS_ABS = 1 << 11,     /* seq/ack/sack numbers are absolute */
    TS_TSVAL = 1 << 12,   /* the TS value equals opts.ts_val, relative to the stack's first TSval */
};
/* check == 0 means this default. */
#define TS_DEFAULT_CHECK (TS_FLAGS | TS_SEQ | TS_ACK | TS_LEN)

/* One segment, to inject or to expect. */
struct ts_seg {
    uint8_t flags;          /* NST_TCP_SYN | NST_TCP_ACK ... */
    uint32_t seq, ack;      /* relative (see above) */
    uint16_t win;           /* raw window field */
    uint16_t urg;           /* injected: the urgent pointer field (with NST_TCP_URG) */
    uint32_t len;           /* payload bytes */
    const void *data;       /* payload (injected: NULL = a pattern) */
    struct nst_tcp_opts opts;
    uint16_t sport, dport;  /* 0: the script's ports */
    nst_time_t at;          /* TS_TIME */
    unsigned check;         /* expected: TS_* bits; injected: TS_ABS only */
    int ecr_auto;           /* injected: TSecr = the stack's last TSval */
};

/* A segment the stack sent, parsed. */
struct ts_pkt {
    nst_time_t at;
    struct nst_tcp_repr h;
    uint8_t ttl, tos;
    int df;
    nst_ip4_t src, dst;
    const uint8_t *payload;
    uint32_t len;
    uint8_t *frame;         /* the whole Ethernet frame */
    size_t frame_len;
};

struct ts_frame {
    nst_time_t at;
    uint8_t *data;
    size_t len;
};

struct ts {
    struct nst_stack *st;
    int ifindex;
    struct nst_mac local_mac, peer_mac;
    nst_time_t now;
    uint16_t lport, rport;  /* the stack's port and the peer's port */
    uint32_t peer_isn;      /* chosen by the script */
    uint32_t local_isn;     /* learned from the stack's SYN */
    int local_isn_known;
    uint32_t first_tsval;   /* the stack's first TSval (TS_TSVAL is relative to it) */
    int first_tsval_known;
    uint32_t last_tsval;    /* the stack's latest TSval (for ecr_auto) */
    /* Frames the stack sent, in order; TCP ones are consumed by ts_next. */
    struct ts_frame *q;
    size_t q_head, q_len, q_cap;
    size_t other_frames;    /* non-TCP, non-ARP frames seen (ICMP...) */
    struct ts_pkt last;     /* the packet ts_next returned last */
    uint16_t ip_id;
    char err[512];          /* the last mismatch, for the test's log */
};

/* A new script: stack (cfg may be NULL: defaults; seeded deterministically
 * whatever cfg says, so every run repeats) with one interface
 * (TS_LOCAL_ADDR/24, MTU 1500), the peer TS_PEER_ADDR, time 0, ports
 * lport 8080 / rport TS_PEER_PORT, peer_isn 0. NULL on failure. */
struct ts *ts_new(const struct nst_stack_config *cfg);
void ts_free(struct ts *s);

/* Runs the stack's timers up to and including t (in deadline order, so
 * frames carry the exact time they were sent). Time never goes back. */
void ts_run_until(struct ts *s, nst_time_t t);

/* Sends seg from the peer at time t (timers up to t run first). */
void ts_inject(struct ts *s, nst_time_t t, const struct ts_seg *seg);
/* Injects a raw frame (for malformed segments). */
void ts_inject_frame(struct ts *s, nst_time_t t, const uint8_t *frame, size_t len);
/* Builds the frame ts_inject would send; returns its length. buf >= 1600 + len. */
size_t ts_build(struct ts *s, const struct ts_seg *seg, uint8_t *buf, size_t cap);

/* Runs time forward until the stack has sent a TCP segment not yet
 * consumed, but not past `by`. 1 and *out filled (valid until the next
 * call), or 0 if none by then (time is then `by`). */
int ts_next(struct ts *s, nst_time_t by, struct ts_pkt *out);
/* Compares a packet with an expectation; 0 if it matches, else -1 with the
 * difference in s->err. */
int ts_compare(struct ts *s, const struct ts_pkt *p, const struct ts_seg *want);
/* ts_next + ts_compare; prints s->err to stderr on failure. */
int ts_expect(struct ts *s, nst_time_t by, const struct ts_seg *want);
/* 0 if the stack sends no TCP segment up to `until` (time is then until). */
int ts_expect_none(struct ts *s, nst_time_t until);
/* Drops every captured, unconsumed frame. */
void ts_flush(struct ts *s);

/* One line describing a packet: "S. 0:0(0) ack 1 win 65535 <mss 1460,...>". */
const char *ts_format(struct ts *s, const struct ts_pkt *p, char *buf, size_t cap);

/* ---- handshakes ---------------------------------------------------------- */

/* A listening socket on lport. Returns the fd. */
int ts_listen(struct ts *s, int backlog);
/* Peer SYN at t (with the options given, e.g. from ts_syn_opts), expects
 * the SYN-ACK, sends the ACK at t + rtt, accepts. Returns the accepted fd
 * or -1. The SYN-ACK is stored in s->last. */
int ts_passive_open(struct ts *s, int lfd, nst_time_t t, nst_time_t rtt, const struct nst_tcp_opts *syn_opts,
                    uint16_t win);
/* connect() at t, expects the SYN, answers SYN-ACK at t + rtt with
 * synack_opts and window win, expects the ACK. Returns the fd or -1. */
int ts_active_open(struct ts *s, nst_time_t t, nst_time_t rtt, const struct nst_tcp_opts *synack_opts, uint16_t win);

/* Options of a typical SYN: MSS 1460, SACK permitted, TS, window scale ws
 * (ws < 0: no window scale option). */
struct nst_tcp_opts ts_syn_opts(int ws, int sack, int ts);

#endif
