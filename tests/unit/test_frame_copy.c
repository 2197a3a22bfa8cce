/* nst_frame_copy: a frame in pieces (headers + borrowed payload spans) made
 * whole, its partial TCP checksum finished in the same pass, must be the
 * very frame the stack would have built whole (RFC 9293 3.1, RFC 1071). */
#include <string.h>

#include <nstack/stack.h>

#include "../test.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define ETH 14
#define IPH 20
#define SRC NST_IP4(10, 1, 2, 3)
#define DST NST_IP4(10, 9, 8, 7)

/* A 14 + 20 + tcp_hl byte head with a TCP header whose checksum field holds
 * the pseudo-header sum for `paylen` bytes of payload, as the stack leaves it. */
static size_t make_head(uint8_t *head, size_t tcp_hl, size_t paylen, uint16_t *head_sum)
{
    for (size_t i = 0; i < ETH + IPH + tcp_hl; i++)
        head[i] = (uint8_t)(i * 37 + 11);
    uint8_t *tcp = head + ETH + IPH;
    tcp[12] = (uint8_t)((tcp_hl / 4) << 4);
    uint32_t pseudo = nst_csum_pseudo(SRC, DST, NST_IP_PROTO_TCP, (uint16_t)(tcp_hl + paylen));
    nst_put16(tcp + 16, (uint16_t)pseudo);
    *head_sum = (uint16_t)nst_csum_fold(nst_csum_add(0, tcp, tcp_hl));
    return ETH + IPH + tcp_hl;
}

/* The same segment built whole, checksummed the ordinary way. */
static void reference(uint8_t *out, const uint8_t *head, size_t hl, const uint8_t *pay, size_t plen)
{
    memcpy(out, head, hl);
    memcpy(out + hl, pay, plen);
    nst_tcp_set_checksum(out + ETH + IPH, hl - ETH - IPH + plen, SRC, DST);
}

static void check_split(size_t tcp_hl, size_t plen, size_t cut)
{
    static uint8_t pay[9000], head[128], got[9200], want[9200];
    for (size_t i = 0; i < plen; i++)
        pay[i] = (uint8_t)(i * 131 + plen);
    uint16_t hs;
    size_t hl = make_head(head, tcp_hl, plen, &hs);
    struct nst_frame f = {
        .head = head, .head_len = hl,
        .frag = {pay, pay + cut}, .frag_len = {cut, plen - cut},
        .len = hl + plen,
        .csum_partial = 1, .csum_start = ETH + IPH, .csum_offset = 16, .head_sum = hs,
    };
    memset(got, 0xee, sizeof(got));
    nst_frame_copy(&f, got);
    reference(want, head, hl, pay, plen);
    CHECK_MEM(got, want, hl + plen);
    CHECK_EQ(got[hl + plen], 0xee); /* nothing written past the frame */
    /* And the receiver's view: the whole segment sums to zero. */
    uint32_t s = nst_csum_pseudo(SRC, DST, NST_IP_PROTO_TCP, (uint16_t)(tcp_hl + plen));
    CHECK_EQ(nst_csum_finish(nst_csum_add(s, got + ETH + IPH, tcp_hl + plen)), 0);
}

static void test_partial_checksum_finished(void)
{
    /* Spans of every parity (a wrapped ring cuts anywhere), short and long
     * payloads (the vector loop and its tails), plain and option headers. */
    const size_t lens[] = {1, 2, 7, 31, 32, 33, 63, 64, 65, 536, 1447, 1448, 8948};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = lens[i];
        const size_t cuts[] = {n, 0 + (n > 1), n / 2, n - 1, n / 3 | 1};
        for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
            check_split(20, n, cuts[c]);
            check_split(32, n, cuts[c]);
            check_split(60, n, cuts[c]);
        }
    }
}

static void test_complete_frame_copied_as_is(void)
{
    uint8_t head[40], a[5] = {1, 2, 3, 4, 5}, b[3] = {6, 7, 8}, out[48];
    for (size_t i = 0; i < sizeof(head); i++)
        head[i] = (uint8_t)i;
    struct nst_frame f = {.head = head, .head_len = 40, .frag = {a, b}, .frag_len = {5, 3}, .len = 48};
    nst_frame_copy(&f, out);
    CHECK_MEM(out, head, 40);
    CHECK_MEM(out + 40, a, 5);
    CHECK_MEM(out + 45, b, 3);
}

static void test_in_place_head(void)
{
    /* A head already where it goes (a packet made whole in its own buffer). */
    static uint8_t buf[2048], want[2048], pay[700];
    for (size_t i = 0; i < sizeof(pay); i++)
        pay[i] = (uint8_t)(i ^ 0x5a);
    uint16_t hs;
    size_t hl = make_head(buf, 32, sizeof(pay), &hs);
    reference(want, buf, hl, pay, sizeof(pay));
    struct nst_frame f = {.head = buf, .head_len = hl, .frag = {pay, NULL}, .frag_len = {sizeof(pay), 0},
                          .len = hl + sizeof(pay), .csum_partial = 1, .csum_start = ETH + IPH,
                          .csum_offset = 16, .head_sum = hs};
    nst_frame_copy(&f, buf);
    CHECK_MEM(buf, want, hl + sizeof(pay));
}

int main(void)
{
    RUN(test_partial_checksum_finished);
    RUN(test_complete_frame_copied_as_is);
    RUN(test_in_place_head);
    return nst_test_done();
}
