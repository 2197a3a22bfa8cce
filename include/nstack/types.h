/* nstack — basic types shared by every public header.
 *
 * Time is always a number of nanoseconds passed in by the caller (virtual
 * time in the simulator, CLOCK_MONOTONIC on a real link): the stack never
 * reads a clock. IPv4 addresses are numbers in host byte order; IPv6
 * addresses are their 16 bytes as on the wire. */
#ifndef NSTACK_TYPES_H
#define NSTACK_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api.h"

NST_API_BEGIN

typedef int64_t nst_time_t; /* nanoseconds */

#define NST_TIME_NEVER INT64_MAX
#define NST_USEC(x) ((nst_time_t)(x) * 1000LL)
#define NST_MSEC(x) ((nst_time_t)(x) * 1000000LL)
#define NST_SEC(x)  ((nst_time_t)(x) * 1000000000LL)

typedef uint32_t nst_ip4_t; /* IPv4 address, host byte order */

#define NST_IP4(a, b, c, d) \
    ((nst_ip4_t)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d)))

/* An IPv6 address (RFC 4291): the 16 bytes in network order. */
typedef struct {
    uint8_t b[16];
} nst_ip6_t;

/* Room for the longest text form of an IPv6 address, with its NUL. */
#define NST_IP6_STRLEN 46

struct nst_mac {
    uint8_t b[6];
};

/* Address families of struct nst_sockaddr (Linux's values). */
#define NST_AF_INET 2
#define NST_AF_INET6 10

/* A transport endpoint of either family (the sockaddr_in/sockaddr_in6 of
 * nstack). A zeroed family means IPv4, so `{.addr = a, .port = p}` stays an
 * IPv4 endpoint. */
struct nst_sockaddr {
    nst_ip4_t addr;     /* family 0 or NST_AF_INET */
    uint16_t port;
    uint16_t family;    /* 0 / NST_AF_INET: addr; NST_AF_INET6: addr6 (an IPv4 peer of a
                         * dual-stack socket shows as ::ffff:a.b.c.d, as on Linux) */
    uint32_t scope_id;  /* NST_AF_INET6, link-local addresses: ifindex + 1; 0: none */
    nst_ip6_t addr6;
};

struct nst_stack;
struct nst_world;
struct nst_sim_link;

/* Format helpers: write into buf (at least 16 / 18 bytes), return buf. */
const char *nst_ip4_str(nst_ip4_t a, char *buf);
const char *nst_mac_str(const struct nst_mac *m, char *buf);
/* Parse "a.b.c.d" (and "a.b.c.d/len" with prefix_len != NULL). 0 or -EINVAL. */
int nst_ip4_parse(const char *s, nst_ip4_t *out, uint8_t *prefix_len);
/* The RFC 5952 text form of an IPv6 address (lower case, the longest run
 * of two or more zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d) into
 * buf (at least NST_IP6_STRLEN bytes); returns buf. */
const char *nst_ip6_str(const nst_ip6_t *a, char *buf);
/* Parses any RFC 4291 2.2 text form ("2001:db8::1", "::ffff:192.0.2.1",
 * and "addr/len" with prefix_len != NULL). 0 or -EINVAL. */
int nst_ip6_parse(const char *s, nst_ip6_t *out, uint8_t *prefix_len);

NST_API_END

#endif
