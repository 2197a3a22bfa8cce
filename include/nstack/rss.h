/* nstack — receive-side scaling: which receive queue a NIC gives a flow.
 *
 * A multi-queue NIC hashes each received packet's addresses and ports with
 * the Toeplitz function (Microsoft's RSS specification, "RSS Hashing
 * Functions"; what Intel, Mellanox and virtio NICs implement) under a
 * secret-free 40-byte key, and looks the hash up in an indirection table of
 * queues. With one nstack per queue, a connection belongs to the stack of
 * the queue its peer's packets reach:
 *   - a connection from outside: the stack that gets its SYN keeps it;
 *   - a connection nstack opens: its ephemeral port is chosen so that the
 *     peer's replies hash to the opening stack's queue (F-Stack's and
 *     mTCP's trick), through nst_stack_config.port_steer.
 * The hash is computed as the NIC computes it on the *received* packet:
 * source = the peer, destination = nstack. Pure functions. */
#ifndef NSTACK_RSS_H
#define NSTACK_RSS_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

#define NST_RSS_KEY_LEN 40
#define NST_RSS_INDIR_MAX 512

/* The key Microsoft's specification verifies with, which most NIC drivers
 * use unless told otherwise (ethtool -X DEV hkey ...). */
extern const uint8_t nst_rss_default_key[NST_RSS_KEY_LEN];

struct nst_rss {
    uint8_t key[NST_RSS_KEY_LEN];
    unsigned indir_size;            /* a power of 2, e.g. 128 (ethtool -x shows it) */
    uint16_t indir[NST_RSS_INDIR_MAX]; /* hash & (indir_size - 1) -> queue */
    unsigned queue;                 /* the queue of the stack this belongs to */
};

/* The Toeplitz hash of len bytes under a 40-byte key (len <= 36). */
uint32_t nst_rss_toeplitz(const uint8_t key[NST_RSS_KEY_LEN], const uint8_t *data, size_t len);
/* The hash of a received IPv4 TCP/UDP packet from src:sport to dst:dport
 * (addresses and ports in host order), as a NIC hashes it. */
uint32_t nst_rss_hash_ip4(const uint8_t key[NST_RSS_KEY_LEN], nst_ip4_t src, nst_ip4_t dst, uint16_t sport,
                          uint16_t dport);
/* The default key and Linux's default table (ethtool_rxfh_indir_default:
 * entry i is queue i % nqueues) of indir_size entries, for `queue`. 0 or
 * -EINVAL (indir_size not a power of 2 <= NST_RSS_INDIR_MAX, no queues,
 * queue out of range). */
int nst_rss_init(struct nst_rss *r, unsigned nqueues, unsigned indir_size, unsigned queue);
/* The queue that receives a packet from src:sport to dst:dport. */
unsigned nst_rss_queue(const struct nst_rss *r, nst_ip4_t src, nst_ip4_t dst, uint16_t sport, uint16_t dport);
/* nst_stack_config.port_steer for a stack on r->queue (arg: the struct
 * nst_rss): 1 if the peer's packets to laddr:lport come to that queue. */
int nst_rss_port_steer(void *arg, uint8_t proto, nst_ip4_t laddr, uint16_t lport, nst_ip4_t raddr, uint16_t rport);

NST_API_END

#endif
