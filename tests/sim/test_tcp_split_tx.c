/* Data segments leave the stack in pieces (struct nst_frame: headers plus
 * spans borrowed from the send ring, TCP checksum partial) when the link
 * has send_frame, and whole otherwise. Both must put the same, correct
 * segments on the wire: every byte delivered once, in order, with no bad
 * checksum at the receiver, including across the send ring's wrap (two
 * spans at any parity) and when a segment has to wait for ARP (the packet
 * is kept, so it is made whole first: it may not borrow from the ring).
 * The connection's remembered way out (struct nst_dst) follows the
 * neighbour when ARP says it moved. TSO over IPv6 as over IPv4: the frames
 * the link gets ask the kernel, byte for byte, for what it must do (the
 * vnet header of tap_vnet.c), and cut as it would cut them they make the
 * stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/nstack.h>

#include "../test.h"
#include "link/tap_vnet.h"
#include "support/sim_util.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv6.h"

#define QMAX 8192

struct frameq {
    uint8_t *f[QMAX];
    size_t len[QMAX];
    unsigned head, count;
};

struct link_end {
    struct frameq *out;
    unsigned split_frames, two_span_frames, whole_tcp_data_frames;
    struct nst_mac last_data_dst; /* Ethernet destination of the last data segment */
    /* TSO (the interface has gso_max): frames larger than the MTU, the
     * segments the link cut them into, TSO frames that resent data (must
     * stay 0), and every drop_every-th segment lost (0: none). */
    unsigned tso_frames, tso_segments, tso_resent, drop_every, segments, dropped;
    unsigned whole_tcp_frames;    /* TCP frames given whole, with data or not */
    const nst_time_t *clock;      /* the world's time */
    nst_time_t black_until;       /* until then every segment is lost */
    uint32_t sent_end;            /* end of the highest data sent so far */
    int sent_any;
    uint16_t want_gso;            /* the gso_size TSO frames must have */
    /* The first TSO frame: the vnet header the TAP driver would write in
     * front of it, its TCP checksum field, and the pseudo-header sum that
     * field must hold (RFC 9293 3.1 / RFC 8200 8.1). */
    uint8_t vh[NST_VNET_HLEN];
    uint16_t csum_field, csum_pseudo;
};

/* Room for a frame of len bytes at the queue's tail (NULL if full). */
static uint8_t *q_push(struct frameq *q, size_t len)
{
    CHECK(q->count < QMAX);
    if (q->count >= QMAX)
        return NULL;
    unsigned i = (q->head + q->count++) % QMAX;
    q->f[i] = malloc(len);
    q->len[i] = len;
    return q->f[i];
}

/* An Ethernet frame carrying IPv4/TCP or IPv6/TCP. */
static int is_tcp6(const uint8_t *fr, size_t len)
{
    return len >= 74 && fr[12] == 0x86 && fr[13] == 0xdd && fr[20] == 6;
}

static int is_tcp(const uint8_t *fr, size_t len)
{
    return (len >= 54 && fr[12] == 0x08 && fr[13] == 0x00 && fr[23] == 6) || is_tcp6(fr, len);
}

/* A whole TCP frame with payload (a data segment given whole). */
static int is_tcp_data(const uint8_t *fr, size_t len)
{
    if (!is_tcp(fr, len))
        return 0;
    if (is_tcp6(fr, len))
        return nst_get16(fr + 18) > (size_t)(fr[54 + 12] >> 4) * 4;
    size_t ihl = (size_t)(fr[14] & 0xf) * 4, tot = ((size_t)fr[16] << 8) | fr[17];
    size_t thl = (size_t)(fr[14 + ihl + 12] >> 4) * 4;
    return tot > ihl + thl;
}

static int send_whole(void *ctx, const uint8_t *frame, size_t len)
{
    struct link_end *e = ctx;
    e->whole_tcp_frames += (unsigned)is_tcp(frame, len);
    if (is_tcp_data(frame, len)) {
        e->whole_tcp_data_frames++;
        memcpy(e->last_data_dst.b, frame, 6);
    }
    uint8_t *at = q_push(e->out, len);
    if (at)
        memcpy(at, frame, len);
    return 0;
}

/* A segment after the link: lost every drop_every-th, else queued. */
static void cut_segment(void *arg, const uint8_t *frame, size_t len)
{
    struct link_end *e = arg;
    e->segments++;
    if ((e->drop_every && e->segments % e->drop_every == 0) || *e->clock < e->black_until) {
        e->dropped++;
        return;
    }
    uint8_t *at = q_push(e->out, len);
    if (at)
        memcpy(at, frame, len);
}

/* Notes the data a frame carries (seq from its TCP header); a TSO frame
 * must only ever carry new data. */
static void note_data(struct link_end *e, const struct nst_frame *f)
{
    const uint8_t *tcp = f->head + f->csum_start;
    uint32_t seq = ((uint32_t)tcp[4] << 24) | ((uint32_t)tcp[5] << 16) | ((uint32_t)tcp[6] << 8) | tcp[7];
    uint32_t end = seq + (uint32_t)(f->len - f->head_len);
    if (f->gso_size && e->sent_any && (int32_t)(seq - e->sent_end) < 0)
        e->tso_resent++;
    if (!e->sent_any || (int32_t)(end - e->sent_end) > 0)
        e->sent_end = end;
    e->sent_any = 1;
}

/* The first TSO frame's vnet header and checksum field, and the sum the
 * field must hold: the pseudo-header's over the whole frame's TCP length. */
static void note_first_tso(struct link_end *e, const struct nst_frame *f)
{
    struct nst_vnet_hdr h;
    CHECK_EQ(nst_vnet_hdr_for_frame(f, &h), 0);
    nst_vnet_hdr_emit(&h, e->vh);
    const uint8_t *ip = f->head + NST_ETH_HLEN;
    uint32_t tlen = (uint32_t)(f->len - f->csum_start), sum;
    if (is_tcp6(f->head, f->head_len)) {
        nst_ip6_t src, dst;
        memcpy(src.b, ip + 8, 16);
        memcpy(dst.b, ip + 24, 16);
        sum = nst_csum_pseudo6(&src, &dst, 6, tlen);
    } else {
        sum = nst_csum_pseudo(nst_get32(ip + 12), nst_get32(ip + 16), 6, (uint16_t)tlen);
    }
    e->csum_pseudo = (uint16_t)nst_csum_fold(sum);
    e->csum_field = nst_get16(f->head + f->csum_start + f->csum_offset);
}

/* The link cuts a TSO frame as the kernel's GSO would (the TAP driver's
 * own software path, tap_vnet.c), every segment checksummed. */
static int send_tso(struct link_end *e, const struct nst_frame *f)
{
    static uint8_t big[65536 + 64];
    CHECK(f->len <= sizeof(big));
    CHECK(f->len > 1514);
    CHECK_EQ(f->gso_size, e->want_gso);
    CHECK_EQ((f->len - f->head_len) % f->gso_size, 0); /* whole segments only */
    if (!e->tso_frames)
        note_first_tso(e, f);
    nst_frame_copy(f, big);
    e->tso_frames++;
    int n = nst_vnet_split_tcp(big, f->len, f->gso_size, cut_segment, e);
    CHECK(n > 1);
    e->tso_segments += (unsigned)n;
    return 0;
}

static int send_pieces(void *ctx, const struct nst_frame *f)
{
    struct link_end *e = ctx;
    note_data(e, f);
    if (f->gso_size)
        return send_tso(e, f);
    CHECK_EQ(f->len, f->head_len + f->frag_len[0] + f->frag_len[1]);
    CHECK_EQ(f->csum_partial, 1);
    CHECK_EQ(f->csum_start, NST_ETH_HLEN + (is_tcp6(f->head, f->head_len) ? 40 : 20));
    CHECK_EQ(f->csum_offset, 16);
    e->split_frames++;
    e->two_span_frames += f->frag_len[1] != 0;
    memcpy(e->last_data_dst.b, f->head, 6);
    if (e->drop_every || *e->clock < e->black_until) { /* through the same loss as the cut segments */
        static uint8_t one[1600];
        nst_frame_copy(f, one);
        cut_segment(e, one, f->len);
        return 0;
    }
    uint8_t *at = q_push(e->out, f->len);
    if (at)
        nst_frame_copy(f, at);
    return 0;
}

struct world {
    struct nst_stack *a, *b;
    int ia, ib;
    int v6;                       /* the connection is over IPv6 */
    nst_ip6_t a6, b6;
    struct frameq a2b, b2a;
    struct link_end ea, eb;
    nst_time_t now;
};

static void deliver(struct frameq *q, struct nst_stack *to, int ifindex, nst_time_t now)
{
    while (q->count) {
        unsigned i = q->head;
        q->head = (q->head + 1) % QMAX;
        q->count--;
        nst_stack_input(to, ifindex, q->f[i], q->len[i], now);
        free(q->f[i]);
    }
}

/* Moves frames both ways until none is left, then advances time by dt. */
static void step(struct world *w, nst_time_t dt)
{
    do {
        deliver(&w->a2b, w->b, w->ib, w->now);
        deliver(&w->b2a, w->a, w->ia, w->now);
    } while (w->a2b.count || w->b2a.count);
    w->now += dt;
    nst_stack_poll(w->a, w->now);
    nst_stack_poll(w->b, w->now);
}

enum { LINK_WHOLE, LINK_PIECES, LINK_TSO };

/* v6: both stacks get IPv6 (2001:db8::1 and ::2, DAD off to keep the
 * times short) and a TSO link takes IPv6 frames too (gso6_max). */
static void world_init_family(struct world *w, int a_takes_pieces, int v6)
{
    memset(w, 0, sizeof(*w));
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.ipv6 = v6;
    c.ip6_dad_transmits = 0;
    c.seed = 7;
    w->a = nst_stack_new(&c);
    c.seed = 8;
    w->b = nst_stack_new(&c);
    w->v6 = v6;
    w->ea.out = &w->a2b;
    w->ea.clock = &w->now;
    /* MSS 1460 (IPv4) or 1440 (IPv6) less the timestamp option. */
    w->ea.want_gso = v6 ? 1428 : 1448;
    w->eb.out = &w->b2a;
    struct nst_iface_config ia = {.name = "a0", .mac = {{2, 0, 0, 0, 0, 1}}, .addr = NST_IP4(10, 0, 0, 1),
                                  .prefix_len = 24, .mtu = 1500, .ops = {.send = send_whole}, .ctx = &w->ea};
    if (a_takes_pieces)
        ia.ops.send_frame = send_pieces;
    if (a_takes_pieces == LINK_TSO) {
        ia.gso_max = 65535;
        ia.gso6_max = v6 ? 65535 : 0;
    }
    struct nst_iface_config ib = {.name = "b0", .mac = {{2, 0, 0, 0, 0, 2}}, .addr = NST_IP4(10, 0, 0, 2),
                                  .prefix_len = 24, .mtu = 1500, .ops = {.send = send_whole}, .ctx = &w->eb};
    w->ia = nst_iface_add(w->a, &ia);
    w->ib = nst_iface_add(w->b, &ib);
    CHECK(w->ia >= 0 && w->ib >= 0);
    if (v6) {
        CHECK_EQ(nst_ip6_parse("2001:db8::1", &w->a6, NULL), 0);
        CHECK_EQ(nst_ip6_parse("2001:db8::2", &w->b6, NULL), 0);
        CHECK_EQ(nst_iface_addr6_add(w->a, w->ia, &w->a6, 64), 0);
        CHECK_EQ(nst_iface_addr6_add(w->b, w->ib, &w->b6, 64), 0);
    }
}

static void world_init(struct world *w, int a_takes_pieces) { world_init_family(w, a_takes_pieces, 0); }

static void world_free(struct world *w)
{
    step(w, 0);
    nst_stack_free(w->a);
    nst_stack_free(w->b);
}

static uint8_t pattern_at(uint64_t i) { return (uint8_t)((i * 2654435761u) >> 13); }

/* Sends n bytes from a to b in odd-sized writes; returns bytes b read that
 * matched the pattern at their offset (counting from *off). */
static uint64_t transfer(struct world *w, int cfd, int sfd, uint64_t n, uint64_t *off)
{
    static uint8_t chunk[7777], in[9000];
    uint64_t sent = 0, good = 0, got = 0;
    for (int turns = 0; got < n && turns < 100000; turns++) {
        while (sent < n) {
            size_t k = (size_t)(n - sent < sizeof(chunk) ? n - sent : sizeof(chunk));
            for (size_t i = 0; i < k; i++)
                chunk[i] = pattern_at(*off + sent + i);
            ssize_t r = nst_send(w->a, cfd, chunk, k, 0);
            if (r <= 0)
                break;
            sent += (uint64_t)r;
        }
        step(w, NST_MSEC(1));
        ssize_t r;
        while ((r = nst_recv(w->b, sfd, in, sizeof(in), 0)) > 0) {
            for (ssize_t i = 0; i < r; i++)
                good += in[i] == pattern_at(*off + got + (uint64_t)i);
            got += (uint64_t)r;
        }
    }
    *off += got;
    CHECK_EQ(got, n);
    return good;
}

static void connect_pair(struct world *w, int *cfd, int *sfd)
{
    int family = w->v6 ? NST_AF_INET6 : NST_AF_INET;
    int l = nst_socket_family(w->b, family, NST_SOCK_STREAM);
    struct nst_sockaddr sa = {.addr = NST_IP4(10, 0, 0, 2), .port = 80};
    if (w->v6)
        sa = (struct nst_sockaddr){.family = NST_AF_INET6, .addr6 = w->b6, .port = 80};
    CHECK_EQ(nst_bind(w->b, l, &sa), 0);
    CHECK_EQ(nst_listen(w->b, l, 4), 0);
    *cfd = nst_socket_family(w->a, family, NST_SOCK_STREAM);
    CHECK_EQ(nst_connect(w->a, *cfd, &sa), -EINPROGRESS);
    for (int i = 0; i < 10; i++)
        step(w, NST_MSEC(1));
    *sfd = nst_accept(w->b, l, NULL);
    CHECK(*sfd >= 0);
}

static void run_transfer(int a_takes_pieces)
{
    struct world w;
    world_init(&w, a_takes_pieces);
    int cfd, sfd;
    connect_pair(&w, &cfd, &sfd);
    uint64_t off = 0, n = 3u << 20; /* 12 times round the 256 KiB send ring */
    CHECK_EQ(transfer(&w, cfd, sfd, n, &off), n);
    const struct nst_stats *sb = nst_stack_stats(w.b);
    CHECK_EQ(sb->tcp_rx_bad_checksum, 0);
    CHECK_EQ(sb->tcp_rx_malformed, 0);
    if (a_takes_pieces) {
        /* ceil(3 MiB / 1448) data segments at least, every one in pieces. */
        CHECK(w.ea.split_frames >= (n + 1447) / 1448);
        /* 3 MiB through a 256 KiB ring that keeps its place: 11 wraps. */
        CHECK(w.ea.two_span_frames >= 11);
        CHECK_EQ(w.ea.whole_tcp_data_frames, 0);
    } else {
        CHECK_EQ(w.ea.split_frames, 0);
        CHECK(w.ea.whole_tcp_data_frames >= (n + 1447) / 1448);
    }

    /* Let a's ARP entry for b lapse on an idle connection (stale after
     * 60 s, forgotten 60 s later): the next data segment waits for ARP, is
     * made whole in the queue, and goes out as a whole frame once b
     * answers. */
    uint64_t expired0 = nst_stack_stats(w.a)->arp_cache_expired;
    uint64_t req0 = nst_stack_stats(w.a)->arp_tx_requests;
    for (int i = 0; i < 122; i++)
        step(&w, NST_SEC(1));
    CHECK_EQ(nst_stack_stats(w.a)->arp_cache_expired, expired0 + 1);
    unsigned whole0 = w.ea.whole_tcp_data_frames;
    CHECK_EQ(transfer(&w, cfd, sfd, 1000, &off), 1000);
    CHECK_EQ(nst_stack_stats(w.a)->arp_tx_requests, req0 + 1);
    CHECK_EQ(w.ea.whole_tcp_data_frames, whole0 + 1);
    CHECK_EQ(sb->tcp_rx_bad_checksum, 0);

    /* An ARP reply says b is now at another MAC (RFC 826: the sender's
     * address replaces the one held): a's next data segment goes there,
     * and b never sees it. (Everything acknowledged first: Nagle would
     * hold a small segment behind unacknowledged data.) */
    for (int i = 0; i < 5; i++)
        step(&w, NST_MSEC(20));
    struct nst_mac moved = su_mac(0x99), amac = {{2, 0, 0, 0, 0, 1}}, bmac = {{2, 0, 0, 0, 0, 2}};
    uint8_t arp[64];
    size_t an = su_build_arp(arp, &moved, &amac, NST_ARP_REPLY, &moved, NST_IP4(10, 0, 0, 2), &amac,
                             NST_IP4(10, 0, 0, 1));
    nst_stack_input(w.a, w.ia, arp, an, w.now);
    uint64_t not_for_b = sb->link_rx_not_for_us;
    uint8_t out[100], in[200];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = pattern_at(off + i);
    CHECK_EQ(nst_send(w.a, cfd, out, sizeof(out), 0), (ssize_t)sizeof(out));
    step(&w, NST_MSEC(1));
    CHECK(nst_mac_eq(&w.ea.last_data_dst, &moved));
    CHECK_EQ(sb->link_rx_not_for_us, not_for_b + 1);
    CHECK_EQ(nst_recv(w.b, sfd, in, sizeof(in), 0), -EAGAIN);
    /* b answers for itself again: the retransmission reaches it. */
    an = su_build_arp(arp, &bmac, &amac, NST_ARP_REPLY, &bmac, NST_IP4(10, 0, 0, 2), &amac, NST_IP4(10, 0, 0, 1));
    nst_stack_input(w.a, w.ia, arp, an, w.now);
    for (int i = 0; i < 30; i++)
        step(&w, NST_MSEC(100));
    CHECK(nst_mac_eq(&w.ea.last_data_dst, &bmac));
    CHECK_EQ(nst_recv(w.b, sfd, in, sizeof(in), 0), (ssize_t)sizeof(out));
    CHECK_MEM(in, out, sizeof(out));
    CHECK_EQ(sb->tcp_rx_bad_checksum, 0);
    nst_close(w.a, cfd);
    nst_close(w.b, sfd);
    world_free(&w);
}

static void test_split_link(void) { run_transfer(LINK_PIECES); }

/* The vnet header the TAP driver would write in front of the first TSO
 * frame, byte for byte (legacy virtio: 16-bit fields in the host's order):
 * NEEDS_CSUM; GSO_TCPV4 (1) or GSO_TCPV6 (4), no ECN (no CWR owed);
 * hdr_len Ethernet + IP + TCP with timestamps (66 or 86); gso_size the MSS
 * less the option (1448 or 1428); csum_start the TCP header (34 or 54),
 * csum_offset 16. The checksum field holds the pseudo-header sum alone. */
static void check_first_tso(const struct world *w)
{
    uint16_t hdr_len = w->v6 ? 86 : 66, gso = w->v6 ? 1428 : 1448, start = w->v6 ? 54 : 34;
    uint8_t want[NST_VNET_HLEN] = {1, w->v6 ? 4 : 1};
    const uint16_t fields[4] = {hdr_len, gso, start, 16};
    for (int i = 0; i < 4; i++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        want[2 + 2 * i] = (uint8_t)(fields[i] >> 8);
        want[3 + 2 * i] = (uint8_t)fields[i];
#else
        want[2 + 2 * i] = (uint8_t)fields[i];
        want[3 + 2 * i] = (uint8_t)(fields[i] >> 8);
#endif
    }
    CHECK_MEM(w->ea.vh, want, sizeof(want));
    CHECK_EQ(w->ea.csum_field, w->ea.csum_pseudo);
    CHECK(w->ea.csum_pseudo != 0);
}
static void test_whole_link(void) { run_transfer(LINK_WHOLE); }

/* TCP segmentation offload: where the interface takes frames up to a 64 KB
 * datagram, new data leaves in frames of whole segments that the link cuts.
 * Every segment on the wire is counted once by the sender; retransmissions
 * are never TSO frames; the stream arrives whole through loss too. */
static void run_tso(int v6)
{
    struct world w;
    world_init_family(&w, LINK_TSO, v6);
    int cfd, sfd;
    connect_pair(&w, &cfd, &sfd);
    const struct nst_stats *sa = nst_stack_stats(w.a), *sb = nst_stack_stats(w.b);
    uint64_t off = 0, n = 3u << 20, seg0 = sa->tcp_tx_segments;
    unsigned split0 = w.ea.split_frames, whole0 = w.ea.whole_tcp_frames;
    CHECK_EQ(transfer(&w, cfd, sfd, n, &off), n);
    CHECK(w.ea.tso_frames > 0);
    CHECK(w.ea.tso_segments > w.ea.tso_frames * 2);
    check_first_tso(&w);
    /* tx_segments counts what the wire carried: each cut segment, each
     * other frame (a lone data segment in pieces, an ACK given whole) once. */
    unsigned lone = w.ea.split_frames - split0, whole = w.ea.whole_tcp_frames - whole0;
    CHECK_EQ(sa->tcp_tx_segments - seg0, w.ea.tso_segments + lone + whole);
    CHECK(w.ea.tso_segments + lone >= (n + 1447) / 1448);
    CHECK_EQ(w.ea.tso_resent, 0);
    CHECK_EQ(sb->tcp_rx_bad_checksum, 0);
    CHECK_EQ(sb->tcp_rx_malformed, 0);

    /* One segment in 29 lost after the cut: recovery resends them one by
     * one (never as TSO frames), and the stream is whole. */
    w.ea.drop_every = 29;
    uint64_t rtx0 = sa->tcp_retransmits;
    CHECK_EQ(transfer(&w, cfd, sfd, 2u << 20, &off), 2u << 20);
    CHECK(w.ea.dropped > 0);
    CHECK(sa->tcp_retransmits - rtx0 >= w.ea.dropped);
    CHECK_EQ(w.ea.tso_resent, 0);
    CHECK_EQ(sb->tcp_rx_bad_checksum, 0);
    w.ea.drop_every = 0;

    /* A blackout: 300 ms in which every segment is lost, the whole flight,
     * so the retransmission timer fires and, the loss being real (F-RTO
     * finds it genuine), recovery goes back N through the sending loop:
     * still one segment at a time. */
    uint64_t rto0 = sa->tcp_rto_timeouts, genuine0 = sa->tcp_frto_genuine;
    w.ea.black_until = w.now + NST_MSEC(300);
    CHECK_EQ(transfer(&w, cfd, sfd, 2u << 20, &off), 2u << 20);
    CHECK(sa->tcp_rto_timeouts > rto0);
    CHECK(sa->tcp_frto_genuine > genuine0);
    CHECK_EQ(w.ea.tso_resent, 0);
    CHECK_EQ(sb->tcp_rx_bad_checksum, 0);
    CHECK_EQ(sa->ip6_tx_packets == 0, !v6);
    nst_close(w.a, cfd);
    nst_close(w.b, sfd);
    world_free(&w);
}

static void test_tso_link(void) { run_tso(0); }
static void test_tso6_link(void) { run_tso(1); }

int main(void)
{
    RUN(test_split_link);
    RUN(test_whole_link);
    RUN(test_tso_link);
    RUN(test_tso6_link);
    return nst_test_done();
}
