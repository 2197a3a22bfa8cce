/* TCP's internal state: the connection control block (RFC 9293 3.3.1's TCB),
 * the compact TIME_WAIT record, the per-stack tables, and the functions the
 * files of src/tcp/ call on one another.
 *
 * One object, struct nst_tcp_conn, is at once the socket the application
 * holds (struct nst_sock first) and the TCB, for listeners, embryonic
 * connections in a listener's SYN queue and established ones alike. A
 * connection that reaches TIME_WAIT is replaced by a struct nst_tcp_tw of
 * about a hundred bytes: the TCB and its buffers are freed at once. */
#ifndef NST_TCP_STATE_H
#define NST_TCP_STATE_H

#include <nstack/tcp_info.h>

#include <string.h>

#include "core/hash.h"
#include "core/ring.h"
#include "core/timer.h"
#include "ip/ip.h"
#include "socket/sock.h"
#include "tcp/cc.h"
#include "tcp/tcp_assembler.h"
#include "socket/inaddr.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

/* RFC 9293 3.7.1: the MSS assumed when the peer sends none. */
#define TCP_DEFAULT_MSS 536u
/* RFC 7323 2.3: the largest shift. */
#define TCP_MAX_WSCALE 14
/* RFC 7323 5.5: TS.Recent older than 24 days is no longer valid for PAWS. */
#define TCP_PAWS_IDLE NST_SEC(24LL * 24 * 3600)
/* RFC 6298 5.7: the RTO used once data flows if the SYN was retransmitted. */
#define TCP_RTO_AFTER_SYN_LOSS NST_SEC(3)
/* Length of the timestamps option as we lay it out (NOP, NOP, TS). */
#define TCP_TS_OPT_LEN 12u

enum tcp_port_kind { TCP_PORT_CONN = 1, TCP_PORT_TW = 2 };

/* Who holds a local port: an entry of the port table, used for bind()
 * conflicts and for choosing ephemeral ports. The local address is not
 * kept here (16 bytes a connection need not carry twice): a connection's
 * is its tuple's laddr unless `any`, a TIME_WAIT entry's is in struct
 * tcp_tw_port (tcp_port_addr). */
struct tcp_port_ref {
    struct nst_hnode node;
    uint16_t port;
    uint8_t kind;           /* enum tcp_port_kind */
    uint8_t bound : 1;      /* held by bind()/listen(), not only by a connection */
    uint8_t any : 1;        /* held for the wildcard address (:: or 0.0.0.0) */
    uint8_t cover : 2;      /* the families the address takes (NST_COVER_*, socket/inaddr.h) */
};

/* The records of one (local address, local port) in TIME_WAIT share one
 * entry of the port table (tcp_timewait.c). */
struct tcp_tw_port {
    struct tcp_port_ref ref;     /* in the port table, kind TCP_PORT_TW */
    struct nst_hnode node;       /* in tw_ports, under the same hash */
    nst_ip6_t addr;
    uint32_t count;              /* records holding it */
};

/* A connection in TIME_WAIT, reduced to what RFC 9293 3.10.7.4 and RFC 7323
 * need: re-ACK a retransmitted FIN, answer with the right sequence numbers
 * and timestamp, hold the 4-tuple for 2*MSL. 96 bytes (72 before the
 * addresses took 16 bytes each for IPv6): no timer and no
 * port-table entry of its own (tcp_timewait.c: every record lives exactly
 * 2*MSL, so one FIFO in expiry order and one timer serve them all, and the
 * records of one local address and port share a port-table entry). */
struct nst_tcp_tw {
    struct nst_hnode node;       /* tuple table */
    struct nst_tcp_tuple t;
    uint32_t fifo_pos;           /* place in the expiry FIFO (struct tcp_tw_fifo) */
    uint32_t snd_nxt, rcv_nxt;
    uint32_t ts_recent;          /* (the TS offset is not kept: tcp_ts_offset() of the tuple) */
    uint16_t window;             /* raw window field to advertise */
    uint8_t rcv_wscale;
    uint8_t ts_ok : 1;
    uint8_t sack_ok : 1;         /* for D-SACKs of retransmitted data (RFC 2883) */
    uint8_t scope : 5;           /* the connection's (at most NST_MAX_IFACES + 1) */
    nst_time_t since;            /* when TIME_WAIT began (also TCP_TW_REUSE's age) */
    nst_time_t expires;          /* 2*MSL after it began, or after the last retransmitted
                                    FIN that restarted it (RFC 9293 3.10.7.4) */
};

/* The TIME_WAIT records in the order they expire: a circular array of
 * pointers indexed by insertion count (slot = pos & (cap - 1)); a record
 * gone early leaves NULL. Since each record expires 2*MSL after it was
 * appended, the oldest live one is always the next to expire, and a single
 * timer, armed for it, keeps every expiry exact. */
struct tcp_tw_fifo {
    struct nst_tcp_tw **slot;
    uint32_t cap;                /* a power of two, 0 before first use */
    uint32_t head, tail;         /* positions: [head, tail) is in use */
    struct nst_timer timer;
};

/* A listener's queues: the SYN queue (embryonic, SYN_RECEIVED) and the
 * accept queue (established, not yet accepted). Together they hold at most
 * `backlog` connections; SYN cookies take over beyond that. */
struct tcp_listen_q {
    struct nst_tcp_conn *synq_head, *accq_head, *accq_tail;
    unsigned synq_len, accq_len, backlog;
    unsigned tfo_pending;        /* Fast Open children not past the handshake (RFC 7413 5.1) */
    nst_time_t last_cookie;      /* when this listener last answered with a SYN cookie */
};

struct nst_tcp_conn {
    struct nst_sock sock;        /* first: what the socket layer holds */
    struct nst_hnode node;       /* tuple table, or listener table when LISTEN */
    struct tcp_port_ref port;    /* port table while it holds a local port */
    struct nst_tcp_conn *all_prev, *all_next; /* every connection of the stack */
    struct nst_tcp_tuple t;
    uint8_t state;               /* enum nst_tcp_conn_state */
    /* Flags, as bits, and the timestamp words beside the tuple: the
     * 16-byte addresses of IPv6 cost the control block 24 bytes, these
     * bytes (and their holes elsewhere) give them back. */
    uint8_t hashed : 1;          /* in the tuple table */
    uint8_t listening : 1;       /* in the listener table */
    uint8_t port_held : 1;       /* in the port table */
    uint8_t orphan : 1;          /* the application has no descriptor for it */
    uint8_t passive : 1;         /* created from a listener (RFC 9293: passive OPEN) */
    uint8_t was_connected : 1;   /* reached ESTABLISHED once */
    uint8_t attempted : 1;       /* connect() was called */
    uint8_t cw_leak : 1;         /* flagged by the CLOSE_WAIT leak detector (tcp_leak.c) */
    uint8_t addr_bound : 1;      /* bind() with NST_IP_BIND_ADDRESS_NO_PORT took an address only */
    uint8_t bind_no_port : 1;    /* NST_IP_BIND_ADDRESS_NO_PORT */
    uint8_t rcv_up_valid : 1;    /* urgent data was signalled and may not all be read yet */
    uint8_t snd_up_valid : 1;    /* urgent data was sent (NST_MSG_OOB), not all acknowledged */
    uint8_t queue;               /* TCP_Q_*: in the listener's SYN or accept queue */
    uint32_t ts_offset;          /* RFC 7323 5.4: our timestamp clock's offset, from the tuple */
    uint32_t ts_recent;          /* RFC 7323 4.3 TS.Recent */
    nst_time_t state_since;      /* when `state` was entered (inspection, leak detection) */
    struct nst_dst dst;          /* the way out, remembered (ip.h) */

    /* A connection in a listener's queue: the listener and its neighbours
     * there. A listener's own queues are in `lq` (struct tcp_listen_q),
     * allocated by listen(): 40 bytes no other connection need carry. */
    struct nst_tcp_conn *listener;
    struct nst_tcp_conn *q_prev, *q_next;
    struct tcp_listen_q *lq;

    /* Send sequence variables (RFC 9293 3.3.1). snd_max is the highest
     * sequence ever sent: snd_nxt is pulled back below it to retransmit. */
    uint32_t iss, snd_una, snd_nxt, snd_max;
    uint32_t snd_wl1, snd_wl2;
    uint32_t snd_wnd, max_snd_wnd; /* bytes, already scaled */
    uint32_t snd_buf_seq;        /* sequence number of the first byte of sndbuf */
    uint32_t snd_up;             /* SND.UP: the octet after the urgent data sent (RFC 6093), if snd_up_valid */

    /* Receive sequence variables. */
    uint32_t irs, rcv_nxt;
    uint32_t rcv_adv;            /* right edge of the window we advertised */
    uint32_t last_ack_sent;      /* RFC 7323 4.3 Last.ACK.sent */
    uint32_t rcv_fin_seq;        /* sequence of a FIN received out of order */
    uint32_t rcv_up;             /* RCV.UP: the octet after the urgent data (RFC 6093), if rcv_up_valid */
    /* RFC 2018 4: a sequence number inside each block we recently reported
     * first, newest first (sack_recent_n of them): the order of the blocks
     * after the first. */
    uint32_t sack_recent[NST_TCP_MAX_SACK];
    /* RFC 2883 4: a range the segment being processed brought again, for
     * the first SACK block (D-SACK) of the ACK it draws, and of no other. */
    uint32_t dsack_start, dsack_end;
    uint8_t rcv_fin_pending;
    uint8_t dsack_pending;
    uint8_t sack_recent_n;
    /* (rcv_up_valid, snd_up_valid: with the flags above) */

    /* Options (RFC 9293 3.7.1, RFC 7323, RFC 2018). */
    uint16_t adv_mss;            /* MSS we advertise (MTU - 40, or TCP_MAXSEG) */
    uint16_t peer_mss;           /* MSS the peer advertised */
    uint16_t user_mss;           /* TCP_MAXSEG, 0 if unset */
    uint16_t mss_wire;           /* min(peer_mss, adv_mss): header + options + payload <= mss_wire + 20 */
    uint16_t mss;                /* payload of a full segment: mss_wire minus fixed options */
    uint16_t rcv_mss_seen;       /* largest payload received (delayed ACK "full-sized") */
    uint8_t snd_wscale, rcv_wscale;
    uint8_t ws_ok, ts_ok, sack_ok;
    uint8_t ws_offer, ts_offer, sack_offer; /* what our SYN offered */
    nst_time_t ts_recent_age;    /* (ts_recent, ts_offset: above) */

    /* Buffers: sndbuf holds unacknowledged and unsent bytes from
     * snd_buf_seq on; rcvbuf holds bytes not yet read, with out-of-order
     * data placed at its offset and tracked by the assembler. */
    struct nst_ring sndbuf, rcvbuf;
    /* Used only with reordering or loss, so allocated on first use and freed
     * once empty (NULL meanwhile): 528 bytes an idle connection need not
     * carry. Readers go through tcp_ooo() and tcp_sack_board(). */
    struct nst_assembler *ooo;
    struct nst_sack_board *sack;
    /* Machinery few connections use (pacing, rate samples, PLPMTUD),
     * allocated when first needed: NULL, 8 bytes, for the others. */
    struct tcp_extras *xt;
    struct tcp_rack *rack;       /* RACK-TLP's state and transmission log (tcp_rack.c), from the first data sent */

    /* Timers. */
    struct nst_timer t_rtx;      /* retransmission (SYN, SYN-ACK, data, FIN) */
    struct nst_timer t_persist;  /* zero-window probe / SWS override */
    struct nst_timer t_delack;   /* delayed ACK */
    struct nst_timer t_keep;     /* keepalive, or the orphaned FIN_WAIT_2 timeout */
    struct nst_timer t_leak;     /* CLOSE_WAIT for too long: the application never closed */
    struct nst_rtt rtt;
    uint32_t rtt_seq;            /* timed segment ends here (Karn: one at a time) */
    uint8_t rtt_timing;
    uint8_t syn_retransmitted;
    nst_time_t rtt_start;
    unsigned persist_shift;      /* persist backoff exponent */
    unsigned persist_unanswered; /* probes without any reply */
    unsigned orphan_probes;      /* probes sent since the application closed */
    unsigned keep_probes;        /* keepalive probes without a reply */

    /* Congestion control and loss recovery. */
    struct nst_cc cc;
    uint8_t ca_state;            /* NST_TCP_CA_* */
    uint8_t sack_recovery;       /* the current recovery is RFC 6675's */
    uint8_t rescue_done;
    uint8_t rack_on;             /* RFC 8985 RACK-TLP chosen (cfg.tcp.rack, NST_TCP_RACK); runs with SACK */
    /* RFC 7413 Fast Open (tcp_fastopen.c). */
    uint8_t tfo_connect : 1;     /* NST_TCP_FASTOPEN_CONNECT */
    uint8_t tfo_defer : 1;       /* client: connect() returned, the SYN waits for the first send */
    uint8_t tfo_request : 1;     /* client: our SYN asks for a cookie */
    uint8_t tfo_send_cookie : 1; /* server: the SYN-ACK carries a cookie */
    uint8_t tfo_pending : 1;     /* server: counts in its listener's pending Fast Opens (5.1) */
    uint16_t tfo_syn_data;       /* client: data bytes our SYN carried (first transmission) */
    uint16_t tfo_qlen;           /* listener: NST_TCP_FASTOPEN, 0 off */
    uint8_t frto : 2;            /* RFC 5682: TCP_FRTO_* (the step the sender waits in), 0 when off */
    uint8_t rtx_ep_active : 1;   /* an RFC 3708 episode (below) is being watched */
    uint32_t dupacks;
    uint32_t recover;            /* RFC 6582 / RFC 6675 RecoveryPoint */
    uint32_t high_rxt;           /* RFC 6675 HighRxt (one past) */
    uint32_t rescue_rxt;         /* RFC 6675 RescueRxt */
    /* RFC 3708 3: the current loss recovery episode (fast recovery or RTO,
     * from SND.UNA rtx_ep_start to SND.MAX rtx_ep_end when it began), the
     * bytes it retransmitted and how many of them the peer reported by
     * D-SACK as received twice: all of them, and it was spurious. */
    uint32_t rtx_ep_start, rtx_ep_end, rtx_ep_bytes, rtx_ep_dsacked;
    /* Explicit Congestion Notification (RFC 3168 6.1, tcp_ecn.c); one
     * byte of flags (every byte counts: an idle connection fits in 1 KiB). */
    uint32_t ecn_recover;        /* no reaction to ECE again until snd_una passes it (6.1.2) */
    uint8_t ecn_offer : 1;       /* our SYN was an ECN-setup SYN (ECE and CWR) */
    uint8_t ecn_ok : 1;          /* negotiated: data goes out ECT(0), ECE/CWR mean what 6.1 says */
    uint8_t ecn_seen : 1;        /* ECT or CE data has arrived (TCP_INFO's ecnseen, as Linux) */
    uint8_t ecn_echo : 1;        /* receiver: CE arrived, ECE on every ACK until a CWR comes (6.1.3) */
    uint8_t ecn_cwr_pending : 1; /* sender: cwnd was reduced, CWR on the next new data segment (6.1.2) */
    uint8_t ecn_reduced : 1;     /* sender: ecn_recover holds the end of a reduced window */
    uint8_t ecn_mode : 2;        /* NST_TCP_ECN: the stack's `ecn` values 0, 1, 2, for this socket */

    /* Delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2). */
    uint8_t ack_now;
    uint8_t ack_pending;

    /* Closing and errors. */
    uint8_t fin_queued;          /* the application shut down sending */
    uint8_t rcv_fin;             /* the peer's FIN has been received in order */
    uint8_t rd_shut;             /* the application shut down receiving */
    int err;                     /* pending error, reported once (SO_ERROR, send, recv) */
    int soft_err;                /* last ICMP soft error, reported if the connection times out */

    nst_time_t last_data_sent;   /* last segment with data: RFC 5681 4.1 restart after idle */
    nst_time_t last_oow_ack;     /* last ACK sent for an out-of-window segment, or
                                    challenge ACK (RFC 5961 7: they share the limit) */

    /* Socket options. */
    uint8_t nodelay, keepalive, reuseaddr, tw_reuse, linger_on;
    uint8_t ttl;                 /* NST_IP_TTL / NST_IPV6_UNICAST_HOPS, 0: the stack's default */
    uint8_t tclass;              /* NST_IPV6_TCLASS (its ECN bits are tcp_ecn.c's) */
    uint8_t scope;               /* a link-local peer's interface + 1 (RFC 4007), else 0 */
    int linger_secs;
    unsigned keepcnt;
    nst_time_t keepidle, keepintvl;
    uint32_t sndbuf_cap, rcvbuf_cap; /* (set within [TCP_BUF_MIN, INT32_MAX]) */

    /* Statistics (struct nst_tcp_info). */
    nst_time_t last_recv;
    uint64_t n_retrans, n_rto, n_fast_retrans;
    uint64_t bytes_sent, bytes_retrans, bytes_acked, bytes_received;
    uint64_t segs_out, segs_in;
};

/* What c->xt holds, each allocated on demand by its own file. */
struct tcp_extras {
    struct tcp_rate *rate;       /* delivery-rate records for a cong_control module (tcp_rate.c) */
    struct tcp_pace *pace;       /* pacing (tcp_pacing.c) */
    struct tcp_plpmtud *plp;     /* packetization-layer PMTUD (tcp_plpmtud.c) */
};
static inline struct tcp_rate *tcp_rate_of(const struct nst_tcp_conn *c) { return c->xt ? c->xt->rate : NULL; }
static inline struct tcp_pace *tcp_pace_of(const struct nst_tcp_conn *c) { return c->xt ? c->xt->pace : NULL; }
static inline struct tcp_plpmtud *tcp_plp_of(const struct nst_tcp_conn *c) { return c->xt ? c->xt->plp : NULL; }
/* c->xt allocated (0) or -ENOMEM; freed again once it holds nothing. */
int tcp_extras_get(struct nst_tcp_conn *c);
void tcp_extras_put(struct nst_tcp_conn *c);

/* The out-of-order set and the SACK scoreboard, empty when not allocated. */
static inline const struct nst_assembler *tcp_ooo(const struct nst_tcp_conn *c)
{
    return c->ooo ? c->ooo : &nst_asm_empty_set;
}
static inline const struct nst_sack_board *tcp_sack_board(const struct nst_tcp_conn *c)
{
    return c->sack ? c->sack : &nst_sack_empty_board;
}
static inline void tcp_ooo_release(struct nst_tcp_conn *c)
{
    nst_asm_delete(c->ooo);
    c->ooo = NULL;
    c->sack_recent_n = 0;
}
static inline void tcp_sack_release(struct nst_tcp_conn *c)
{
    nst_sack_delete(c->sack);
    c->sack = NULL;
}

enum { TCP_Q_NONE = 0, TCP_Q_SYN, TCP_Q_ACCEPT };

struct nst_tcp_state {
    struct nst_htable conns;     /* by 4-tuple: every connection with a peer */
    struct nst_htable listeners; /* by local port */
    struct nst_htable tws;       /* TIME_WAIT records by 4-tuple */
    struct nst_htable ports;     /* local port holders */
    struct nst_tcp_conn *all;
    unsigned n_conns, n_tw;
    unsigned n_orphans;          /* closed by the application, still finishing */
    unsigned src_next;           /* cfg.tcp.source_addrs: where the next connect() starts */
    /* Ports freed so far (a local port released, a tuple unhashed, a
     * TIME_WAIT record gone): while it has not moved, a (local address,
     * destination) found exhausted is still exhausted, and connect() need
     * not search the whole range again (tcp_socket.c). */
    uint64_t port_gen;
    struct tcp_exhausted {
        nst_ip6_t laddr, raddr;
        uint16_t rport;
        uint64_t gen;            /* port_gen when found exhausted; 0: empty slot */
    } exhausted[4];
    unsigned exhausted_next;
    /* Descriptors whose readiness changed during the current entry into
     * TCP: the application hears of them when TCP is done (so a callback
     * may call any socket function without re-entering half-done work). */
    int notify_fd[16];
    unsigned n_notify;
    int notify_overflow;    /* more than notify_fd holds: the flush tells every TCP socket */
    /* RFC 5961 7: the stack-wide challenge ACK budget left in the current
     * second, drawn at random (tcp_input.c). */
    nst_time_t chack_second;
    unsigned chack_left;
    uint8_t chack_drawn;
    /* TIME_WAIT (tcp_timewait.c): expiry order, and the port-table entries
     * the records share, by local port. */
    struct tcp_tw_fifo tw_fifo;
    struct nst_htable tw_ports;
    /* The connection the last segment was for (tcp_input.c), or the one
     * last entered into the tuple table (whose peer's answer comes next):
     * the next segment is usually for it, and then needs no keyed hash to
     * be found. Cleared when it leaves the tuple table (tcp_conn_unhash). */
    struct nst_tcp_conn *rx_last;
    /* RFC 7413 client: the cookies servers gave us (tcp_fastopen.c). */
    struct tcp_tfo_cache *tfo_cache;
    /* RFC 7413 4.1.2 server: cookies are made under key[0] (the primary)
     * and taken under it or key[1] (the backup, if n_keys is 2); the last
     * rotation (or setting) was at `rotated` (tcp_fastopen.c). */
    struct tcp_tfo_keys {
        uint8_t key[2][16];
        uint8_t n_keys;
        nst_time_t rotated;
    } tfo_keys;
};

/* A received segment, parsed. */
struct tcp_seg {
    struct nst_tcp_repr h;
    const uint8_t *data;
    uint32_t len;                /* payload bytes */
    nst_ip6_t src, dst;          /* IPv4 mapped (socket/inaddr.h) */
    uint8_t family;              /* 4 or 6: the IP header it came in */
    uint8_t ifindex;             /* the interface it came in on */
    /* The payload is already in the connection's receive ring, right after
     * the readable bytes, not yet readable (copied there while its checksum
     * was verified: tcp_input.c). */
    uint8_t placed;
    uint8_t ecn;                 /* the IP header's ECN field (RFC 3168 5: NST_ECN_*) */
    /* tcp_tuple_hash of the segment's tuple if tcp_input computed it (it
     * found no connection), else 0: a child the segment creates is hashed
     * into the table with it instead of hashing the tuple again. */
    uint64_t tuple_hash;
};

/* The interface a reply to seg must leave by: its own, for a link-local
 * source (RFC 4007 6), else -1 (the route's). */
static inline int tcp_seg_ifindex(const struct tcp_seg *s)
{
    return s->family == 6 && nst_ip6_is_link_local(&s->src) ? s->ifindex : -1;
}

static inline uint32_t tcp_seg_len(const struct tcp_seg *s)
{
    return s->len + ((s->h.flags & NST_TCP_SYN) ? 1u : 0u) + ((s->h.flags & NST_TCP_FIN) ? 1u : 0u);
}

/* ---- tcp_state.c: objects and tables ------------------------------------ */
struct nst_tcp_conn *tcp_conn_new(struct nst_stack *st);
void tcp_conn_free(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_set_state(struct nst_stack *st, struct nst_tcp_conn *c, int state);
int tcp_conn_hash(struct nst_stack *st, struct nst_tcp_conn *c);
/* The same with the tuple's hash known (0: not known, computed here). c
 * becomes the input path's cached connection: the next segment a new
 * connection receives is its own answer (SYN-ACK, ACK), no hash needed. */
int tcp_conn_hash_at(struct nst_stack *st, struct nst_tcp_conn *c, uint64_t h);
void tcp_conn_unhash(struct nst_stack *st, struct nst_tcp_conn *c);
struct nst_tcp_conn *tcp_conn_lookup(struct nst_stack *st, const struct nst_tcp_tuple *t);
/* The same with t's hash (tcp_tuple_hash) already computed. */
struct nst_tcp_conn *tcp_conn_lookup_hashed(struct nst_stack *st, const struct nst_tcp_tuple *t, uint64_t h);
int tcp_listener_add(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_listener_remove(struct nst_stack *st, struct nst_tcp_conn *c);
/* The listener for a segment to addr:port: one bound to addr itself, else
 * a wildcard one that takes addr's family (an AF_INET one before a
 * dual-stack one for IPv4, as Linux scores them). */
struct nst_tcp_conn *tcp_listener_lookup(struct nst_stack *st, const nst_ip6_t *addr, uint16_t port);
/* c holds port for its local address (c->t.laddr, a wildcard or not). */
void tcp_port_hold(struct nst_stack *st, struct nst_tcp_conn *c, uint16_t port, int bound);
void tcp_port_release(struct nst_stack *st, struct nst_tcp_conn *c);
/* bind(): 0 or -EADDRINUSE, following Linux's SO_REUSEADDR rules. */
int tcp_port_check_bind(struct nst_stack *st, const struct nst_tcp_conn *self, const nst_ip6_t *addr, uint16_t port);
/* connect(): has another socket bound or listening on port (addresses overlapping)? */
int tcp_port_bound_elsewhere(struct nst_stack *st, const struct nst_tcp_conn *self, const nst_ip6_t *addr,
                             uint16_t port);
uint64_t tcp_tuple_hash(struct nst_stack *st, const struct nst_tcp_tuple *t);
/* Ports first: they tell most tuples apart; then the remote address. */
static inline int tcp_tuple_eq(const struct nst_tcp_tuple *a, const struct nst_tcp_tuple *b)
{
    return a->lport == b->lport && a->rport == b->rport && memcmp(&a->raddr, &b->raddr, sizeof(a->raddr)) == 0 &&
           memcmp(&a->laddr, &b->laddr, sizeof(a->laddr)) == 0;
}
/* RFC 9293 3.1, RFC 8200 8.1: the partial sum of the pseudo-header of a
 * segment of len bytes between two addresses of one family. */
static inline uint32_t tcp_pseudo_sum(const nst_ip6_t *src, const nst_ip6_t *dst, uint32_t len)
{
    if (nst_ip6_is_v4mapped(src))
        return nst_csum_pseudo(nst_ip6_to_ip4(src), nst_ip6_to_ip4(dst), NST_IP_PROTO_TCP, (uint16_t)len);
    return nst_csum_pseudo6(src, dst, NST_IP6_NH_TCP, len);
}
/* The IP and TCP fixed headers of a segment to a: RFC 9293 3.7.1's MSS is
 * the MTU less 40 over IPv4, 60 over IPv6 (RFC 8200 8.3). */
static inline uint32_t tcp_ip_overhead(const nst_ip6_t *a) { return nst_ip6_is_v4mapped(a) ? 40u : 60u; }
/* The MSS to advertise toward raddr (ifindex >= 0: a link-local peer's
 * interface): the route's MTU (the minimum MTU if there is none: 576,
 * 1280) less tcp_ip_overhead, capped by TCP_MAXSEG (user_mss, 0: none). */
uint16_t tcp_adv_mss(struct nst_stack *st, const nst_ip6_t *raddr, int ifindex, uint16_t user_mss);
/* The local address port-table entry r holds. */
const nst_ip6_t *tcp_port_addr(const struct tcp_port_ref *r);
uint64_t tcp_port_hash(struct nst_stack *st, uint16_t port);
/* The connection is over (RFC 9293: "enter the CLOSED state, delete the
 * TCB"): leaves the tables and timers, records err (0: none) for the
 * application, and frees the object if no descriptor refers to it. Callers
 * must not touch c afterwards. */
void tcp_drop(struct nst_stack *st, struct nst_tcp_conn *c, int err);
/* Enters TIME_WAIT: a compact record replaces the TCB (which is freed, or
 * left CLOSED for the descriptor that still refers to it). Callers must not
 * touch c afterwards. */
void tcp_enter_time_wait(struct nst_stack *st, struct nst_tcp_conn *c);
struct nst_tcp_tw *tcp_tw_lookup(struct nst_stack *st, const struct nst_tcp_tuple *t);
struct nst_tcp_tw *tcp_tw_lookup_hashed(struct nst_stack *st, const struct nst_tcp_tuple *t, uint64_t h);
void tcp_tw_free(struct nst_stack *st, struct nst_tcp_tw *tw);
/* When tw's TIME_WAIT ends. */
nst_time_t tcp_tw_expires(const struct nst_stack *st, const struct nst_tcp_tw *tw);
/* Frees every TIME_WAIT record and what indexes them (nst_tcp_fini). */
void tcp_tw_fini(struct nst_stack *st);
void tcp_tw_input(struct nst_stack *st, struct nst_tcp_tw *tw, const struct tcp_seg *seg);
/* RFC 6191 / RFC 1122 4.2.2.13: may this SYN reopen the tuple? If so *isn
 * is the ISN the new connection must use. */
int tcp_tw_accepts_syn(struct nst_stack *st, const struct nst_tcp_tw *tw, const struct tcp_seg *seg, uint32_t *isn);
/* Readiness may have changed: the socket layer (or the listener's) will be
 * told at the end of the current entry point, by tcp_notify_flush. */
void tcp_notify(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_notify_fd(struct nst_stack *st, int fd);
void tcp_notify_flush(struct nst_stack *st);
void tcp_fill_info(struct nst_stack *st, const struct nst_tcp_conn *c, struct nst_tcp_info *out);
/* Calls fn for every connection and TIME_WAIT record, in nst_tcp_list()'s order. */
void tcp_info_foreach(struct nst_stack *st, void (*fn)(void *arg, const struct nst_tcp_info *ti), void *arg);
/* Our timestamp clock (RFC 7323 5.4): milliseconds plus a per-tuple offset. */
uint32_t tcp_ts_now(const struct nst_stack *st, uint32_t offset);
uint32_t tcp_ts_offset(struct nst_stack *st, const struct nst_tcp_tuple *t);
/* Window scale shift for a receive buffer of `cap` bytes (at least
 * cfg->wscale_space). */
uint8_t tcp_wscale_for(const struct nst_tcp_config *cfg, size_t cap);
/* Sets mss_wire/mss from peer_mss, adv_mss and the negotiated options. */
void tcp_update_mss(struct nst_tcp_conn *c);
/* Applies the options of the peer's SYN (or SYN-ACK) to c. */
void tcp_apply_syn_options(struct nst_stack *st, struct nst_tcp_conn *c, const struct nst_tcp_opts *o);
/* Connection established: initial window, RTO after a lost SYN, keepalive. */
void tcp_established(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_output.c -------------------------------------------------------- */
/* The interface pinned for c's packets (a link-local peer's), -1: none. */
static inline int tcp_ifindex(const struct nst_tcp_conn *c) { return c->scope ? c->scope - 1 : -1; }
/* Sends whatever the windows, Nagle and SWS avoidance allow, and an ACK if
 * one is owed. */
void tcp_output(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_send_syn(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_send_ack(struct nst_stack *st, struct nst_tcp_conn *c);
/* Out-of-order data [seq, ...) was just recorded: its block becomes the
 * one reported first (RFC 2018 4). */
void tcp_sack_recent_note(struct nst_tcp_conn *c, uint32_t seq);
/* RFC 1122 4.2.3.6: <SEQ=SND.UNA-1><ACK=RCV.NXT>, no data. */
void tcp_send_keepalive(struct nst_stack *st, struct nst_tcp_conn *c);
/* <SEQ=SND.MAX><CTL=RST,ACK> for an abort (RFC 9293 3.10.4, 3.10.5): the
 * highest sequence number sent, not a SND.NXT pulled back to retransmit. */
void tcp_send_rst(struct nst_stack *st, struct nst_tcp_conn *c);
/* A stateless RST answering seg (RFC 9293 3.10.7.1 rules). */
void tcp_send_reset_for(struct nst_stack *st, const struct tcp_seg *seg);
/* A bare segment for a tuple we hold no TCB for (TIME_WAIT, SYN cookies). */
/* ifindex: the interface a link-local peer is on (-1: the route's). */
int tcp_send_raw(struct nst_stack *st, const struct nst_tcp_tuple *t, uint32_t seq, uint32_t ack, uint8_t flags,
                 uint16_t window, const struct nst_tcp_opts *opts, int ifindex);
/* Sends [seq, seq+len) of the send buffer again (plus FIN if it is there),
 * leaving snd_nxt alone. Returns the bytes of sequence space sent. */
uint32_t tcp_retransmit(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len);
/* Sends up to one new segment of at most `max` bytes from snd_nxt if the
 * receive window allows. Returns the bytes sent. */
uint32_t tcp_send_new(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t max);
/* The persist timer's transmission: one octet into a zero window, or what
 * the window allows after an SWS stall. Returns the bytes sent. */
uint32_t tcp_send_probe(struct nst_stack *st, struct nst_tcp_conn *c);
/* The window field to put in the next segment (and updates rcv_adv). */
uint16_t tcp_window_field(struct nst_tcp_conn *c, int syn);
/* Would reading have opened the window enough to be worth an update? */
int tcp_window_update_due(const struct nst_tcp_conn *c);
/* Sequence number of our FIN, if one is queued. */
static inline uint32_t tcp_fin_seq(const struct nst_tcp_conn *c)
{
    return c->snd_buf_seq + (uint32_t)nst_ring_len(&c->sndbuf);
}
/* Sequence number of the next byte the application will read. */
static inline uint32_t tcp_read_seq(const struct nst_tcp_conn *c)
{
    return c->rcv_nxt - (c->rcv_fin ? 1u : 0u) - (uint32_t)nst_ring_len(&c->rcvbuf);
}
/* RFC 9293 3.8.5 (MUST-33): urgent bytes not read yet (some may not have
 * arrived yet: the pointer can run ahead of the data). */
static inline uint32_t tcp_urgent_left(const struct nst_tcp_conn *c)
{
    uint32_t r = tcp_read_seq(c);
    return c->rcv_up_valid && nst_seq_gt(c->rcv_up, r) ? c->rcv_up - r : 0;
}
/* Bytes sent and not acknowledged (FlightSize of RFC 5681). */
static inline uint32_t tcp_flight(const struct nst_tcp_conn *c) { return c->snd_max - c->snd_una; }

/* ---- tcp_input.c --------------------------------------------------------- */
/* A challenge ACK (RFC 5961), subject to the rate limit. */
void tcp_challenge_ack(struct nst_stack *st, struct nst_tcp_conn *c);
/* RFC 5961 7: may a challenge ACK be sent now? *last is the time of the
 * object's last such ACK (the per-connection limit; NULL: the stack-wide
 * budget alone). Counts both outcomes. */
int tcp_challenge_ack_allowed(struct nst_stack *st, nst_time_t *last);
/* Processes a segment for a connection past LISTEN (also used for the
 * embryonic connections a listener holds). */
void tcp_conn_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg);

/* ---- tcp_listen.c -------------------------------------------------------- */
/* isn: the ISN to use (a SYN that reopened a TIME_WAIT tuple), or NULL. */
void tcp_listen_input(struct nst_stack *st, struct nst_tcp_conn *l, const struct tcp_seg *seg, const uint32_t *isn);
/* An embryonic connection completed its handshake: move it to the accept
 * queue. Returns 0, or -1 if the accept queue is full (segment dropped). */
int tcp_listen_child_established(struct nst_stack *st, struct nst_tcp_conn *c);
/* Takes c out of its listener's queue. */
void tcp_listen_unlink(struct nst_stack *st, struct nst_tcp_conn *c);
/* Closes a listener: every queued connection is reset and freed. */
void tcp_listen_close(struct nst_stack *st, struct nst_tcp_conn *l);
struct nst_tcp_conn *tcp_listen_accept(struct nst_stack *st, struct nst_tcp_conn *l);

/* ---- tcp_recovery.c ------------------------------------------------------ */
/* An acceptable ACK arrived (snd_una <= ack <= snd_max). Updates snd_una,
 * the scoreboard, RTT, congestion state, and retransmits per RFC 5681,
 * RFC 6582, RFC 6675 and RFC 3042. `acked` = ack - old snd_una. */
void tcp_ack_received(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg);
/* Congestion window plus what limited transmit allows. */
uint32_t tcp_send_window(const struct nst_tcp_conn *c);
/* RFC 6675 5 (C): the transmissions allowed during SACK recovery. */
unsigned tcp_sack_recovery_send(struct nst_stack *st, struct nst_tcp_conn *c);
/* After an RTO: leave any fast recovery, forget SACK state. */
void tcp_recovery_on_rto(struct nst_stack *st, struct nst_tcp_conn *c);

/* What one acceptable ACK told the sender (tcp_recovery.c fills it in for
 * F-RTO and the D-SACK bookkeeping). */
struct tcp_ack_news {
    uint32_t una_before;         /* SND.UNA before the ACK */
    uint32_t newly_sacked;       /* bytes SACKed for the first time (D-SACK blocks aside) */
    uint32_t newly_sacked_above; /* of those, at or above `recover` (counted only during F-RTO) */
    uint8_t dsack;               /* the first SACK block was a D-SACK (RFC 2883) */
    uint8_t dupack;              /* it counted as a duplicate ACK */
};

/* ---- tcp_frto.c (RFC 5682) ------------------------------------------------ */
enum { TCP_FRTO_OFF = 0, TCP_FRTO_STEP2, TCP_FRTO_STEP3 };
/* Step 1, at a retransmission timeout, before the RTO state is entered:
 * may F-RTO watch the ACKs that follow? */
void tcp_frto_on_rto(struct nst_stack *st, struct nst_tcp_conn *c);
/* Steps 2 and 3: an ACK arrived while F-RTO runs (after SND.UNA, the
 * scoreboard and the window took it). */
void tcp_frto_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_ack_news *n);

/* ---- tcp_rack.c (RFC 8985 RACK-TLP) -------------------------------------- */
struct tcp_rack;
/* RACK runs on this connection (chosen and SACK negotiated). */
int tcp_rack_active(const struct nst_tcp_conn *c);
void tcp_rack_release(struct nst_tcp_conn *c);
/* [seq, end) was just sent; old_max: SND.MAX before (what lies below it
 * was sent before: a retransmission). */
void tcp_rack_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t end, uint32_t old_max);
/* New data went out: the PTO restarts (RFC 8985 7.2). 1 if RACK armed the
 * timer, 0 if the caller arms the RTO as usual. */
int tcp_rack_new_data_sent(struct nst_stack *st, struct nst_tcp_conn *c);
/* An ACK: the block [start, end) is SACKed / SND.UNA moves to ack_seq
 * (before the send ring and SND.UNA are updated). */
/* Before an ACK's SACK blocks and cumulative part are taken (step 3). */
void tcp_rack_ack_begin(struct nst_tcp_conn *c);
void tcp_rack_sacked(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t start, uint32_t end,
                     const struct tcp_seg *ack);
void tcp_rack_acked(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t ack_seq, const struct tcp_seg *ack);
struct tcp_ack_news;
/* After an acceptable ACK was processed: TLP episode, reordering window,
 * loss detection (and recovery), the reordering timer. */
void tcp_rack_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *ack,
                  const struct tcp_ack_news *n);
/* The SACK scoreboard was thrown away: so are the SACKED marks. */
void tcp_rack_sack_reset(struct nst_tcp_conn *c);
void tcp_rack_on_rto(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_rack_recovery_done(struct nst_tcp_conn *c);
/* The current reordering window (RFC 8985 6.2 step 4). */
nst_time_t tcp_rack_reo_wnd(const struct nst_tcp_conn *c);
/* Timers: tcp_rtx_restart's choice (RTO or PTO; a pending reordering
 * timeout stays), 0 if RACK is not running; the RTO was armed; t_rtx
 * fired: 1 if it was RACK's (reordering timeout or PTO). */
int tcp_rack_rearm(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_rack_rearm_after_reo(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_rack_rto_armed(struct nst_tcp_conn *c);
int tcp_rack_timer(struct nst_stack *st, struct nst_tcp_conn *c);
/* Recovery: the first segment marked lost, not retransmitted since (1, or
 * 0 if none); the pipe from RACK's marks. */
int tcp_rack_next_lost(const struct nst_tcp_conn *c, uint32_t *seq, uint32_t *len);
uint32_t tcp_rack_pipe(const struct nst_tcp_conn *c);
/* tcp_recovery.c: RACK marked losses outside recovery: fast recovery. */
void tcp_rack_enter_recovery(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_fastopen.c (RFC 7413) -------------------------------------------- */
struct tcp_tfo_cache;
void tcp_tfo_cache_free(struct nst_tcp_state *ts);
/* The server's first key, derived from the stack's secret (nst_tcp_init). */
void tcp_tfo_keys_init(struct nst_stack *st);
/* Client. connect() with Fast Open: 1 if a cookie is cached for the peer
 * (the SYN waits for data: tfo_defer), 0 if the SYN must ask for one. */
int tcp_tfo_connect(struct nst_stack *st, struct nst_tcp_conn *c);
/* The Fast Open option of our SYN (cookie or request) and how many bytes
 * of data may ride in it (0: none). */
uint32_t tcp_tfo_syn_opts(struct nst_stack *st, struct nst_tcp_conn *c, struct nst_tcp_opts *o);
/* SYN-SENT got the SYN-ACK (SND.UNA not yet moved): caches its cookie,
 * judges the SYN data. */
void tcp_tfo_synack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg);
/* Server. A SYN for listener l made the embryo c (RCV.NXT just past the
 * SYN): 1 if its data was taken (c must go to the accept queue now). */
int tcp_tfo_passive(struct nst_stack *st, struct nst_tcp_conn *l, struct nst_tcp_conn *c, const struct tcp_seg *seg);
/* The SYN-ACK's option: a fresh cookie, if c owes one. */
void tcp_tfo_synack_opts(struct nst_stack *st, const struct nst_tcp_conn *c, struct nst_tcp_opts *o);
/* c leaves SYN_RECEIVED: its listener's pending count falls. */
void tcp_tfo_child_done(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_dsack.c (RFC 2883, RFC 3708) ------------------------------------- */
/* Receiver: [start, end) arrived again; the ACK for this segment reports it
 * first (only if SACK was negotiated; the first range noted wins). */
void tcp_dsack_note(struct nst_tcp_conn *c, uint32_t start, uint32_t end);
/* Receiver: the part of [off, off+len) (offsets from RCV.NXT) already held
 * out of order, noted as a D-SACK range. */
void tcp_dsack_note_ooo(struct nst_tcp_conn *c, uint32_t off, uint32_t len);
/* Sender: is the first SACK block of seg a D-SACK (RFC 2883 5)? */
int tcp_dsack_in(const struct tcp_seg *seg);
/* Sender: the D-SACK block [start, end) arrived: count it, and credit the
 * recovery episode it reports on. */
void tcp_dsack_received(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t start, uint32_t end);
/* Sender: a loss recovery episode (fast retransmit or RTO) begins. */
void tcp_rtx_episode_begin(struct nst_tcp_conn *c);
/* Sender: after each ACK, is the episode over with every retransmission
 * reported as a duplicate (RFC 3708 3)? Counts it once. */
void tcp_rtx_episode_check(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_timer.c --------------------------------------------------------- */
void tcp_timers_init(struct nst_tcp_conn *c);
void tcp_timers_cancel(struct nst_stack *st, struct nst_tcp_conn *c);
/* Arms the retransmission timer for the current RTO (with backoff). */
void tcp_rtx_arm(struct nst_stack *st, struct nst_tcp_conn *c);
/* RFC 6298 5.2/5.3 after an ACK: stop if nothing is outstanding, else restart. */
void tcp_rtx_restart(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_persist_arm(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_delack_arm(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_keepalive_arm(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_fin_wait2_arm(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_leak.c ---------------------------------------------------------- */
/* The CLOSE_WAIT leak detector's timer callback (tcp_timers_init). */
void tcp_leak_fire(struct nst_stack *st, struct nst_timer *t);
/* c has just entered `state` (tcp_set_state): arms or cancels the detector. */
void tcp_leak_track(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_ecn.c (RFC 3168 6.1) -------------------------------------------- */
/* A fresh attempt: no ECN state; active: an active open (asks if ecn = 1). */
void tcp_ecn_reset(struct nst_stack *st, struct nst_tcp_conn *c, int active);
/* ECE/CWR for our SYN (ECN-setup SYN) or SYN-ACK (ECN-setup SYN-ACK). */
uint8_t tcp_ecn_syn_flags(struct nst_tcp_conn *c);
/* SYN-SENT: the flags of the peer's SYN-ACK (or SYN) decide ecn_ok. */
void tcp_ecn_syn_sent_input(struct nst_tcp_conn *c, uint8_t flags);
/* LISTEN: is a SYN with these flags an ECN-setup SYN listener l accepts? */
int tcp_ecn_accept_syn(const struct nst_tcp_conn *l, uint8_t flags);
/* SYN cookies: the TSval carrying the agreement, and reading it back from
 * the ACK that returns the cookie. */
uint32_t tcp_ecn_cookie_tsval(uint32_t now_ts, int ecn);
int tcp_ecn_cookie_ok(const struct nst_tcp_conn *l, const struct tcp_seg *seg);
/* ECE to add to a segment with these flags (6.1.3: every ACK while echoing). */
uint8_t tcp_ecn_ack_flags(const struct nst_tcp_conn *c, uint8_t flags);
/* A data segment [seq, seq+len) about to go: the IP ECN field (ECT(0) for
 * new data once negotiated), and CWR added to *flags if one is owed. */
uint8_t tcp_ecn_data_tos(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t *flags);
/* Fast recovery begins: 0 if an ECN reduction already covers this window
 * (the module is not told again), else 1. */
int tcp_ecn_loss_reduction(struct nst_tcp_conn *c);
/* An acceptable segment of a synchronized connection, after its ACK was
 * processed: CE and CWR (receiver), ECE (sender). flight: bytes
 * outstanding before the ACK (0: the handshake's ACK). */
void tcp_ecn_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t flight);

/* ---- tcp_mem.c (stack-wide memory, Linux's tcp_mem) ---------------------- */
/* Receive room the window may offer / send room nst_send may fill: the
 * buffer's free space, but under memory pressure (or while zero-copy spans
 * pin the ring) no more than its storage held. */
size_t tcp_rcv_room(const struct nst_tcp_conn *c);
size_t tcp_snd_room(const struct nst_tcp_conn *c);
/* May out-of-order bytes at [off, off+len) past the readable ones be kept? */
int tcp_mem_ooo_allowed(const struct nst_tcp_conn *c, uint32_t off, uint32_t len);
/* Under pressure and a request for storage has been refused. */
int tcp_mem_exhausted(const struct nst_stack *st);
/* An orphan past max_orphans, or holding unsent data while memory is
 * exhausted, is reset (RST, dropped, tcp.abort_on_memory): 1 if it was. */
int tcp_mem_orphan_reset(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_rate.c (draft-cheng-iccrg-delivery-rate-estimation) ------------- */
int tcp_rate_attach(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_rate_free(struct nst_tcp_conn *c);
/* [seq, seq+len) is about to go (rtx: again); before SND.MAX moves. */
void tcp_rate_on_send(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, int rtx);
/* After an acceptable ACK was processed: the sample, handed to the
 * module's cong_control. */
void tcp_rate_on_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t una_before,
                     uint32_t prior_in_flight);
/* The sender has less than a segment (unsent) to send and room in cwnd:
 * application-limited (draft 3.2). */
void tcp_rate_check_app_limited(struct nst_tcp_conn *c, uint32_t unsent);
void tcp_rate_mark_app_limited(struct nst_tcp_conn *c);
/* Bytes in the network now (RFC 6675 pipe with a scoreboard). */
uint32_t tcp_rate_in_flight(const struct nst_tcp_conn *c);
/* The last delivery rate sampled, bytes/s (0: none). */
uint64_t tcp_rate_last(const struct nst_tcp_conn *c);
/* The module needs rate samples and pacing: attaches both (or, out of
 * memory, falls back to the default module). */
void tcp_cc_attach(struct nst_stack *st, struct nst_tcp_conn *c);

/* ---- tcp_pacing.c ------------------------------------------------------------ */
int tcp_pace_attach(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_pace_free(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_pace_cancel(struct nst_stack *st, struct nst_tcp_conn *c);
enum { TCP_PACE_SET_ON, TCP_PACE_SET_MAX_RATE };
/* NST_SO_PACING (on) or NST_SO_MAX_PACING_RATE (max_rate, bytes/s). */
int tcp_pace_set(struct nst_stack *st, struct nst_tcp_conn *c, int on, uint64_t max_rate, int which);
void tcp_pace_get(const struct nst_tcp_conn *c, int *on, uint64_t *max_rate);
int tcp_pace_inherit(struct nst_stack *st, struct nst_tcp_conn *c, const struct nst_tcp_conn *l);
/* The pacing rate in bytes/s, 0: not paced. */
uint64_t tcp_pace_rate(const struct nst_tcp_conn *c);
/* Must the next data segment wait? (Then the pacing timer is armed.) */
int tcp_pace_hold(struct nst_stack *st, struct nst_tcp_conn *c);
/* The pacing timer is armed: data waits for it. */
int tcp_pace_waiting(const struct nst_tcp_conn *c);
/* A data segment of `wire` IP bytes went: the next departure moves on. */
void tcp_pace_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t wire);

/* ---- tcp_plpmtud.c (RFC 4821, RFC 8899: black holes and probing) --------- */
/* Connection established: with mtu_probing 2, the search starts. */
void tcp_plp_established(struct nst_stack *st, struct nst_tcp_conn *c);
void tcp_plp_free(struct nst_tcp_conn *c);
/* The largest mss_wire the search allows (c->plp set). */
uint32_t tcp_plp_wire_cap(const struct nst_tcp_conn *c);
/* A retransmission timeout (after the backoff): a black hole? */
void tcp_plp_rto(struct nst_stack *st, struct nst_tcp_conn *c);
/* An acceptable ACK was processed (c->plp set): a probe acknowledged? */
void tcp_plp_ack(struct nst_stack *st, struct nst_tcp_conn *c);
/* [seq, seq+len) goes again (c->plp set): a probe lost? */
void tcp_plp_retransmit(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len);
/* The payload of a probe to send now (options of olen bytes), 0: none. */
uint32_t tcp_plp_probe_payload(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t olen);
void tcp_plp_probe_sent(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint32_t olen);
/* An ICMP "fragmentation needed" with this MTU was believed (c->plp set). */
void tcp_plp_ptb(struct nst_tcp_conn *c, uint32_t mtu);

/* ---- tcp_socket.c -------------------------------------------------------- */
extern const struct nst_proto_ops nst_tcp_ops;

#endif
