/* Stack-wide TCP memory (Linux's tcp_mem).
 *
 * Every byte of ring storage a connection holds (send and receive rings)
 * comes from the stack's buffer pool, which keeps the account
 * (core/buf_pool.h): bytes held by all connections, the thresholds of
 * cfg.tcp (mem_low, mem_pressure, mem_high) and the pressure state. Rings
 * take storage as data needs it (core/ring.h), so this is the memory TCP
 * really uses, not the sum of the buffer sizes.
 *
 * The policy here, as Linux's:
 *  - under pressure a receive window offers no more than the storage the
 *    ring holds (never moving the right edge already offered left, RFC 9293
 *    3.8.6.2.2: tcp_window_field keeps it), a send buffer does not grow
 *    (nst_send takes what fits in the storage held), and out-of-order data
 *    that would need more storage is dropped;
 *  - at the hard limit (a request refused) the data that needed storage is
 *    dropped and counted (the peer retransmits it), and orphans holding
 *    unsent data are reset (Linux's tcp_out_of_resources / "out of memory
 *    -- consider tuning tcp_mem"), since no one will ever read their result.
 * Each ring may always have its first NST_RING_MIN_STORAGE bytes, within
 * the hard limit, so a connection can make progress under pressure. */
#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_state.h"

static int ring_constrained(const struct nst_ring *r)
{
    return r->pinned || (r->pool && r->pool->pressure);
}

size_t tcp_rcv_room(const struct nst_tcp_conn *c)
{
    const struct nst_ring *r = &c->rcvbuf;
    size_t space = nst_ring_space(r);
    return ring_constrained(r) ? NST_MIN(space, nst_ring_held_space(r)) : space;
}

size_t tcp_snd_room(const struct nst_tcp_conn *c)
{
    const struct nst_ring *r = &c->sndbuf;
    size_t space = nst_ring_space(r);
    return ring_constrained(r) ? NST_MIN(space, nst_ring_held_space(r)) : space;
}

int tcp_mem_ooo_allowed(const struct nst_tcp_conn *c, uint32_t off, uint32_t len)
{
    const struct nst_ring *r = &c->rcvbuf;
    return !ring_constrained(r) || (size_t)off + len <= nst_ring_held_space(r);
}

int tcp_mem_exhausted(const struct nst_stack *st) { return st->buf_pool.pressure && st->buf_pool.refused; }

/* Linux's tcp_check_oom: too many orphans, or memory exhausted and this
 * orphan holding unsent data no one will ever see acknowledged. */
int tcp_mem_orphan_reset(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!c->orphan)
        return 0;
    int too_many = st->tcp->n_orphans > st->cfg.tcp.max_orphans;
    if (!too_many && (nst_ring_len(&c->sndbuf) == 0 || !tcp_mem_exhausted(st)))
        return 0;
    NST_STAT_INC(st, tcp, abort_on_memory);
    tcp_send_rst(st, c);
    tcp_drop(st, c, 0);
    return 1;
}

void nst_tcp_mem_get(const struct nst_stack *st, struct nst_tcp_mem *out)
{
    const struct nst_buf_pool *p = &st->buf_pool;
    *out = (struct nst_tcp_mem){
        .in_use = p->in_use,
        .in_use_max = p->in_use_max,
        .low = st->cfg.tcp.mem_low,
        .pressure = st->cfg.tcp.mem_pressure,
        .high = st->cfg.tcp.mem_high,
        .under_pressure = p->pressure,
        .refusals = p->refusals,
    };
}
