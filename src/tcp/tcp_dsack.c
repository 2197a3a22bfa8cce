/* Duplicate SACK (RFC 2883): the receiver reports data it got twice in the
 * first SACK block of the ACK that segment draws; the sender recognises
 * such a block, keeps it out of its scoreboard (it is no news of what the
 * receiver holds, and no sign of loss), counts it, and uses it as RFC 3708
 * 3 does: when every byte retransmitted in a loss recovery episode comes
 * back reported as a duplicate, the episode was spurious (counted only:
 * the experimental undo of RFC 3708 / Linux is not done). */
#include "core/stack_impl.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

/* ---- receiver ------------------------------------------------------------------ */

void tcp_dsack_note(struct nst_tcp_conn *c, uint32_t start, uint32_t end)
{
    /* RFC 2883 4: only with SACK negotiated; one D-SACK block per ACK, the
     * first duplicate range the segment carried. */
    if (!c->sack_ok || c->dsack_pending || !nst_seq_lt(start, end))
        return;
    c->dsack_pending = 1;
    c->dsack_start = start;
    c->dsack_end = end;
}

void tcp_dsack_note_ooo(struct nst_tcp_conn *c, uint32_t off, uint32_t len)
{
    uint32_t s, e;
    if (c->ooo && nst_asm_overlap(c->ooo, off, len, &s, &e))
        tcp_dsack_note(c, c->rcv_nxt + s, c->rcv_nxt + e);
}

/* ---- sender --------------------------------------------------------------------- */

int tcp_dsack_in(const struct tcp_seg *seg)
{
    /* RFC 2883 5 (and 4.1): the first block is a D-SACK if it lies below
     * the cumulative ACK of the segment carrying it, or within the second
     * block. */
    const struct nst_tcp_opts *o = &seg->h.opts;
    if (o->sack_count == 0)
        return 0;
    uint32_t s = o->sack[0].start, e = o->sack[0].end;
    if (!nst_seq_lt(s, e))
        return 0;
    if (nst_seq_lt(s, seg->h.ack))
        return 1;
    return o->sack_count > 1 && nst_seq_geq(s, o->sack[1].start) && nst_seq_leq(e, o->sack[1].end);
}

void tcp_dsack_received(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t start, uint32_t end)
{
    /* A duplicate of data never sent is nonsense: ignored, not counted. */
    if (nst_seq_gt(end, c->snd_max))
        return;
    NST_STAT_INC(st, tcp, dsack_received);
    if (!c->rtx_ep_active)
        return;
    /* RFC 3708 3: credit the episode with the bytes of its own range
     * reported twice (later data duplicated by the network does not count). */
    uint32_t a = nst_seq_max(start, c->rtx_ep_start), b = nst_seq_min(end, c->rtx_ep_end);
    if (nst_seq_lt(a, b))
        c->rtx_ep_dsacked += b - a;
}

void tcp_rtx_episode_begin(struct nst_tcp_conn *c)
{
    /* A timeout in the middle of a recovery (or a timeout after a timeout)
     * extends the episode still open rather than starting one: its first
     * retransmissions are part of it. */
    if (c->rtx_ep_active && nst_seq_lt(c->snd_una, c->rtx_ep_end)) {
        c->rtx_ep_end = c->snd_max;
        return;
    }
    c->rtx_ep_active = 1;
    c->rtx_ep_start = c->snd_una;
    c->rtx_ep_end = c->snd_max;
    c->rtx_ep_bytes = 0;
    c->rtx_ep_dsacked = 0;
}

void tcp_rtx_episode_check(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 3708 3: the episode is over (everything it covered is
     * acknowledged) and every byte it retransmitted was reported as a
     * duplicate: no retransmission was needed. The D-SACKs for the last
     * retransmissions usually follow the ACK that ends the episode, so it
     * stays open until then, or until the next episode. */
    if (!c->rtx_ep_active || c->rtx_ep_bytes == 0 || nst_seq_lt(c->snd_una, c->rtx_ep_end) ||
        c->rtx_ep_dsacked < c->rtx_ep_bytes)
        return;
    c->rtx_ep_active = 0;
    NST_STAT_INC(st, tcp, spurious_rtx_dsack);
}
