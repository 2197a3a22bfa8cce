/* Neighbor Discovery messages (RFC 4861 4) and their validity checks
 * (6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1). */
#include "ndp.h"

#include "checksum.h"
#include "icmpv6.h"
#include "ipv6.h"

#include <errno.h>
#include <string.h>

/* The fixed part of each message, ICMP header included (4.1 - 4.5). */
static size_t fixed_len(uint8_t type)
{
    switch (type) {
    case NST_ICMP6_ROUTER_SOLICIT: return 8;
    case NST_ICMP6_ROUTER_ADVERT: return 16;
    case NST_ICMP6_NEIGHBOR_SOLICIT:
    case NST_ICMP6_NEIGHBOR_ADVERT: return 24;
    case NST_ICMP6_REDIRECT: return 40;
    default: return 0;
    }
}

static void read_lladdr(const uint8_t *opt, size_t olen, uint8_t *has, struct nst_mac *mac)
{
    /* 4.6.1: on Ethernet the option is 8 bytes, the address 6 (RFC 2464 6). */
    if (olen != 8)
        return;
    *has = 1;
    memcpy(mac->b, opt + 2, 6);
}

static void read_prefix(const uint8_t *opt, size_t olen, struct nst_nd_repr *r)
{
    if (olen != 32) /* 4.6.2: length 4 (32 bytes) */
        return;
    if (r->n_prefixes == NST_ND_MAX_PREFIXES) {
        r->prefixes_dropped++;
        return;
    }
    struct nst_nd_prefix *p = &r->prefix[r->n_prefixes++];
    p->len = opt[2];
    p->flags = opt[3];
    p->valid_lifetime = nst_get32(opt + 4);
    p->preferred_lifetime = nst_get32(opt + 8);
    memcpy(p->prefix.b, opt + 16, 16);
}

/* 4.6: every option is type, length in 8-byte units (never 0), data.
 * "Receivers MUST silently ignore any options they do not recognize." */
static int read_options(const uint8_t *opt, size_t len, struct nst_nd_repr *r)
{
    size_t i = 0;
    while (i < len) {
        if (len - i < 2 || opt[i + 1] == 0 || (size_t)opt[i + 1] * 8 > len - i)
            return -NST_ND_ERR_OPTION;
        const uint8_t *o = opt + i;
        size_t olen = (size_t)o[1] * 8;
        switch (o[0]) {
        case NST_ND_OPT_SOURCE_LLADDR: read_lladdr(o, olen, &r->has_src_lladdr, &r->src_lladdr); break;
        case NST_ND_OPT_TARGET_LLADDR: read_lladdr(o, olen, &r->has_tgt_lladdr, &r->tgt_lladdr); break;
        case NST_ND_OPT_PREFIX_INFO:
            if (r->type == NST_ICMP6_ROUTER_ADVERT)
                read_prefix(o, olen, r);
            break;
        case NST_ND_OPT_MTU:
            if (olen == 8 && r->type == NST_ICMP6_ROUTER_ADVERT) {
                r->has_mtu = 1;
                r->mtu = nst_get32(o + 4);
            }
            break;
        case NST_ND_OPT_NONCE:
            if (olen == 8 && r->type == NST_ICMP6_NEIGHBOR_SOLICIT) {
                r->has_nonce = 1;
                memcpy(r->nonce, o + 2, NST_ND_NONCE_LEN);
            }
            break;
        case NST_ND_OPT_REDIRECTED:
            if (r->type == NST_ICMP6_REDIRECT) {
                r->redirected = o + 8; /* 4.6.3: six reserved bytes, then the packet */
                r->redirected_len = olen - 8;
            }
            break;
        default: break;
        }
        i += olen;
    }
    return 0;
}

static void read_fixed(const uint8_t *m, struct nst_nd_repr *r)
{
    switch (r->type) {
    case NST_ICMP6_ROUTER_ADVERT:
        r->cur_hop_limit = m[4];
        r->flags = m[5];
        r->router_lifetime = nst_get16(m + 6);
        r->reachable_time = nst_get32(m + 8);
        r->retrans_timer = nst_get32(m + 12);
        break;
    case NST_ICMP6_NEIGHBOR_ADVERT:
        r->flags = m[4];
        memcpy(r->target.b, m + 8, 16);
        break;
    case NST_ICMP6_NEIGHBOR_SOLICIT: memcpy(r->target.b, m + 8, 16); break;
    case NST_ICMP6_REDIRECT:
        memcpy(r->target.b, m + 8, 16);
        memcpy(r->dest.b, m + 24, 16);
        break;
    default: break;
    }
}

/* The per-message rules after the common ones. */
static int check_message(const struct nst_nd_repr *r, const struct nst_nd_ip *ip)
{
    int from_unspec = nst_ip6_is_unspecified(ip->src);
    switch (r->type) {
    case NST_ICMP6_ROUTER_SOLICIT: /* 6.1.1 */
        return from_unspec && r->has_src_lladdr ? -NST_ND_ERR_DAD_LLADDR : 0;
    case NST_ICMP6_ROUTER_ADVERT: /* 6.1.2 */
        return nst_ip6_is_link_local(ip->src) ? 0 : -NST_ND_ERR_SOURCE;
    case NST_ICMP6_NEIGHBOR_SOLICIT: /* 7.1.1 */
        if (nst_ip6_is_multicast(&r->target))
            return -NST_ND_ERR_TARGET;
        if (from_unspec && !nst_ip6_is_solicited_node(ip->dst))
            return -NST_ND_ERR_DAD_DEST;
        return from_unspec && r->has_src_lladdr ? -NST_ND_ERR_DAD_LLADDR : 0;
    case NST_ICMP6_NEIGHBOR_ADVERT: /* 7.1.2 */
        if (nst_ip6_is_multicast(&r->target))
            return -NST_ND_ERR_TARGET;
        return nst_ip6_is_multicast(ip->dst) && (r->flags & NST_ND_NA_SOLICITED) ? -NST_ND_ERR_SOLICITED_MCAST : 0;
    case NST_ICMP6_REDIRECT: /* 8.1 */
        if (!nst_ip6_is_link_local(ip->src))
            return -NST_ND_ERR_SOURCE;
        if (nst_ip6_is_multicast(&r->dest))
            return -NST_ND_ERR_REDIRECT;
        /* The target is a better first hop (link-local) or the destination itself (on-link). */
        return nst_ip6_is_link_local(&r->target) || nst_ip6_eq(&r->target, &r->dest) ? 0 : -NST_ND_ERR_REDIRECT;
    default: return -NST_ND_ERR_TYPE;
    }
}

int nst_nd_parse(const uint8_t *msg, size_t len, const struct nst_nd_ip *ip, struct nst_nd_repr *out)
{
    memset(out, 0, sizeof *out);
    if (len < 4)
        return -NST_ND_ERR_LENGTH;
    out->type = msg[0];
    size_t fixed = fixed_len(out->type);
    if (!fixed)
        return -NST_ND_ERR_TYPE;
    /* Common to every message: hop limit 255 (no router forwarded it, so
     * it came from this link), ICMP code 0, the fixed part present. */
    if (ip->hop_limit != 255)
        return -NST_ND_ERR_HOP_LIMIT;
    if (msg[1] != 0)
        return -NST_ND_ERR_CODE;
    if (len < fixed)
        return -NST_ND_ERR_LENGTH;
    read_fixed(msg, out);
    int err = read_options(msg + fixed, len - fixed, out);
    return err ? err : check_message(out, ip);
}

const char *nst_nd_error_str(int err)
{
    switch (err < 0 ? -err : err) { /* either sign, as nst_ipv4_error_str */
    case NST_ND_ERR_HOP_LIMIT: return "hop limit not 255";
    case NST_ND_ERR_CODE: return "code not 0";
    case NST_ND_ERR_LENGTH: return "too short";
    case NST_ND_ERR_OPTION: return "bad option length";
    case NST_ND_ERR_TARGET: return "multicast target";
    case NST_ND_ERR_DAD_LLADDR: return "link-layer address from ::";
    case NST_ND_ERR_DAD_DEST: return "solicitation from :: not to a solicited-node group";
    case NST_ND_ERR_SOLICITED_MCAST: return "solicited advertisement to multicast";
    case NST_ND_ERR_SOURCE: return "source not link-local";
    case NST_ND_ERR_REDIRECT: return "bad redirect";
    case NST_ND_ERR_TYPE: return "not neighbor discovery";
    default: return "unknown error";
    }
}

static size_t put_lladdr(uint8_t *p, uint8_t type, const struct nst_mac *mac)
{
    p[0] = type;
    p[1] = 1; /* 8 bytes */
    memcpy(p + 2, mac->b, 6);
    return 8;
}

static size_t put_mtu(uint8_t *p, uint32_t mtu)
{
    p[0] = NST_ND_OPT_MTU; /* 4.6.4: 8 bytes, 2 reserved, the MTU */
    p[1] = 1;
    p[2] = p[3] = 0;
    nst_put32(p + 4, mtu);
    return 8;
}

static size_t put_prefix(uint8_t *p, const struct nst_nd_prefix *pf)
{
    p[0] = NST_ND_OPT_PREFIX_INFO; /* 4.6.2: 32 bytes */
    p[1] = 4;
    p[2] = pf->len;
    p[3] = pf->flags;
    nst_put32(p + 4, pf->valid_lifetime);
    nst_put32(p + 8, pf->preferred_lifetime);
    memset(p + 12, 0, 4); /* Reserved2 */
    memcpy(p + 16, pf->prefix.b, 16);
    return 32;
}

/* 4.6.3: the invoking packet, after 6 reserved bytes, padded with zeros to
 * a multiple of 8 bytes (the caller already cut it so that the Redirect
 * fits the minimum MTU). */
static size_t redirected_opt_len(const struct nst_nd_repr *r)
{
    return r->redirected_len ? (8 + r->redirected_len + 7) / 8 * 8 : 0;
}

static size_t put_redirected(uint8_t *p, const struct nst_nd_repr *r, size_t olen)
{
    p[0] = NST_ND_OPT_REDIRECTED;
    p[1] = (uint8_t)(olen / 8);
    memset(p + 2, 0, olen - 2);
    memcpy(p + 8, r->redirected, r->redirected_len);
    return olen;
}

/* The bytes of r's options (in the order they are written below). */
static size_t options_len(const struct nst_nd_repr *r)
{
    size_t len = (r->has_src_lladdr ? 8 : 0) + (r->has_tgt_lladdr ? 8 : 0);
    if (r->has_nonce && r->type == NST_ICMP6_NEIGHBOR_SOLICIT)
        len += 8;
    if (r->type == NST_ICMP6_ROUTER_ADVERT)
        len += (r->has_mtu ? 8 : 0) + (size_t)r->n_prefixes * 32;
    if (r->type == NST_ICMP6_REDIRECT)
        len += redirected_opt_len(r);
    return len;
}

static void put_fixed(const struct nst_nd_repr *r, uint8_t *buf, size_t fixed)
{
    memset(buf, 0, fixed);
    switch (r->type) {
    case NST_ICMP6_ROUTER_ADVERT: /* 4.2 */
        buf[4] = r->cur_hop_limit;
        buf[5] = r->flags;
        nst_put16(buf + 6, r->router_lifetime);
        nst_put32(buf + 8, r->reachable_time);
        nst_put32(buf + 12, r->retrans_timer);
        break;
    case NST_ICMP6_NEIGHBOR_ADVERT:
        buf[4] = r->flags;
        memcpy(buf + 8, r->target.b, 16);
        break;
    case NST_ICMP6_NEIGHBOR_SOLICIT: memcpy(buf + 8, r->target.b, 16); break;
    case NST_ICMP6_REDIRECT: /* 4.5 */
        memcpy(buf + 8, r->target.b, 16);
        memcpy(buf + 24, r->dest.b, 16);
        break;
    default: break; /* RS: reserved only */
    }
}

int nst_nd_emit(const struct nst_nd_repr *r, const nst_ip6_t *src, const nst_ip6_t *dst, uint8_t *buf,
                size_t cap)
{
    size_t fixed = fixed_len(r->type);
    if (!fixed || r->n_prefixes > NST_ND_MAX_PREFIXES)
        return -EINVAL;
    size_t len = fixed + options_len(r);
    if (cap < len)
        return -ENOSPC;
    put_fixed(r, buf, fixed);
    size_t at = fixed;
    /* An RA's options in radvd's order (prefixes, MTU, source link-layer
     * address), so that our RAs are byte for byte what radvd sends. */
    if (r->type == NST_ICMP6_ROUTER_ADVERT) {
        for (unsigned i = 0; i < r->n_prefixes; i++)
            at += put_prefix(buf + at, &r->prefix[i]);
        if (r->has_mtu)
            at += put_mtu(buf + at, r->mtu);
    }
    if (r->has_src_lladdr)
        at += put_lladdr(buf + at, NST_ND_OPT_SOURCE_LLADDR, &r->src_lladdr);
    if (r->has_tgt_lladdr)
        at += put_lladdr(buf + at, NST_ND_OPT_TARGET_LLADDR, &r->tgt_lladdr);
    if (r->has_nonce && r->type == NST_ICMP6_NEIGHBOR_SOLICIT) {
        buf[at] = NST_ND_OPT_NONCE;
        buf[at + 1] = 1; /* 8 bytes: the 6-byte nonce RFC 7527 4.2 recommends */
        memcpy(buf + at + 2, r->nonce, NST_ND_NONCE_LEN);
    }
    if (r->type == NST_ICMP6_REDIRECT && r->redirected_len)
        put_redirected(buf + at, r, redirected_opt_len(r));
    /* The ICMPv6 header around it: the body is already in place. */
    struct nst_icmp6_repr ic = {r->type, 0, nst_get32(buf + 4), buf + NST_ICMP6_HLEN, len - NST_ICMP6_HLEN};
    return nst_icmp6_emit(&ic, src, dst, buf, cap);
}
