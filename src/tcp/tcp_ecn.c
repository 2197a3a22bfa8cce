/* Explicit Congestion Notification for TCP (RFC 3168 6.1).
 *
 * Negotiation (6.1.1): an ECN-setup SYN carries ECE and CWR, an ECN-setup
 * SYN-ACK carries ECE alone; anything else means no ECN. The stack's
 * `ecn` setting says whether we ask (1) and whether we accept (1, 2).
 *
 * Once negotiated, each side is at once a data sender and a receiver:
 *   - new data segments go out ECT(0) (6.1.2); pure ACKs, retransmissions
 *     and window probes stay Not-ECT (6.1.4, 6.1.5, 6.1.6);
 *   - a receiver that gets a CE-marked segment sets ECE on every ACK until
 *     a segment with CWR arrives (6.1.3);
 *   - a sender that gets ECE reduces cwnd as for a loss, through the
 *     congestion control module's NST_CC_SIG_ECN (FreeBSD's CC_ECN), at
 *     most once per window of data, and sets CWR on the next new data
 *     segment (6.1.2). A loss in a window already reduced for ECE (or the
 *     other way round) reduces nothing more. */
#include "core/stack_impl.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"
#include "wire/ipv4.h"

#define ECN_SETUP (NST_TCP_ECE | NST_TCP_CWR)

/* ---- negotiation (RFC 3168 6.1.1) ---------------------------------------------- */

void tcp_ecn_reset(struct nst_stack *st, struct nst_tcp_conn *c, int active)
{
    /* Only an active open with ecn = 1 asks (Linux's tcp_ecn = 1); the
     * socket's own setting (NST_TCP_ECN), the stack's by default. */
    (void)st;
    c->ecn_offer = active && c->ecn_mode == 1;
    c->ecn_ok = 0;
    c->ecn_seen = 0;
    c->ecn_echo = 0;
    c->ecn_cwr_pending = 0;
    c->ecn_reduced = 0;
    c->ecn_recover = 0;
}

uint8_t tcp_ecn_syn_flags(struct nst_tcp_conn *c)
{
    /* An ECN-setup SYN-ACK has ECE and not CWR. */
    if (c->state == NST_TCPS_SYN_RECEIVED)
        return c->ecn_ok ? NST_TCP_ECE : 0;
    /* 6.1.1.1: a SYN that got no answer MAY go again as a non-ECN-setup
     * SYN (a middlebox may drop SYNs with ECE and CWR); Linux does so, and
     * then no longer takes a SYN-ACK's ECE as agreement. */
    if (c->syn_retransmitted)
        c->ecn_offer = 0;
    return c->ecn_offer ? ECN_SETUP : 0;
}

void tcp_ecn_syn_sent_input(struct nst_tcp_conn *c, uint8_t flags)
{
    if (flags & NST_TCP_ACK) /* an ECN-setup SYN-ACK: ECE without CWR */
        c->ecn_ok = c->ecn_offer && (flags & ECN_SETUP) == NST_TCP_ECE;
    else /* a simultaneous open: the peer's own SYN must be ECN-setup */
        c->ecn_ok = c->ecn_offer && (flags & ECN_SETUP) == ECN_SETUP;
}

int tcp_ecn_accept_syn(const struct nst_tcp_conn *l, uint8_t flags)
{
    /* Only a SYN with both ECE and CWR asks; one with ECE alone (or CWR
     * alone) is not an ECN-setup SYN. */
    return l->ecn_mode != 0 && (flags & ECN_SETUP) == ECN_SETUP;
}

/* A SYN cookie has no room for ECN: as Linux does, the agreement rides in
 * the low bit of the SYN-ACK's TSval, which the peer echoes in the ACK's
 * TSecr. The TSval is never ahead of the clock (it would break the
 * peer's PAWS for our next segments). */
uint32_t tcp_ecn_cookie_tsval(uint32_t now_ts, int ecn)
{
    uint32_t ts = (now_ts & ~1u) | (ecn ? 1u : 0u);
    return nst_seq_gt(ts, now_ts) ? ts - 2 : ts;
}

int tcp_ecn_cookie_ok(const struct nst_tcp_conn *l, const struct tcp_seg *seg)
{
    return l->ecn_mode != 0 && seg->h.opts.has_ts && (seg->h.opts.ts_ecr & 1u);
}

/* ---- output ---------------------------------------------------------------------- */

uint8_t tcp_ecn_ack_flags(const struct nst_tcp_conn *c, uint8_t flags)
{
    /* 6.1.3: ECE on every ACK while echoing; never on a SYN (where it
     * means negotiation) or a RST. */
    return c->ecn_echo && (flags & (NST_TCP_ACK | NST_TCP_SYN | NST_TCP_RST)) == NST_TCP_ACK ? NST_TCP_ECE : 0;
}

uint8_t tcp_ecn_data_tos(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t *flags)
{
    /* 6.1.4: no pure ACK is ECT; 6.1.5: no retransmission is (nor carries
     * CWR): only data never sent before. */
    if (!c->ecn_ok || len == 0 || nst_seq_lt(seq, c->snd_max))
        return NST_ECN_NOT_ECT;
    if (c->ecn_cwr_pending) {
        /* 6.1.2: CWR on the first new data segment after the reduction. */
        *flags |= NST_TCP_CWR;
        c->ecn_cwr_pending = 0;
        NST_STAT_INC(st, tcp, ecn_cwr_sent);
    }
    return NST_ECN_ECT0;
}

/* ---- input ------------------------------------------------------------------------ */

/* Has the window up to ecn_recover already been reduced? (6.1.2: "the
 * congestion window should be reduced only once in response to a series
 * of dropped and/or CE packets from a single window of data".) The ACK
 * that covers ecn_recover exactly still left before our CWR reached the
 * receiver (Linux: "CWR is to be held something *above* high_seq is
 * ACKed"), so the window ends strictly past it. */
static int window_reduced(const struct nst_tcp_conn *c)
{
    return c->ecn_reduced && !nst_seq_gt(c->snd_una, c->ecn_recover);
}

static void note_reduction(struct nst_tcp_conn *c)
{
    c->ecn_reduced = 1;
    c->ecn_recover = c->snd_max;
    c->ecn_cwr_pending = 1;
}

int tcp_ecn_loss_reduction(struct nst_tcp_conn *c)
{
    if (!c->ecn_ok)
        return 1;
    /* A loss in a window already halved for ECE is the same congestion. */
    if (c->ecn_reduced && nst_seq_lt(c->snd_una, c->ecn_recover))
        return 0;
    /* The window is reduced now: CWR tells a receiver that echoes ECE. */
    note_reduction(c);
    return 1;
}

/* 6.1.3: the receiver's side. CWR first (the sender has reduced: stop
 * echoing), then CE (new congestion: echo again). */
static void ecn_receiver(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    if (seg->h.flags & NST_TCP_CWR) {
        NST_STAT_INC(st, tcp, ecn_cwr_received);
        c->ecn_echo = 0;
    }
    if (seg->len == 0)
        return;
    /* ECT or CE arrived: the path keeps the ECN field (Linux's
     * TCP_ECN_SEEN, what ss prints as "ecnseen"). */
    if (seg->ecn != NST_ECN_NOT_ECT)
        c->ecn_seen = 1;
    if (seg->ecn != NST_ECN_CE)
        return;
    NST_STAT_INC(st, tcp, ecn_ce_received);
    if (!c->ecn_echo) {
        /* The echo goes at once, not after the delayed-ACK timer: a sender
         * with a small window would otherwise learn of it late (Linux's
         * quick ACK on CE). */
        c->ecn_echo = 1;
        c->ack_now = 1;
    }
}

/* 6.1.2: the sender's side. flight: bytes outstanding before this ACK. */
static void ecn_sender(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t flight)
{
    if (!(seg->h.flags & NST_TCP_ECE))
        return;
    NST_STAT_INC(st, tcp, ecn_ece_received);
    /* Nothing of ours was in flight (the handshake's ACK): nothing to
     * react to. Once per window of data. */
    if (flight == 0 || window_reduced(c))
        return;
    if (c->ca_state == NST_TCP_CA_RECOVERY || c->ca_state == NST_TCP_CA_LOSS || nst_seq_lt(c->snd_una, c->recover)) {
        /* Loss recovery already reduced this window. */
        note_reduction(c);
        return;
    }
    c->cc.ops->cong_signal(&c->cc, NST_CC_SIG_ECN, flight, st->now);
    NST_STAT_INC(st, tcp, ecn_reductions);
    note_reduction(c);
}

void tcp_ecn_input(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg, uint32_t flight)
{
    if (!c->ecn_ok)
        return;
    ecn_receiver(st, c, seg);
    ecn_sender(st, c, seg, flight);
}
