/* Building and sending segments: options, the advertised window (receiver
 * SWS avoidance, window scaling), and the send decision (windows, Nagle,
 * sender SWS avoidance). Data is cut from the send ring at send time; a
 * retransmission re-reads the ring. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

/* ---- the advertised window ------------------------------------------------ */

/* RFC 1122 4.2.3.3 / RFC 9293 3.8.6.2.2: the right edge moves only by at
 * least min(Fr * RCV.BUFF, Eff.snd.MSS) with Fr = 1/2, so the peer is never
 * invited to send tiny segments. Eff.snd.MSS (RFC 9293 3.7.1) is this
 * connection's full segment payload. */
static uint32_t rcv_sws_threshold(const struct nst_tcp_conn *c)
{
    return (uint32_t)NST_MIN(c->rcvbuf_cap / 2, (size_t)c->mss);
}

/* The room the window may offer: less than the free buffer space under
 * memory pressure (tcp_mem.c). */
static uint32_t rcv_space(const struct nst_tcp_conn *c)
{
    size_t s = tcp_rcv_room(c);
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static uint32_t rcv_cur_window(const struct nst_tcp_conn *c)
{
    return nst_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

uint16_t tcp_window_field(struct nst_tcp_conn *c, int syn)
{
    uint32_t space = rcv_space(c);
    if (syn) {
        /* RFC 7323 2.2: the window of a SYN is never scaled. */
        uint32_t w = NST_MIN(space, 65535u);
        c->rcv_adv = c->rcv_nxt + w;
        return (uint16_t)w;
    }
    uint32_t cur = rcv_cur_window(c);
    uint32_t w = cur;
    if (space > cur && space - cur >= rcv_sws_threshold(c))
        w = space;
    uint32_t max = 65535u << c->rcv_wscale;
    if (w > max)
        w = max;
    uint32_t field = w >> c->rcv_wscale;
    /* RFC 9293 3.8.6.2.2 / RFC 7323 2.4: never move the right edge left.
     * Rounding down to the scale unit may offer a few bytes less than
     * before; the acceptance test keeps using the old edge (rcv_adv). */
    uint32_t edge = c->rcv_nxt + (field << c->rcv_wscale);
    if (nst_seq_gt(edge, c->rcv_adv))
        c->rcv_adv = edge;
    return (uint16_t)field;
}

int tcp_window_update_due(const struct nst_tcp_conn *c)
{
    /* Worth a segment of its own when the edge can move by the SWS
     * threshold and the window at least doubles (so a steadily reading
     * application does not cause an ACK per read). Only the space the
     * window field can carry counts: past 65535 << rcv_wscale the update
     * would offer nothing new, and an ACK with the same number and window
     * is a duplicate ACK to the peer (RFC 5681 2). */
    uint32_t space = NST_MIN(rcv_space(c), 65535u << c->rcv_wscale), cur = rcv_cur_window(c);
    return space > cur && space - cur >= rcv_sws_threshold(c) && space >= 2 * cur;
}

/* ---- options --------------------------------------------------------------- */

/* The out-of-order range (of r, n of them) holding [s, e), or -1. */
static int ooo_range_holding(const struct nst_tcp_conn *c, const struct nst_asm_range *r, unsigned n, uint32_t s,
                             uint32_t e)
{
    for (unsigned i = 0; i < n; i++)
        if (nst_seq_leq(c->rcv_nxt + r[i].start, s) && nst_seq_leq(e, c->rcv_nxt + r[i].end))
            return (int)i;
    return -1;
}

void tcp_sack_recent_note(struct nst_tcp_conn *c, uint32_t seq)
{
    struct nst_asm_range r[NST_ASM_MAX_RANGES];
    unsigned n = nst_asm_ranges(tcp_ooo(c), r, NST_ASM_MAX_RANGES);
    int fresh = ooo_range_holding(c, r, n, seq, seq + 1);
    /* Keep the older entries that still name a block of their own (not
     * delivered in order since, not merged into the new block). */
    uint32_t keep[NST_TCP_MAX_SACK];
    unsigned k = 0;
    keep[k++] = seq;
    for (unsigned i = 0; i < c->sack_recent_n && k < NST_TCP_MAX_SACK; i++) {
        uint32_t s = c->sack_recent[i];
        int at = ooo_range_holding(c, r, n, s, s + 1);
        if (at >= 0 && at != fresh)
            keep[k++] = s;
    }
    memcpy(c->sack_recent, keep, sizeof(keep[0]) * k);
    c->sack_recent_n = (uint8_t)k;
}

/* Appends out-of-order range i (if there is one, and not appended yet). */
static void sack_block_put(const struct nst_tcp_conn *c, const struct nst_asm_range *r, int i, uint64_t *used,
                           struct nst_tcp_opts *o)
{
    if (i < 0 || (*used & (1ull << i)) || o->sack_count >= NST_TCP_MAX_SACK)
        return;
    *used |= 1ull << i;
    o->sack[o->sack_count].start = c->rcv_nxt + r[i].start;
    o->sack[o->sack_count].end = c->rcv_nxt + r[i].end;
    o->sack_count++;
}

/* The SACK blocks of an ACK. RFC 2883 4: a D-SACK block, if the segment
 * that drew this ACK brought data again, comes first, and the out-of-order
 * block holding that duplicate (if any) second. RFC 2018 4: then the block
 * holding the segment that drew the ACK, then the blocks most recently
 * reported first, newest first; any others (more holes than the history
 * remembers) lowest first. The emitter keeps as many as fit beside the
 * other options, so the oldest news is what is left out. */
static void fill_sack_blocks(const struct nst_tcp_conn *c, struct nst_tcp_opts *o)
{
    struct nst_asm_range r[NST_ASM_MAX_RANGES];
    unsigned n = nst_asm_ranges(tcp_ooo(c), r, NST_ASM_MAX_RANGES);
    uint64_t used = 0;
    o->sack_count = 0;
    if (c->dsack_pending) {
        o->sack[0].start = c->dsack_start;
        o->sack[0].end = c->dsack_end;
        o->sack_count = 1;
        sack_block_put(c, r, ooo_range_holding(c, r, n, c->dsack_start, c->dsack_end), &used, o);
    }
    for (unsigned i = 0; i < c->sack_recent_n; i++)
        sack_block_put(c, r, ooo_range_holding(c, r, n, c->sack_recent[i], c->sack_recent[i] + 1), &used, o);
    for (unsigned i = 0; i < n; i++)
        sack_block_put(c, r, (int)i, &used, o);
}

static void build_opts(const struct nst_stack *st, const struct nst_tcp_conn *c, struct nst_tcp_opts *o, int syn)
{
    memset(o, 0, sizeof(*o));
    if (syn) {
        /* RFC 9293 3.7.1: MSS in every SYN; RFC 7323 / RFC 2018 options
         * only as offered (SYN) or negotiated (SYN-ACK). */
        /* A SYN-ACK carries what was negotiated (a simultaneous open's too). */
        int synack = c->state == NST_TCPS_SYN_RECEIVED;
        o->has_mss = 1;
        o->mss = c->adv_mss;
        if (synack ? c->ws_ok : c->ws_offer) {
            o->has_wscale = 1;
            o->wscale = c->rcv_wscale;
        }
        o->sack_ok = synack ? c->sack_ok : c->sack_offer;
        if (synack ? c->ts_ok : c->ts_offer) {
            o->has_ts = 1;
            o->ts_val = tcp_ts_now(st, c->ts_offset);
            /* RFC 7323 3.2: TSecr is 0 in a SYN, the peer's TSval in a SYN-ACK. */
            o->ts_ecr = synack ? c->ts_recent : 0;
        }
        return;
    }
    if (c->ts_ok) {
        o->has_ts = 1;
        o->ts_val = tcp_ts_now(st, c->ts_offset);
        o->ts_ecr = c->ts_recent;
    }
    if (c->sack_ok && (c->dsack_pending || !nst_asm_empty(tcp_ooo(c))))
        fill_sack_blocks(c, o);
}

/* Payload that fits in one segment next to options of length olen. */
static uint32_t payload_max(const struct nst_tcp_conn *c, size_t olen)
{
    return c->mss_wire > olen + 1 ? c->mss_wire - (uint32_t)olen : 1;
}

/* ---- emitting ------------------------------------------------------------------ */

/* Puts header + `len` bytes of the send ring `src` (from offset off) on
 * the wire. The payload is not copied here: the packet borrows the ring's
 * bytes (they stay until acknowledged) and leaves the TCP checksum partial
 * (the pseudo-header sum in the field); the link finishes it in the copy
 * it makes anyway (nst_frame_copy), or the stack does where the packet
 * must be kept (nst_pkt_linearize). One pass over the payload fewer. */
static int emit(struct nst_stack *st, const struct nst_tcp_tuple *t, const struct nst_tcp_repr *r,
                const struct nst_ring *src, uint32_t off, uint32_t len, uint8_t ttl, uint8_t tos, struct nst_dst *dc,
                uint16_t gso_size, int ifindex)
{
    size_t hlen = NST_TCP_HLEN + nst_tcp_opts_len(&r->opts);
    struct nst_pkt *p = nst_pkt_alloc(st, 0);
    if (!p)
        return -ENOMEM;
    uint8_t *h = nst_pkt_push(p, hlen);
    uint32_t hdr_sum;
    nst_tcp_emit_sum(r, h, &hdr_sum);
    if (len) {
        struct nst_ring_span sp[2];
        unsigned n = nst_ring_spans(src, off, len, sp);
        for (unsigned i = 0; i < n; i++) {
            p->fr.frag[i] = sp[i].p;
            p->fr.frag_len[i] = sp[i].n;
        }
        /* RFC 9293 3.1: the pseudo-header's length is the whole segment's. */
        uint32_t pseudo = tcp_pseudo_sum(&t->laddr, &t->raddr, (uint32_t)(hlen + len));
        nst_put16(h + 16, (uint16_t)pseudo);
        p->csum_at = p->off;
        p->fr.csum_partial = 1;
        p->fr.csum_offset = 16; /* RFC 9293 3.1: the checksum field */
        p->fr.head_sum = (uint16_t)nst_csum_block_add(hdr_sum, pseudo, 0);
        p->fr.gso_size = gso_size;
    } else {
        uint32_t pseudo = tcp_pseudo_sum(&t->laddr, &t->raddr, p->len);
        nst_put16(h + 16, nst_csum_finish(nst_csum_block_add(pseudo, hdr_sum, 0)));
    }
    /* Segments as the wire will carry them: a TSO frame is several. */
    NST_STAT_ADD(st, tcp, tx_segments, gso_size ? (len + gso_size - 1u) / gso_size : 1u);
    if (r->flags & NST_TCP_RST)
        NST_STAT_INC(st, tcp, tx_resets);
    /* DF set: RFC 1191 path MTU discovery (tcp_icmp.c lowers the MSS).
     * IPv4 (mapped) addresses go out through IPv4, the others through
     * IPv6, which never fragments what TCP sends (RFC 8201: the MSS
     * follows Packet Too Big instead); tos is the traffic class there. */
    if (nst_ip6_is_v4mapped(&t->raddr))
        return nst_ip_output_dst(st, p, nst_ip6_to_ip4(&t->laddr), nst_ip6_to_ip4(&t->raddr), NST_IP_PROTO_TCP, ttl,
                                 tos, 1, dc);
    return nst_ip6_output(st, p, &t->laddr, &t->raddr, NST_IP6_NH_TCP, ttl, tos, ifindex, 1, dc);
}

/* RFC 9293 3.8.5 with RFC 6093: while urgent data is outstanding, every
 * segment before SND.UP carries URG and the offset from its sequence
 * number to SND.UP (the octet after the urgent data), at most 65535 (as
 * Linux: the pointer then only says "further on"). */
static void urgent_field(struct nst_tcp_conn *c, uint32_t seq, uint8_t *flags, uint16_t *urg_ptr)
{
    *urg_ptr = 0;
    if (c->snd_up_valid && !nst_seq_gt(c->snd_up, c->snd_una))
        c->snd_up_valid = 0; /* all acknowledged */
    if (!c->snd_up_valid || !nst_seq_gt(c->snd_up, seq) || (*flags & (NST_TCP_SYN | NST_TCP_RST)))
        return;
    *flags |= NST_TCP_URG;
    *urg_ptr = (uint16_t)NST_MIN(c->snd_up - seq, 65535u);
}

/* A segment of connection c: `len` payload bytes from the send ring at seq.
 * The caller has built r->opts in place (build_opts); the rest of r is
 * filled here. (Building the options apart and copying them in made the
 * copy wait on the options' fresh stores: a store-forwarding stall on every
 * segment.) tos: the IP ECN field (tcp_ecn_data_tos); ECE is added here
 * while the connection echoes a CE mark (RFC 3168 6.1.3). */
static int xmit_tos(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
                    struct nst_tcp_repr *r, uint8_t tos)
{
    flags |= tcp_ecn_ack_flags(c, flags);
    r->src_port = c->t.lport;
    r->dst_port = c->t.rport;
    r->seq = seq;
    r->ack = (flags & NST_TCP_ACK) ? c->rcv_nxt : 0;
    urgent_field(c, seq, &flags, &r->urg_ptr);
    r->flags = flags;
    r->hdr_len = 0;
    r->window = (flags & NST_TCP_RST) ? 0 : tcp_window_field(c, (flags & NST_TCP_SYN) != 0);
    /* More than a segment's payload: a TSO frame (output_data decided),
     * cut by the link into segments of the payload a segment with these
     * options carries. */
    uint16_t gso = len > c->mss ? (uint16_t)payload_max(c, nst_tcp_opts_len(&r->opts)) : 0;
    if (tcp_pace_of(c) && len)
        tcp_pace_sent(st, c, len + tcp_ip_overhead(&c->t.raddr) + (uint32_t)nst_tcp_opts_len(&r->opts));
    /* A SYN's data (RFC 7413) is the ring's first bytes: SYN at ISS, data
     * from ISS + 1 = the ring's start. */
    uint32_t off = (flags & NST_TCP_SYN) ? 0 : seq - c->snd_buf_seq;
    tos = (uint8_t)((c->tclass & ~NST_ECN_MASK) | tos); /* RFC 3168 5: ECN in the low two bits */
    int err = emit(st, &c->t, r, &c->sndbuf, off, len, c->ttl, tos, &c->dst, gso, tcp_ifindex(c));
    c->segs_out += gso ? (len + gso - 1u) / gso : 1u;
    if (len)
        c->last_data_sent = st->now; /* RFC 5681 4.1 counts data, not ACKs */
    if (flags & NST_TCP_ACK) {
        /* RFC 7323 4.3: Last.ACK.sent; any ACK ends a pending delayed ACK. */
        c->last_ack_sent = c->rcv_nxt;
        c->ack_now = 0;
        c->ack_pending = 0;
        nst_timer_cancel(st, &c->t_delack);
        /* RFC 2883 4: the D-SACK block goes in this one ACK only. */
        if (c->dsack_pending && r->opts.sack_count)
            NST_STAT_INC(st, tcp, dsack_sent);
        c->dsack_pending = 0;
    }
    return err;
}

/* Every segment but new data goes Not-ECT (RFC 3168 6.1.4-6.1.6). */
static int xmit(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
                struct nst_tcp_repr *r)
{
    return xmit_tos(st, c, seq, len, flags, r, NST_ECN_NOT_ECT);
}

/* New data: ECT(0) and a CWR owed, once ECN is negotiated. */
static int xmit_new_data(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
                         struct nst_tcp_repr *r)
{
    uint8_t tos = tcp_ecn_data_tos(st, c, seq, len, &flags);
    return xmit_tos(st, c, seq, len, flags, r, tos);
}

int tcp_send_raw(struct nst_stack *st, const struct nst_tcp_tuple *t, uint32_t seq, uint32_t ack, uint8_t flags,
                 uint16_t window, const struct nst_tcp_opts *opts, int ifindex)
{
    struct nst_tcp_repr r;
    memset(&r, 0, sizeof(r));
    r.src_port = t->lport;
    r.dst_port = t->rport;
    r.seq = seq;
    r.ack = ack;
    r.flags = flags;
    r.window = window;
    if (opts)
        r.opts = *opts;
    return emit(st, t, &r, NULL, 0, 0, 0, NST_ECN_NOT_ECT, NULL, 0, ifindex);
}

void tcp_send_syn(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_repr r;
    build_opts(st, c, &r.opts, 1);
    uint8_t flags = NST_TCP_SYN;
    uint32_t len = 0;
    if (c->state == NST_TCPS_SYN_RECEIVED) {
        flags |= NST_TCP_ACK;
        tcp_tfo_synack_opts(st, c, &r.opts); /* RFC 7413 4.1.2: a cookie */
    } else {
        /* RFC 7413 4.1.3: the cookie, and data up to the MSS after options. */
        uint32_t max = tcp_tfo_syn_opts(st, c, &r.opts);
        size_t olen = nst_tcp_opts_len(&r.opts);
        if (max > olen)
            len = (uint32_t)NST_MIN((size_t)(max - olen), nst_ring_len(&c->sndbuf));
    }
    flags |= tcp_ecn_syn_flags(c); /* RFC 3168 6.1.1 */
    xmit(st, c, c->iss, len, flags, &r);
    if (len) {
        c->tfo_syn_data = (uint16_t)len;
        c->bytes_sent += len;
        NST_STAT_INC(st, tcp, tfo_syn_data_sent);
    }
    c->snd_nxt = c->iss + 1 + len;
    if (nst_seq_gt(c->snd_nxt, c->snd_max))
        c->snd_max = c->snd_nxt;
    /* Karn (RFC 6298 3): only a SYN sent once gives an RTT sample. */
    if (!c->syn_retransmitted) {
        c->rtt_timing = 1;
        c->rtt_seq = c->iss + 1;
        c->rtt_start = st->now;
    } else {
        c->rtt_timing = 0;
    }
    if (!nst_timer_armed(&c->t_rtx))
        tcp_rtx_arm(st, c);
}

/* The sequence number of a segment without data (an ACK, an abort's RST).
 * The peer takes it only if it lies in its receive window (RFC 9293
 * 3.10.7.4; a RST, RFC 5961 3.2, only at RCV.NXT exactly), and that window
 * begins past everything the peer holds: after a retransmission timeout (or
 * ICMP, or a zero window) pulled SND.NXT back, possibly all up to SND.MAX,
 * so SND.NXT would be behind it and the segment discarded. Hence SND.MAX,
 * the highest sequence number sent -- but, as Linux's tcp_acceptable_seq,
 * not past the right edge of the window the peer last offered, which a
 * peer that did not get the data (and shrank its window) still checks;
 * and never below SND.NXT. */
static uint32_t acceptable_seq(const struct nst_tcp_conn *c)
{
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    if (nst_seq_leq(c->snd_max, wnd_end))
        return c->snd_max;
    return nst_seq_gt(wnd_end, c->snd_nxt) ? wnd_end : c->snd_nxt;
}

void tcp_send_ack(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_repr r;
    build_opts(st, c, &r.opts, 0);
    xmit(st, c, acceptable_seq(c), 0, NST_TCP_ACK, &r);
}

void tcp_send_keepalive(struct nst_stack *st, struct nst_tcp_conn *c)
{
    struct nst_tcp_repr r;
    build_opts(st, c, &r.opts, 0);
    xmit(st, c, c->snd_una - 1, 0, NST_TCP_ACK, &r);
}

void tcp_send_rst(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>, SND.NXT meaning the
     * highest sent (acceptable_seq); the ACK bit as well, as the major
     * stacks do, so the peer can match it in any state. RFC 7323
     * recommends RSTs carry no timestamps. */
    struct nst_tcp_repr r;
    memset(&r.opts, 0, sizeof(r.opts));
    xmit(st, c, acceptable_seq(c), 0, NST_TCP_RST | NST_TCP_ACK, &r);
}

void tcp_send_reset_for(struct nst_stack *st, const struct tcp_seg *seg)
{
    /* RFC 9293 3.10.7.1: never answer a RST; if the segment has an ACK,
     * <SEQ=SEG.ACK><CTL=RST>, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
    if (seg->h.flags & NST_TCP_RST)
        return;
    struct nst_tcp_tuple t = {
        .laddr = seg->dst, .raddr = seg->src, .lport = seg->h.dst_port, .rport = seg->h.src_port};
    if (seg->h.flags & NST_TCP_ACK)
        tcp_send_raw(st, &t, seg->h.ack, 0, NST_TCP_RST, 0, NULL, tcp_seg_ifindex(seg));
    else
        tcp_send_raw(st, &t, 0, seg->h.seq + tcp_seg_len(seg), NST_TCP_RST | NST_TCP_ACK, 0, NULL, tcp_seg_ifindex(seg));
}

/* ---- data ------------------------------------------------------------------------ */

static int fin_sendable_state(const struct nst_tcp_conn *c)
{
    return c->state == NST_TCPS_FIN_WAIT_1 || c->state == NST_TCPS_CLOSING || c->state == NST_TCPS_LAST_ACK;
}

/* Bytes of the send ring from seq on (0 if seq is at or past its end). */
static uint32_t ring_avail_from(const struct nst_tcp_conn *c, uint32_t seq)
{
    uint32_t off = seq - c->snd_buf_seq;
    size_t len = nst_ring_len(&c->sndbuf);
    if (nst_seq_lt(seq, c->snd_buf_seq) || off >= len)
        return 0;
    return (uint32_t)(len - off);
}

/* Bookkeeping after sending [seq, seq+len) (+FIN). */
static void after_send(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len, int fin)
{
    uint32_t end = seq + len + (fin ? 1u : 0u);
    if (tcp_rate_of(c))
        tcp_rate_on_send(st, c, seq, len, nst_seq_lt(seq, c->snd_max));
    uint32_t old_max = c->snd_max;
    if (c->rack_on && c->sack_ok)
        tcp_rack_sent(st, c, seq, end, old_max); /* RFC 8985 6.1 */
    if (nst_seq_lt(seq, c->snd_max)) {
        c->n_retrans++;
        c->bytes_retrans += len;
        NST_STAT_INC(st, tcp, retransmits);
        if (c->rtx_ep_active)
            c->rtx_ep_bytes += len; /* RFC 3708 3: what D-SACKs may show needless */
        if (tcp_plp_of(c))
            tcp_plp_retransmit(st, c, seq, len); /* a lost PLPMTUD probe */
        /* Karn: an ACK covering a retransmission says nothing of the RTT. */
        if (c->rtt_timing && nst_seq_lt(seq, c->rtt_seq))
            c->rtt_timing = 0;
    } else if (!c->rtt_timing && len) {
        c->rtt_timing = 1;
        c->rtt_seq = end;
        c->rtt_start = st->now;
    }
    c->bytes_sent += len;
    if (nst_seq_gt(end, c->snd_max))
        c->snd_max = end;
    if (nst_seq_gt(end, old_max) && tcp_rack_new_data_sent(st, c))
        return; /* RFC 8985 7.2: the PTO */
    if (!nst_timer_armed(&c->t_rtx))
        tcp_rtx_arm(st, c);
}

uint32_t tcp_retransmit(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t seq, uint32_t len)
{
    struct nst_tcp_repr r;
    build_opts(st, c, &r.opts, 0);
    uint32_t avail = ring_avail_from(c, seq);
    len = NST_MIN(NST_MIN(len, avail), payload_max(c, nst_tcp_opts_len(&r.opts)));
    /* Stay inside the peer's current window (it may have shrunk since the
     * first transmission): at least one octet at SND.UNA. */
    uint32_t wnd_end = c->snd_una + NST_MAX(c->snd_wnd, 1u);
    if (!nst_seq_lt(seq, wnd_end) && len)
        return 0;
    if (nst_seq_lt(seq, wnd_end) && len > wnd_end - seq)
        len = wnd_end - seq;
    int fin = c->fin_queued && fin_sendable_state(c) && seq + len == tcp_fin_seq(c) &&
              nst_seq_gt(c->snd_max, tcp_fin_seq(c));
    if (len == 0 && !fin)
        return 0;
    uint8_t flags = NST_TCP_ACK | (fin ? NST_TCP_FIN : 0) | (len && len == avail ? NST_TCP_PSH : 0);
    xmit(st, c, seq, len, flags, &r);
    after_send(st, c, seq, len, fin);
    return len + (fin ? 1u : 0u);
}

uint32_t tcp_send_new(struct nst_stack *st, struct nst_tcp_conn *c, uint32_t max)
{
    struct nst_tcp_repr r;
    build_opts(st, c, &r.opts, 0);
    uint32_t avail = ring_avail_from(c, c->snd_nxt);
    uint32_t rwnd_end = c->snd_una + c->snd_wnd;
    uint32_t usable = nst_seq_lt(c->snd_nxt, rwnd_end) ? rwnd_end - c->snd_nxt : 0;
    uint32_t len = NST_MIN(NST_MIN(avail, usable), NST_MIN(max, payload_max(c, nst_tcp_opts_len(&r.opts))));
    int fin = c->fin_queued && fin_sendable_state(c) && len == avail && nst_seq_leq(c->snd_nxt, tcp_fin_seq(c));
    if (len == 0 && !fin)
        return 0;
    uint32_t seq = c->snd_nxt;
    uint8_t flags = NST_TCP_ACK | (fin ? NST_TCP_FIN : 0) | (len && len == avail ? NST_TCP_PSH : 0);
    xmit_new_data(st, c, seq, len, flags, &r);
    c->snd_nxt = seq + len + (fin ? 1u : 0u);
    after_send(st, c, seq, len, fin);
    return len + (fin ? 1u : 0u);
}

uint32_t tcp_send_probe(struct nst_stack *st, struct nst_tcp_conn *c)
{
    /* RFC 9293 3.8.6.1: into a zero window, one octet of new data; after
     * an SWS stall (RFC 1122 4.2.3.4 (4), the override timeout), what the
     * window allows. Sent from SND.UNA: nothing is in flight. */
    struct nst_tcp_repr r;
    build_opts(st, c, &r.opts, 0);
    c->snd_nxt = c->snd_una;
    uint32_t avail = ring_avail_from(c, c->snd_nxt);
    if (avail == 0)
        return 0;
    uint32_t len = 1;
    if (c->snd_wnd > 0) {
        uint32_t wnd = NST_MIN(c->snd_wnd, tcp_send_window(c));
        len = NST_MIN(NST_MIN(avail, NST_MAX(wnd, 1u)), payload_max(c, nst_tcp_opts_len(&r.opts)));
    }
    uint32_t seq = c->snd_nxt;
    xmit(st, c, seq, len, NST_TCP_ACK | (len == avail ? NST_TCP_PSH : 0), &r);
    c->snd_nxt = seq + len;
    if (nst_seq_lt(seq, c->snd_max)) {
        c->n_retrans++;
        c->bytes_retrans += len;
    }
    c->bytes_sent += len;
    if (nst_seq_gt(c->snd_nxt, c->snd_max))
        c->snd_max = c->snd_nxt;
    c->rtt_timing = 0;
    if (c->snd_wnd > 0 && !nst_timer_armed(&c->t_rtx))
        tcp_rtx_arm(st, c);
    return len;
}

/* RFC 1122 4.2.3.4 and RFC 9293 3.7.4 (Nagle): may a segment of len bytes
 * (avail queued from snd_nxt, maxpay a full segment) go now? */
static int send_allowed(const struct nst_tcp_conn *c, uint32_t len, uint32_t avail, uint32_t maxpay)
{
    if (len >= maxpay)
        return 1; /* (1) a full-sized segment */
    if (nst_seq_lt(c->snd_nxt, c->snd_max))
        return 1; /* a retransmission goes as it was */
    if (len == avail && (c->nodelay || c->snd_max == c->snd_una || c->fin_queued))
        return 1; /* (2) all queued data, and Nagle does not hold it back */
    if (len == avail && c->state == NST_TCPS_SYN_RECEIVED && c->snd_max == c->snd_una + 1)
        return 1; /* (2) a Fast Open answer: only the SYN-ACK is out, no data */
    if (c->max_snd_wnd && len >= c->max_snd_wnd / 2)
        return 1; /* (3) at least half the largest window the peer offered */
    return 0;
}

/* TCP segmentation offload: where the way out takes TCP frames larger
 * than the MTU (nst_dst.gso: a TAP with a vnet header), new data that
 * fills several segments goes as one frame of whole segments (up to a
 * 64 KB datagram), which the link or the kernel cuts as Linux's GSO does
 * (the same header on each, sequence numbers advanced, PSH/FIN on the last
 * only). Only new data: a retransmission goes as the segment it was; and
 * not with a CWR owed (RFC 3168 6.1.2: it belongs on one segment). The
 * window, cwnd and Nagle are applied to the whole, in bytes, as to one
 * segment. Returns the payload to send: `fit` rounded down to whole
 * segments of maxpay, or maxpay if that is no more than one. */
static uint32_t tso_len(const struct nst_stack *st, const struct nst_tcp_conn *c, uint32_t fit, uint32_t maxpay,
                        const struct nst_tcp_repr *r)
{
    if (!c->dst.gso || c->dst.gen != st->ip.dst_gen || c->snd_nxt != c->snd_max || c->ecn_cwr_pending ||
        c->snd_up_valid || tcp_pace_of(c))
        return maxpay; /* (an urgent pointer is the segment's own, too; a paced segment goes alone) */
    /* 64 KB: an IPv4 datagram's total length, an IPv6 packet's payload
     * length and the header in front (the frame then fits the TAP's). */
    uint32_t room = 65535u - tcp_ip_overhead(&c->t.raddr) - (uint32_t)nst_tcp_opts_len(&r->opts);
    uint32_t len = NST_MIN(fit, room);
    len -= len % maxpay;
    return len > maxpay ? len : maxpay;
}

/* RFC 4821 7.5: a PLPMTUD probe, one segment of `len` bytes of new data,
 * larger than the segment size in use (only the TSO decision reads
 * c->mss, and a probe is one segment). */
static void send_plp_probe(struct nst_stack *st, struct nst_tcp_conn *c, struct nst_tcp_repr *r, uint32_t len,
                           uint32_t avail)
{
    uint32_t seq = c->snd_nxt, olen = (uint32_t)nst_tcp_opts_len(&r->opts);
    uint16_t mss = c->mss;
    c->mss = (uint16_t)NST_MIN(len, 65535u);
    xmit_new_data(st, c, seq, len, NST_TCP_ACK | (len == avail ? NST_TCP_PSH : 0), r);
    c->mss = mss;
    c->snd_nxt = seq + len;
    after_send(st, c, seq, len, 0);
    tcp_plp_probe_sent(st, c, seq, len, olen);
}

static int output_data(struct nst_stack *st, struct nst_tcp_conn *c)
{
    int sent = 0;
    /* RFC 5681 4.1: after no data was sent for longer than an RTO (pure
     * ACKs in the meantime do not count), restart from the restart window
     * rather than a stale cwnd. */
    if (c->snd_max == c->snd_una && ring_avail_from(c, c->snd_nxt) &&
        st->now - c->last_data_sent > nst_rtt_timeout(&c->rtt) && c->cc.ops->after_idle)
        c->cc.ops->after_idle(&c->cc, nst_rtt_timeout(&c->rtt), st->now);
    for (;;) {
        uint32_t sack_room = UINT32_MAX, sacked_below = 0;
        if (c->sack && nst_seq_lt(c->snd_nxt, c->snd_max)) {
            /* Going back after a timeout (or a window that closed): past
             * what the receiver reported holding (RFC 6675 5.1, see
             * tcp_recovery_on_rto), which is not in flight either. */
            c->snd_nxt = nst_sack_skip(c->sack, c->snd_nxt, &sack_room);
            sacked_below = nst_sack_bytes_below(c->sack, c->snd_nxt);
        }
        uint32_t avail = ring_avail_from(c, c->snd_nxt);
        int fin_now = c->fin_queued && fin_sendable_state(c) && nst_seq_leq(c->snd_nxt, tcp_fin_seq(c));
        if (avail == 0 && !fin_now)
            break;
        struct nst_tcp_repr r;
        build_opts(st, c, &r.opts, 0);
        uint32_t maxpay = payload_max(c, nst_tcp_opts_len(&r.opts));
        uint32_t probe = tcp_plp_of(c) ? tcp_plp_probe_payload(st, c, (uint32_t)nst_tcp_opts_len(&r.opts)) : 0;
        if (probe) {
            if (tcp_pace_of(c) && tcp_pace_hold(st, c))
                break;
            send_plp_probe(st, c, &r, probe, avail);
            sent++;
            continue;
        }
        uint32_t wnd = NST_MIN(c->snd_wnd, tcp_send_window(c) + sacked_below);
        uint32_t wnd_end = c->snd_una + wnd;
        uint32_t usable = nst_seq_lt(c->snd_nxt, wnd_end) ? wnd_end - c->snd_nxt : 0;
        uint32_t len = NST_MIN(NST_MIN(NST_MIN(avail, usable), maxpay), sack_room);
        if (len == maxpay)
            len = tso_len(st, c, NST_MIN(avail, usable), maxpay, &r);
        int fin = fin_now && len == avail;
        if (len == 0 && !fin)
            break;
        if (len > 0 && !send_allowed(c, len, avail, maxpay))
            break;
        if (tcp_pace_of(c) && tcp_pace_hold(st, c))
            break; /* the pacing timer sends it */
        uint32_t seq = c->snd_nxt;
        uint8_t flags = NST_TCP_ACK | (fin ? NST_TCP_FIN : 0) | (len && len == avail ? NST_TCP_PSH : 0);
        xmit_new_data(st, c, seq, len, flags, &r);
        c->snd_nxt = seq + len + (fin ? 1u : 0u);
        after_send(st, c, seq, len, fin);
        sent++;
    }
    return sent;
}

/* Zero window: BSD's way. What is in flight beyond the window is taken
 * back (it will be sent again) and the persist timer probes instead of
 * the retransmission timer (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17). */
static void enter_persist_if_needed(struct nst_stack *st, struct nst_tcp_conn *c)
{
    int pending = ring_avail_from(c, c->snd_una) > 0;
    if (!pending)
        return;
    if (c->snd_wnd == 0) {
        /* Also a probe octet the peer just refused is unsent again. */
        if (nst_seq_gt(c->snd_nxt, c->snd_una)) {
            c->snd_nxt = c->snd_una;
            c->rtt_timing = 0;
        }
        nst_timer_cancel(st, &c->t_rtx);
        if (!nst_timer_armed(&c->t_persist)) {
            c->rtt.backoff = 0;
            tcp_persist_arm(st, c);
        }
        return;
    }
    if (nst_timer_armed(&c->t_persist))
        return;
    /* Data waits for SWS avoidance or Nagle with nothing in flight: no ACK
     * will come to release it, so the persist timer is the override
     * timeout of RFC 1122 4.2.3.4. */
    if (c->snd_una == c->snd_max && !nst_timer_armed(&c->t_rtx) && !tcp_pace_waiting(c))
        tcp_persist_arm(st, c);
}

void tcp_output(struct nst_stack *st, struct nst_tcp_conn *c)
{
    int sent = 0;
    switch (c->state) {
    case NST_TCPS_ESTABLISHED:
    case NST_TCPS_CLOSE_WAIT:
    case NST_TCPS_FIN_WAIT_1:
    case NST_TCPS_CLOSING:
    case NST_TCPS_LAST_ACK:
        if (c->ca_state == NST_TCP_CA_RECOVERY && c->sack_recovery)
            sent = (int)tcp_sack_recovery_send(st, c);
        else
            sent = output_data(st, c);
        enter_persist_if_needed(st, c);
        if (tcp_rate_of(c))
            tcp_rate_check_app_limited(c, ring_avail_from(c, c->snd_max));
        break;
    case NST_TCPS_SYN_RECEIVED:
        if (c->tfo_pending)
            sent = output_data(st, c); /* RFC 7413: data before the handshake's ACK */
        break;
    case NST_TCPS_FIN_WAIT_2:
        break;
    default:
        return;
    }
    if (!sent && c->ack_now)
        tcp_send_ack(st, c);
    if (c->ack_pending)
        tcp_delack_arm(st, c);
}
