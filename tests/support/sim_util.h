/* Test helpers for the network layer: a stack whose interfaces record every
 * frame they send ("taps", so a test can assert exact frames and times), a
 * two-host simulated world, a frame builder for Ethernet + IPv4 (+ UDP /
 * ICMP / ARP) with correct or deliberately wrong fields (built with the
 * src/wire emitters), and a parser for the frames a stack sent. */
#ifndef NST_TEST_SIM_UTIL_H
#define NST_TEST_SIM_UTIL_H

#include <nstack/nstack.h>

#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

/* ---- taps: interfaces that record what the stack sends ------------------ */

struct su_frame {
    nst_time_t at;   /* the stack's time when it sent the frame */
    size_t len;
    uint8_t *data;
};

struct su_tap {
    struct nst_stack *st;
    int ifindex;
    struct nst_mac mac;
    size_t n, cap;
    struct su_frame *v;
};

/* Adds an interface to st whose frames are recorded in tap (tap is zeroed
 * first). mtu 0 means 1500. Returns the ifindex or -errno. */
int su_tap_attach(struct nst_stack *st, struct su_tap *tap, const struct nst_mac *mac, nst_ip4_t addr,
                  uint8_t prefix, uint32_t mtu);
/* Forgets the recorded frames. */
void su_tap_clear(struct su_tap *tap);
void su_tap_free(struct su_tap *tap);
/* Injects a frame into the tap's interface at time now. */
void su_tap_inject(struct su_tap *tap, const uint8_t *frame, size_t len, nst_time_t now);

/* A stack (cfg NULL: defaults) with one tap interface, seeded
 * deterministically whatever cfg says (runs repeat). */
struct nst_stack *su_tap_host(const struct nst_stack_config *cfg, struct su_tap *tap, nst_ip4_t addr,
                              uint8_t prefix);
/* Polls st at each of its deadlines up to t in turn, then at t: every
 * timer fires at its exact time, as in the simulator. */
void su_stack_run_until(struct nst_stack *st, nst_time_t t);

/* MAC 02:00:00:00:00:xx. */
struct nst_mac su_mac(uint8_t last);

/* ---- frame building ----------------------------------------------------- */

/* Everything a crafted Ethernet + IPv4 frame may set. Zeroed fields mean:
 * ethertype IPv4, ttl 0 (the caller sets it). */
struct su_ip {
    struct nst_mac eth_src, eth_dst;
    uint8_t tos, ttl, proto;
    uint16_t id;
    int df, mf;
    uint16_t frag_off;        /* bytes, a multiple of 8 */
    nst_ip4_t src, dst;
    const uint8_t *options;   /* raw option bytes, length a multiple of 4 */
    size_t opt_len;
};

#define SU_FRAME_MAX 65600

/* Ethernet + IPv4 header (+ options) + payload, checksum correct.
 * Returns the frame length (>= 60: padded like a real NIC would). */
size_t su_build_ipv4(uint8_t *buf, const struct su_ip *ip, const void *payload, size_t plen);
/* Same with a UDP header (checksum correct) in front of data; ip->proto is
 * forced to UDP. */
size_t su_build_udp(uint8_t *buf, const struct su_ip *ip, uint16_t sport, uint16_t dport, const void *data,
                    size_t len);
/* Same with an ICMP header (checksum correct); ip->proto forced to ICMP. */
size_t su_build_icmp(uint8_t *buf, const struct su_ip *ip, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
                     const void *data, size_t len);
/* An ARP frame (Ethernet + 28 bytes, padded to 60). */
size_t su_build_arp(uint8_t *buf, const struct nst_mac *eth_src, const struct nst_mac *eth_dst, uint16_t op,
                    const struct nst_mac *sha, nst_ip4_t spa, const struct nst_mac *tha, nst_ip4_t tpa);

/* The IPv4 header inside a frame, and a checksum fix after editing it. */
static inline uint8_t *su_ip_hdr(uint8_t *frame) { return frame + NST_ETH_HLEN; }
void su_fix_ip_checksum(uint8_t *frame);

/* ---- frame parsing ------------------------------------------------------ */

struct su_parsed {
    struct nst_eth_repr eth;
    int is_arp, is_ip;
    struct nst_arp_repr arp;
    struct nst_ipv4_repr ip;
    const uint8_t *ip_hdr;    /* the IPv4 header */
    const uint8_t *l4;        /* the IP payload */
    size_t l4_len;            /* total_len - header */
    struct nst_icmp_repr icmp;   /* when ip.proto is ICMP and it parses */
    struct nst_udp_repr udp;     /* when ip.proto is UDP, not a non-first fragment, and it parses */
    int icmp_ok, udp_ok;
};

/* 0, or -1 if the frame is neither a valid ARP nor a valid IPv4 frame
 * (checksums verified). */
int su_parse(const uint8_t *frame, size_t len, struct su_parsed *out);
/* Counts recorded frames that are IPv4 with this protocol (0: any IPv4). */
size_t su_tap_count_ip(const struct su_tap *tap, uint8_t proto);
size_t su_tap_count_arp(const struct su_tap *tap, uint16_t op);
/* The index of the first recorded ICMP frame of this type, or -1. */
long su_tap_find_icmp(const struct su_tap *tap, uint8_t type, size_t from);

/* Loads every frame of a pcap file written by nst_sim_link_pcap (close the
 * capture first) into out (zeroed first; frames' `at` is the timestamp).
 * Returns the frame count or -errno. Free with su_tap_free. */
long su_pcap_load(const char *path, struct su_tap *out);
/* A path for a test capture: $NST_TEST_OUT/<name>. */
const char *su_out_path(char *buf, size_t cap, const char *name);

/* ---- a two-host simulated world ----------------------------------------- */

#define SU_A_ADDR NST_IP4(10, 0, 0, 1)
#define SU_B_ADDR NST_IP4(10, 0, 0, 2)

struct su_pair {
    struct nst_world *w;
    struct nst_stack *a, *b;
    struct nst_sim_link *l;
    int ifa, ifb;
};

/* a (10.0.0.1/24) and b (10.0.0.2/24) joined by one link. cfg and lp may be
 * NULL for defaults. 0 or -errno. */
int su_pair_build(struct su_pair *p, uint64_t seed, const struct nst_stack_config *cfg,
                  const struct nst_link_params *lp);
void su_pair_free(struct su_pair *p);

/* A UDP socket bound to addr:port (asserts on failure through the return:
 * a negative value is returned as is). */
int su_udp_bound(struct nst_stack *st, nst_ip4_t addr, uint16_t port);

/* ---- byte streams of end-to-end transfers ------------------------------- */

/* FNV-1a, 64 bit, over n more bytes: both ends hash the stream as it
 * passes (from SU_FNV_BASIS); the same bytes in the same order, the same
 * value. */
#define SU_FNV_BASIS 0xcbf29ce484222325ULL
static inline uint64_t su_fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The next byte of a pseudo-random stream: a xorshift64 step of *state
 * (never 0), then bits 24..31 of it. */
static inline uint8_t su_pattern_byte(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint8_t)(*state >> 24);
}

/* ---- a bulk TCP transfer -------------------------------------------------- */

/* `total` bytes from the pair's b (client) to a (server) on `port`, b
 * shutting down when all is written, a reading to the end; both ends hash
 * the stream (tx_hash, rx_hash). Run with nst_world_run_until_cond(w,
 * su_xfer_pump, x, deadline); afterwards received == total and the
 * hashes agree if every byte arrived once and in order. */
struct su_xfer {
    struct nst_stack *srv, *cli;
    int lfd, sfd, cfd;
    uint64_t total, sent, received;
    uint64_t tx_hash, rx_hash;
    int shut, eof;
    uint8_t buf[65536];
};

/* Allocates and starts one (listen on a, connect from b): NULL on failure. */
struct su_xfer *su_xfer_start(struct su_pair *p, uint16_t port, uint64_t total);
/* Moves what it can; returns 1 once the server has read the end of stream. */
int su_xfer_pump(void *arg);

/* A current-stats snapshot shortcut. */
#define SU_STATS(st) (nst_stack_stats(st))

#endif
