/* TCP objects and tables: the per-stack state, connections (allocation,
 * states, teardown), the 4-tuple, listener and port tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp.h"
#include "tcp/tcp_state.h"

void nst_tcp_config_default(struct nst_tcp_config *c)
{
    memset(c, 0, sizeof(*c));
    c->msl = NST_SEC(30);
    c->rto_initial = NST_SEC(1);
    /* RFC 6298 2.4 asks for 1 s; 200 ms is what Linux and the BSDs use and
     * what RFC 8961 tolerates with a conservative RTT estimator. */
    c->rto_min = NST_MSEC(200);
    c->rto_max = NST_SEC(120);
    c->delack = NST_MSEC(40);
    c->persist_min = NST_MSEC(200);
    c->persist_max = NST_SEC(60);
    c->fin_wait2_timeout = NST_SEC(60);
    c->keepidle = NST_SEC(7200);
    c->keepintvl = NST_SEC(75);
    c->keepcnt = 9;
    c->syn_retries = 6;
    c->synack_retries = 5;
    c->data_retries = 15;
    c->initial_window = 0;
    c->sndbuf = 256 * 1024;
    c->rcvbuf = 256 * 1024;
    c->buf_max = 16 * 1024 * 1024;
    c->max_backlog = 4096;
    c->max_timewait = 262144;
    c->challenge_ack_limit = 1000;
    c->syncookies = 1;
    c->timestamps = 1;
    c->window_scaling = 1;
    c->sack = 1;
    c->frto = 1;
    c->rack = 1;
    c->fastopen = 1;
    memcpy(c->congestion, "cubic", 6);
    c->max_orphans = 65536;
    c->mem_low = (size_t)128 << 20;
    c->mem_pressure = (size_t)192 << 20;
    c->mem_high = (size_t)256 << 20;
    c->close_wait_leak = NST_SEC(30);
    c->tw_reuse = 0;
    c->n_source_addrs = 0;
    c->ecn = 2; /* RFC 3168: accept when asked, as Linux's tcp_ecn = 2 */
    c->pmtu_min = 552;
    c->hystart = 1;
    c->mtu_probing = 0;
    c->base_mss = 1024;
    c->mtu_probe_interval = NST_SEC(600);
}

static void config_fill_missing(struct nst_tcp_config *c)
{
    /* A stack configured before TCP had knobs (all zero) gets the defaults. */
    if (c->msl == 0 && c->rto_initial == 0 && c->sndbuf == 0)
        nst_tcp_config_default(c);
    if (c->rto_min <= 0)
        c->rto_min = NST_MSEC(1);
    if (c->rto_max < c->rto_min)
        c->rto_max = c->rto_min;
    if (c->rto_initial <= 0)
        c->rto_initial = NST_SEC(1);
    if (c->sndbuf < 1024)
        c->sndbuf = 1024;
    if (c->rcvbuf < 1024)
        c->rcvbuf = 1024;
    if (c->buf_max < c->sndbuf || c->buf_max < c->rcvbuf)
        c->buf_max = NST_MAX(c->sndbuf, c->rcvbuf);
    if (c->max_backlog == 0)
        c->max_backlog = 1;
    /* RFC 9293 3.8.6.3: the delay MUST be under 0.5 s; 200 ms is the
     * traditional ceiling (RFC 1122 4.2.3.2) and ours. */
    if (c->delack <= 0)
        c->delack = NST_MSEC(40);
    if (c->delack > NST_MSEC(200))
        c->delack = NST_MSEC(200);
    if (c->persist_min <= 0)
        c->persist_min = c->rto_min;
    if (c->persist_max < c->persist_min)
        c->persist_max = c->persist_min;
    if (c->keepcnt == 0)
        c->keepcnt = 1;
    if (c->max_orphans == 0)
        c->max_orphans = 65536;
    if (c->mem_high == 0)
        c->mem_high = (size_t)256 << 20;
    if (c->mem_pressure == 0 || c->mem_pressure > c->mem_high)
        c->mem_pressure = c->mem_high / 4 * 3;
    if (c->mem_low == 0 || c->mem_low > c->mem_pressure)
        c->mem_low = c->mem_high / 2;
    if (c->mem_low > c->mem_pressure)
        c->mem_low = c->mem_pressure;
    if (c->close_wait_leak < 0)
        c->close_wait_leak = 0;
    if (c->pmtu_min < 68)
        c->pmtu_min = 68;
    if (c->ecn < 0 || c->ecn > 2)
        c->ecn = 0;
    if (c->mtu_probing < 0 || c->mtu_probing > 2)
        c->mtu_probing = 0;
    if (c->base_mss == 0)
        c->base_mss = 1024;
    c->base_mss = NST_MAX(NST_MIN(c->base_mss, 65495u), 48u); /* a datagram, and TCP_MIN_SND_MSS */
    if (c->mtu_probe_interval <= 0)
        c->mtu_probe_interval = NST_SEC(600);
    if (c->fastopen_key_rotation < 0)
        c->fastopen_key_rotation = 0;
    if (c->n_source_addrs > NST_TCP_MAX_SOURCE_ADDRS)
        c->n_source_addrs = NST_TCP_MAX_SOURCE_ADDRS;
    c->congestion[sizeof(c->congestion) - 1] = 0;
}

int nst_tcp_init(struct nst_stack *st)
{
    struct nst_tcp_state *ts = calloc(1, sizeof(*ts));
    if (!ts)
        return -ENOMEM;
    if (nst_htable_init(&ts->conns, 64) || nst_htable_init(&ts->listeners, 16) ||
        nst_htable_init(&ts->tws, 64) || nst_htable_init(&ts->ports, 64)) {
        nst_htable_free(&ts->conns);
        nst_htable_free(&ts->listeners);
        nst_htable_free(&ts->tws);
        nst_htable_free(&ts->ports);
        free(ts);
        return -ENOMEM;
    }
    config_fill_missing(&st->cfg.tcp);
    const struct nst_tcp_config *tc = &st->cfg.tcp;
    nst_buf_pool_set_limits(&st->buf_pool, tc->mem_low, tc->mem_pressure, tc->mem_high);
    st->buf_pool.pressure_entries = &st->stats.tcp_mem_pressure;
    ts->port_gen = 1; /* 0 marks an empty slot of ts->exhausted */
    st->tcp = ts;
    tcp_tfo_keys_init(st);
    return 0;
}

void nst_tcp_fini(struct nst_stack *st)
{
    struct nst_tcp_state *ts = st->tcp;
    if (!ts)
        return;
    /* The socket table is finished first (it closes every descriptor);
     * what is left are connections no descriptor refers to. */
    while (ts->all)
        tcp_conn_free(st, ts->all);
    tcp_tw_fini(st);
    tcp_tfo_cache_free(st->tcp);
    nst_htable_free(&ts->conns);
    nst_htable_free(&ts->listeners);
    nst_htable_free(&ts->tws);
    nst_htable_free(&ts->ports);
    free(ts);
    st->tcp = NULL;
}

const char *nst_tcp_state_name(int state)
{
    static const char *const names[] = {
        "CLOSED",     "LISTEN",     "SYN_SENT",   "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
        "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",    "LAST_ACK",     "TIME_WAIT",
    };
    if (state < 0 || (size_t)state >= NST_ARRAY_LEN(names))
        return "?";
    return names[state];
}

void tcp_set_state(struct nst_stack *st, struct nst_tcp_conn *c, int state)
{
    if (c->state == state)
        return;
    c->state = (uint8_t)state;
    c->state_since = st->now;
    tcp_leak_track(st, c);
    if (c->tfo_pending)
        tcp_tfo_child_done(st, c); /* RFC 7413 5.1: past SYN_RECEIVED */
}

/* ---- keys ------------------------------------------------------------------ */

/* The table's hash (not the ISN's: tcp_isn.c hashes the full tuple for
 * RFC 6528), keyed, over as few bytes as tell tuples apart, since SipHash
 * costs by the byte. An IPv4 tuple (both addresses mapped): its 12 bytes
 * of addresses and ports, as before IPv6. An IPv6 one, as Linux's
 * inet6_ehashfn folds it: the remote address's two 64-bit halves XORed (a
 * peer picks only the low half within its prefix: distinct low halves stay
 * distinct), its last 32 bits again, the local address's last 32 bits (a
 * host has few addresses) and the ports: 20 bytes, not 36. */
uint64_t tcp_tuple_hash(struct nst_stack *st, const struct nst_tcp_tuple *t)
{
    uint8_t k[20];
    if (nst_ip6_is_v4mapped(&t->laddr) && nst_ip6_is_v4mapped(&t->raddr)) {
        nst_ip4_t l = nst_ip6_to_ip4(&t->laddr), r = nst_ip6_to_ip4(&t->raddr);
        memcpy(k, &l, 4);
        memcpy(k + 4, &r, 4);
        memcpy(k + 8, &t->lport, 2);
        memcpy(k + 10, &t->rport, 2);
        return nst_siphash24(st->hash_key, k, 12);
    }
    uint64_t hi, lo;
    memcpy(&hi, t->raddr.b, 8);
    memcpy(&lo, t->raddr.b + 8, 8);
    hi ^= lo;
    memcpy(k, &hi, 8);
    memcpy(k + 8, t->laddr.b + 12, 4);
    memcpy(k + 12, &t->lport, 2);
    memcpy(k + 14, &t->rport, 2);
    memcpy(k + 16, t->raddr.b + 12, 4);
    return nst_siphash24(st->hash_key, k, sizeof(k));
}

uint64_t tcp_port_hash(struct nst_stack *st, uint16_t port)
{
    uint8_t k[3] = {'P', (uint8_t)(port >> 8), (uint8_t)port};
    return nst_siphash24(st->hash_key, k, sizeof(k));
}

/* ---- the 4-tuple table -------------------------------------------------------- */

int tcp_conn_hash(struct nst_stack *st, struct nst_tcp_conn *c) { return tcp_conn_hash_at(st, c, 0); }

int tcp_conn_hash_at(struct nst_stack *st, struct nst_tcp_conn *c, uint64_t h)
{
    if (c->hashed)
        return 0;
    nst_htable_insert(&st->tcp->conns, &c->node, h ? h : tcp_tuple_hash(st, &c->t));
    c->hashed = 1;
    st->tcp->rx_last = c; /* tcp_conn_unhash clears it */
    return 0;
}

void tcp_conn_unhash(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!c->hashed)
        return;
    nst_htable_remove(&st->tcp->conns, &c->node);
    c->hashed = 0;
    if (st->tcp->rx_last == c)
        st->tcp->rx_last = NULL;
    st->tcp->port_gen++;
}

struct nst_tcp_conn *tcp_conn_lookup(struct nst_stack *st, const struct nst_tcp_tuple *t)
{
    return tcp_conn_lookup_hashed(st, t, tcp_tuple_hash(st, t));
}

struct nst_tcp_conn *tcp_conn_lookup_hashed(struct nst_stack *st, const struct nst_tcp_tuple *t, uint64_t h)
{
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->tcp->conns, h, n)
    {
        struct nst_tcp_conn *c = NST_CONTAINER_OF(n, struct nst_tcp_conn, node);
        if (tcp_tuple_eq(&c->t, t))
            return c;
    }
    return NULL;
}

/* ---- listeners ---------------------------------------------------------------- */

int tcp_listener_add(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (c->listening)
        return 0;
    nst_htable_insert(&st->tcp->listeners, &c->node, tcp_port_hash(st, c->t.lport));
    c->listening = 1;
    return 0;
}

void tcp_listener_remove(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!c->listening)
        return;
    nst_htable_remove(&st->tcp->listeners, &c->node);
    c->listening = 0;
}

struct nst_tcp_conn *tcp_listener_lookup(struct nst_stack *st, const nst_ip6_t *addr, uint16_t port)
{
    /* A listener bound to the exact address wins over a wildcard one; of
     * the wildcards, one of the address's own family (an AF_INET socket
     * for IPv4) over a dual-stack one, as Linux's compute_score. */
    struct nst_tcp_conn *wild = NULL;
    int wild_score = 0;
    uint8_t kind = nst_in6_kind(addr);
    uint64_t h = tcp_port_hash(st, port);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->tcp->listeners, h, n)
    {
        struct nst_tcp_conn *c = NST_CONTAINER_OF(n, struct nst_tcp_conn, node);
        if (c->t.lport != port)
            continue;
        if (nst_ip6_eq(&c->t.laddr, addr))
            return c;
        if (!c->port.any || !(c->port.cover & kind))
            continue;
        int score = c->port.cover == kind ? 2 : 1;
        if (score > wild_score) {
            wild = c;
            wild_score = score;
        }
    }
    return wild;
}

uint16_t tcp_adv_mss(struct nst_stack *st, const nst_ip6_t *raddr, int ifindex, uint16_t user_mss)
{
    uint32_t mtu;
    if (nst_ip6_is_v4mapped(raddr)) {
        mtu = 576;
        nst_ip_route_src(st, nst_ip6_to_ip4(raddr), NULL, &mtu);
    } else {
        nst_ip6_t src;
        if (nst_ip6_route_src(st, raddr, ifindex, &src, &mtu) < 0)
            mtu = NST_IPV6_MIN_MTU;
    }
    uint32_t hdrs = tcp_ip_overhead(raddr);
    uint32_t adv = mtu > hdrs ? mtu - hdrs : TCP_DEFAULT_MSS;
    if (user_mss && user_mss < adv)
        adv = user_mss;
    return (uint16_t)NST_MIN(adv, 65535u);
}

/* ---- the port table ----------------------------------------------------------- */

const nst_ip6_t *tcp_port_addr(const struct tcp_port_ref *r)
{
    static const nst_ip6_t any;
    if (r->kind == TCP_PORT_TW)
        return &NST_CONTAINER_OF(r, struct tcp_tw_port, ref)->addr;
    return r->any ? &any : &NST_CONTAINER_OF(r, struct nst_tcp_conn, port)->t.laddr;
}

void tcp_port_hold(struct nst_stack *st, struct nst_tcp_conn *c, uint16_t port, int bound)
{
    if (c->port_held)
        tcp_port_release(st, c);
    c->port.port = port;
    c->port.kind = TCP_PORT_CONN;
    c->port.bound = bound != 0;
    c->port.any = nst_in6_is_any(&c->t.laddr) != 0;
    c->port.cover = nst_in6_cover(&c->sock, &c->t.laddr) & 3u;
    nst_htable_insert(&st->tcp->ports, &c->port.node, tcp_port_hash(st, port));
    c->port_held = 1;
}

void tcp_port_release(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!c->port_held)
        return;
    nst_htable_remove(&st->tcp->ports, &c->port.node);
    c->port_held = 0;
    st->tcp->port_gen++;
}

/* Do two local addresses of one port clash? Only if they share a family
 * (a v6-only :: and 0.0.0.0 do not, RFC 3493 5.3) and one is a wildcard
 * or both are the same address. */
static int addr_overlap(const struct tcp_port_ref *r, const nst_ip6_t *addr, uint8_t cover)
{
    if (!(r->cover & cover))
        return 0;
    return r->any || nst_in6_is_any(addr) || nst_ip6_eq(tcp_port_addr(r), addr);
}

/* Linux's rules: two sockets may share a port when the addresses differ
 * (neither being the wildcard), or when both set SO_REUSEADDR and the other
 * is not listening; a TIME_WAIT record yields to SO_REUSEADDR. `self`
 * listening counts as not reusable against other listeners. */
int tcp_port_check_bind(struct nst_stack *st, const struct nst_tcp_conn *self, const nst_ip6_t *addr, uint16_t port)
{
    uint8_t cover = nst_in6_cover(&self->sock, addr);
    uint64_t h = tcp_port_hash(st, port);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->tcp->ports, h, n)
    {
        struct tcp_port_ref *r = NST_CONTAINER_OF(n, struct tcp_port_ref, node);
        if (r->port != port || !addr_overlap(r, addr, cover))
            continue;
        if (r->kind == TCP_PORT_TW) {
            if (!self->reuseaddr)
                return -EADDRINUSE;
            continue;
        }
        const struct nst_tcp_conn *o = NST_CONTAINER_OF(r, struct nst_tcp_conn, port);
        if (o == self)
            continue;
        if (self->reuseaddr && o->reuseaddr && o->state != NST_TCPS_LISTEN && self->state != NST_TCPS_LISTEN)
            continue;
        if (self->reuseaddr && o->reuseaddr && self->state == NST_TCPS_LISTEN && o->state != NST_TCPS_LISTEN)
            continue;
        return -EADDRINUSE;
    }
    return 0;
}

int tcp_port_bound_elsewhere(struct nst_stack *st, const struct nst_tcp_conn *self, const nst_ip6_t *addr,
                             uint16_t port)
{
    /* A port someone bound or listens on is not handed out by connect(). */
    uint8_t cover = nst_in6_cover(&self->sock, addr);
    uint64_t h = tcp_port_hash(st, port);
    struct nst_hnode *n;
    NST_HTABLE_FOREACH_HASH(&st->tcp->ports, h, n)
    {
        struct tcp_port_ref *r = NST_CONTAINER_OF(n, struct tcp_port_ref, node);
        if (r->port != port || r->kind != TCP_PORT_CONN || !r->bound || !addr_overlap(r, addr, cover))
            continue;
        if (NST_CONTAINER_OF(r, struct nst_tcp_conn, port) != self)
            return 1;
    }
    return 0;
}

/* ---- connections -------------------------------------------------------------- */

int tcp_extras_get(struct nst_tcp_conn *c)
{
    if (!c->xt && !(c->xt = calloc(1, sizeof(*c->xt))))
        return -ENOMEM;
    return 0;
}

void tcp_extras_put(struct nst_tcp_conn *c)
{
    if (c->xt && !c->xt->rate && !c->xt->pace && !c->xt->plp) {
        free(c->xt);
        c->xt = NULL;
    }
}

struct nst_tcp_conn *tcp_conn_new(struct nst_stack *st)
{
    const struct nst_tcp_config *cfg = &st->cfg.tcp;
    struct nst_tcp_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->sock.fd = -1;
    c->sock.type = NST_SOCK_STREAM;
    c->sock.ops = &nst_tcp_ops;
    c->state = NST_TCPS_CLOSED;
    c->sndbuf_cap = cfg->sndbuf;
    c->rcvbuf_cap = cfg->rcvbuf;
    nst_ring_init(&c->sndbuf, c->sndbuf_cap);
    nst_ring_init(&c->rcvbuf, c->rcvbuf_cap);
    nst_ring_set_pool(&c->sndbuf, &st->buf_pool);
    nst_ring_set_pool(&c->rcvbuf, &st->buf_pool);
    nst_rtt_init(&c->rtt, cfg->rto_initial, cfg->rto_min, cfg->rto_max);
    c->cc.ops = nst_cc_find(cfg->congestion);
    if (!c->cc.ops)
        c->cc.ops = NST_CC_DEFAULT;
    c->keepidle = cfg->keepidle;
    c->keepintvl = cfg->keepintvl;
    c->keepcnt = cfg->keepcnt;
    c->peer_mss = TCP_DEFAULT_MSS;
    c->adv_mss = TCP_DEFAULT_MSS;
    tcp_update_mss(c);
    tcp_timers_init(c);
    c->tw_reuse = cfg->tw_reuse != 0;
    c->ecn_mode = (uint8_t)cfg->ecn; /* 0..2 (config_fill_missing) */
    c->rack_on = cfg->rack != 0;
    c->last_recv = st->now;
    c->state_since = st->now;
    struct nst_tcp_state *ts = st->tcp;
    c->all_next = ts->all;
    if (ts->all)
        ts->all->all_prev = c;
    ts->all = c;
    ts->n_conns++;
    return c;
}

void tcp_conn_free(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_state *ts = st->tcp;
    if (c->state == NST_TCPS_LISTEN)
        tcp_listen_close(st, c);
    if (c->queue != TCP_Q_NONE)
        tcp_listen_unlink(st, c);
    tcp_timers_cancel(st, c);
    tcp_conn_unhash(st, c);
    tcp_listener_remove(st, c);
    tcp_port_release(st, c);
    nst_ring_free(&c->sndbuf);
    nst_ring_free(&c->rcvbuf);
    tcp_ooo_release(c);
    tcp_sack_release(c);
    tcp_rate_free(c);
    tcp_pace_free(st, c);
    tcp_plp_free(c);
    tcp_rack_release(c);
    if (c->orphan)
        ts->n_orphans--;
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        ts->all = c->all_next;
    if (c->all_next)
        c->all_next->all_prev = c->all_prev;
    ts->n_conns--;
    free(c->lq);
    free(c);
}

static void count_close(struct nst_stack *st, int old_state)
{
    /* RFC 1213 tcpAttemptFails / tcpEstabResets: direct transitions to CLOSED. */
    if (old_state == NST_TCPS_SYN_SENT || old_state == NST_TCPS_SYN_RECEIVED)
        NST_STAT_INC(st, tcp, attempt_fails);
    else if (old_state == NST_TCPS_ESTABLISHED || old_state == NST_TCPS_CLOSE_WAIT)
        NST_STAT_INC(st, tcp, estab_resets);
}

void tcp_drop(struct nst_stack *st, struct nst_tcp_conn *c, int err)
{
    count_close(st, c->state);
    if (err && !c->err)
        c->err = err;
    tcp_set_state(st, c, NST_TCPS_CLOSED);
    tcp_timers_cancel(st, c);
    tcp_conn_unhash(st, c);
    /* A port the application bound stays its own until close (as Linux's
     * SOCK_BINDPORT_LOCK), so connect() may be tried again from it. */
    if (!c->port.bound || c->sock.fd < 0)
        tcp_port_release(st, c);
    /* Unsent data can never be sent now; unread data stays readable. */
    nst_ring_free(&c->sndbuf);
    nst_ring_drop_pending(&c->rcvbuf);
    tcp_ooo_release(c);
    tcp_sack_release(c);
    tcp_rate_free(c);
    tcp_plp_free(c);
    tcp_rack_release(c);
    if (c->queue != TCP_Q_NONE || c->sock.fd < 0) {
        tcp_conn_free(st, c);
        return;
    }
    tcp_notify(st, c);
}

void tcp_notify_fd(struct nst_stack *st, int fd)
{
    struct nst_tcp_state *ts = st->tcp;
    if (fd < 0)
        return;
    for (unsigned i = 0; i < ts->n_notify; i++)
        if (ts->notify_fd[i] == fd)
            return;
    if (ts->n_notify < NST_ARRAY_LEN(ts->notify_fd))
        ts->notify_fd[ts->n_notify++] = fd;
    else
        ts->notify_overflow = 1;
}

void tcp_notify(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (c->sock.fd >= 0)
        tcp_notify_fd(st, c->sock.fd);
    else if (c->queue == TCP_Q_ACCEPT && c->listener)
        tcp_notify_fd(st, c->listener->sock.fd);
}

/* Too many sockets to remember in one entry point (a timer sweep, a
 * callback touching many): every TCP socket is told, by descriptor. A
 * notification too many is harmless; one lost would leave a poll set or a
 * callback waiting forever. */
static void notify_all(struct nst_stack *st)
{
    for (uint32_t fd = 0; fd < st->socks.cap; fd++) {
        struct nst_sock *s = nst_sock_get(st, (int)fd);
        if (s && s->ops == &nst_tcp_ops)
            nst_sock_notify(st, s);
    }
}

void tcp_notify_flush(struct nst_stack *st)
{
    struct nst_tcp_state *ts = st->tcp;
    /* By descriptor, not pointer: a callback may close any of them, or
     * queue more. */
    for (;;) {
        if (ts->notify_overflow) {
            ts->notify_overflow = 0;
            ts->n_notify = 0;
            notify_all(st);
        } else if (ts->n_notify) {
            int fd = ts->notify_fd[--ts->n_notify];
            struct nst_sock *s = nst_sock_get(st, fd);
            if (s && s->ops == &nst_tcp_ops)
                nst_sock_notify(st, s);
        } else {
            break;
        }
    }
}
