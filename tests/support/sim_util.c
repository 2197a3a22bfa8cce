/* Test helpers for the network layer (see sim_util.h). */
#include "sim_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "wire/checksum.h"

/* ---- taps ---------------------------------------------------------------- */

static int tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct su_tap *t = ctx;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct su_frame *v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, frame, len);
    t->v[t->n++] = (struct su_frame){.at = nst_stack_now(t->st), .len = len, .data = copy};
    return 0;
}

int su_tap_attach(struct nst_stack *st, struct su_tap *tap, const struct nst_mac *mac, nst_ip4_t addr,
                  uint8_t prefix, uint32_t mtu)
{
    memset(tap, 0, sizeof(*tap));
    tap->st = st;
    tap->mac = *mac;
    struct nst_iface_config ic = {0};
    ic.name = "tap";
    ic.mac = *mac;
    ic.addr = addr;
    ic.prefix_len = prefix;
    ic.mtu = mtu;
    ic.ops.send = tap_send;
    ic.ctx = tap;
    int idx = nst_iface_add(st, &ic);
    tap->ifindex = idx;
    return idx;
}

void su_tap_clear(struct su_tap *tap)
{
    for (size_t i = 0; i < tap->n; i++)
        free(tap->v[i].data);
    tap->n = 0;
}

void su_tap_free(struct su_tap *tap)
{
    su_tap_clear(tap);
    free(tap->v);
    tap->v = NULL;
    tap->cap = 0;
}

void su_tap_inject(struct su_tap *tap, const uint8_t *frame, size_t len, nst_time_t now)
{
    nst_stack_input(tap->st, tap->ifindex, frame, len, now);
}

struct nst_mac su_mac(uint8_t last)
{
    struct nst_mac m = {{0x02, 0, 0, 0, 0, last}};
    return m;
}

void su_stack_run_until(struct nst_stack *st, nst_time_t t)
{
    for (nst_time_t d; (d = nst_stack_next_deadline(st)) <= t;)
        nst_stack_poll(st, d);
    nst_stack_poll(st, t);
}

struct nst_stack *su_tap_host(const struct nst_stack_config *cfg, struct su_tap *tap, nst_ip4_t addr,
                              uint8_t prefix)
{
    struct nst_stack_config c;
    if (cfg)
        c = *cfg;
    else
        nst_stack_config_default(&c);
    c.deterministic = 1; /* a test host repeats exactly, run after run */
    struct nst_stack *st = nst_stack_new(&c);
    if (!st)
        return NULL;
    struct nst_mac m = su_mac(1);
    if (su_tap_attach(st, tap, &m, addr, prefix, 0) < 0) {
        nst_stack_free(st);
        return NULL;
    }
    return st;
}

/* ---- building ------------------------------------------------------------ */

static size_t pad_frame(uint8_t *buf, size_t len)
{
    if (len < NST_ETH_MIN_FRAME) {
        memset(buf + len, 0, NST_ETH_MIN_FRAME - len);
        len = NST_ETH_MIN_FRAME;
    }
    return len;
}

void su_fix_ip_checksum(uint8_t *frame)
{
    uint8_t *h = su_ip_hdr(frame);
    size_t hl = (size_t)(h[0] & 0x0f) * 4;
    nst_put16(h + 10, 0);
    nst_put16(h + 10, nst_inet_checksum(h, hl));
}

size_t su_build_ipv4(uint8_t *buf, const struct su_ip *ip, const void *payload, size_t plen)
{
    struct nst_eth_repr eth = {.dst = ip->eth_dst, .src = ip->eth_src, .ethertype = NST_ETHERTYPE_IPV4};
    nst_eth_emit(&eth, buf);
    size_t hl = NST_IPV4_HLEN + ip->opt_len;
    struct nst_ipv4_repr r = {.tos = ip->tos, .total_len = (uint16_t)(hl + plen), .id = ip->id, .df = ip->df,
                              .mf = ip->mf, .frag_off = ip->frag_off, .ttl = ip->ttl, .proto = ip->proto,
                              .src = ip->src, .dst = ip->dst};
    uint8_t *h = buf + NST_ETH_HLEN;
    nst_ipv4_emit(&r, h);
    if (ip->opt_len) {
        memcpy(h + NST_IPV4_HLEN, ip->options, ip->opt_len);
        h[0] = (uint8_t)(0x40 | (hl / 4));
        su_fix_ip_checksum(buf);
    }
    if (plen)
        memmove(h + hl, payload, plen);
    return pad_frame(buf, NST_ETH_HLEN + hl + plen);
}

size_t su_build_udp(uint8_t *buf, const struct su_ip *ip, uint16_t sport, uint16_t dport, const void *data,
                    size_t len)
{
    uint8_t *seg = malloc(NST_UDP_HLEN + len);
    if (len)
        memcpy(seg + NST_UDP_HLEN, data, len);
    struct nst_udp_repr u = {.src_port = sport, .dst_port = dport, .length = (uint16_t)(NST_UDP_HLEN + len)};
    nst_udp_emit(&u, seg, ip->src, ip->dst);
    struct su_ip c = *ip;
    c.proto = NST_IP_PROTO_UDP;
    size_t n = su_build_ipv4(buf, &c, seg, NST_UDP_HLEN + len);
    free(seg);
    return n;
}

size_t su_build_icmp(uint8_t *buf, const struct su_ip *ip, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
                     const void *data, size_t len)
{
    uint8_t *msg = malloc(NST_ICMP_HLEN + len);
    struct nst_icmp_repr r = {.type = type, .code = code, .id = id, .seq = seq, .data = data, .data_len = len};
    nst_icmp_emit(&r, msg, NST_ICMP_HLEN + len);
    struct su_ip c = *ip;
    c.proto = NST_IP_PROTO_ICMP;
    size_t n = su_build_ipv4(buf, &c, msg, NST_ICMP_HLEN + len);
    free(msg);
    return n;
}

size_t su_build_arp(uint8_t *buf, const struct nst_mac *eth_src, const struct nst_mac *eth_dst, uint16_t op,
                    const struct nst_mac *sha, nst_ip4_t spa, const struct nst_mac *tha, nst_ip4_t tpa)
{
    struct nst_eth_repr eth = {.dst = *eth_dst, .src = *eth_src, .ethertype = NST_ETHERTYPE_ARP};
    nst_eth_emit(&eth, buf);
    struct nst_arp_repr a = {.op = op, .sha = *sha, .spa = spa, .tha = *tha, .tpa = tpa};
    nst_arp_emit(&a, buf + NST_ETH_HLEN);
    return pad_frame(buf, NST_ETH_HLEN + NST_ARP_LEN);
}

/* ---- parsing ------------------------------------------------------------- */

int su_parse(const uint8_t *frame, size_t len, struct su_parsed *out)
{
    memset(out, 0, sizeof(*out));
    if (nst_eth_parse(frame, len, &out->eth) < 0)
        return -1;
    const uint8_t *p = frame + NST_ETH_HLEN;
    size_t plen = len - NST_ETH_HLEN;
    if (out->eth.ethertype == NST_ETHERTYPE_ARP) {
        if (nst_arp_parse(p, plen, &out->arp) < 0)
            return -1;
        out->is_arp = 1;
        return 0;
    }
    if (out->eth.ethertype != NST_ETHERTYPE_IPV4 || nst_ipv4_parse(p, plen, &out->ip, 1) < 0)
        return -1;
    out->is_ip = 1;
    out->ip_hdr = p;
    out->l4 = p + out->ip.hdr_len;
    out->l4_len = out->ip.total_len - out->ip.hdr_len;
    if (out->ip.proto == NST_IP_PROTO_ICMP && out->ip.frag_off == 0 && !out->ip.mf)
        out->icmp_ok = nst_icmp_parse(out->l4, out->l4_len, &out->icmp, 1) == 0;
    if (out->ip.proto == NST_IP_PROTO_UDP && out->ip.frag_off == 0 && !out->ip.mf)
        out->udp_ok = nst_udp_parse(out->l4, out->l4_len, out->ip.src, out->ip.dst, &out->udp, 1) == 0;
    return 0;
}

size_t su_tap_count_ip(const struct su_tap *tap, uint8_t proto)
{
    size_t n = 0;
    struct su_parsed p;
    for (size_t i = 0; i < tap->n; i++)
        if (su_parse(tap->v[i].data, tap->v[i].len, &p) == 0 && p.is_ip && (!proto || p.ip.proto == proto))
            n++;
    return n;
}

size_t su_tap_count_arp(const struct su_tap *tap, uint16_t op)
{
    size_t n = 0;
    struct su_parsed p;
    for (size_t i = 0; i < tap->n; i++)
        if (su_parse(tap->v[i].data, tap->v[i].len, &p) == 0 && p.is_arp && p.arp.op == op)
            n++;
    return n;
}

long su_tap_find_icmp(const struct su_tap *tap, uint8_t type, size_t from)
{
    struct su_parsed p;
    for (size_t i = from; i < tap->n; i++)
        if (su_parse(tap->v[i].data, tap->v[i].len, &p) == 0 && p.icmp_ok && p.icmp.type == type)
            return (long)i;
    return -1;
}

/* ---- pcap files -------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

long su_pcap_load(const char *path, struct su_tap *out)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    uint8_t gh[24], rh[16];
    long n = 0;
    if (fread(gh, 1, sizeof gh, f) != sizeof gh || le32(gh) != 0xa1b23c4du) {
        fclose(f);
        return -EINVAL;
    }
    while (fread(rh, 1, sizeof rh, f) == sizeof rh) {
        uint32_t incl = le32(rh + 8);
        uint8_t *data = malloc(incl ? incl : 1);
        if (!data || fread(data, 1, incl, f) != incl) {
            free(data);
            fclose(f);
            return -EIO;
        }
        nst_time_t at = (nst_time_t)le32(rh) * 1000000000LL + le32(rh + 4);
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 64;
            struct su_frame *v = realloc(out->v, cap * sizeof(*v));
            if (!v) {
                free(data);
                fclose(f);
                return -ENOMEM;
            }
            out->v = v;
            out->cap = cap;
        }
        out->v[out->n++] = (struct su_frame){.at = at, .len = incl, .data = data};
        n++;
    }
    fclose(f);
    return n;
}

const char *su_out_path(char *buf, size_t cap, const char *name)
{
    const char *d = getenv("NST_TEST_OUT");
    if (!d)
        d = ".";
    mkdir(d, 0755);
    snprintf(buf, cap, "%s/%s", d, name);
    return buf;
}

/* ---- the two-host world -------------------------------------------------- */

int su_pair_build(struct su_pair *p, uint64_t seed, const struct nst_stack_config *cfg,
                  const struct nst_link_params *lp)
{
    memset(p, 0, sizeof(*p));
    p->w = nst_world_new(seed);
    if (!p->w)
        return -ENOMEM;
    p->a = nst_world_add_host(p->w, "a", cfg);
    p->b = nst_world_add_host(p->w, "b", cfg);
    if (!p->a || !p->b)
        goto fail;
    p->l = nst_world_connect(p->w, p->a, SU_A_ADDR, 24, p->b, SU_B_ADDR, 24, lp);
    if (!p->l)
        goto fail;
    p->ifa = nst_sim_link_ifindex(p->l, 0);
    p->ifb = nst_sim_link_ifindex(p->l, 1);
    return 0;
fail:
    su_pair_free(p);
    return -ENOMEM;
}

void su_pair_free(struct su_pair *p)
{
    nst_world_free(p->w);
    memset(p, 0, sizeof(*p));
}

static uint8_t xfer_byte_at(uint64_t i) { return (uint8_t)((i * 2654435761u) >> 13); }

struct su_xfer *su_xfer_start(struct su_pair *p, uint16_t port, uint64_t total)
{
    struct su_xfer *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->srv = p->a;
    x->cli = p->b;
    x->total = total;
    x->tx_hash = x->rx_hash = SU_FNV_BASIS;
    x->sfd = -1;
    x->lfd = nst_socket(p->a, NST_SOCK_STREAM);
    struct nst_sockaddr la = {0, port}, ra = {SU_A_ADDR, port};
    x->cfd = nst_socket(p->b, NST_SOCK_STREAM);
    if (nst_bind(p->a, x->lfd, &la) < 0 || nst_listen(p->a, x->lfd, 4) < 0 ||
        nst_connect(p->b, x->cfd, &ra) != -EINPROGRESS) {
        free(x);
        return NULL;
    }
    return x;
}

int su_xfer_pump(void *arg)
{
    struct su_xfer *x = arg;
    while (x->sent < x->total) {
        size_t want = (size_t)(x->total - x->sent < sizeof(x->buf) ? x->total - x->sent : sizeof(x->buf));
        for (size_t i = 0; i < want; i++)
            x->buf[i] = xfer_byte_at(x->sent + i);
        long n = nst_send(x->cli, x->cfd, x->buf, want, 0);
        if (n <= 0)
            break;
        x->tx_hash = su_fnv(x->tx_hash, x->buf, (size_t)n);
        x->sent += (uint64_t)n;
    }
    if (x->sent == x->total && !x->shut) {
        nst_shutdown(x->cli, x->cfd, NST_SHUT_WR);
        x->shut = 1;
    }
    if (x->sfd < 0)
        x->sfd = nst_accept(x->srv, x->lfd, NULL);
    while (x->sfd >= 0 && !x->eof) {
        long n = nst_recv(x->srv, x->sfd, x->buf, sizeof(x->buf), 0);
        if (n < 0)
            break;
        if (n == 0)
            x->eof = 1;
        x->rx_hash = su_fnv(x->rx_hash, x->buf, (size_t)n);
        x->received += (uint64_t)n;
    }
    return x->eof;
}

int su_udp_bound(struct nst_stack *st, nst_ip4_t addr, uint16_t port)
{
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    if (fd < 0)
        return fd;
    struct nst_sockaddr sa = {addr, port};
    int err = nst_bind(st, fd, &sa);
    if (err < 0) {
        nst_close(st, fd);
        return err;
    }
    return fd;
}
