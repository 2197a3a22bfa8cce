/* ICMP parse/emit against the kernel's echo request/reply and its port
 * unreachable error, plus malformed messages and the quote length. */
#include "test.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire_frames.h"

#include <errno.h>

static void test_echo_request(void)
{
    const uint8_t *m = icmp_echo_req + 34;
    struct nst_icmp_repr r;
    CHECK_EQ(nst_icmp_parse(m, 64, &r, 1), 0);
    CHECK_EQ(r.type, NST_ICMP_ECHO_REQUEST);
    CHECK_EQ(r.code, 0);
    CHECK_EQ(r.id, 0x149e);
    CHECK_EQ(r.seq, 1);
    CHECK(r.data == m + 8);
    CHECK_EQ(r.data_len, 56);
    CHECK_EQ(r.data[16], 0x10); /* ping's pattern after its 16-byte timestamp */

    uint8_t out[64];
    CHECK_EQ(nst_icmp_emit(&r, out, sizeof out), 64);
    CHECK_MEM(out, m, 64);
}

static void test_echo_reply_in_place(void)
{
    /* Turning the request into the reply in its own buffer, as a stack
     * answering a ping does, gives exactly the kernel's reply. */
    uint8_t b[64];
    memcpy(b, icmp_echo_req + 34, 64);
    struct nst_icmp_repr r;
    CHECK_EQ(nst_icmp_parse(b, 64, &r, 1), 0);
    r.type = NST_ICMP_ECHO_REPLY;
    CHECK_EQ(nst_icmp_emit(&r, b, sizeof b), 64);
    CHECK_MEM(b, icmp_echo_rep + 34, 64);
    CHECK_EQ(nst_get16(b + 2), 0xb3cf);

    struct nst_icmp_repr rep;
    CHECK_EQ(nst_icmp_parse(icmp_echo_rep + 34, 64, &rep, 1), 0);
    CHECK_EQ(rep.type, NST_ICMP_ECHO_REPLY);
    CHECK_EQ(rep.id, 0x149e);
    CHECK_EQ(rep.seq, 1);
    CHECK_EQ(rep.data_len, 56);
}

static void test_port_unreachable(void)
{
    const uint8_t *m = icmp_port_unreach + 34;
    struct nst_icmp_repr r;
    CHECK_EQ(nst_icmp_parse(m, 43, &r, 1), 0);
    CHECK_EQ(r.type, NST_ICMP_DEST_UNREACH);
    CHECK_EQ(r.code, NST_ICMP_PORT_UNREACH);
    CHECK_EQ(r.id, 0);
    CHECK_EQ(r.seq, 0);
    CHECK_EQ(r.data_len, 35); /* Linux quotes the whole small datagram */
    CHECK_EQ(r.data[0], 0x45);
    CHECK_EQ(nst_get16(r.data + 20 + 2), 7778); /* the quoted UDP's dst port */
    /* We quote RFC 792's minimum: the IP header plus 8 bytes. */
    CHECK_EQ(nst_icmp_quote_len(r.data, r.data_len), 28);

    uint8_t out[43];
    CHECK_EQ(nst_icmp_emit(&r, out, sizeof out), 43);
    CHECK_MEM(out, m, 43);
    CHECK_EQ(nst_get16(out + 2), 0x8121);
}

static void test_frag_needed_emit(void)
{
    /* RFC 1191 4: the next-hop MTU in the low 16 bits of bytes 4-7. */
    const uint8_t quote[28] = {0x45, 0, 0x05, 0xdc};
    struct nst_icmp_repr r = {.type = NST_ICMP_DEST_UNREACH, .code = NST_ICMP_FRAG_NEEDED, .id = 0, .seq = 1400,
                              .data = quote, .data_len = sizeof quote};
    uint8_t out[36];
    CHECK_EQ(nst_icmp_emit(&r, out, sizeof out), 36);
    const uint8_t hdr[8] = {3, 4, 0, 0, 0, 0, 0x05, 0x78};
    CHECK_MEM(out, hdr, 2);
    CHECK_MEM(out + 4, hdr + 4, 4);
    CHECK_MEM(out + 8, quote, sizeof quote);
    CHECK_EQ(nst_inet_checksum(out, 36), 0);
    struct nst_icmp_repr back;
    CHECK_EQ(nst_icmp_parse(out, 36, &back, 1), 0);
    CHECK_EQ(back.seq, 1400);
    CHECK_EQ(back.code, NST_ICMP_FRAG_NEEDED);
}

static void test_malformed(void)
{
    struct nst_icmp_repr r;
    int bad = 0;
    for (size_t len = 0; len < NST_ICMP_HLEN; len++)
        if (nst_icmp_parse(icmp_echo_req + 34, len, &r, 1) != -EINVAL || nst_icmp_parse(icmp_echo_req + 34, len, &r, 0) != -EINVAL)
            bad++;
    CHECK_EQ(bad, 0);
    /* The checksum covers the data: one changed data byte is caught. */
    uint8_t b[64];
    memcpy(b, icmp_echo_req + 34, 64);
    b[63] ^= 0x01;
    CHECK_EQ(nst_icmp_parse(b, 64, &r, 1), -EBADMSG);
    CHECK_EQ(nst_icmp_parse(b, 64, &r, 0), 0);
    /* Cut short, the checksum no longer matches either. */
    CHECK_EQ(nst_icmp_parse(icmp_echo_req + 34, 63, &r, 1), -EBADMSG);
    /* Exactly 8 bytes with a right checksum: no data. */
    uint8_t h[8] = {8, 0, 0, 0, 0x12, 0x34, 0, 7};
    nst_put16(h + 2, nst_inet_checksum(h, 8));
    CHECK_EQ(nst_icmp_parse(h, 8, &r, 1), 0);
    CHECK_EQ(r.data_len, 0);
    CHECK_EQ(r.id, 0x1234);
    CHECK_EQ(r.seq, 7);
}

static void test_emit_no_space(void)
{
    struct nst_icmp_repr r;
    CHECK_EQ(nst_icmp_parse(icmp_echo_req + 34, 64, &r, 1), 0);
    uint8_t out[64];
    memset(out, 0xee, sizeof out);
    CHECK_EQ(nst_icmp_emit(&r, out, 63), -ENOSPC);
    CHECK_EQ(nst_icmp_emit(&r, out, 7), -ENOSPC);
    CHECK_EQ(nst_icmp_emit(&r, out, 0), -ENOSPC);
    CHECK_EQ(out[0], 0xee); /* nothing written */
    r.data_len = 0;
    CHECK_EQ(nst_icmp_emit(&r, out, 8), 8);
}

static void test_quote_len(void)
{
    /* The record-route echo: 60-byte header + 8 = 68 of its 124 bytes. */
    CHECK_EQ(nst_icmp_quote_len(icmp_echo_rr + 14, 124), 68);
    CHECK_EQ(nst_icmp_quote_len(ip_frag_last + 14, 548), 28);
    CHECK_EQ(nst_icmp_quote_len(ip_frag_last + 14, 10), 10);
    CHECK_EQ(nst_icmp_quote_len(ip_frag_last + 14, 0), 0);
    /* Link padding after a 24-byte datagram is not quoted. */
    uint8_t pad[46] = {0};
    memcpy(pad, tcp_rst_ack + 14, 20);
    nst_put16(pad + 2, 24);
    CHECK_EQ(nst_icmp_quote_len(pad, sizeof pad), 24);
    nst_put16(pad + 2, 40);
    CHECK_EQ(nst_icmp_quote_len(pad, sizeof pad), 28);
}

int main(void)
{
    RUN(test_echo_request);
    RUN(test_echo_reply_in_place);
    RUN(test_port_unreachable);
    RUN(test_frag_needed_emit);
    RUN(test_malformed);
    RUN(test_emit_no_space);
    RUN(test_quote_len);
    return nst_test_done();
}
