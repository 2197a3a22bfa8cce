/* Text forms of IPv4 and MAC addresses. */
#include <nstack/types.h>

#include <errno.h>
#include <stdio.h>

const char *nst_ip4_str(nst_ip4_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16) & 0xff, (unsigned)(a >> 8) & 0xff,
             (unsigned)a & 0xff);
    return buf;
}

const char *nst_mac_str(const struct nst_mac *m, char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2], m->b[3], m->b[4], m->b[5]);
    return buf;
}

/* Reads a decimal number of 1..3 digits no larger than max, without a
 * leading zero (as inet_pton(3): "010" is not silently octal or decimal).
 * Returns the position after it, or NULL. */
static const char *parse_decimal(const char *s, unsigned max, unsigned *out)
{
    unsigned v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (digits == 3 || (digits == 1 && v == 0))
            return NULL;
        v = v * 10 + (unsigned)(*s - '0');
        digits++;
        s++;
    }
    if (!digits || v > max)
        return NULL;
    *out = v;
    return s;
}

int nst_ip4_parse(const char *s, nst_ip4_t *out, uint8_t *prefix_len)
{
    if (!s)
        return -EINVAL;
    nst_ip4_t a = 0;
    for (int i = 0; i < 4; i++) {
        unsigned octet;
        if (i > 0 && *s++ != '.')
            return -EINVAL;
        s = parse_decimal(s, 255, &octet);
        if (!s)
            return -EINVAL;
        a = (a << 8) | octet;
    }
    unsigned plen = 32;
    if (*s == '/') {
        if (!prefix_len)
            return -EINVAL;
        s = parse_decimal(s + 1, 32, &plen);
        if (!s)
            return -EINVAL;
    }
    if (*s != '\0')
        return -EINVAL;
    *out = a;
    if (prefix_len)
        *prefix_len = (uint8_t)plen;
    return 0;
}
