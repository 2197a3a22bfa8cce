/* Packets: building the frames of inbound lines, and matching the frames
 * the stack sends against outbound lines.
 *
 * Sequence numbers in the script are relative: the stack's ISN is learned
 * from the first SYN or SYN-ACK it sends on a connection; the script's own
 * are offset by --nstack_remote_isn (0 by default, so its first inbound
 * SYN's sequence number is its ISN as written). TS ecr values of inbound
 * lines are in the script's terms too: the offset between the stack's
 * TSval clock and the script's is learned from the first outbound TS.
 *
 * Options of outbound lines are compared by meaning (MSS, window scale,
 * SACK-permitted, timestamps and their echo, SACK blocks), not by layout:
 * NOP padding and order are nstack's choice. Inbound options are emitted
 * exactly as written. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#define FRAME_MAX 70000

/* ---- building inbound frames ---------------------------------------------------------- */

static struct pd_conn *line_conn(struct pd_run *r, const struct pd_packet *pk)
{
    struct pd_conn *c = pd_conn_get(r, pk->rport ? pk->rport : r->cur_rport);
    if (pk->lport && !c->lport_known) {
        c->lport = pk->lport; /* `src>dst` named it */
        c->lport_known = 1;
    }
    return c;
}

/* The bytes an option takes on the wire. */
static int opt_wire_len(const struct pd_opt *x)
{
    switch (x->kind) {
    case PD_OPT_EOL:
    case PD_OPT_NOP: return 1;
    case PD_OPT_MSS: return 4;
    case PD_OPT_WSCALE: return 3;
    case PD_OPT_SACKOK: return 2;
    case PD_OPT_TS: return 10;
    case PD_OPT_SACK: return 2 + 8 * (int)x->nsack;
    case PD_OPT_FO: return 2 + (int)x->nbytes;
    case PD_OPT_FOEXP: return 4 + (int)x->nbytes;
    case PD_OPT_MD5: return 18;
    case PD_OPT_RAW: return 2 + (int)x->nbytes;
    }
    return 1;
}

/* Kind byte and (for FOEXP) the magic of the option's wire form. */
static void emit_blob_opt(const struct pd_opt *x, uint8_t *o, int len)
{
    int at = 2;
    o[1] = (uint8_t)len;
    if (x->kind == PD_OPT_FO) {
        o[0] = 34; /* RFC 7413 2 */
    } else if (x->kind == PD_OPT_FOEXP) {
        o[0] = 254; /* RFC 6994 experimental option, ExID 0xF989 for TFO */
        nst_put16(o + 2, 0xF989);
        at = 4;
    } else if (x->kind == PD_OPT_MD5) {
        o[0] = 19; /* RFC 2385 3.0 */
        memset(o + 2, 0, 16);
    } else {
        o[0] = x->kind_raw;
    }
    memcpy(o + at, x->bytes, x->nbytes);
}

static uint32_t local_isn(const struct pd_conn *c) { return c->isn_known ? c->local_isn : 0; }

/* Writes the options exactly as listed, padded with EOL to 4 bytes.
 * Returns their length or -1 if they exceed 40 bytes. */
static int emit_options(const struct pd_conn *c, const struct pd_packet *pk, uint8_t *o)
{
    int n = 0;
    for (int i = 0; i < pk->nopts; i++) {
        const struct pd_opt *x = &pk->opts[i];
        int need = opt_wire_len(x);
        if (n + need > 40)
            return -1;
        switch (x->kind) {
        case PD_OPT_EOL: o[n] = NST_TCPOPT_EOL; break;
        case PD_OPT_NOP: o[n] = NST_TCPOPT_NOP; break;
        case PD_OPT_MSS:
            o[n] = NST_TCPOPT_MSS;
            o[n + 1] = 4;
            nst_put16(o + n + 2, (uint16_t)x->v);
            break;
        case PD_OPT_WSCALE:
            o[n] = NST_TCPOPT_WSCALE;
            o[n + 1] = 3;
            o[n + 2] = (uint8_t)x->v;
            break;
        case PD_OPT_SACKOK:
            o[n] = NST_TCPOPT_SACK_PERM;
            o[n + 1] = 2;
            break;
        case PD_OPT_TS:
            o[n] = NST_TCPOPT_TS;
            o[n + 1] = 10;
            nst_put32(o + n + 2, x->val);
            nst_put32(o + n + 6, c->ts_known ? x->ecr + c->ts_offset : x->ecr);
            break;
        case PD_OPT_SACK:
            o[n] = NST_TCPOPT_SACK;
            o[n + 1] = (uint8_t)need;
            for (unsigned b = 0; b < x->nsack; b++) {
                nst_put32(o + n + 2 + 8 * b, local_isn(c) + x->sack[b][0]);
                nst_put32(o + n + 6 + 8 * b, local_isn(c) + x->sack[b][1]);
            }
            break;
        case PD_OPT_FO:
        case PD_OPT_FOEXP:
        case PD_OPT_MD5:
        case PD_OPT_RAW: emit_blob_opt(x, o + n, need); break;
        }
        n += need;
    }
    while (n % 4)
        o[n++] = NST_TCPOPT_EOL;
    return n;
}

/* The TOS byte of an inbound line: `tos` whole, or the ECN field alone
 * (RFC 3168 5: the two low bits). Default: 0 (Not-ECT). */
static uint8_t inbound_tos(const struct pd_ip_info *i)
{
    uint8_t tos = i->has_tos ? i->tos : 0;
    if (i->ecn != PD_ECN_UNSET)
        tos = (uint8_t)((tos & ~3u) | (unsigned)i->ecn);
    return tos;
}

/* Ethernet + IPv4 header from the remote end; returns the IP payload. */
static uint8_t *ip_frame(struct pd_run *r, uint8_t *buf, uint8_t proto, size_t l4_len, const struct pd_ip_info *ii)
{
    struct nst_eth_repr e = {.dst = r->local_mac, .src = r->gw_mac, .ethertype = NST_ETHERTYPE_IPV4};
    nst_eth_emit(&e, buf);
    uint16_t id = r->ip_id++;
    struct nst_ipv4_repr ip = {
        .tos = inbound_tos(ii),
        .total_len = (uint16_t)(NST_IPV4_HLEN + l4_len),
        .id = ii->has_id ? ii->id : id,
        .df = 1,
        .ttl = ii->has_ttl ? ii->ttl : 64,
        .proto = proto,
        .src = PD_REMOTE_IP,
        .dst = PD_LOCAL_IP,
    };
    nst_ipv4_emit(&ip, buf + NST_ETH_HLEN);
    return buf + NST_ETH_HLEN + NST_IPV4_HLEN;
}

static size_t frame_len(size_t l4_len)
{
    size_t n = NST_ETH_HLEN + NST_IPV4_HLEN + l4_len;
    return n < NST_ETH_MIN_FRAME ? NST_ETH_MIN_FRAME : n;
}

static size_t build_tcp(struct pd_run *r, const struct pd_packet *pk, uint8_t *buf)
{
    struct pd_conn *c = line_conn(r, pk);
    uint8_t opts[48];
    int olen = emit_options(c, pk, opts);
    if (olen < 0) {
        pd_fail(r, "%d: TCP options longer than 40 bytes", r->line);
        return 0;
    }
    size_t hl = NST_TCP_HLEN + (size_t)olen, l4 = hl + pk->len;
    if (NST_IPV4_HLEN + l4 > 65535) {
        pd_fail(r, "%d: segment too large", r->line);
        return 0;
    }
    uint8_t *t = ip_frame(r, buf, NST_IP_PROTO_TCP, l4, &pk->ip);
    if (!c->lport_known) {
        c->lport = r->bind_port;
        c->lport_known = 1;
    }
    nst_put16(t, c->rport);
    nst_put16(t + 2, c->lport);
    nst_put32(t + 4, r->sc->cfg.remote_isn + pk->seq);
    nst_put32(t + 8, pk->has_ack ? local_isn(c) + pk->ack : 0);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = pk->flags;
    nst_put16(t + 14, (uint16_t)(pk->has_win ? pk->win : 65535));
    nst_put16(t + 16, 0);
    nst_put16(t + 18, (uint16_t)(pk->has_urg ? pk->urg : 0));
    memcpy(t + NST_TCP_HLEN, opts, (size_t)olen);
    memset(t + hl, 0, pk->len);
    nst_tcp_set_checksum(t, l4, PD_REMOTE_IP, PD_LOCAL_IP);
    return frame_len(l4);
}

static size_t build_udp(struct pd_run *r, const struct pd_packet *pk, uint8_t *buf)
{
    struct pd_conn *c = line_conn(r, pk);
    if (!c->lport_known) {
        c->lport = r->bind_port;
        c->lport_known = 1;
    }
    size_t l4 = NST_UDP_HLEN + pk->len;
    if (NST_IPV4_HLEN + l4 > 65535) {
        pd_fail(r, "%d: datagram too large", r->line);
        return 0;
    }
    uint8_t *u = ip_frame(r, buf, NST_IP_PROTO_UDP, l4, &pk->ip);
    memset(u + NST_UDP_HLEN, 0, pk->len);
    struct nst_udp_repr ur = {.src_port = c->rport, .dst_port = c->lport, .length = (uint16_t)l4};
    nst_udp_emit(&ur, u, PD_REMOTE_IP, PD_LOCAL_IP);
    return frame_len(l4);
}

/* The quoted datagram of an ICMP error: one of ours (local -> remote),
 * its IP header and the first 8 bytes of its transport header. */
static size_t build_quote(struct pd_run *r, const struct pd_packet *pk, uint8_t *q)
{
    struct pd_conn *c = line_conn(r, pk);
    uint8_t proto = pk->quote_proto == PD_UDP   ? NST_IP_PROTO_UDP
                    : pk->quote_proto == PD_RAW ? 255 /* IPPROTO_RAW */
                                                : NST_IP_PROTO_TCP;
    size_t l4 = (proto == NST_IP_PROTO_UDP ? NST_UDP_HLEN : NST_TCP_HLEN) + pk->quote_len;
    struct nst_ipv4_repr ip = {
        .total_len = (uint16_t)(NST_IPV4_HLEN + l4), .df = 1, .ttl = 64, .proto = proto,
        .src = PD_LOCAL_IP, .dst = PD_REMOTE_IP,
    };
    nst_ipv4_emit(&ip, q);
    uint8_t *t = q + NST_IPV4_HLEN;
    uint16_t lport = c->lport_known ? c->lport : r->bind_port;
    nst_put16(t, lport);
    nst_put16(t + 2, c->rport);
    if (proto == 255) {
        memset(t, 0, 8);
    } else if (proto == NST_IP_PROTO_UDP) {
        nst_put16(t + 4, (uint16_t)l4);
        nst_put16(t + 6, 0);
    } else {
        nst_put32(t + 4, local_isn(c) + pk->quote_seq);
    }
    return NST_IPV4_HLEN + 8;
}

static size_t build_icmp(struct pd_run *r, const struct pd_packet *pk, uint8_t *buf)
{
    uint8_t body[64];
    struct nst_icmp_repr ir = {.type = pk->icmp_type, .code = pk->icmp_code};
    if (pk->has_mtu)
        ir.seq = (uint16_t)pk->mtu;
    if (pk->has_echo_id)
        ir.id = pk->echo_id;
    if (pk->quote) {
        ir.data = body;
        ir.data_len = build_quote(r, pk, body);
    }
    uint8_t *p = ip_frame(r, buf, NST_IP_PROTO_ICMP, NST_ICMP_HLEN + ir.data_len, &pk->ip);
    int n = nst_icmp_emit(&ir, p, 8 + sizeof(body));
    if (n < 0) {
        pd_fail(r, "%d: cannot build the ICMP message", r->line);
        return 0;
    }
    return frame_len((size_t)n);
}

int pd_inject(struct pd_run *r, const struct pd_event *ev)
{
    const struct pd_packet *pk = &ev->pkt;
    uint8_t *buf = calloc(1, FRAME_MAX);
    if (!buf)
        return pd_fail(r, "%d: out of memory", r->line);
    size_t n = pk->proto == PD_TCP ? build_tcp(r, pk, buf) : pk->proto == PD_UDP ? build_udp(r, pk, buf)
                                                                                  : build_icmp(r, pk, buf);
    if (n)
        nst_stack_input(r->st, r->ifindex, buf, n, r->now);
    free(buf);
    return n ? 0 : -1;
}

/* ---- parsing captured frames ------------------------------------------------------------ */

struct parsed {
    int ok;                      /* an IPv4 frame */
    struct nst_ipv4_repr ip;
    const uint8_t *l4;
    size_t l4_len;
    int tcp_ok;
    struct nst_tcp_repr th;
    uint32_t plen;               /* TCP/UDP payload bytes */
    struct nst_udp_repr uh;
    struct nst_icmp_repr ih;
    char bad[80];                /* why a header did not parse */
};

static void parse_frame(const struct pd_frame *f, struct parsed *p)
{
    memset(p, 0, sizeof(*p));
    struct nst_eth_repr e;
    if (nst_eth_parse(f->data, f->len, &e) < 0 || e.ethertype != NST_ETHERTYPE_IPV4) {
        snprintf(p->bad, sizeof(p->bad), "non-IPv4 frame (ethertype 0x%04x)", e.ethertype);
        return;
    }
    const uint8_t *iph = f->data + NST_ETH_HLEN;
    int hl = nst_ipv4_parse(iph, f->len - NST_ETH_HLEN, &p->ip, 1);
    if (hl < 0) {
        snprintf(p->bad, sizeof(p->bad), "bad IPv4 header: %s", nst_ipv4_error_str(hl));
        return;
    }
    p->ok = 1;
    p->l4 = iph + hl;
    p->l4_len = p->ip.total_len - (size_t)hl;
    if (p->ip.proto == NST_IP_PROTO_TCP) {
        int th = nst_tcp_parse(p->l4, p->l4_len, p->ip.src, p->ip.dst, &p->th, 1);
        if (th < 0) {
            snprintf(p->bad, sizeof(p->bad), "bad TCP segment: %s", nst_tcp_error_str(th));
            return;
        }
        p->tcp_ok = 1;
        p->plen = (uint32_t)(p->l4_len - (size_t)th);
    } else if (p->ip.proto == NST_IP_PROTO_UDP) {
        if (nst_udp_parse(p->l4, p->l4_len, p->ip.src, p->ip.dst, &p->uh, 1) < 0) {
            snprintf(p->bad, sizeof(p->bad), "bad UDP datagram");
            return;
        }
        p->plen = p->uh.length - NST_UDP_HLEN;
    } else if (p->ip.proto == NST_IP_PROTO_ICMP) {
        if (nst_icmp_parse(p->l4, p->l4_len, &p->ih, 1) < 0)
            snprintf(p->bad, sizeof(p->bad), "bad ICMP message");
    }
}

static struct pd_conn *conn_by_port(struct pd_run *r, uint16_t rport)
{
    for (int i = 0; i < r->nconns; i++)
        if (r->conns[i].rport == rport)
            return &r->conns[i];
    return NULL;
}

static const char *ecn_name(unsigned e)
{
    static const char *const names[] = {"noecn", "ect1", "ect0", "ce"};
    return names[e & 3];
}

static void flags_str(uint8_t f, char *b)
{
    int n = 0;
    const char *order = "SFRPU.EW";
    const uint8_t bits[] = {NST_TCP_SYN, NST_TCP_FIN, NST_TCP_RST, NST_TCP_PSH,
                            NST_TCP_URG, NST_TCP_ACK, NST_TCP_ECE, NST_TCP_CWR};
    for (int i = 0; i < 8; i++)
        if (f & bits[i])
            b[n++] = order[i];
    b[n] = 0;
}

#define APPEND(b, n, cap, ...) ((n) += (size_t)snprintf((b) + (n), (n) < (cap) ? (cap) - (n) : 0, __VA_ARGS__))

static void opts_str(const struct pd_conn *c, const struct nst_tcp_opts *o, uint32_t rbase, char *b, size_t cap)
{
    size_t n = 0;
    b[0] = 0;
    if (o->has_mss)
        APPEND(b, n, cap, "mss %u,", o->mss);
    if (o->sack_ok)
        APPEND(b, n, cap, "sackOK,");
    if (o->has_ts)
        APPEND(b, n, cap, "TS val %u ecr %u,", c && c->ts_known ? o->ts_val - c->ts_offset : o->ts_val, o->ts_ecr);
    if (o->has_wscale)
        APPEND(b, n, cap, "wscale %u,", o->wscale);
    if (o->sack_count) {
        APPEND(b, n, cap, "sack");
        for (unsigned i = 0; i < o->sack_count; i++)
            APPEND(b, n, cap, " %u:%u", o->sack[i].start - rbase, o->sack[i].end - rbase);
        APPEND(b, n, cap, ",");
    }
    if (n && n < cap)
        b[n - 1] = 0;
}

static void format_parsed(struct pd_run *r, const struct pd_frame *f, const struct parsed *p, char *buf, size_t cap)
{
    size_t n = 0;
    APPEND(buf, n, cap, "%.6f ", (double)f->at / 1e9);
    if (!p->ok) {
        APPEND(buf, n, cap, "(%s)", p->bad);
        return;
    }
    if (p->ip.proto == NST_IP_PROTO_TCP && p->tcp_ok) {
        const struct pd_conn *c = conn_by_port(r, p->th.dst_port);
        uint32_t lb = c ? local_isn(c) : 0, rb = r->sc->cfg.remote_isn;
        char fl[12], o[256];
        flags_str(p->th.flags, fl);
        opts_str(c, &p->th.opts, rb, o, sizeof(o));
        if (p->th.dst_port != r->cur_rport)
            APPEND(buf, n, cap, ">:%u ", p->th.dst_port);
        else
            APPEND(buf, n, cap, "> ");
        if (p->ip.tos & 3)
            APPEND(buf, n, cap, "[%s] ", ecn_name(p->ip.tos));
        APPEND(buf, n, cap, "%s %u:%u(%u)", fl, p->th.seq - lb, p->th.seq - lb + p->plen, p->plen);
        if (p->th.flags & NST_TCP_ACK)
            APPEND(buf, n, cap, " ack %u", p->th.ack - rb);
        APPEND(buf, n, cap, " win %u", p->th.window);
        if (p->th.flags & NST_TCP_URG)
            APPEND(buf, n, cap, " urg %u", p->th.urg_ptr);
        if (o[0])
            APPEND(buf, n, cap, " <%s>", o);
    } else if (p->ip.proto == NST_IP_PROTO_UDP && !p->bad[0]) {
        APPEND(buf, n, cap, "> udp (%u) %u>%u", p->plen, p->uh.src_port, p->uh.dst_port);
    } else if (p->ip.proto == NST_IP_PROTO_ICMP && !p->bad[0]) {
        APPEND(buf, n, cap, "> icmp type %u code %u", p->ih.type, p->ih.code);
    } else {
        APPEND(buf, n, cap, "(IP proto %u%s%s)", p->ip.proto, p->bad[0] ? ": " : "", p->bad);
    }
}

void pd_format_frame(struct pd_run *r, const struct pd_frame *f, char *buf, size_t cap)
{
    struct parsed p;
    parse_frame(f, &p);
    format_parsed(r, f, &p, buf, cap);
}

/* ---- matching outbound lines ------------------------------------------------------------------ */

/* The differences found, "field A (expected B), ..." */
struct diffs {
    char b[1024];
    size_t n;
};

static void diff(struct diffs *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff(struct diffs *d, const char *fmt, ...)
{
    if (d->n)
        APPEND(d->b, d->n, sizeof(d->b), ", ");
    va_list ap;
    va_start(ap, fmt);
    if (d->n < sizeof(d->b))
        d->n += (size_t)vsnprintf(d->b + d->n, sizeof(d->b) - d->n, fmt, ap);
    va_end(ap);
}

/* What the script's option list says, by meaning. */
struct want_opts {
    int has_mss, has_ws, sack_ok, has_ts, ts_val_any, ts_ecr_any;
    uint32_t mss, ws, ts_val, ts_ecr;
    unsigned nsack;
    uint32_t sack[PD_MAX_SACK][2];
};

static void want_from(const struct pd_packet *pk, struct want_opts *w)
{
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < pk->nopts; i++) {
        const struct pd_opt *o = &pk->opts[i];
        switch (o->kind) {
        case PD_OPT_MSS: w->has_mss = 1; w->mss = o->v; break;
        case PD_OPT_WSCALE: w->has_ws = 1; w->ws = o->v; break;
        case PD_OPT_SACKOK: w->sack_ok = 1; break;
        case PD_OPT_TS:
            w->has_ts = 1;
            w->ts_val = o->val;
            w->ts_ecr = o->ecr;
            w->ts_val_any = o->val_any;
            w->ts_ecr_any = o->ecr_any;
            break;
        case PD_OPT_SACK:
            w->nsack = o->nsack;
            memcpy(w->sack, o->sack, sizeof(w->sack));
            break;
        default: break;
        }
    }
}

static void match_ts(struct pd_run *r, struct pd_conn *c, const struct want_opts *w, const struct nst_tcp_opts *g,
                     struct diffs *d)
{
    if (!w->ts_ecr_any && g->ts_ecr != w->ts_ecr)
        diff(d, "TS ecr %u (expected %u)", g->ts_ecr, w->ts_ecr);
    if (w->ts_val_any)
        return;
    if (!c->ts_known) {
        c->ts_offset = g->ts_val - w->ts_val;
        c->ts_known = 1;
        return;
    }
    unsigned tick = r->sc->cfg.ts_tick_usecs;
    if (!tick)
        return;
    int32_t off = (int32_t)(g->ts_val - c->ts_offset - w->ts_val);
    int32_t slack = (int32_t)(r->sc->cfg.tolerance / NST_USEC(tick)) + 1;
    if (off > slack || off < -slack)
        diff(d, "TS val %u (expected %u)", g->ts_val - c->ts_offset, w->ts_val);
}

/* The option of this kind in a TCP header's option bytes, or NULL. */
static const uint8_t *find_opt(const uint8_t *tcp, size_t hl, uint8_t kind)
{
    for (size_t i = NST_TCP_HLEN; i < hl;) {
        uint8_t k = tcp[i];
        if (k == NST_TCPOPT_EOL)
            break;
        if (k == NST_TCPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= hl || tcp[i + 1] < 2 || i + tcp[i + 1] > hl)
            break;
        if (k == kind)
            return tcp + i;
        i += tcp[i + 1];
    }
    return NULL;
}

/* Options nstack never sends: an outbound line expecting one needs a
 * feature nstack lacks (the script is skipped); other kinds (`kind N`)
 * are compared byte for byte. 0, or -1 after pd_skip. */
static int match_other_opts(struct pd_run *r, const struct pd_packet *pk, const uint8_t *tcp, size_t hl,
                            struct diffs *d)
{
    for (int i = 0; i < pk->nopts; i++) {
        const struct pd_opt *o = &pk->opts[i];
        if (o->kind == PD_OPT_FOEXP)
            return pd_skip(r, "nstack has no experimental TCP Fast Open option (FOEXP: kind 254)");
        if (o->kind == PD_OPT_FO) {
            /* RFC 7413 4.1.1: kind 34, the cookie as written ("FO": none). */
            const uint8_t *g = find_opt(tcp, hl, NST_TCPOPT_FASTOPEN);
            if (!g)
                diff(d, "no Fast Open option (expected)");
            else if (g[1] != 2 + o->nbytes || memcmp(g + 2, o->bytes, o->nbytes)) {
                char hex[2 * NST_TCP_FASTOPEN_MAX + 1] = "";
                for (int k = 0; k + 2 < g[1] && k < NST_TCP_FASTOPEN_MAX; k++)
                    snprintf(hex + 2 * k, 3, "%02x", g[2 + k]);
                diff(d, "Fast Open option FO %s differs", hex);
            }
            continue;
        }
        if (o->kind == PD_OPT_MD5)
            return pd_skip(r, "nstack has no TCP-MD5 signatures (RFC 2385)");
        if (o->kind != PD_OPT_RAW)
            continue;
        const uint8_t *g = find_opt(tcp, hl, o->kind_raw);
        if (!g)
            diff(d, "no option of kind %u (expected)", o->kind_raw);
        else if (g[1] != 2 + o->nbytes || memcmp(g + 2, o->bytes, o->nbytes))
            diff(d, "option kind %u of length %u differs", o->kind_raw, g[1]);
    }
    return 0;
}

static void match_options(struct pd_run *r, struct pd_conn *c, const struct pd_packet *pk,
                          const struct nst_tcp_opts *g, struct diffs *d)
{
    if (pk->opts_any)
        return;
    struct want_opts w;
    want_from(pk, &w);
    if (g->has_mss != w.has_mss || (w.has_mss && g->mss != w.mss)) {
        if (w.has_mss && g->has_mss)
            diff(d, "mss %u (expected %u)", g->mss, w.mss);
        else
            diff(d, w.has_mss ? "no mss option (expected mss %u)" : "mss option %u (not expected)",
                 w.has_mss ? w.mss : g->mss);
    }
    if (g->has_wscale != w.has_ws || (w.has_ws && g->wscale != w.ws)) {
        if (w.has_ws && g->has_wscale)
            diff(d, "wscale %u (expected %u)", g->wscale, w.ws);
        else
            diff(d, w.has_ws ? "no wscale option (expected wscale %u)" : "wscale option %u (not expected)",
                 w.has_ws ? w.ws : g->wscale);
    }
    if (g->sack_ok != w.sack_ok)
        diff(d, w.sack_ok ? "no sackOK option (expected)" : "sackOK option (not expected)");
    if (g->has_ts != w.has_ts)
        diff(d, w.has_ts ? "no TS option (expected)" : "TS option (not expected)");
    else if (w.has_ts)
        match_ts(r, c, &w, g, d);
    uint32_t rb = r->sc->cfg.remote_isn;
    int bad = g->sack_count != w.nsack;
    for (unsigned i = 0; !bad && i < w.nsack; i++)
        bad = g->sack[i].start - rb != w.sack[i][0] || g->sack[i].end - rb != w.sack[i][1];
    if (bad) {
        char gs[128] = "none", ws[128] = "none";
        size_t gn = 0, wn = 0;
        for (unsigned i = 0; i < g->sack_count; i++)
            APPEND(gs, gn, sizeof(gs), "%s%u:%u", i ? " " : "", g->sack[i].start - rb, g->sack[i].end - rb);
        for (unsigned i = 0; i < w.nsack; i++)
            APPEND(ws, wn, sizeof(ws), "%s%u:%u", i ? " " : "", w.sack[i][0], w.sack[i][1]);
        diff(d, "sack %s (expected %s)", gs, ws);
    }
}

static void match_tcp(struct pd_run *r, const struct pd_packet *pk, const struct parsed *p, struct diffs *d)
{
    struct pd_conn *c = line_conn(r, pk);
    const struct nst_tcp_repr *h = &p->th;
    if (h->dst_port != c->rport)
        diff(d, "to port %u (expected %u)", h->dst_port, c->rport);
    if (c->lport_known && h->src_port != c->lport)
        diff(d, "from port %u (expected %u)", h->src_port, c->lport);
    if (!c->lport_known && h->dst_port == c->rport) {
        c->lport = h->src_port;
        c->lport_known = 1;
    }
    if ((pk->flags & NST_TCP_SYN) && (h->flags & NST_TCP_SYN) && h->dst_port == c->rport) {
        c->local_isn = h->seq - pk->seq;
        c->isn_known = 1;
    }
    char gf[12], wf[12];
    flags_str(h->flags, gf);
    flags_str(pk->flags, wf);
    if (h->flags != pk->flags)
        diff(d, "flags %s (expected %s)", gf, wf);
    uint32_t seq = h->seq - local_isn(c);
    if (seq != pk->seq || p->plen != pk->len)
        diff(d, "seq %u:%u(%u) (expected %u:%u(%u))", seq, seq + p->plen, p->plen, pk->seq, pk->seq + pk->len,
             pk->len);
    uint32_t ack = h->ack - r->sc->cfg.remote_isn;
    if ((pk->flags & NST_TCP_ACK) && (h->flags & NST_TCP_ACK) && ack != pk->ack)
        diff(d, "ack %u (expected %u)", ack, pk->ack);
    if (pk->has_win && h->window != pk->win)
        diff(d, "win %u (expected %u)", h->window, pk->win);
    if (pk->has_urg && h->urg_ptr != pk->urg)
        diff(d, "urg %u (expected %u)", h->urg_ptr, pk->urg);
    match_options(r, c, pk, &h->opts, d);
    if (!pk->opts_any)
        match_other_opts(r, pk, p->l4, h->hdr_len, d);
}

/* The IP fields an outbound line gives; unwritten ones are not checked
 * (packetdrill's rule). */
static void match_ip(const struct pd_packet *pk, const struct nst_ipv4_repr *ip, struct diffs *d)
{
    const struct pd_ip_info *w = &pk->ip;
    unsigned ecn = ip->tos & 3u;
    if (w->ecn != PD_ECN_UNSET && ecn != (unsigned)w->ecn)
        diff(d, "ECN field [%s] (expected [%s])", ecn_name(ecn), ecn_name((unsigned)w->ecn));
    if (w->ect01 && ecn != PD_ECN_ECT0 && ecn != PD_ECN_ECT1)
        diff(d, "ECN field [%s] (expected [ect01])", ecn_name(ecn));
    if (w->has_tos && ip->tos != w->tos)
        diff(d, "tos 0x%02x (expected 0x%02x)", ip->tos, w->tos);
    if (w->has_ttl && ip->ttl != w->ttl)
        diff(d, "ttl %u (expected %u)", ip->ttl, w->ttl);
    if (w->has_id && ip->id != w->id)
        diff(d, "IP id %u (expected %u)", ip->id, w->id);
}

static void match_udp(struct pd_run *r, const struct pd_packet *pk, const struct parsed *p, struct diffs *d)
{
    struct pd_conn *c = line_conn(r, pk);
    if (p->uh.dst_port != c->rport)
        diff(d, "to port %u (expected %u)", p->uh.dst_port, c->rport);
    if (c->lport_known && p->uh.src_port != c->lport)
        diff(d, "from port %u (expected %u)", p->uh.src_port, c->lport);
    if (p->plen != pk->len)
        diff(d, "length %u (expected %u)", p->plen, pk->len);
}

static void match_icmp(struct pd_run *r, const struct pd_packet *pk, const struct parsed *p, struct diffs *d)
{
    const struct nst_icmp_repr *ih = &p->ih;
    if (ih->type != pk->icmp_type || ih->code != pk->icmp_code)
        diff(d, "type %u code %u (expected type %u code %u)", ih->type, ih->code, pk->icmp_type, pk->icmp_code);
    if (pk->has_mtu && ih->seq != pk->mtu)
        diff(d, "mtu %u (expected %u)", ih->seq, pk->mtu);
    if (!pk->quote)
        return;
    /* The quote is truncated (IP header + 8 bytes): read it by hand. */
    size_t qhl = ih->data_len ? (size_t)(ih->data[0] & 0x0f) * 4 : 0;
    if (ih->data_len < NST_IPV4_HLEN + 8 || (ih->data[0] >> 4) != 4 || qhl < NST_IPV4_HLEN ||
        ih->data_len < qhl + 8) {
        diff(d, "no quoted datagram");
        return;
    }
    struct nst_ipv4_repr q = {.proto = ih->data[9]};
    const uint8_t *t = ih->data + qhl;
    struct pd_conn *c = line_conn(r, pk);
    if (pk->quote_proto == PD_UDP) {
        if (q.proto != NST_IP_PROTO_UDP || nst_get16(t + 4) != NST_UDP_HLEN + pk->quote_len)
            diff(d, "quoted datagram is not udp (%u)", pk->quote_len);
        else if (nst_get16(t) != c->rport)
            diff(d, "quoted datagram from port %u (expected %u)", nst_get16(t), c->rport);
    } else if (q.proto != NST_IP_PROTO_TCP || nst_get32(t + 4) != pk->quote_seq + r->sc->cfg.remote_isn) {
        diff(d, "quoted segment is not seq %u", pk->quote_seq);
    }
}

static const char *proto_name(enum pd_proto p) { return p == PD_TCP ? "TCP" : p == PD_UDP ? "UDP" : "ICMP"; }

int pd_match(struct pd_run *r, const struct pd_event *ev, const struct pd_frame *f)
{
    const struct pd_packet *pk = &ev->pkt;
    struct parsed p;
    parse_frame(f, &p);
    struct diffs d = {.n = 0};
    d.b[0] = 0;
    static const uint8_t protos[] = {NST_IP_PROTO_TCP, NST_IP_PROTO_UDP, NST_IP_PROTO_ICMP};
    if (!p.ok || p.bad[0]) {
        diff(&d, "%s", p.ok ? p.bad : "not an IPv4 packet");
    } else if (p.ip.proto != protos[pk->proto]) {
        diff(&d, "IP protocol %u (expected %s)", p.ip.proto, proto_name(pk->proto));
    } else {
        if (p.ip.src != PD_LOCAL_IP || p.ip.dst != PD_REMOTE_IP) {
            char a[16], b[16];
            diff(&d, "addresses %s > %s", nst_ip4_str(p.ip.src, a), nst_ip4_str(p.ip.dst, b));
        }
        match_ip(pk, &p.ip, &d);
        if (pk->proto == PD_TCP)
            match_tcp(r, pk, &p, &d);
        else if (pk->proto == PD_UDP)
            match_udp(r, pk, &p, &d);
        else
            match_icmp(r, pk, &p, &d);
    }
    if (r->skip[0])
        return -1;
    if (!d.n)
        return 0;
    char got[512];
    format_parsed(r, f, &p, got, sizeof(got));
    pd_fail(r, "%d: outbound %s packet: %s", ev->line, proto_name(pk->proto), d.b);
    pd_detail(r, "  script: %s\n  actual: %s", ev->text, got);
    return -1;
}

/* ---- segmentation offload --------------------------------------------------------------------- */

/* The TCP header and payload of a captured frame, or 0. */
static int tcp_view(const struct pd_frame *f, struct parsed *p)
{
    if (!f || f->len < NST_ETH_HLEN || f->data[12] != 0x08 || f->data[13] != 0x00)
        return 0;
    parse_frame(f, p);
    return p->ok && p->tcp_ok && !p->bad[0];
}

/* Linux hands its tun device one TSO/GSO super-segment where nstack sends
 * MSS-sized ones, and packetdrill's Linux scripts expect the super-segment
 * (`> P. 1:5841(5840)`). With --nstack_gso_merge=1 (on in --defaults=linux)
 * the segments nstack sent at the same instant, back to back in sequence
 * with the same ACK, are joined into one before an outbound line that
 * expects more than the first of them holds. Flags are OR-ed (PSH and FIN
 * come from the last). */
void pd_gso_merge(struct pd_run *r, const struct pd_packet *pk)
{
    struct pd_frame *q = r->q + r->q_head;
    size_t avail = r->q_len - r->q_head;
    struct parsed a;
    if (pk->proto != PD_TCP || !avail || !tcp_view(&q[0], &a) || a.plen == 0 || a.plen >= pk->len)
        return;
    size_t n = 1;
    uint32_t total = a.plen, next = a.th.seq + a.plen;
    uint8_t flags = a.th.flags;
    for (; n < avail && total < pk->len; n++) {
        struct parsed b;
        if (!tcp_view(&q[n], &b) || q[n].at != q[0].at || b.th.seq != next || b.th.ack != a.th.ack ||
            b.th.src_port != a.th.src_port || b.th.dst_port != a.th.dst_port || (flags & NST_TCP_FIN) ||
            (b.th.flags & (NST_TCP_SYN | NST_TCP_RST)) || b.plen == 0 || total + b.plen > pk->len)
            break;
        total += b.plen;
        next += b.plen;
        flags |= b.th.flags;
    }
    if (n == 1)
        return;
    size_t head = (size_t)(a.l4 - q[0].data) + a.th.hdr_len;
    uint8_t *m = malloc(head + total);
    if (!m)
        return;
    memcpy(m, q[0].data, head);
    size_t at = head;
    for (size_t i = 0; i < n; i++) {
        struct parsed b;
        tcp_view(&q[i], &b);
        memcpy(m + at, b.l4 + b.th.hdr_len, b.plen);
        at += b.plen;
        if (i)
            free(q[i].data);
    }
    free(q[0].data);
    uint8_t *ip = m + NST_ETH_HLEN;
    struct nst_ipv4_repr ir = a.ip;
    ir.total_len = (uint16_t)(head - NST_ETH_HLEN + total);
    nst_ipv4_emit(&ir, ip);
    uint8_t *t = ip + NST_IPV4_HLEN;
    t[13] = flags;
    nst_put16(t + 16, 0);
    nst_tcp_set_checksum(t, a.th.hdr_len + total, a.ip.src, a.ip.dst);
    q[0].data = m;
    q[0].len = head + total;
    memmove(&q[1], &q[n], (avail - n) * sizeof(*q));
    r->q_len -= n - 1;
}
