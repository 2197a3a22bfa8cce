/* The socket API over TCP: the nst_proto_ops the socket layer dispatches
 * to (RFC 9293 3.10's user calls: OPEN, SEND, RECEIVE, CLOSE, ABORT,
 * STATUS) and the socket options. Nothing blocks: calls that would wait
 * return -EAGAIN / -EINPROGRESS and readiness tells when to retry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/tcp_info.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

#define TCP_MIN_USER_MSS 88
#define TCP_BUF_MIN 1024

static struct nst_tcp_conn *conn_of(struct nst_sock *s) { return (struct nst_tcp_conn *)s; }

struct nst_sock *nst_tcp_sock_new(struct nst_stack *st, int *err)
{
    if (!st->tcp) {
        *err = -EPROTONOSUPPORT;
        return NULL;
    }
    struct nst_tcp_conn *c = tcp_conn_new(st);
    if (!c) {
        *err = -ENOMEM;
        return NULL;
    }
    return &c->sock;
}

/* Reports a pending error once. */
static int take_error(struct nst_tcp_conn *c)
{
    int e = c->err;
    c->err = 0;
    return e;
}

/* ---- bind / listen / accept ----------------------------------------------------------- */

struct bind_ctx {
    struct nst_stack *st;
    struct nst_tcp_conn *c;
    const nst_ip6_t *addr;
};

static int bind_in_use(void *arg, uint16_t port)
{
    struct bind_ctx *b = arg;
    return tcp_port_check_bind(b->st, b->c, b->addr, port) != 0;
}

static int pick_bind_port(struct nst_stack *st, struct nst_tcp_conn *c, const nst_ip6_t *addr)
{
    struct bind_ctx b = {st, c, addr};
    nst_ip6_t none = nst_in6_any(c->sock.family);
    int p = nst_port_pick(st, NST_IP_PROTO_TCP, addr, &none, 0, bind_in_use, &b);
    if (p < 0)
        NST_STAT_INC(st, tcp, port_exhausted);
    return p;
}

static int tcp_bind(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    struct nst_tcp_conn *c = conn_of(s);
    if (c->state != NST_TCPS_CLOSED || c->port_held || c->addr_bound || c->attempted)
        return -EINVAL;
    nst_ip6_t addr;
    int err = nst_sock_addr_in(&c->sock, a, 0, &addr);
    if (err)
        return err == -ENETUNREACH ? -EINVAL : err; /* a mapped address, V6ONLY: Linux's EINVAL */
    int any = nst_in6_is_any(&addr);
    if (!any && !nst_in6_is_local(st, &addr))
        return -EADDRNOTAVAIL;
    /* (:: on an AF_INET6 socket is both families' wildcard unless V6ONLY;
     * ::ffff:0.0.0.0 is IPv4's alone, as 0.0.0.0 on an AF_INET one.) */
    if (a->scope_id > NST_MAX_IFACES)
        return -ENODEV; /* as Linux for an interface that does not exist */
    uint8_t scope = nst_ip6_is_link_local(&addr) ? (uint8_t)a->scope_id : 0;
    if (a->port == 0 && !any && c->bind_no_port) {
        /* The port waits for connect(), which can then share it with
         * connections to other destinations: binding a source address
         * no longer costs a port of the whole range per connection. */
        c->t.laddr = addr;
        c->scope = scope;
        c->addr_bound = 1;
        return 0;
    }
    int port = a->port;
    if (port == 0) {
        port = pick_bind_port(st, c, &addr);
        if (port < 0)
            return port;
    } else {
        err = tcp_port_check_bind(st, c, &addr, (uint16_t)port);
        if (err)
            return err;
    }
    c->t.laddr = addr;
    c->scope = scope;
    c->t.lport = (uint16_t)port;
    tcp_port_hold(st, c, (uint16_t)port, 1);
    return 0;
}

static int tcp_listen_op(struct nst_stack *st, struct nst_sock *s, int backlog)
{
    struct nst_tcp_conn *c = conn_of(s);
    unsigned max = st->cfg.tcp.max_backlog;
    unsigned b = backlog < 1 ? 1u : (unsigned)backlog > max ? max : (unsigned)backlog;
    if (c->state == NST_TCPS_LISTEN) {
        c->lq->backlog = b;
        return 0;
    }
    if (c->state != NST_TCPS_CLOSED || c->attempted)
        return -EINVAL;
    if (!c->lq && !(c->lq = calloc(1, sizeof(*c->lq))))
        return -ENOMEM;
    if (!c->port_held) {
        /* c->t.laddr: the wildcard, or the address of a bind() that left
         * the port open. */
        if (!c->addr_bound)
            c->t.laddr = nst_in6_any(c->sock.family);
        int port = pick_bind_port(st, c, &c->t.laddr);
        if (port < 0)
            return port;
        c->t.lport = (uint16_t)port;
        tcp_port_hold(st, c, (uint16_t)port, 1);
    }
    /* bind() allowed sharing with SO_REUSEADDR; listening does not. */
    tcp_set_state(st, c, NST_TCPS_LISTEN);
    int err = tcp_port_check_bind(st, c, &c->t.laddr, c->t.lport);
    if (err) {
        tcp_set_state(st, c, NST_TCPS_CLOSED);
        return err;
    }
    c->port.bound = 1;
    c->lq->backlog = b;
    tcp_listener_add(st, c);
    return 0;
}

static int tcp_accept(struct nst_stack *st, struct nst_sock *s, struct nst_sock **out, struct nst_sockaddr *peer)
{
    struct nst_tcp_conn *c = conn_of(s);
    if (c->state != NST_TCPS_LISTEN)
        return -EINVAL;
    struct nst_tcp_conn *child = tcp_listen_accept(st, c);
    if (!child)
        return -EAGAIN;
    if (peer)
        nst_sock_addr_out(&child->sock, &child->t.raddr, child->t.rport, child->scope, peer);
    *out = &child->sock;
    return 0;
}

/* ---- connect --------------------------------------------------------------------- */

struct connect_ctx {
    struct nst_stack *st;
    struct nst_tcp_conn *c;
    struct nst_tcp_tuple t;
    /* tcp_tuple_hash(t) as connect_in_use last computed it: once a port is
     * chosen, that of the final tuple (the last one checked), so the
     * TIME_WAIT lookup and the table insert do not hash it again. */
    uint64_t h;
};

/* Linux's TCP_TW_REUSE: a TIME_WAIT tuple may be taken over by connect()
 * when timestamps protect the new incarnation from old duplicates (PAWS at
 * the peer) and the record is at least a second old. */
static int tw_reusable(const struct nst_stack *st, const struct nst_tcp_conn *c, const struct nst_tcp_tw *tw)
{
    return c->tw_reuse && tw->ts_ok && st->cfg.tcp.timestamps && st->now - tw->since >= NST_SEC(1);
}

static int connect_in_use(void *arg, uint16_t port)
{
    struct connect_ctx *x = arg;
    x->t.lport = port;
    x->h = tcp_tuple_hash(x->st, &x->t);
    if (tcp_conn_lookup_hashed(x->st, &x->t, x->h))
        return 1;
    struct nst_tcp_tw *tw = tcp_tw_lookup_hashed(x->st, &x->t, x->h);
    if (tw && !tw_reusable(x->st, x->c, tw))
        return 1;
    return tcp_port_bound_elsewhere(x->st, x->c, &x->t.laddr, port);
}

static struct tcp_exhausted *exhausted_find(struct nst_tcp_state *ts, const struct nst_tcp_tuple *t)
{
    for (size_t i = 0; i < NST_ARRAY_LEN(ts->exhausted); i++) {
        struct tcp_exhausted *e = &ts->exhausted[i];
        if (e->gen && e->rport == t->rport && nst_ip6_eq(&e->raddr, &t->raddr) && nst_ip6_eq(&e->laddr, &t->laddr))
            return e;
    }
    return NULL;
}

/* Remembers that no port of t->laddr is free toward t's destination. */
static void exhausted_note(struct nst_tcp_state *ts, const struct nst_tcp_tuple *t)
{
    struct tcp_exhausted *e = exhausted_find(ts, t);
    if (!e) {
        e = &ts->exhausted[ts->exhausted_next];
        ts->exhausted_next = (ts->exhausted_next + 1) % NST_ARRAY_LEN(ts->exhausted);
    }
    *e = (struct tcp_exhausted){t->laddr, t->raddr, t->rport, ts->port_gen};
}

/* RFC 6056 3.3.3: a port for x->t's addresses, one no other connection
 * uses toward the same destination (a TIME_WAIT record counts as using it
 * unless it may be reused). 0 or -EADDRNOTAVAIL.
 *
 * The search walks the whole range before it gives up, so a (local
 * address, destination) found exhausted is remembered until a port is
 * freed somewhere: connect() calls that keep failing, or a source address
 * list with one address used up, then cost one lookup each, not 16,384.
 * A socket that may take over TIME_WAIT ports searches anyway: records
 * become reusable as they age, with no port freed. */
static int pick_connect_port(struct nst_stack *st, struct connect_ctx *x)
{
    struct nst_tcp_state *ts = st->tcp;
    const struct tcp_exhausted *e = exhausted_find(ts, &x->t);
    if (e && e->gen == ts->port_gen && !x->c->tw_reuse)
        return -EADDRNOTAVAIL;
    int port = nst_port_pick(st, NST_IP_PROTO_TCP, &x->t.laddr, &x->t.raddr, x->t.rport, connect_in_use, x);
    if (port < 0) {
        exhausted_note(ts, &x->t);
        return port;
    }
    x->t.lport = (uint16_t)port;
    return 0;
}

/* cfg.tcp.source_addrs: the source addresses take turns, and one whose
 * ports toward this destination are all taken passes the connection on to
 * the next; without a list, the route's own source address (already in
 * x->t.laddr). Each address multiplies the connections one destination
 * (address, port) can take by the size of the ephemeral range. */
static int pick_source(struct nst_stack *st, struct connect_ctx *x)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    unsigned n = cfg->n_source_addrs;
    if (n == 0 || !nst_ip6_is_v4mapped(&x->t.raddr)) /* the list is of IPv4 addresses */
        return pick_connect_port(st, x);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = (st->tcp->src_next + i) % n;
        if (!nst_ip_is_local(st, cfg->source_addrs[k]))
            continue;
        nst_ip6_from_ip4(cfg->source_addrs[k], &x->t.laddr);
        if (pick_connect_port(st, x) == 0) {
            st->tcp->src_next = (k + 1) % n;
            return 0;
        }
    }
    return -EADDRNOTAVAIL;
}

/* The way to raddr for connect(): source address and path MTU. A
 * link-local destination needs its interface (RFC 4007 6): the address's
 * scope_id, else the one the socket was bound with; it becomes c's. */
static int tcp_route(struct nst_stack *st, struct nst_tcp_conn *c, const nst_ip6_t *raddr, uint32_t scope_id,
                     nst_ip6_t *src, uint32_t *mtu)
{
    uint8_t scope = 0;
    if (scope_id > NST_MAX_IFACES)
        return -ENODEV;
    if (nst_ip6_is_link_local(raddr)) {
        scope = scope_id ? (uint8_t)scope_id : c->scope;
        if (!scope)
            return -EINVAL; /* as Linux: a link-local peer needs sin6_scope_id */
    }
    int err = nst_in6_route_src(st, raddr, scope ? scope - 1 : -1, src, mtu);
    if (err)
        return err == -EADDRNOTAVAIL ? err : -ENETUNREACH;
    c->scope = scope;
    return 0;
}

/* Everything a fresh attempt starts from (a socket may connect again
 * after a failed attempt). */
static void connect_init(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t mtu, uint32_t iss)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    uint32_t hdrs = tcp_ip_overhead(&c->t.raddr);
    uint32_t adv = mtu > hdrs ? mtu - hdrs : TCP_DEFAULT_MSS;
    if (c->user_mss && c->user_mss < adv)
        adv = c->user_mss;
    c->adv_mss = (uint16_t)NST_MIN(adv, 65535u);
    c->peer_mss = TCP_DEFAULT_MSS;
    c->ws_offer = cfg->window_scaling != 0;
    c->ts_offer = cfg->timestamps != 0;
    c->sack_offer = cfg->sack != 0;
    tcp_ecn_reset(st, c, 1);
    c->rcv_wscale = c->ws_offer ? tcp_wscale_for(cfg, c->rcvbuf_cap) : 0;
    c->snd_wscale = 0;
    c->ts_offset = tcp_ts_offset(st, &c->t);
    c->iss = iss;
    c->snd_una = c->snd_nxt = c->snd_max = iss;
    c->snd_buf_seq = iss + 1;
    c->snd_wnd = c->max_snd_wnd = 0;
    c->recover = iss;
    c->high_rxt = iss;
    c->ca_state = NST_TCP_CA_OPEN;
    c->dupacks = 0;
    c->syn_retransmitted = 0;
    c->soft_err = 0;
    c->rcv_fin = c->rcv_fin_pending = 0;
    nst_rtt_init(&c->rtt, cfg->rto_initial, cfg->rto_min, cfg->rto_max);
    tcp_update_mss(c);
}

static int tcp_connect(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a)
{
    struct nst_tcp_conn *c = conn_of(s);
    switch (c->state) {
    case NST_TCPS_CLOSED:
        break;
    case NST_TCPS_SYN_SENT:
    case NST_TCPS_SYN_RECEIVED:
        return -EALREADY;
    default:
        return -EISCONN;
    }
    if (c->err)
        return take_error(c); /* the outcome of the previous attempt */
    if (c->was_connected)
        return -EISCONN;
    if (a->port == 0)
        return -EADDRNOTAVAIL;
    struct connect_ctx x = {st, c, {.rport = a->port}, 0};
    int err = nst_sock_addr_in(&c->sock, a, 0, &x.t.raddr);
    if (err)
        return err;
    nst_ip6_t src;
    uint32_t mtu;
    err = tcp_route(st, c, &x.t.raddr, a->scope_id, &src, &mtu);
    if (err)
        return err;
    /* A socket bound to an address of the other family cannot reach it. */
    int bound_any = nst_in6_is_any(&c->t.laddr);
    if (!bound_any && nst_in6_kind(&c->t.laddr) != nst_in6_kind(&x.t.raddr))
        return -ENETUNREACH;
    x.t.laddr = bound_any ? src : c->t.laddr;
    if (c->port_held) {
        if (connect_in_use(&x, c->t.lport))
            return -EADDRNOTAVAIL;
    } else {
        err = !bound_any ? pick_connect_port(st, &x) : pick_source(st, &x);
        if (err < 0) {
            /* RFC 6056 leaves exhaustion to the implementation: an error
             * the application sees at once (never a wait), and a counter. */
            NST_STAT_INC(st, tcp, port_exhausted);
            return err;
        }
    }
    c->t = x.t;
    uint32_t iss;
    struct nst_tcp_tw *tw = tcp_tw_lookup_hashed(st, &c->t, x.h);
    if (tw) {
        /* RFC 1122 4.2.2.13: the new ISN lies beyond the old connection's. */
        iss = tw->snd_nxt + 65535u + 2u;
        tcp_tw_free(st, tw);
        NST_STAT_INC(st, tcp, timewait_reused);
    } else {
        iss = nst_tcp_isn(st->hash_key, &c->t, st->now);
    }
    if (!c->port_held)
        tcp_port_hold(st, c, c->t.lport, 0);
    connect_init(st, c, mtu, iss);
    c->attempted = 1;
    tcp_set_state(st, c, NST_TCPS_SYN_SENT);
    tcp_conn_hash_at(st, c, x.h);
    NST_STAT_INC(st, tcp, active_opens);
    c->tfo_request = c->tfo_defer = 0;
    c->tfo_syn_data = 0;
    if (c->tfo_connect && tcp_tfo_connect(st, c))
        return 0; /* RFC 7413: a cookie is cached; the SYN goes with the first send */
    tcp_send_syn(st, c);
    return -EINPROGRESS;
}

/* ---- send / receive ------------------------------------------------------------------ */

/* May the application send now? 0, or what send() answers instead. */
static ssize_t send_refused(struct nst_tcp_conn *c)
{
    if (c->err)
        return take_error(c);
    switch (c->state) {
    case NST_TCPS_ESTABLISHED:
    case NST_TCPS_CLOSE_WAIT:
        break;
    case NST_TCPS_SYN_SENT:
        if (c->tfo_defer && !c->fin_queued)
            return 0; /* RFC 7413: this send's data goes in the SYN */
        return c->fin_queued ? -EPIPE : -EAGAIN;
    case NST_TCPS_SYN_RECEIVED:
        if (c->tfo_pending && !c->fin_queued)
            return 0; /* RFC 7413: a Fast Open server may answer at once */
        return c->fin_queued ? -EPIPE : -EAGAIN;
    case NST_TCPS_LISTEN:
        return -ENOTCONN;
    case NST_TCPS_CLOSED:
        return c->was_connected || c->attempted ? -EPIPE : -ENOTCONN;
    default:
        return -EPIPE;
    }
    return c->fin_queued ? -EPIPE : 0;
}

static ssize_t tcp_sendto(struct nst_stack *st, struct nst_sock *s, const void *buf, size_t len, int flags,
                          const struct nst_sockaddr *to)
{
    struct nst_tcp_conn *c = conn_of(s);
    if ((flags & NST_MSG_FASTOPEN) && c->state == NST_TCPS_CLOSED && to) {
        /* RFC 7413 as Linux's sendto(MSG_FASTOPEN): connect with Fast Open. */
        uint8_t was = c->tfo_connect;
        c->tfo_connect = 1;
        int err = tcp_connect(st, s, to);
        c->tfo_connect = was;
        if (err)
            return err; /* -EINPROGRESS: no cookie yet, the SYN asks for one */
    }
    /* (Otherwise connected: the destination is the peer, as Linux ignores it.) */
    ssize_t refused = send_refused(c);
    if (refused)
        return refused;
    if (len == 0)
        return 0;
    /* Under memory pressure the send buffer does not grow, and at the
     * limit it cannot (tcp_mem.c): the send takes less than would fit. */
    size_t fits = NST_MIN(len, nst_ring_space(&c->sndbuf));
    long n = nst_ring_write(&c->sndbuf, buf, NST_MIN(fits, tcp_snd_room(c)));
    if (n < (long)fits)
        NST_STAT_INC(st, tcp, mem_snd_limited);
    if (n <= 0)
        return -EAGAIN; /* full, or no memory for now: as a blocking send would wait */
    if (flags & NST_MSG_OOB) {
        /* RFC 9293 3.8.5 / RFC 6093: SND.UP points past the urgent bytes
         * (what was written); segments before it carry URG (tcp_output.c). */
        c->snd_up = c->snd_buf_seq + (uint32_t)nst_ring_len(&c->sndbuf);
        c->snd_up_valid = 1;
    }
    if (c->tfo_defer) {
        c->tfo_defer = 0;
        tcp_send_syn(st, c); /* RFC 7413 4.1.3: SYN, cookie and data */
        return n;
    }
    tcp_output(st, c);
    return n;
}

static int receiving_state(int s)
{
    return s == NST_TCPS_ESTABLISHED || s == NST_TCPS_FIN_WAIT_1 || s == NST_TCPS_FIN_WAIT_2;
}

/* After the application took bytes out of the receive buffer. */
static void after_read(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 9293 3.8.6.2.2: tell the peer when reading opened the window
     * enough (receiver SWS avoidance decides). */
    if (receiving_state(c->state) && !c->rcv_fin && tcp_window_update_due(c))
        tcp_send_ack(st, c);
}

/* Nothing to read: end of stream, an error, or not yet. */
static ssize_t nothing_to_read(struct nst_tcp_conn *c)
{
    if (c->err)
        return take_error(c);
    if (c->rcv_fin || c->rd_shut)
        return 0;
    if (c->state == NST_TCPS_CLOSED)
        return c->was_connected || c->attempted ? 0 : -ENOTCONN;
    return -EAGAIN;
}

static ssize_t tcp_recvfrom(struct nst_stack *st, struct nst_sock *s, void *buf, size_t len, int flags,
                            struct nst_sockaddr *from)
{
    if (flags & NST_MSG_OOB)
        return -EINVAL; /* urgent data is read inline, in the stream (RFC 6093 5) */
    struct nst_tcp_conn *c = conn_of(s);
    if (c->state == NST_TCPS_LISTEN)
        return -ENOTCONN;
    size_t avail = nst_ring_len(&c->rcvbuf);
    if (avail > 0) {
        size_t n = NST_MIN(avail, len);
        if (flags & NST_MSG_PEEK) {
            nst_ring_peek(&c->rcvbuf, 0, buf, n);
        } else {
            nst_ring_read(&c->rcvbuf, buf, n);
            after_read(st, c);
        }
        if (from)
            nst_sock_addr_out(&c->sock, &c->t.raddr, c->t.rport, c->scope, from);
        return (ssize_t)n;
    }
    return nothing_to_read(c);
}

/* Zero-copy send: the send buffer's free room, to be written in place. */
static ssize_t tcp_send_zc(struct nst_stack *st, struct nst_sock *s, struct nst_wspan span[2])
{
    (void)st;
    struct nst_tcp_conn *c = conn_of(s);
    span[0] = span[1] = (struct nst_wspan){NULL, 0};
    ssize_t refused = send_refused(c);
    if (refused)
        return refused;
    /* The room shown grows the storage by at most one doubling: written in
     * place, it is held until acknowledged, like nst_send's. */
    struct nst_ring *r = &c->sndbuf;
    size_t room = NST_MIN(tcp_snd_room(c), NST_MAX(nst_ring_held_space(r), nst_ring_len(r)));
    if (room && nst_ring_reserve(r, room) < 0)
        room = r->buf ? r->size - r->len : 0; /* at the memory limit: the storage held */
    if (room == 0)
        return -EAGAIN;
    struct nst_ring_span sp[2];
    unsigned n = nst_ring_spans(&c->sndbuf, nst_ring_len(&c->sndbuf), room, sp);
    for (unsigned i = 0; i < n; i++)
        span[i] = (struct nst_wspan){sp[i].p, sp[i].n};
    return (ssize_t)room;
}

/* The first n bytes of the room nst_send_zc showed are data to send. */
static int tcp_send_commit(struct nst_stack *st, struct nst_sock *s, size_t n)
{
    struct nst_tcp_conn *c = conn_of(s);
    ssize_t refused = send_refused(c);
    if (refused)
        return (int)refused;
    if (n > c->sndbuf.size - nst_ring_len(&c->sndbuf))
        return -EINVAL;
    if (n) {
        nst_ring_append_placed(&c->sndbuf, n);
        tcp_output(st, c);
    } else {
        nst_ring_release_if_idle(&c->sndbuf); /* the room shown, not used */
    }
    return 0;
}

static ssize_t tcp_recv_zc(struct nst_stack *st, struct nst_sock *s, struct nst_span span[2])
{
    (void)st;
    struct nst_tcp_conn *c = conn_of(s);
    span[0] = span[1] = (struct nst_span){NULL, 0};
    if (c->state == NST_TCPS_LISTEN)
        return -ENOTCONN;
    size_t avail = nst_ring_len(&c->rcvbuf);
    if (avail == 0)
        return nothing_to_read(c);
    /* The spans shown stay put until consumed: storage for the window
     * already offered is taken now, and the ring does not grow (nor the
     * window past that storage) while they are out. */
    uint32_t wnd = nst_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    (void)nst_ring_reserve(&c->rcvbuf, NST_MIN((size_t)wnd, nst_ring_space(&c->rcvbuf)));
    nst_ring_pin(&c->rcvbuf);
    struct nst_ring_span sp[2];
    unsigned n = nst_ring_spans(&c->rcvbuf, 0, avail, sp);
    for (unsigned i = 0; i < n; i++)
        span[i] = (struct nst_span){sp[i].p, sp[i].n};
    return (ssize_t)avail;
}

static int tcp_recv_done(struct nst_stack *st, struct nst_sock *s, size_t n)
{
    struct nst_tcp_conn *c = conn_of(s);
    if (n > nst_ring_len(&c->rcvbuf))
        return -EINVAL;
    if (n) {
        nst_ring_consume(&c->rcvbuf, n);
        after_read(st, c);
    }
    return 0;
}

/* ---- shutdown / close ------------------------------------------------------------------- */

/* RFC 9293 3.10.4 CLOSE for the sending direction. */
static void shut_wr(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (c->fin_queued)
        return;
    switch (c->state) {
    case NST_TCPS_SYN_SENT:
    case NST_TCPS_SYN_RECEIVED:
        c->fin_queued = 1; /* sent once ESTABLISHED (tcp_established) */
        if (c->tfo_defer) {
            /* Fast Open's SYN waited for data that will not come. */
            c->tfo_defer = 0;
            tcp_send_syn(st, c);
        }
        return;
    case NST_TCPS_ESTABLISHED:
        c->fin_queued = 1;
        tcp_set_state(st, c, NST_TCPS_FIN_WAIT_1);
        break;
    case NST_TCPS_CLOSE_WAIT:
        c->fin_queued = 1;
        tcp_set_state(st, c, NST_TCPS_LAST_ACK);
        break;
    default:
        return;
    }
    tcp_output(st, c);
}

static int tcp_shutdown_op(struct nst_stack *st, struct nst_sock *s, int how)
{
    struct nst_tcp_conn *c = conn_of(s);
    if (c->state == NST_TCPS_LISTEN || (c->state == NST_TCPS_CLOSED && !c->was_connected))
        return -ENOTCONN;
    if (how == NST_SHUT_RD || how == NST_SHUT_RDWR)
        c->rd_shut = 1;
    if (how == NST_SHUT_WR || how == NST_SHUT_RDWR)
        shut_wr(st, c);
    tcp_notify(st, c);
    tcp_notify_flush(st);
    return 0;
}

static void tcp_close_op(struct nst_stack *st, struct nst_sock *s)
{
    struct nst_tcp_conn *c = conn_of(s);
    c->orphan = 1;
    st->tcp->n_orphans++;
    if (st->dying) {
        /* The stack is being freed: the host vanishes without a word. */
        tcp_conn_free(st, c);
        return;
    }
    switch (c->state) {
    case NST_TCPS_LISTEN:
    case NST_TCPS_CLOSED:
        tcp_conn_free(st, c);
        return;
    case NST_TCPS_SYN_SENT:
        tcp_drop(st, c, 0); /* RFC 9293 3.10.4: delete the TCB */
        return;
    default:
        break;
    }
    /* SO_LINGER with a zero timeout is ABORT (RFC 9293 3.10.5); so is a
     * close that would throw away unread data (RFC 2525 2.17). */
    if ((c->linger_on && c->linger_secs == 0) || nst_ring_len(&c->rcvbuf) > 0) {
        tcp_send_rst(st, c);
        tcp_drop(st, c, 0);
        return;
    }
    /* Bounded memory: past the orphan limit, or with TCP memory exhausted
     * and unsent data held, the new orphan is reset (tcp_mem.c). */
    if (tcp_mem_orphan_reset(st, c))
        return;
    shut_wr(st, c);
    if (c->state == NST_TCPS_FIN_WAIT_2)
        tcp_fin_wait2_arm(st, c);
}

static int tcp_getname(struct nst_stack *st, struct nst_sock *s, int peer, struct nst_sockaddr *out)
{
    (void)st;
    struct nst_tcp_conn *c = conn_of(s);
    if (!peer) {
        /* Unbound: the wildcard of the socket's family. */
        nst_ip6_t any = nst_in6_any(c->sock.family);
        int bound = c->port_held || c->addr_bound || c->state != NST_TCPS_CLOSED;
        nst_sock_addr_out(&c->sock, bound ? &c->t.laddr : &any, c->t.lport, c->scope, out);
        return 0;
    }
    if (c->state == NST_TCPS_LISTEN || c->state == NST_TCPS_CLOSED || c->state == NST_TCPS_SYN_SENT)
        return -ENOTCONN;
    nst_sock_addr_out(&c->sock, &c->t.raddr, c->t.rport, c->scope, out);
    return 0;
}

/* ---- options ------------------------------------------------------------------------------ */

static int synchronized(const struct nst_tcp_conn *c)
{
    return c->state >= NST_TCPS_SYN_RECEIVED && c->state != NST_TCPS_TIME_WAIT;
}

static int set_buf(struct nst_stack *st, struct nst_tcp_conn *c, int rcv, int v)
{
    size_t want = v < TCP_BUF_MIN ? TCP_BUF_MIN : (size_t)v;
    if (want > st->cfg.tcp.buf_max)
        want = st->cfg.tcp.buf_max;
    struct nst_ring *r = rcv ? &c->rcvbuf : &c->sndbuf;
    /* The receive window's right edge must never move left, so a
     * connection's receive buffer only grows; nothing stored is dropped. */
    if (rcv && synchronized(c) && want < r->cap)
        want = r->cap;
    if (want < r->len + r->pending_end)
        want = r->len + r->pending_end;
    int err = nst_ring_set_cap(r, want);
    if (err)
        return err;
    if (rcv)
        c->rcvbuf_cap = want;
    else
        c->sndbuf_cap = want;
    if (synchronized(c)) {
        if (rcv && tcp_window_update_due(c) && receiving_state(c->state))
            tcp_send_ack(st, c);
        tcp_notify(st, c);
    }
    return 0;
}

static int set_congestion(struct nst_stack *st, struct nst_tcp_conn *c, const void *val, size_t len)
{
    (void)st;
    char name[16];
    size_t n = NST_MIN(len, sizeof(name) - 1);
    memcpy(name, val, n);
    name[n] = 0;
    const struct nst_cc_ops *ops = nst_cc_find(name);
    if (!ops)
        return -ENOENT;
    if (ops == c->cc.ops)
        return 0;
    c->cc.ops = ops;
    if (c->was_connected && c->cc.mss) {
        /* The new module starts from the current window, not from IW. */
        uint32_t cwnd = c->cc.cwnd, ssthresh = c->cc.ssthresh;
        ops->init(&c->cc, c->mss, st->now);
        c->cc.cwnd = cwnd;
        c->cc.ssthresh = ssthresh;
        if (ops->cong_control)
            tcp_cc_attach(st, c);
        else
            tcp_rate_free(c);
    }
    return 0;
}

static int set_socket_level(struct nst_stack *st, struct nst_tcp_conn *c, int name, const void *val, size_t len)
{
    int v = 0;
    if (name == NST_SO_LINGER) {
        struct nst_linger l;
        if (len < sizeof(l))
            return -EINVAL;
        memcpy(&l, val, sizeof(l));
        c->linger_on = l.l_onoff != 0;
        c->linger_secs = l.l_linger < 0 ? 0 : l.l_linger;
        return 0;
    }
    if (name == NST_SO_MAX_PACING_RATE) {
        uint64_t rate;
        if (len == sizeof(uint32_t)) {
            uint32_t r32;
            memcpy(&r32, val, sizeof(r32));
            rate = r32;
        } else if (len == sizeof(uint64_t)) {
            memcpy(&rate, val, sizeof(rate));
        } else {
            return -EINVAL;
        }
        return tcp_pace_set(st, c, 0, rate, TCP_PACE_SET_MAX_RATE);
    }
    if (nst_sockopt_int(val, len, &v) < 0)
        return -EINVAL;
    switch (name) {
    case NST_SO_RCVBUF:
        return set_buf(st, c, 1, v);
    case NST_SO_SNDBUF:
        return set_buf(st, c, 0, v);
    case NST_SO_KEEPALIVE:
        c->keepalive = v != 0;
        if (c->keepalive && c->state >= NST_TCPS_ESTABLISHED)
            tcp_keepalive_arm(st, c);
        else if (!c->keepalive && !(c->state == NST_TCPS_FIN_WAIT_2 && c->orphan))
            nst_timer_cancel(st, &c->t_keep);
        return 0;
    case NST_SO_REUSEADDR:
        c->reuseaddr = v != 0;
        return 0;
    case NST_SO_PACING:
        return tcp_pace_set(st, c, v, 0, TCP_PACE_SET_ON);
    default:
        return -ENOPROTOOPT;
    }
}

static int set_tcp_level(struct nst_stack *st, struct nst_tcp_conn *c, int name, const void *val, size_t len)
{
    int v = 0;
    if (name == NST_TCP_CONGESTION)
        return len ? set_congestion(st, c, val, len) : -EINVAL;
    if (nst_sockopt_int(val, len, &v) < 0)
        return -EINVAL;
    switch (name) {
    case NST_TCP_NODELAY:
        c->nodelay = v != 0;
        if (c->nodelay && synchronized(c))
            tcp_output(st, c); /* what Nagle held back goes now */
        return 0;
    case NST_TCP_MAXSEG:
        if (v < TCP_MIN_USER_MSS || v > 65535)
            return -EINVAL;
        c->user_mss = (uint16_t)v;
        return 0;
    case NST_TCP_KEEPIDLE:
    case NST_TCP_KEEPINTVL:
        if (v < 1 || v > 32767)
            return -EINVAL;
        if (name == NST_TCP_KEEPIDLE)
            c->keepidle = NST_SEC(v);
        else
            c->keepintvl = NST_SEC(v);
        if (c->keepalive && c->state >= NST_TCPS_ESTABLISHED && !c->keep_probes && name == NST_TCP_KEEPIDLE)
            tcp_keepalive_arm(st, c);
        return 0;
    case NST_TCP_KEEPCNT:
        if (v < 1 || v > 127)
            return -EINVAL;
        c->keepcnt = (unsigned)v;
        return 0;
    case NST_TCP_TW_REUSE:
        c->tw_reuse = v != 0;
        return 0;
    case NST_TCP_ECN:
        if (v < 0 || v > 2)
            return -EINVAL;
        c->ecn_mode = (uint8_t)v;
        return 0;
    case NST_TCP_FASTOPEN:
        if (v < 0)
            return -EINVAL;
        c->tfo_qlen = (uint16_t)NST_MIN(v, 65535);
        return 0;
    case NST_TCP_FASTOPEN_CONNECT:
        if (c->state != NST_TCPS_CLOSED)
            return -EISCONN;
        c->tfo_connect = v != 0;
        return 0;
    case NST_TCP_RACK:
        /* RFC 8985 or RFC 6675's DupThresh: chosen before data flows
         * (RACK's log would lack what was sent before). */
        if (c->rack)
            return -EBUSY;
        c->rack_on = v != 0;
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

static int tcp_setsockopt(struct nst_stack *st, struct nst_sock *s, int level, int name, const void *val, size_t len)
{
    struct nst_tcp_conn *c = conn_of(s);
    if (level == NST_SOL_SOCKET) {
        int err = set_socket_level(st, c, name, val, len);
        tcp_notify_flush(st);
        return err;
    }
    if (level == NST_IPPROTO_TCP)
        return set_tcp_level(st, c, name, val, len);
    if ((level == NST_IPPROTO_IP && name == NST_IP_TTL) ||
        (level == NST_IPPROTO_IPV6 && name == NST_IPV6_UNICAST_HOPS && c->sock.family == NST_AF_INET6)) {
        int v;
        if (nst_sockopt_int(val, len, &v) < 0 || v < -1 || v > 255)
            return -EINVAL;
        c->ttl = v <= 0 ? 0 : (uint8_t)v; /* -1 or 0: the stack's default */
        return 0;
    }
    if (level == NST_IPPROTO_IPV6 && name == NST_IPV6_TCLASS && c->sock.family == NST_AF_INET6) {
        int v;
        if (nst_sockopt_int(val, len, &v) < 0 || v < -1 || v > 255)
            return -EINVAL;
        c->tclass = v < 0 ? 0 : (uint8_t)v;
        return 0;
    }
    if (level == NST_IPPROTO_IPV6)
        return nst_sock_ipv6_setopt(s, name, val, len, c->port_held || c->addr_bound || c->state != NST_TCPS_CLOSED);
    if (level == NST_IPPROTO_IP && name == NST_IP_BIND_ADDRESS_NO_PORT) {
        int v;
        if (nst_sockopt_int(val, len, &v) < 0)
            return -EINVAL;
        c->bind_no_port = v != 0;
        return 0;
    }
    return -ENOPROTOOPT;
}

static int get_socket_level(struct nst_tcp_conn *c, int name, void *val, size_t *len)
{
    switch (name) {
    case NST_SO_RCVBUF:
        return nst_sockopt_put_int(val, len, (int)NST_MIN(c->rcvbuf_cap, (size_t)INT32_MAX));
    case NST_SO_SNDBUF:
        return nst_sockopt_put_int(val, len, (int)NST_MIN(c->sndbuf_cap, (size_t)INT32_MAX));
    case NST_SO_KEEPALIVE:
        return nst_sockopt_put_int(val, len, c->keepalive);
    case NST_SO_REUSEADDR:
        return nst_sockopt_put_int(val, len, c->reuseaddr);
    case NST_SO_ERROR:
        /* Positive errno, as getsockopt(SO_ERROR) gives it; cleared. */
        return nst_sockopt_put_int(val, len, -take_error(c));
    case NST_SO_PACING:
    case NST_SO_MAX_PACING_RATE: {
        int on;
        uint64_t rate;
        tcp_pace_get(c, &on, &rate);
        if (name == NST_SO_PACING)
            return nst_sockopt_put_int(val, len, on);
        if (*len < sizeof(rate))
            return -EINVAL;
        memcpy(val, &rate, sizeof(rate));
        *len = sizeof(rate);
        return 0;
    }
    case NST_SO_LINGER: {
        struct nst_linger l = {c->linger_on, c->linger_secs};
        if (*len < sizeof(l))
            return -EINVAL;
        memcpy(val, &l, sizeof(l));
        *len = sizeof(l);
        return 0;
    }
    default:
        return -ENOPROTOOPT;
    }
}

static int get_tcp_level(struct nst_stack *st, struct nst_tcp_conn *c, int name, void *val, size_t *len)
{
    switch (name) {
    case NST_TCP_NODELAY:
        return nst_sockopt_put_int(val, len, c->nodelay);
    case NST_TCP_MAXSEG:
        if (c->was_connected)
            return nst_sockopt_put_int(val, len, c->mss);
        return nst_sockopt_put_int(val, len, c->user_mss ? c->user_mss : (int)TCP_DEFAULT_MSS);
    case NST_TCP_KEEPIDLE:
        return nst_sockopt_put_int(val, len, (int)(c->keepidle / NST_SEC(1)));
    case NST_TCP_KEEPINTVL:
        return nst_sockopt_put_int(val, len, (int)(c->keepintvl / NST_SEC(1)));
    case NST_TCP_KEEPCNT:
        return nst_sockopt_put_int(val, len, (int)c->keepcnt);
    case NST_TCP_TW_REUSE:
        return nst_sockopt_put_int(val, len, c->tw_reuse);
    case NST_TCP_ECN:
        return nst_sockopt_put_int(val, len, c->ecn_mode);
    case NST_TCP_RACK:
        return nst_sockopt_put_int(val, len, c->rack_on);
    case NST_TCP_FASTOPEN:
        return nst_sockopt_put_int(val, len, c->tfo_qlen);
    case NST_TCP_FASTOPEN_CONNECT:
        return nst_sockopt_put_int(val, len, c->tfo_connect);
    case NST_TCP_URGENT_LEFT:
        return nst_sockopt_put_int(val, len, (int)tcp_urgent_left(c)); /* < 2^31: nst_seq_gt */
    case NST_TCP_CONGESTION: {
        size_t n = strlen(c->cc.ops->name) + 1;
        if (*len < n)
            return -EINVAL;
        memcpy(val, c->cc.ops->name, n);
        *len = n;
        return 0;
    }
    case NST_TCP_INFO:
        if (*len < sizeof(struct nst_tcp_info))
            return -EINVAL;
        tcp_fill_info(st, c, val);
        *len = sizeof(struct nst_tcp_info);
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

static int tcp_getsockopt(struct nst_stack *st, struct nst_sock *s, int level, int name, void *val, size_t *len)
{
    struct nst_tcp_conn *c = conn_of(s);
    if (level == NST_SOL_SOCKET)
        return get_socket_level(c, name, val, len);
    if (level == NST_IPPROTO_TCP)
        return get_tcp_level(st, c, name, val, len);
    if (level == NST_IPPROTO_IP && name == NST_IP_TTL)
        return nst_sockopt_put_int(val, len, c->ttl ? c->ttl : st->cfg.default_ttl);
    if (level == NST_IPPROTO_IPV6 && name == NST_IPV6_UNICAST_HOPS && c->sock.family == NST_AF_INET6)
        return nst_sockopt_put_int(val, len, c->ttl ? c->ttl : 64);
    if (level == NST_IPPROTO_IPV6 && name == NST_IPV6_TCLASS && c->sock.family == NST_AF_INET6)
        return nst_sockopt_put_int(val, len, c->tclass);
    if (level == NST_IPPROTO_IPV6)
        return nst_sock_ipv6_getopt(s, name, val, len);
    if (level == NST_IPPROTO_IP && name == NST_IP_BIND_ADDRESS_NO_PORT)
        return nst_sockopt_put_int(val, len, c->bind_no_port);
    return -ENOPROTOOPT;
}

/* ---- readiness ---------------------------------------------------------------------------- */

static int tcp_events(struct nst_stack *st, struct nst_sock *s)
{
    (void)st;
    struct nst_tcp_conn *c = conn_of(s);
    if (c->state == NST_TCPS_LISTEN)
        return c->lq->accq_len ? NST_EV_IN : 0;
    /* As Linux's tcp_poll: a closed socket is hung up, readable (EOF) and
     * writable (a write fails at once). */
    int closed = c->state == NST_TCPS_CLOSED;
    int rcv_shut = c->rcv_fin || c->rd_shut || (closed && c->attempted);
    int snd_shut = c->fin_queued || closed;
    int ev = 0;
    if (nst_ring_len(&c->rcvbuf) || rcv_shut)
        ev |= NST_EV_IN;
    if (rcv_shut)
        ev |= NST_EV_RDHUP;
    if (snd_shut && (rcv_shut || closed))
        ev |= NST_EV_HUP;
    if (snd_shut || ((c->state == NST_TCPS_ESTABLISHED || c->state == NST_TCPS_CLOSE_WAIT || c->tfo_defer) &&
                     tcp_snd_room(c) > 0))
        ev |= NST_EV_OUT;
    if (c->err)
        ev |= NST_EV_ERR;
    if (tcp_urgent_left(c))
        ev |= NST_EV_PRI;
    return ev;
}

const struct nst_proto_ops nst_tcp_ops = {
    .bind = tcp_bind,
    .listen = tcp_listen_op,
    .accept = tcp_accept,
    .connect = tcp_connect,
    .sendto = tcp_sendto,
    .recvfrom = tcp_recvfrom,
    .recv_zc = tcp_recv_zc,
    .send_zc = tcp_send_zc,
    .send_commit = tcp_send_commit,
    .recv_done = tcp_recv_done,
    .shutdown = tcp_shutdown_op,
    .close = tcp_close_op,
    .getname = tcp_getname,
    .setsockopt = tcp_setsockopt,
    .getsockopt = tcp_getsockopt,
    .events = tcp_events,
};
