/* Socket addresses of both families: the text forms (nst_sockaddr_str,
 * nst_sockaddr_parse), the conversion between struct nst_sockaddr and the
 * transports' nst_ip6_t (socket/inaddr.h), and the NST_IPPROTO_IPV6
 * options every transport shares. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/stack_impl.h"
#include "socket/inaddr.h"

/* ---- text forms ------------------------------------------------------------ */

const char *nst_sockaddr_str(const struct nst_sockaddr *a, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    char host[NST_IP6_STRLEN];
    if (a->family != NST_AF_INET6) {
        snprintf(buf, len, "%s:%u", nst_ip4_str(a->addr, host), a->port);
        return buf;
    }
    /* RFC 5952 6: brackets around the address when a port follows; the
     * zone after '%' (RFC 4007 11). */
    nst_ip6_str(&a->addr6, host);
    if (a->scope_id)
        snprintf(buf, len, "[%s%%%u]:%u", host, a->scope_id - 1, a->port);
    else
        snprintf(buf, len, "[%s]:%u", host, a->port);
    return buf;
}

/* ":port" (digits, at most 65535) or nothing. NULL if malformed. */
static const char *parse_port(const char *s, uint16_t *port)
{
    *port = 0;
    if (*s == '\0')
        return s;
    if (*s++ != ':' || *s < '0' || *s > '9')
        return NULL;
    unsigned v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if ((v = v * 10 + (unsigned)(*s - '0')) > 65535)
            return NULL;
    *port = (uint16_t)v;
    return *s == '\0' ? s : NULL;
}

/* "[addr%zone]:port": the zone is an interface index. */
static int parse_bracketed(const char *s, struct nst_sockaddr *out)
{
    const char *close = strchr(s, ']');
    if (!close)
        return -EINVAL;
    char host[NST_IP6_STRLEN];
    size_t hlen = (size_t)(close - s);
    const char *pct = memchr(s, '%', hlen);
    size_t alen = pct ? (size_t)(pct - s) : hlen;
    if (alen == 0 || alen >= sizeof(host))
        return -EINVAL;
    memcpy(host, s, alen);
    host[alen] = '\0';
    if (nst_ip6_parse(host, &out->addr6, NULL) < 0)
        return -EINVAL;
    if (pct) {
        unsigned idx = 0;
        const char *z = pct + 1;
        if (z == close)
            return -EINVAL;
        for (; z < close; z++) {
            if (*z < '0' || *z > '9' || (idx = idx * 10 + (unsigned)(*z - '0')) > 254)
                return -EINVAL;
        }
        out->scope_id = idx + 1;
    }
    out->family = NST_AF_INET6;
    return parse_port(close + 1, &out->port) ? 0 : -EINVAL;
}

int nst_sockaddr_parse(const char *s, struct nst_sockaddr *out)
{
    if (!s || !out)
        return -EINVAL;
    struct nst_sockaddr a;
    memset(&a, 0, sizeof(a));
    if (*s == '[') {
        if (parse_bracketed(s + 1, &a) < 0)
            return -EINVAL;
    } else {
        /* IPv4: "a.b.c.d" then an optional ":port". A bare IPv6 address
         * (colons, no brackets) is ambiguous with a port: refused. */
        const char *colon = strchr(s, ':');
        char host[16];
        size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
        if (hlen == 0 || hlen >= sizeof(host))
            return -EINVAL;
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        if (nst_ip4_parse(host, &a.addr, NULL) < 0 || !parse_port(s + hlen, &a.port))
            return -EINVAL;
        a.family = NST_AF_INET;
    }
    *out = a;
    return 0;
}

/* ---- socket addresses to and from the transports' form ------------------------ */

int nst_in6_is_local(struct nst_stack *st, const nst_ip6_t *a)
{
    if (nst_ip6_is_v4mapped(a))
        return nst_ip_is_local(st, nst_ip6_to_ip4(a));
    return nst_ip6_is_local(st, a);
}

int nst_in6_route_src(struct nst_stack *st, const nst_ip6_t *dst, int ifindex, nst_ip6_t *src, uint32_t *mtu)
{
    if (nst_ip6_is_v4mapped(dst)) {
        nst_ip4_t d = nst_ip6_to_ip4(dst), s;
        if (d == 0 || nst_ip_is_broadcast_or_multicast(st, d) || nst_ip_route_src(st, d, &s, mtu) < 0)
            return -ENETUNREACH;
        nst_ip6_from_ip4(s, src);
        return 0;
    }
    if (nst_ip6_is_unspecified(dst) || nst_ip6_is_multicast(dst))
        return -ENETUNREACH;
    return nst_ip6_route_src(st, dst, ifindex, src, mtu);
}

int nst_sock_addr_in(const struct nst_sock *s, const struct nst_sockaddr *a, int v4_ok, nst_ip6_t *out)
{
    if (a->family != NST_AF_INET6) {
        if (a->family != 0 && a->family != NST_AF_INET)
            return -EAFNOSUPPORT;
        if (s->family == NST_AF_INET6 && !v4_ok)
            return -EAFNOSUPPORT;
        if (s->family == NST_AF_INET6 && s->v6only)
            return -ENETUNREACH;
        nst_ip6_from_ip4(a->addr, out);
        return 0;
    }
    if (s->family != NST_AF_INET6)
        return -EAFNOSUPPORT; /* an AF_INET socket given an IPv6 address, as Linux */
    /* RFC 3493 5.3: an IPV6_V6ONLY socket has nothing to do with IPv4. */
    if (s->v6only && nst_ip6_is_v4mapped(&a->addr6))
        return -ENETUNREACH;
    *out = a->addr6;
    return 0;
}

void nst_sock_addr_out(const struct nst_sock *s, const nst_ip6_t *addr, uint16_t port, uint32_t scope_id,
                       struct nst_sockaddr *out)
{
    memset(out, 0, sizeof(*out));
    out->port = port;
    if (s->family == NST_AF_INET6) {
        out->family = NST_AF_INET6;
        out->addr6 = *addr;
        out->scope_id = scope_id;
    } else {
        out->family = NST_AF_INET;
        out->addr = nst_ip6_to_ip4(addr);
    }
}

/* ---- NST_IPPROTO_IPV6 ------------------------------------------------------------- */

int nst_sock_ipv6_setopt(struct nst_sock *s, int name, const void *val, size_t len, int bound)
{
    if (s->family != NST_AF_INET6)
        return -ENOPROTOOPT;
    int v;
    int err = nst_sockopt_int(val, len, &v);
    if (err)
        return err;
    if (name != NST_IPV6_V6ONLY)
        return -ENOPROTOOPT;
    /* Linux: fixed once the socket has a local address (inet6_bind's
     * choice of which table it lives in depends on it). */
    if (bound)
        return -EINVAL;
    s->v6only = v != 0;
    return 0;
}

int nst_sock_ipv6_getopt(const struct nst_sock *s, int name, void *val, size_t *len)
{
    if (s->family != NST_AF_INET6 || name != NST_IPV6_V6ONLY)
        return -ENOPROTOOPT;
    return nst_sockopt_put_int(val, len, s->v6only);
}
