/* Every socket of a stack, one struct nst_sock_entry each: TCP from the
 * connection table and the TIME_WAIT records (tcp_info_foreach), UDP and
 * ICMP echo sockets from the descriptor table (a datagram socket exists
 * only while a descriptor refers to it). */
#include <nstack/inspect.h>

#include <stdio.h>
#include <string.h>

#include "core/stack_impl.h"
#include "socket/dgram.h"
#include "socket/inaddr.h"
#include "tcp/tcp_state.h"

struct list_ctx {
    struct nst_stack *st;
    struct nst_sock_entry *out;
    int max, n;
};

static uint32_t clamp32(size_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/* What ss shows in Recv-Q / Send-Q for a TCP socket: a listener's accept
 * queue and backlog, a connection's unread and unacknowledged bytes. */
static void tcp_queues(const struct nst_tcp_info *ti, struct nst_sock_entry *e)
{
    if (ti->state == NST_TCPS_LISTEN) {
        e->recv_q = ti->accept_queue;
        e->send_q = ti->backlog;
    } else {
        e->recv_q = ti->recv_queue;
        e->send_q = ti->send_queue;
    }
}

static void add_tcp(void *arg, const struct nst_tcp_info *ti)
{
    struct list_ctx *x = arg;
    if (x->n < x->max) {
        struct nst_sock_entry *e = &x->out[x->n];
        memset(e, 0, sizeof(*e));
        e->proto = NST_INSPECT_TCP;
        e->state = ti->state;
        e->close_wait_leak = ti->close_wait_leak;
        e->fd = ti->fd;
        e->local = ti->local;
        e->peer = ti->remote;
        e->state_since = ti->state_since;
        tcp_queues(ti, e);
        e->tcp = *ti;
        if (ti->fd >= 0)
            snprintf(e->note, sizeof(e->note), "%s", nst_socket_get_note(x->st, ti->fd));
    }
    x->n++;
}

static void add_dgram(struct list_ctx *x, const struct nst_dgram_sock *d, uint8_t proto)
{
    if (x->n < x->max) {
        struct nst_sock_entry *e = &x->out[x->n];
        memset(e, 0, sizeof(*e));
        e->proto = proto;
        e->state = d->connected ? NST_TCPS_ESTABLISHED : NST_TCPS_CLOSED;
        e->fd = d->base.fd;
        nst_sock_addr_out(&d->base, &d->laddr, d->lport, d->scope, &e->local);
        if (d->connected)
            nst_sock_addr_out(&d->base, &d->raddr, d->rport, d->scope, &e->peer);
        e->recv_q = clamp32(d->rxq.bytes);
        e->tcp.fd = -1;
    }
    x->n++;
}

static void add_dgrams(struct nst_stack *st, struct list_ctx *x, int type, uint8_t proto)
{
    const struct nst_sock_table *t = &st->socks;
    for (uint32_t fd = 0; fd < t->cap; fd++) {
        const struct nst_sock *s = t->v[fd];
        if (s && s->type == type)
            add_dgram(x, (const struct nst_dgram_sock *)s, proto);
    }
}

int nst_sock_list(struct nst_stack *st, struct nst_sock_entry *out, int max)
{
    struct list_ctx x = {st, out, max < 0 ? 0 : max, 0};
    tcp_info_foreach(st, add_tcp, &x);
    add_dgrams(st, &x, NST_SOCK_DGRAM, NST_INSPECT_UDP);
    add_dgrams(st, &x, NST_SOCK_ICMP, NST_INSPECT_ICMP);
    return x.n;
}

void nst_sock_summarize(const struct nst_sock_entry *v, int n, struct nst_sock_summary *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < n; i++) {
        const struct nst_sock_entry *e = &v[i];
        out->total++;
        if (e->proto == NST_INSPECT_UDP) {
            out->udp++;
        } else if (e->proto == NST_INSPECT_ICMP) {
            out->icmp++;
        } else {
            out->tcp++;
            if (e->state <= NST_TCPS_TIME_WAIT)
                out->tcp_states[e->state]++;
            if (e->tcp.orphan && e->state != NST_TCPS_TIME_WAIT)
                out->tcp_orphaned++;
            out->close_wait_leaks += e->close_wait_leak;
        }
    }
}
