/* RFC 7217 stable, semantically opaque interface identifiers: the same
 * identifier each time a host attaches to the same network with the same
 * prefix, a different one on every other network, and nothing in it that
 * names the host (EUI-64 puts the MAC in every address, so the host can
 * be followed from network to network: RFC 7721). */
#include <string.h>

#include "core/rng.h"
#include "ip6/ip6_impl.h"
#include "wire/ipv6.h"

/* The secret key: the configured one, else one derived from the stack's
 * hash key (so an identifier is stable while the stack lives; a secret
 * kept across restarts makes it stable across them, as RFC 7217 5 asks). */
static void secret_key(const struct nst_stack *st, uint8_t key[16])
{
    static const uint8_t zero[16];
    if (memcmp(st->cfg.ip6_iid_secret, zero, 16) != 0) {
        memcpy(key, st->cfg.ip6_iid_secret, 16);
        return;
    }
    static const char tag[2][16] = {"rfc7217 secret0", "rfc7217 secret1"};
    for (int i = 0; i < 2; i++) {
        uint64_t h = nst_siphash24(st->hash_key, tag[i], sizeof tag[i]);
        memcpy(key + 8 * i, &h, 8);
    }
}

int nst_ip6_stable_addr(const struct nst_stack *st, int ifindex, const nst_ip6_t *prefix, unsigned *dad_counter,
                        nst_ip6_t *out)
{
    if (!st->cfg.ip6_stable_iids)
        return -1;
    uint8_t key[16];
    secret_key(st, key);
    /* RFC 7217 5: F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key)
     * with F = SipHash-2-4, whose 64 bits are the identifier. Net_Iface is
     * the interface's MAC (as Linux); the counter has a fixed place before
     * the Network_ID, whose length varies. */
    uint8_t in[8 + 6 + 1 + sizeof st->cfg.ip6_net_id];
    size_t n = st->cfg.ip6_net_id_len;
    memcpy(in, prefix->b, 8);
    memcpy(in + 8, st->ip.ifaces[ifindex].mac.b, 6);
    memcpy(in + 15, st->cfg.ip6_net_id, n);
    for (;; (*dad_counter)++) {
        in[14] = (uint8_t)*dad_counter;
        uint64_t h = nst_siphash24(key, in, 15 + n);
        uint8_t iid[8];
        for (int i = 0; i < 8; i++)
            iid[i] = (uint8_t)(h >> (56 - 8 * i));
        if (nst_ip6_iid_reserved(iid)) /* 5: "a new interface identifier... with DAD_Counter incremented" */
            continue;
        memcpy(out->b, prefix->b, 8);
        memcpy(out->b + 8, iid, 8);
        return 0;
    }
}
