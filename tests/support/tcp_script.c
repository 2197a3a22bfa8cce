/* The TCP segment-script harness (see tcp_script.h). */
#include "tcp_script.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"

#define TS_FRAME_MAX 65600

/* ---- the link: capture ---------------------------------------------------- */

static int link_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct ts *s = ctx;
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 64;
        struct ts_frame *q = realloc(s->q, cap * sizeof(*q));
        if (!q)
            return -ENOMEM;
        s->q = q;
        s->q_cap = cap;
    }
    struct ts_frame *f = &s->q[s->q_len];
    f->data = malloc(len);
    if (!f->data)
        return -ENOMEM;
    memcpy(f->data, frame, len);
    f->len = len;
    f->at = nst_stack_now(s->st);
    s->q_len++;
    return 0;
}

static void frame_free(struct ts_frame *f)
{
    free(f->data);
    f->data = NULL;
}

/* Answers ARP requests for the peer, wherever they are in the queue. */
static void answer_arp(struct ts *s)
{
    for (size_t i = s->q_head; i < s->q_len; i++) {
        struct ts_frame *f = &s->q[i];
        struct nst_eth_repr e;
        struct nst_arp_repr a;
        if (!f->data || nst_eth_parse(f->data, f->len, &e) < 0 || e.ethertype != NST_ETHERTYPE_ARP)
            continue;
        if (nst_arp_parse(f->data + NST_ETH_HLEN, f->len - NST_ETH_HLEN, &a) < 0)
            continue;
        frame_free(f); /* ARP is the harness's business, not the script's */
        if (a.op != NST_ARP_REQUEST || a.tpa != TS_PEER_ADDR)
            continue;
        uint8_t buf[64] = {0};
        struct nst_eth_repr re = {.dst = s->local_mac, .src = s->peer_mac, .ethertype = NST_ETHERTYPE_ARP};
        nst_eth_emit(&re, buf);
        struct nst_arp_repr ra = {
            .op = NST_ARP_REPLY, .sha = s->peer_mac, .spa = TS_PEER_ADDR, .tha = s->local_mac, .tpa = TS_LOCAL_ADDR};
        nst_arp_emit(&ra, buf + NST_ETH_HLEN);
        nst_stack_input(s->st, s->ifindex, buf, 60, s->now);
    }
}

/* ---- life cycle ---------------------------------------------------------------- */

struct ts *ts_new(const struct nst_stack_config *cfg)
{
    struct ts *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    struct nst_stack_config c;
    if (cfg) {
        c = *cfg;
    } else {
        nst_stack_config_default(&c);
        nst_tcp_config_default(&c.tcp);
    }
    c.deterministic = 1; /* a script repeats exactly: the same ISNs every run */
    s->st = nst_stack_new(&c);
    if (!s->st) {
        free(s);
        return NULL;
    }
    s->local_mac = (struct nst_mac){{0x02, 0, 0, 0, 0, 0x01}};
    s->peer_mac = (struct nst_mac){{0x02, 0, 0, 0, 0, 0x02}};
    struct nst_iface_config ic = {
        .name = "eth0",
        .mac = s->local_mac,
        .addr = TS_LOCAL_ADDR,
        .prefix_len = 24,
        .mtu = 1500,
        .ops = {.send = link_send},
        .ctx = s,
    };
    s->ifindex = nst_iface_add(s->st, &ic);
    if (s->ifindex < 0) {
        ts_free(s);
        return NULL;
    }
    nst_arp_add_static(s->st, s->ifindex, TS_PEER_ADDR, &s->peer_mac);
    s->lport = 8080;
    s->rport = TS_PEER_PORT;
    s->ip_id = 1;
    return s;
}

void ts_free(struct ts *s)
{
    if (!s)
        return;
    nst_stack_free(s->st);
    for (size_t i = s->q_head; i < s->q_len; i++)
        frame_free(&s->q[i]);
    free(s->last.frame);
    free(s->q);
    free(s);
}

void ts_flush(struct ts *s)
{
    for (size_t i = s->q_head; i < s->q_len; i++)
        frame_free(&s->q[i]);
    s->q_head = s->q_len = 0;
}

/* ---- time ------------------------------------------------------------------------ */

void ts_run_until(struct ts *s, nst_time_t t)
{
    if (t < s->now)
        t = s->now;
    for (;;) {
        answer_arp(s);
        nst_time_t d = nst_stack_next_deadline(s->st);
        if (d > t)
            break;
        if (d > s->now)
            s->now = d;
        nst_stack_poll(s->st, s->now);
    }
    s->now = t;
    nst_stack_poll(s->st, t);
    answer_arp(s);
}

/* ---- injecting ---------------------------------------------------------------------- */

static uint32_t pattern_byte(uint32_t i) { return (uint8_t)(i * 7 + 3); }

size_t ts_build(struct ts *s, const struct ts_seg *seg, uint8_t *buf, size_t cap)
{
    int abs = (seg->check & TS_ABS) != 0;
    struct nst_tcp_repr r;
    memset(&r, 0, sizeof(r));
    r.src_port = seg->sport ? seg->sport : s->rport;
    r.dst_port = seg->dport ? seg->dport : s->lport;
    r.seq = abs ? seg->seq : s->peer_isn + seg->seq;
    r.ack = abs ? seg->ack : s->local_isn + seg->ack;
    r.flags = seg->flags;
    r.window = seg->win;
    r.urg_ptr = seg->urg;
    r.opts = seg->opts;
    if (r.opts.has_ts && seg->ecr_auto)
        r.opts.ts_ecr = s->last_tsval;
    for (unsigned i = 0; i < r.opts.sack_count && !abs; i++) {
        r.opts.sack[i].start += s->local_isn;
        r.opts.sack[i].end += s->local_isn;
    }
    size_t hl = NST_TCP_HLEN + nst_tcp_opts_len(&r.opts);
    size_t tcp_len = hl + seg->len;
    size_t total = NST_ETH_HLEN + NST_IPV4_HLEN + tcp_len;
    if (total > cap || tcp_len + NST_IPV4_HLEN > 65535)
        return 0;
    memset(buf, 0, total < 60 ? 60 : total);
    struct nst_eth_repr e = {.dst = s->local_mac, .src = s->peer_mac, .ethertype = NST_ETHERTYPE_IPV4};
    nst_eth_emit(&e, buf);
    struct nst_ipv4_repr ip = {
        .total_len = (uint16_t)(NST_IPV4_HLEN + tcp_len),
        .id = s->ip_id++,
        .df = 1,
        .ttl = 64,
        .proto = NST_IP_PROTO_TCP,
        .src = TS_PEER_ADDR,
        .dst = TS_LOCAL_ADDR,
    };
    nst_ipv4_emit(&ip, buf + NST_ETH_HLEN);
    uint8_t *tcp = buf + NST_ETH_HLEN + NST_IPV4_HLEN;
    nst_tcp_emit(&r, tcp);
    for (uint32_t i = 0; i < seg->len; i++)
        tcp[hl + i] = seg->data ? ((const uint8_t *)seg->data)[i] : (uint8_t)pattern_byte(i);
    nst_tcp_set_checksum(tcp, tcp_len, TS_PEER_ADDR, TS_LOCAL_ADDR);
    return total < 60 ? 60 : total;
}

void ts_inject_frame(struct ts *s, nst_time_t t, const uint8_t *frame, size_t len)
{
    ts_run_until(s, t);
    nst_stack_input(s->st, s->ifindex, frame, len, s->now);
    answer_arp(s);
}

void ts_inject(struct ts *s, nst_time_t t, const struct ts_seg *seg)
{
    size_t cap = 1600 + seg->len;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return;
    size_t n = ts_build(s, seg, buf, cap);
    if (n)
        ts_inject_frame(s, t, buf, n);
    free(buf);
}

/* ---- capturing ------------------------------------------------------------------------- */

/* Parses frame f as TCP/IPv4. 1 if it is one, 0 if not. */
static int parse_tcp(struct ts *s, struct ts_frame *f, struct ts_pkt *p)
{
    struct nst_eth_repr e;
    struct nst_ipv4_repr ip;
    if (nst_eth_parse(f->data, f->len, &e) < 0 || e.ethertype != NST_ETHERTYPE_IPV4)
        return 0;
    const uint8_t *iph = f->data + NST_ETH_HLEN;
    int hl = nst_ipv4_parse(iph, f->len - NST_ETH_HLEN, &ip, 1);
    if (hl < 0 || ip.proto != NST_IP_PROTO_TCP)
        return 0;
    memset(p, 0, sizeof(*p));
    size_t tl = ip.total_len - (size_t)hl;
    int th = nst_tcp_parse(iph + hl, tl, ip.src, ip.dst, &p->h, 1);
    if (th < 0) {
        snprintf(s->err, sizeof(s->err), "stack sent a bad TCP segment: %s", nst_tcp_error_str(th));
        memset(&p->h, 0, sizeof(p->h));
        th = 0;
    }
    p->at = f->at;
    p->ttl = ip.ttl;
    p->tos = ip.tos;
    p->df = ip.df;
    p->src = ip.src;
    p->dst = ip.dst;
    p->payload = iph + hl + th;
    p->len = (uint32_t)(tl - (size_t)th);
    p->frame = f->data;
    p->frame_len = f->len;
    return 1;
}

static void learn(struct ts *s, const struct ts_pkt *p)
{
    if (p->h.flags & NST_TCP_SYN) {
        s->local_isn = p->h.seq;
        s->local_isn_known = 1;
    }
    if (p->h.opts.has_ts) {
        s->last_tsval = p->h.opts.ts_val;
        if (!s->first_tsval_known) {
            s->first_tsval = p->h.opts.ts_val;
            s->first_tsval_known = 1;
        }
    }
}

/* The first unconsumed TCP frame, consumed into s->last. */
static int take_tcp(struct ts *s, struct ts_pkt *out)
{
    while (s->q_head < s->q_len) {
        struct ts_frame *f = &s->q[s->q_head];
        if (s->last.frame) {
            free(s->last.frame);
            s->last.frame = NULL;
        }
        s->q_head++;
        if (!f->data)
            continue;
        struct ts_pkt p;
        if (!parse_tcp(s, f, &p)) {
            s->other_frames++;
            frame_free(f);
            continue;
        }
        f->data = NULL; /* now owned by s->last */
        learn(s, &p);
        s->last = p;
        if (out)
            *out = p;
        return 1;
    }
    if (s->q_head == s->q_len)
        s->q_head = s->q_len = 0;
    return 0;
}

int ts_next(struct ts *s, nst_time_t by, struct ts_pkt *out)
{
    for (;;) {
        answer_arp(s);
        if (take_tcp(s, out))
            return 1;
        nst_time_t d = nst_stack_next_deadline(s->st);
        if (d > by)
            break;
        if (d > s->now)
            s->now = d;
        nst_stack_poll(s->st, s->now);
    }
    if (by > s->now)
        ts_run_until(s, by);
    return take_tcp(s, out);
}

/* ---- comparing ---------------------------------------------------------------------------- */

static void flags_str(uint8_t f, char *b)
{
    int n = 0;
    if (f & NST_TCP_SYN)
        b[n++] = 'S';
    if (f & NST_TCP_FIN)
        b[n++] = 'F';
    if (f & NST_TCP_RST)
        b[n++] = 'R';
    if (f & NST_TCP_PSH)
        b[n++] = 'P';
    if (f & NST_TCP_URG)
        b[n++] = 'U';
    if (f & NST_TCP_ACK)
        b[n++] = '.';
    if (f & NST_TCP_ECE)
        b[n++] = 'E';
    if (f & NST_TCP_CWR)
        b[n++] = 'W';
    b[n] = 0;
}

static size_t opts_str(const struct nst_tcp_opts *o, char *b, size_t cap, uint32_t sack_base)
{
    size_t n = 0;
    b[0] = 0;
#define OPT_APPEND(...) n += (size_t)snprintf(b + n, n < cap ? cap - n : 0, __VA_ARGS__)
    if (o->has_mss)
        OPT_APPEND("mss %u,", o->mss);
    if (o->sack_ok)
        OPT_APPEND("sackOK,");
    if (o->has_ts)
        OPT_APPEND("TS val %u ecr %u,", o->ts_val, o->ts_ecr);
    if (o->has_wscale)
        OPT_APPEND("wscale %u,", o->wscale);
    if (o->sack_count) {
        OPT_APPEND("sack");
        for (unsigned i = 0; i < o->sack_count; i++)
            OPT_APPEND(" %u:%u", o->sack[i].start - sack_base, o->sack[i].end - sack_base);
        OPT_APPEND(",");
    }
#undef OPT_APPEND
    if (n && n < cap)
        b[--n] = 0;
    return n;
}

const char *ts_format(struct ts *s, const struct ts_pkt *p, char *buf, size_t cap)
{
    char f[12], o[200];
    flags_str(p->h.flags, f);
    opts_str(&p->h.opts, o, sizeof(o), s->peer_isn);
    int n = snprintf(buf, cap, "%.6f %s %u:%u(%u) ack %u win %u <%s>", (double)p->at / 1e9, f,
                     p->h.seq - s->local_isn, p->h.seq - s->local_isn + p->len, p->len, p->h.ack - s->peer_isn,
                     p->h.window, o);
    if (n >= (int)cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4); /* truncated: say so */
    return buf;
}

static void err_append(struct ts *s, const char *fmt, ...)
{
    size_t n = strlen(s->err);
    if (n >= sizeof(s->err) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err + n, sizeof(s->err) - n, fmt, ap);
    va_end(ap);
}

static void compare_opts(struct ts *s, const struct ts_pkt *p, const struct ts_seg *w, int abs)
{
    const struct nst_tcp_opts *g = &p->h.opts, *e = &w->opts;
    if (w->check & TS_OPTS) {
        if (g->has_mss != e->has_mss || (e->has_mss && g->mss != e->mss))
            err_append(s, " mss(%d:%u want %d:%u)", g->has_mss, g->mss, e->has_mss, e->mss);
        if (g->has_wscale != e->has_wscale || (e->has_wscale && g->wscale != e->wscale))
            err_append(s, " wscale(%d:%u want %d:%u)", g->has_wscale, g->wscale, e->has_wscale, e->wscale);
        if (g->sack_ok != e->sack_ok)
            err_append(s, " sackOK(%d want %d)", g->sack_ok, e->sack_ok);
        if (g->has_ts != e->has_ts)
            err_append(s, " TS(%d want %d)", g->has_ts, e->has_ts);
    }
    if ((w->check & TS_TSECR) && (!g->has_ts || g->ts_ecr != e->ts_ecr))
        err_append(s, " ecr(%u want %u)", g->ts_ecr, e->ts_ecr);
    if ((w->check & TS_TSVAL) && (!g->has_ts || g->ts_val - s->first_tsval != e->ts_val))
        err_append(s, " tsval(+%u want +%u)", g->ts_val - s->first_tsval, e->ts_val);
    if (w->check & TS_SACK) {
        uint32_t base = abs ? 0 : s->peer_isn;
        int bad = g->sack_count != e->sack_count;
        for (unsigned i = 0; !bad && i < e->sack_count; i++)
            bad = g->sack[i].start - base != e->sack[i].start || g->sack[i].end - base != e->sack[i].end;
        if (bad) {
            char gs[200], es[200];
            struct nst_tcp_opts go, eo;
            memset(&go, 0, sizeof(go));
            memset(&eo, 0, sizeof(eo));
            go.sack_count = g->sack_count;
            memcpy(go.sack, g->sack, sizeof(go.sack));
            eo.sack_count = e->sack_count;
            memcpy(eo.sack, e->sack, sizeof(eo.sack));
            opts_str(&go, gs, sizeof(gs), base);
            opts_str(&eo, es, sizeof(es), 0);
            err_append(s, " sack(<%s> want <%s>)", gs, es);
        }
    }
}

int ts_compare(struct ts *s, const struct ts_pkt *p, const struct ts_seg *w)
{
    unsigned chk = w->check ? w->check : TS_DEFAULT_CHECK;
    if (chk == TS_ABS)
        chk |= TS_DEFAULT_CHECK;
    int abs = (chk & TS_ABS) != 0;
    uint32_t seq = p->h.seq - (abs ? 0 : s->local_isn);
    uint32_t ack = p->h.ack - (abs ? 0 : s->peer_isn);
    s->err[0] = 0;
    if ((chk & TS_FLAGS) && p->h.flags != w->flags) {
        char g[12], e[12];
        flags_str(p->h.flags, g);
        flags_str(w->flags, e);
        err_append(s, " flags(%s want %s)", g, e);
    }
    if ((chk & TS_SEQ) && seq != w->seq)
        err_append(s, " seq(%u want %u)", seq, w->seq);
    if ((chk & TS_ACK) && (w->flags & NST_TCP_ACK) && ack != w->ack)
        err_append(s, " ack(%u want %u)", ack, w->ack);
    if ((chk & TS_WIN) && p->h.window != w->win)
        err_append(s, " win(%u want %u)", p->h.window, w->win);
    if ((chk & TS_LEN) && p->len != w->len)
        err_append(s, " len(%u want %u)", p->len, w->len);
    if ((chk & TS_DATA) && (p->len != w->len || (w->data && memcmp(p->payload, w->data, w->len))))
        err_append(s, " data differs");
    if ((chk & TS_TIME) && p->at != w->at)
        err_append(s, " time(%.9f want %.9f)", (double)p->at / 1e9, (double)w->at / 1e9);
    if ((chk & TS_PORTS) && (p->h.src_port != (w->sport ? w->sport : s->lport) ||
                             p->h.dst_port != (w->dport ? w->dport : s->rport)))
        err_append(s, " ports(%u>%u)", p->h.src_port, p->h.dst_port);
    struct ts_seg wc = *w;
    wc.check = chk;
    compare_opts(s, p, &wc, abs);
    if (!s->err[0])
        return 0;
    char line[200];
    char tmp[sizeof(s->err)];
    memcpy(tmp, s->err, sizeof(tmp));
    ts_format(s, p, line, sizeof(line));
    size_t n = strlen(line);
    memcpy(s->err, "got [", 5);
    memcpy(s->err + 5, line, n);
    memcpy(s->err + 5 + n, "]:", 2);
    size_t room = sizeof(s->err) - (7 + n) - 1;
    size_t tl = strlen(tmp);
    if (tl > room)
        tl = room;
    memcpy(s->err + 7 + n, tmp, tl);
    s->err[7 + n + tl] = 0;
    return -1;
}

int ts_expect(struct ts *s, nst_time_t by, const struct ts_seg *want)
{
    struct ts_pkt p;
    if (!ts_next(s, by, &p)) {
        char f[12];
        flags_str(want->flags, f);
        snprintf(s->err, sizeof(s->err), "nothing sent by %.6f (wanted %s seq %u ack %u len %u)", (double)by / 1e9,
                 f, want->seq, want->ack, want->len);
        fprintf(stderr, "  ts_expect: %s\n", s->err);
        return -1;
    }
    if (ts_compare(s, &p, want) < 0) {
        fprintf(stderr, "  ts_expect: %s\n", s->err);
        return -1;
    }
    return 0;
}

int ts_expect_none(struct ts *s, nst_time_t until)
{
    struct ts_pkt p;
    if (ts_next(s, until, &p)) {
        char line[400];
        snprintf(s->err, sizeof(s->err), "unexpected [%s]", ts_format(s, &p, line, sizeof(line)));
        fprintf(stderr, "  ts_expect_none: %s\n", s->err);
        return -1;
    }
    return 0;
}

/* ---- handshakes ---------------------------------------------------------------------------- */

struct nst_tcp_opts ts_syn_opts(int ws, int sack, int ts)
{
    struct nst_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.has_mss = 1;
    o.mss = 1460;
    if (ws >= 0) {
        o.has_wscale = 1;
        o.wscale = (uint8_t)ws;
    }
    o.sack_ok = (uint8_t)sack;
    if (ts) {
        o.has_ts = 1;
        o.ts_val = 1000;
        o.ts_ecr = 0;
    }
    return o;
}

int ts_listen(struct ts *s, int backlog)
{
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    if (fd < 0)
        return fd;
    struct nst_sockaddr a = {0, s->lport};
    int one = 1;
    nst_setsockopt(s->st, fd, NST_SOL_SOCKET, NST_SO_REUSEADDR, &one, sizeof(one));
    if (nst_bind(s->st, fd, &a) < 0 || nst_listen(s->st, fd, backlog) < 0)
        return -1;
    return fd;
}

int ts_passive_open(struct ts *s, int lfd, nst_time_t t, nst_time_t rtt, const struct nst_tcp_opts *syn_opts,
                    uint16_t win)
{
    struct ts_seg syn = {.flags = NST_TCP_SYN, .seq = 0, .win = win};
    if (syn_opts)
        syn.opts = *syn_opts;
    ts_inject(s, t, &syn);
    struct ts_pkt p;
    if (!ts_next(s, t, &p) || p.h.flags != (NST_TCP_SYN | NST_TCP_ACK) || p.h.ack != s->peer_isn + 1) {
        snprintf(s->err, sizeof(s->err), "no SYN-ACK");
        return -1;
    }
    struct ts_seg ack = {.flags = NST_TCP_ACK, .seq = 1, .ack = 1, .win = win};
    if (syn_opts && syn_opts->has_ts && p.h.opts.has_ts) {
        ack.opts.has_ts = 1;
        ack.opts.ts_val = syn_opts->ts_val + (uint32_t)(rtt / NST_MSEC(1));
        ack.opts.ts_ecr = p.h.opts.ts_val;
    }
    ts_inject(s, t + rtt, &ack);
    return nst_accept(s->st, lfd, NULL);
}

int ts_active_open(struct ts *s, nst_time_t t, nst_time_t rtt, const struct nst_tcp_opts *synack_opts, uint16_t win)
{
    ts_run_until(s, t);
    int fd = nst_socket(s->st, NST_SOCK_STREAM);
    if (fd < 0)
        return -1;
    struct nst_sockaddr b = {0, s->lport};
    nst_bind(s->st, fd, &b);
    struct nst_sockaddr a = {TS_PEER_ADDR, s->rport};
    if (nst_connect(s->st, fd, &a) != -EINPROGRESS)
        return -1;
    struct ts_pkt p;
    if (!ts_next(s, t, &p) || p.h.flags != NST_TCP_SYN)
        return -1;
    struct ts_seg sa = {.flags = NST_TCP_SYN | NST_TCP_ACK, .seq = 0, .ack = 1, .win = win};
    if (synack_opts)
        sa.opts = *synack_opts;
    if (sa.opts.has_ts)
        sa.opts.ts_ecr = p.h.opts.ts_val;
    ts_inject(s, t + rtt, &sa);
    if (!ts_next(s, t + rtt, &p) || p.h.flags != NST_TCP_ACK)
        return -1;
    return fd;
}
