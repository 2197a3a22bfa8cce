/* Text forms of IPv6 addresses: RFC 4291 2.2 (what is accepted) and
 * RFC 5952 4 (the one canonical form that is written). */
#include <nstack/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint16_t group(const nst_ip6_t *a, int i) { return (uint16_t)((a->b[2 * i] << 8) | a->b[2 * i + 1]); }

/* RFC 5952 4.2: the longest run of zero groups (the first when two tie),
 * and only a run of two or more ("::" never stands for one group). */
static void longest_zero_run(const nst_ip6_t *a, int *start, int *len)
{
    *start = -1;
    *len = 0;
    for (int i = 0; i < 8;) {
        if (group(a, i) != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && group(a, j) == 0)
            j++;
        if (j - i > *len && j - i >= 2) {
            *start = i;
            *len = j - i;
        }
        i = j;
    }
}

/* RFC 5952 5: ::ffff:0:0/96 (IPv4-mapped) ends in dotted decimal. */
static int is_v4_mapped(const nst_ip6_t *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, prefix, sizeof prefix) == 0;
}

const char *nst_ip6_str(const nst_ip6_t *a, char *buf)
{
    if (is_v4_mapped(a)) {
        snprintf(buf, NST_IP6_STRLEN, "::ffff:%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
        return buf;
    }
    int zs, zl;
    longest_zero_run(a, &zs, &zl);
    char *p = buf;
    for (int i = 0; i < 8; i++) {
        if (i == zs) {
            p += sprintf(p, "::");
            i += zl - 1;
            continue;
        }
        if (i > 0 && i != zs + zl)
            *p++ = ':';
        p += sprintf(p, "%x", group(a, i)); /* 4.1: no leading zeros; 4.3: lower case */
    }
    *p = '\0';
    return buf;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One group of 1..4 hex digits; returns the position after it or NULL. */
static const char *parse_group(const char *s, uint16_t *out)
{
    unsigned v = 0;
    int n = 0;
    for (int d; (d = hex_value(*s)) >= 0; s++) {
        if (++n > 4)
            return NULL;
        v = v * 16 + (unsigned)d;
    }
    if (!n)
        return NULL;
    *out = (uint16_t)v;
    return s;
}

/* Does a dotted-decimal IPv4 address start here (before the next ':')? */
static int dotted_ahead(const char *s)
{
    for (; *s && *s != ':' && *s != '/'; s++)
        if (*s == '.')
            return 1;
    return 0;
}

/* The end of the address part: the prefix separator or the string's end. */
static size_t addr_part_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/* Parses the groups of an address (no prefix). Up to 8 groups, one "::",
 * and a trailing dotted IPv4 address counting for two groups. */
static int parse_groups(const char *s, nst_ip6_t *out)
{
    uint16_t g[8];
    int n = 0, gap = -1;
    if (s[0] == ':' && s[1] == ':') {
        gap = 0;
        s += 2;
    } else if (s[0] == ':') {
        return -EINVAL; /* a lone leading colon */
    }
    while (*s) {
        if (n == 8)
            return -EINVAL;
        if (dotted_ahead(s)) {
            nst_ip4_t v4;
            if (n > 6 || nst_ip4_parse(s, &v4, NULL) < 0)
                return -EINVAL;
            g[n++] = (uint16_t)(v4 >> 16);
            g[n++] = (uint16_t)v4;
            s += strlen(s);
            break;
        }
        s = parse_group(s, &g[n]);
        if (!s)
            return -EINVAL;
        n++;
        if (*s == '\0')
            break;
        if (*s++ != ':')
            return -EINVAL;
        if (*s == ':') {
            if (gap >= 0)
                return -EINVAL; /* RFC 4291 2.2 (2): "::" at most once */
            gap = n;
            s++;
        } else if (*s == '\0') {
            return -EINVAL; /* a trailing single colon */
        }
    }
    if (gap < 0 ? n != 8 : n > 7)
        return -EINVAL; /* "::" stands for at least one group */
    memset(out, 0, sizeof *out);
    int tail = gap < 0 ? 0 : n - gap;
    for (int i = 0; i < n; i++) {
        int at = gap < 0 || i < gap ? i : 8 - tail + (i - gap);
        out->b[2 * at] = (uint8_t)(g[i] >> 8);
        out->b[2 * at + 1] = (uint8_t)g[i];
    }
    return 0;
}

int nst_ip6_parse(const char *s, nst_ip6_t *out, uint8_t *prefix_len)
{
    if (!s)
        return -EINVAL;
    size_t alen = addr_part_len(s);
    char addr[NST_IP6_STRLEN];
    if (alen == 0 || alen >= sizeof addr)
        return -EINVAL;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    unsigned plen = 128;
    if (s[alen] == '/') {
        const char *p = s + alen + 1;
        if (!prefix_len || *p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
            return -EINVAL;
        plen = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            if ((plen = plen * 10 + (unsigned)(*p - '0')) > 128)
                return -EINVAL;
        if (*p != '\0')
            return -EINVAL;
    }
    nst_ip6_t a;
    if (parse_groups(addr, &a) < 0)
        return -EINVAL;
    *out = a;
    if (prefix_len)
        *prefix_len = (uint8_t)plen;
    return 0;
}
