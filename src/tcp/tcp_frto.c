/* F-RTO (RFC 5682): was a retransmission timeout spurious?
 *
 * A delay spike longer than the RTO makes the sender time out although
 * nothing was lost; a conventional sender then goes back N and sends the
 * whole window again. F-RTO retransmits only the first segment (step 1);
 * when the ACK that follows advances the window, it sends new data instead
 * of more retransmissions (step 2); the ACK after that tells: if it
 * acknowledges data that was sent only before the timeout, the originals
 * were merely late (spurious, step 3b); if it is a duplicate ACK, or shows
 * the new data arriving while the old did not, the loss was real and the
 * conventional recovery takes over (step 3a). With SACK, the scoreboard
 * says more precisely what arrived (section 3, the SACK-enhanced variant).
 *
 * Response to a spurious timeout (RFC 5682 4 leaves the choice open):
 * nstack's is the conservative one. The reduction the timeout made stays
 * (ssthresh as the congestion control module set it; cwnd = ssthresh), the
 * sender leaves the RTO state and continues with new data in congestion
 * avoidance, and retransmits nothing more because of that timeout. RFC
 * 4015's Eifel response, which would restore the cwnd and ssthresh of
 * before the timeout, is not implemented. */
#include "core/stack_impl.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

void tcp_frto_on_rto(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 5682 2.1 / 3.1 step 1: not while a loss recovery is under way,
     * whose retransmissions could be acknowledged next and make the timeout
     * look spurious; but a timeout again for the same SND.UNA, before any
     * ACK came, keeps F-RTO (3.2: recurring timeouts; Linux does the same). */
    int fresh = c->ca_state == NST_TCP_CA_OPEN || c->ca_state == NST_TCP_CA_DISORDER;
    int again = c->frto == TCP_FRTO_STEP2;
    c->frto = st->cfg.tcp.frto && (fresh || again) ? TCP_FRTO_STEP2 : TCP_FRTO_OFF;
}

/* Step 3b: the timeout was spurious. */
static void frto_spurious(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->frto = TCP_FRTO_OFF;
    NST_STAT_INC(st, tcp, frto_spurious);
    /* RFC 5682 2.1 step 3b: recover = SND.UNA, so that duplicate ACKs may
     * start a fast retransmit again (RFC 6582 would hold them back). */
    c->recover = c->snd_una;
    c->ca_state = NST_TCP_CA_OPEN;
    c->dupacks = 0;
    /* The conservative response (see above): congestion avoidance from
     * cwnd = ssthresh. snd_nxt stays at SND.MAX: nothing goes back. */
    c->cc.cwnd = c->cc.ssthresh;
    c->cc.bytes_acked = 0;
}

/* Step 3a: the loss was real. */
static void frto_genuine(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->frto = TCP_FRTO_OFF;
    NST_STAT_INC(st, tcp, frto_genuine);
    /* RFC 5682 2.1 / 3.1 step 3a: cwnd no more than 3 SMSS (two round
     * trips passed since the timeout: slow start would be at 3 by now),
     * then the conventional recovery, retransmitting from SND.UNA in slow
     * start. (If the ACK already ended the RTO state, there is nothing
     * before SND.UNA to go back to.) */
    c->cc.cwnd = 3u * c->mss;
    c->cc.bytes_acked = 0;
    if (c->ca_state == NST_TCP_CA_LOSS)
        c->snd_nxt = c->snd_una;
}

/* Step 2: the first ACK after the timeout's retransmission. */
static void frto_step2(struct nst_stack *st, struct nst_tcp_conn *c, int advanced)
{
    if (!advanced) {
        /* 3.1 step 2: with SACK, duplicate ACKs before the retransmission
         * is acknowledged only feed the scoreboard; 2.1 step 2a: without
         * SACK, a duplicate ACK means conventional RTO recovery. */
        if (!c->sack_ok)
            c->frto = TCP_FRTO_OFF;
        return;
    }
    /* "recover": the highest sequence number sent so far. 2a: an ACK
     * covering it leaves nothing to decide. */
    c->recover = c->snd_max;
    if (!nst_seq_lt(c->snd_una, c->recover)) {
        c->frto = TCP_FRTO_OFF;
        return;
    }
    /* 2b: up to two new (never sent) segments instead of retransmissions. */
    uint32_t back = c->snd_nxt;
    c->snd_nxt = c->snd_max;
    unsigned sent = 0;
    while (sent < 2 && tcp_send_new(st, c, c->mss))
        sent++;
    if (sent == 0) {
        /* Nothing new may go (no data, or the receiver's window): the RFC
         * recommends leaving F-RTO for the conventional slow start. */
        c->snd_nxt = back;
        c->frto = TCP_FRTO_OFF;
        return;
    }
    c->frto = TCP_FRTO_STEP3;
}

/* Step 3: the second ACK. */
static void frto_step3(struct nst_stack *st, struct nst_tcp_conn *c, int advanced, const struct tcp_ack_news *n)
{
    if (!c->sack_ok) {
        /* 2.1 step 3: an ACK advancing the window acknowledges segments
         * sent only before the timeout (b); a duplicate ACK does not (a). */
        if (advanced)
            frto_spurious(st, c);
        else
            frto_genuine(st, c);
        return;
    }
    /* 3.1 step 3a: anything at or above "recover" acknowledged, cumulatively
     * or by SACK: the new data arrived and the old did not. */
    if (nst_seq_gt(c->snd_una, c->recover) || n->newly_sacked_above)
        frto_genuine(st, c);
    /* 3b: data below "recover" not acknowledged before, and nothing above. */
    else if (advanced || n->newly_sacked)
        frto_spurious(st, c);
    /* 3a: a duplicate ACK acknowledging nothing new below "recover". */
    else
        frto_genuine(st, c);
}

void tcp_frto_ack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_ack_news *n)
{
    int advanced = nst_seq_gt(c->snd_una, n->una_before);
    /* RFC 5682 speaks of ACKs that advance the window and of duplicate
     * ACKs; any other (a window update, data from the peer, a D-SACK
     * alone) is left for the next (as Linux does). */
    if (!advanced && !n->dupack)
        return;
    if (c->frto == TCP_FRTO_STEP2)
        frto_step2(st, c, advanced);
    else
        frto_step3(st, c, advanced, n);
}
