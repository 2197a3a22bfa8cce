/* What the stateful stack fuzz targets (fuzz_stack.c: IPv4 and the
 * transports; fuzz_ip6_input.c: IPv6) share: the oracle's REQUIRE, the
 * reader of the program (the fuzzer's input, read as opcodes and their
 * arguments), the one interface's addresses and MTU, and settling a stack
 * at one instant. A header of static functions, so each target stays one
 * file for libFuzzer (CMake builds every tests/fuzz/fuzz_*.c on its own). */
#ifndef NST_TESTS_STACK_FUZZ_WORLD_H
#define NST_TESTS_STACK_FUZZ_WORLD_H

#include <nstack/nstack.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)   \
    do {                \
        if (!(cond))    \
            abort();    \
    } while (0)

#define MTU 1500
#define FRAME_MAX 1600
#define SETTLE_ROUNDS 100000 /* polls at one instant before we call it a livelock */

static const struct nst_mac STACK_MAC = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct nst_mac PEER_MAC = {{0x02, 0, 0, 0, 0, 0x02}};

/* ---- reading the program -------------------------------------------------- */

struct rd {
    const uint8_t *p;
    size_t n, i;
};

static inline int rd_more(const struct rd *r) { return r->i < r->n; }
static inline uint8_t rd8(struct rd *r) { return r->i < r->n ? r->p[r->i++] : 0; }
static inline uint16_t rd16(struct rd *r) { return (uint16_t)(rd8(r) << 8 | rd8(r)); }
static inline uint32_t rd32(struct rd *r) { return (uint32_t)rd16(r) << 16 | rd16(r); }

/* Up to `want` bytes of the program; the rest of buf is a fixed pattern. */
static inline void rd_fill(struct rd *r, uint8_t *buf, size_t want)
{
    size_t have = r->n - r->i < want ? r->n - r->i : want;
    memcpy(buf, r->p + r->i, have);
    r->i += have;
    for (size_t k = have; k < want; k++)
        buf[k] = (uint8_t)(k * 7 + 1);
}

/* ---- time ----------------------------------------------------------------------- */

/* Polls st at `now` until nothing is due then: time only moves forward, and
 * a timer chain that re-arms itself at "now" for ever is a livelock. */
static inline void fuzz_settle(struct nst_stack *st, nst_time_t now)
{
    for (int i = 0; i < SETTLE_ROUNDS; i++) {
        nst_stack_poll(st, now);
        REQUIRE(nst_stack_now(st) == now);
        if (nst_stack_next_deadline(st) > now)
            return;
    }
    abort();
}

#endif
