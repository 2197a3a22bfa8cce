/* Ephemeral port selection, RFC 6056 3.3.3 (Algorithm 3, "Simple
 * Hash-Based"): each (local address, remote address, remote port) starts its
 * search at its own keyed-hash offset, so ports are hard to guess from
 * outside and different destinations do not share one sequence, while a
 * single counter still spreads successive connections. */
#include <errno.h>
#include <string.h>

#include "core/stack_impl.h"
#include "ip/ip.h"
#include "socket/inaddr.h"

/* RFC 6056 3.3.3: F(local_addr, remote_addr, remote_port, secret_key).
 * Two IPv4 addresses (both IPv4-mapped) in their 4 bytes, as before IPv6
 * (11 bytes: the same offsets as then, and 2 SipHash compressions instead
 * of 5 on every connect); IPv6 ones in full (35 bytes). SipHash hashes the
 * length too, so the two forms are apart. */
static uint32_t port_offset(struct nst_stack *st, uint8_t proto, const nst_ip6_t *laddr, const nst_ip6_t *raddr,
                            uint16_t rport)
{
    uint8_t key[35];
    size_t n;
    if (nst_ip6_is_v4mapped(laddr) && nst_ip6_is_v4mapped(raddr)) {
        nst_ip4_t l = nst_ip6_to_ip4(laddr), r = nst_ip6_to_ip4(raddr);
        memcpy(key, &l, 4);
        memcpy(key + 4, &r, 4);
        n = 8;
    } else {
        memcpy(key, laddr->b, 16);
        memcpy(key + 16, raddr->b, 16);
        n = 32;
    }
    memcpy(key + n, &rport, 2);
    key[n + 2] = proto;
    return (uint32_t)nst_siphash24(st->hash_key, key, n + 3);
}

/* With one stack per receive queue, a port whose replies would reach
 * another stack's queue is no use to this one. A socket bound before its
 * destination is known (raddr 0) cannot be steered. */
static int steered_here(struct nst_stack *st, uint8_t proto, const nst_ip6_t *laddr6, uint16_t port,
                        const nst_ip6_t *raddr6, uint16_t rport)
{
    /* The steering callback (RSS over IPv4 queues) speaks IPv4 only. */
    if (!st->cfg.port_steer || nst_in6_is_any(raddr6) || !nst_ip6_is_v4mapped(raddr6))
        return 1;
    nst_ip4_t laddr = nst_ip6_to_ip4(laddr6), raddr = nst_ip6_to_ip4(raddr6);
    /* A wildcard-bound socket (a connected UDP one) sends from the
     * route's source address: the one the peer replies to. */
    if (!laddr && nst_ip_route_src(st, raddr, &laddr, NULL) < 0)
        return 1;
    return st->cfg.port_steer(st->cfg.port_steer_arg, proto, laddr, port, raddr, rport);
}

int nst_port_pick(struct nst_stack *st, uint8_t proto, const nst_ip6_t *laddr, const nst_ip6_t *raddr, uint16_t rport,
                  int (*in_use)(void *arg, uint16_t port), void *arg)
{
    uint32_t lo = st->cfg.ephemeral_lo, hi = st->cfg.ephemeral_hi;
    uint32_t num = hi - lo + 1;
    /* The keyed offset hides a port only from whoever does not know the
     * destination. A socket bound before it has one (raddr 0: a wildcard
     * bind, an unconnected UDP sender) would share one offset with every
     * other such socket, so its ports would come out sequential and
     * guessable: the blind DNS spoofing RFC 6056 1 is about. Those start
     * at a random point instead (RFC 6056 3.3.1, Algorithm 1). */
    uint32_t offset = !nst_in6_is_any(raddr) ? port_offset(st, proto, laddr, raddr, rport)
                                             : (uint32_t)nst_rng_next(&st->rng);
    for (uint32_t count = 0; count < num; count++) {
        uint16_t port = (uint16_t)(lo + (offset + st->socks.port_next++) % num);
        if (!in_use(arg, port) && steered_here(st, proto, laddr, port, raddr, rport))
            return port;
    }
    return -EADDRNOTAVAIL;
}
