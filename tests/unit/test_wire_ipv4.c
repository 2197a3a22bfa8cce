/* IPv4 header parse/emit against headers the kernel sent (plain, with the
 * record-route option, fragmented), and every malformed variant. */
#include "test.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire_frames.h"

#define A1 NST_IP4(192, 0, 2, 1)
#define A2 NST_IP4(192, 0, 2, 2)

static void check_emit_reproduces(const uint8_t *hdr, const struct nst_ipv4_repr *r)
{
    uint8_t out[20];
    CHECK_EQ(nst_ipv4_emit(r, out), 20);
    CHECK_MEM(out, hdr, 20);
}

/* Parses the header at ip (len bytes, checksum verified): hl bytes of
 * header, the datagram's id and its DF bit. */
static void check_parsed(const uint8_t *ip, size_t len, int hl, uint16_t id, int df, struct nst_ipv4_repr *r)
{
    CHECK_EQ(nst_ipv4_parse(ip, len, r, 1), hl);
    CHECK_EQ(r->id, id);
    CHECK_EQ(r->df, df);
}

static void check_addrs(const struct nst_ipv4_repr *r, nst_ip4_t src, nst_ip4_t dst)
{
    CHECK_EQ(r->src, src);
    CHECK_EQ(r->dst, dst);
}

/* A fragment (len bytes, without DF) of datagram id: MF and offset as
 * given, and emitting it gives the header back. */
static void check_fragment(const uint8_t *ip, size_t len, uint16_t id, int mf, int off, struct nst_ipv4_repr *r)
{
    check_parsed(ip, len, 20, id, 0, r);
    CHECK_EQ(r->total_len, len);
    CHECK_EQ(r->mf, mf);
    CHECK_EQ(r->frag_off, off);
    check_emit_reproduces(ip, r);
}

static void test_echo_request(void)
{
    const uint8_t *ip = icmp_echo_req + 14;
    struct nst_ipv4_repr r;
    check_parsed(ip, 84, 20, 0xadd1, 1, &r);
    check_addrs(&r, A1, A2);
    CHECK_EQ(r.hdr_len, 20);
    CHECK_EQ(r.tos, 0);
    CHECK_EQ(r.total_len, 84);
    CHECK_EQ(r.mf, 0);
    CHECK_EQ(r.frag_off, 0);
    CHECK_EQ(r.ttl, 64);
    CHECK_EQ(r.proto, NST_IP_PROTO_ICMP);
    check_emit_reproduces(ip, &r);
}

static void test_echo_reply_and_icmp_error(void)
{
    struct nst_ipv4_repr r;
    /* The kernel's echo reply goes out without DF. */
    check_parsed(icmp_echo_rep + 14, 84, 20, 0xe55a, 0, &r);
    check_addrs(&r, A2, A1);
    check_emit_reproduces(icmp_echo_rep + 14, &r);
    /* Its port unreachable carries tos 0xc0 (network control precedence). */
    check_parsed(icmp_port_unreach + 14, 63, 20, 0xe592, 0, &r);
    CHECK_EQ(r.tos, 0xc0);
    CHECK_EQ(r.total_len, 63);
    CHECK_EQ(r.proto, NST_IP_PROTO_ICMP);
    check_emit_reproduces(icmp_port_unreach + 14, &r);
    /* A TCP RST with id 0 and DF. */
    check_parsed(tcp_rst_ack + 14, 40, 20, 0, 1, &r);
    CHECK_EQ(r.proto, NST_IP_PROTO_TCP);
    check_emit_reproduces(tcp_rst_ack + 14, &r);
}

static void test_fragments(void)
{
    struct nst_ipv4_repr r;
    check_fragment(ip_frag_first + 14, 1500, 0xadd3, 1, 0, &r);
    check_fragment(ip_frag_last + 14, 548, 0xadd3, 0, 1480, &r); /* field 185, in 8-byte units */
    CHECK_EQ(r.proto, NST_IP_PROTO_ICMP);
}

static void test_record_route_option(void)
{
    const uint8_t *ip = icmp_echo_rr + 14;
    struct nst_ipv4_repr r;
    check_parsed(ip, 124, 60, 0xadd2, 1, &r);
    CHECK_EQ(r.hdr_len, 60);
    CHECK_EQ(r.total_len, 124);
    CHECK_EQ(r.proto, NST_IP_PROTO_ICMP);
    check_addrs(&r, A1, A2);
    /* Emit writes no options: the 20 bytes differ only in IHL and checksum. */
    uint8_t out[20];
    nst_ipv4_emit(&r, out);
    CHECK_EQ(out[0], 0x45);
    CHECK_MEM(out + 1, ip + 1, 9);
    CHECK_MEM(out + 12, ip + 12, 8);
    CHECK_EQ(nst_inet_checksum(out, 20), 0);
}

static void test_link_padding_allowed(void)
{
    /* The 41-byte UDP datagram padded to a 60-byte frame's 46-byte payload. */
    uint8_t b[46] = {0};
    memcpy(b, udp_hello + 14, 41);
    struct nst_ipv4_repr r;
    CHECK_EQ(nst_ipv4_parse(b, sizeof b, &r, 1), 20);
    CHECK_EQ(r.total_len, 41);
    CHECK_EQ(r.proto, NST_IP_PROTO_UDP);
}

static void test_truncated_everywhere(void)
{
    struct nst_ipv4_repr r;
    int bad = 0;
    for (size_t len = 0; len < 20; len++)
        if (nst_ipv4_parse(icmp_echo_req + 14, len, &r, 1) != -NST_IPV4_ERR_TRUNCATED)
            bad++;
    for (size_t len = 20; len < 84; len++)
        if (nst_ipv4_parse(icmp_echo_req + 14, len, &r, 1) != -NST_IPV4_ERR_LENGTH)
            bad++;
    /* With options: shorter than the IHL is truncated, then the length. */
    for (size_t len = 0; len < 60; len++)
        if (nst_ipv4_parse(icmp_echo_rr + 14, len, &r, 1) != -NST_IPV4_ERR_TRUNCATED)
            bad++;
    for (size_t len = 60; len < 124; len++)
        if (nst_ipv4_parse(icmp_echo_rr + 14, len, &r, 1) != -NST_IPV4_ERR_LENGTH)
            bad++;
    CHECK_EQ(bad, 0);
    CHECK_EQ(nst_ipv4_parse(icmp_echo_rr + 14, 124, &r, 1), 60);
}

/* A copy of a captured header with byte `off` set to v; the checksum is
 * recomputed when fix_csum so only the intended fault remains. */
static int parse_mutated(const uint8_t *ip, size_t len, size_t off, uint8_t v, int fix_csum)
{
    uint8_t b[200];
    memcpy(b, ip, len);
    b[off] = v;
    if (fix_csum) {
        size_t hl = (size_t)(b[0] & 0xf) * 4;
        nst_put16(b + 10, 0);
        nst_put16(b + 10, nst_inet_checksum(b, hl < 20 ? 20 : hl));
    }
    struct nst_ipv4_repr r;
    return nst_ipv4_parse(b, len, &r, 1);
}

static void test_malformed_fields(void)
{
    const uint8_t *ip = icmp_echo_req + 14;
    CHECK_EQ(parse_mutated(ip, 84, 0, 0x65, 1), -NST_IPV4_ERR_VERSION); /* IPv6 */
    CHECK_EQ(parse_mutated(ip, 84, 0, 0x05, 1), -NST_IPV4_ERR_VERSION);
    CHECK_EQ(parse_mutated(ip, 84, 0, 0x44, 1), -NST_IPV4_ERR_IHL);
    CHECK_EQ(parse_mutated(ip, 84, 0, 0x40, 1), -NST_IPV4_ERR_IHL);
    CHECK_EQ(parse_mutated(ip, 84, 0, 0x46, 1), -NST_IPV4_ERR_OPTIONS); /* the ICMP header read as options: type 8, length 0 */
    /* total length: below the header, one past the buffer, far past it. */
    CHECK_EQ(parse_mutated(ip, 84, 3, 19, 1), -NST_IPV4_ERR_LENGTH);
    CHECK_EQ(parse_mutated(ip, 84, 3, 0, 1), -NST_IPV4_ERR_LENGTH);
    CHECK_EQ(parse_mutated(ip, 84, 3, 85, 1), -NST_IPV4_ERR_LENGTH);
    CHECK_EQ(parse_mutated(ip, 84, 2, 0xff, 1), -NST_IPV4_ERR_LENGTH);
    CHECK_EQ(parse_mutated(ip, 84, 3, 20, 1), 20); /* a header with no payload */
    CHECK_EQ(parse_mutated(icmp_echo_rr + 14, 124, 3, 59, 1), -NST_IPV4_ERR_LENGTH);
    CHECK_EQ(parse_mutated(icmp_echo_rr + 14, 124, 3, 60, 1), 60);
}

static void test_bad_checksum(void)
{
    const uint8_t *ip = icmp_echo_req + 14;
    CHECK_EQ(parse_mutated(ip, 84, 8, 63, 0), -NST_IPV4_ERR_CHECKSUM); /* TTL changed */
    CHECK_EQ(parse_mutated(ip, 84, 11, 0xd5, 0), -NST_IPV4_ERR_CHECKSUM);
    CHECK_EQ(parse_mutated(icmp_echo_rr + 14, 124, 40, 0x01, 0), -NST_IPV4_ERR_CHECKSUM); /* in options */
    /* The payload is not covered by the header checksum. */
    CHECK_EQ(parse_mutated(ip, 84, 40, 0x00, 0), 20);
    /* Not verifying accepts it, and parses the changed TTL. */
    uint8_t b[84];
    memcpy(b, ip, 84);
    b[8] = 63;
    struct nst_ipv4_repr r;
    CHECK_EQ(nst_ipv4_parse(b, 84, &r, 0), 20);
    CHECK_EQ(r.ttl, 63);
}

/* A 20-byte header from the echo request followed by `opt`, IHL set to fit,
 * in a heap block of exactly the header's size so that ASan catches any
 * read past it. */
static int parse_with_options(const uint8_t *opt, size_t optlen)
{
    size_t hl = 20 + optlen;
    uint8_t *b = malloc(hl);
    memcpy(b, icmp_echo_req + 14, 20);
    memcpy(b + 20, opt, optlen);
    b[0] = (uint8_t)(0x40 | (hl / 4));
    nst_put16(b + 2, (uint16_t)hl);
    nst_put16(b + 10, 0);
    nst_put16(b + 10, nst_inet_checksum(b, hl));
    struct nst_ipv4_repr r;
    int ret = nst_ipv4_parse(b, hl, &r, 1);
    free(b);
    return ret;
}

static void test_options(void)
{
    const uint8_t nops[4] = {1, 1, 1, 1};
    const uint8_t eol_then_junk[4] = {0, 0xff, 0xff, 0xff};
    const uint8_t router_alert[4] = {0x94, 4, 0, 0}; /* RFC 2113 */
    const uint8_t unknown_tlv[8] = {0x9e, 6, 1, 2, 3, 4, 1, 0};
    const uint8_t len0[4] = {0x07, 0, 0, 0};
    const uint8_t len1[4] = {0x07, 1, 0, 0};
    const uint8_t overrun[4] = {0x94, 5, 0, 0};
    const uint8_t no_len_byte[4] = {1, 1, 1, 0x94};
    const uint8_t second_overruns[8] = {0x94, 4, 0, 0, 0x07, 5, 4, 0};
    CHECK_EQ(parse_with_options(nops, 4), 24);
    CHECK_EQ(parse_with_options(eol_then_junk, 4), 24);
    CHECK_EQ(parse_with_options(router_alert, 4), 24);
    CHECK_EQ(parse_with_options(unknown_tlv, 8), 28);
    CHECK_EQ(parse_with_options(len0, 4), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(len1, 4), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(overrun, 4), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(no_len_byte, 4), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(second_overruns, 8), -NST_IPV4_ERR_OPTIONS);

    /* The captured record-route option (NOP, RR length 39) with its length
     * made 40 runs one byte past the 60-byte header. */
    const uint8_t *rr = icmp_echo_rr + 14;
    CHECK_EQ(rr[20], 1);
    CHECK_EQ(rr[21], 7);
    CHECK_EQ(rr[22], 39);
    CHECK_EQ(parse_mutated(rr, 124, 22, 40, 1), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_mutated(rr, 124, 22, 0, 1), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_mutated(rr, 124, 22, 1, 1), -NST_IPV4_ERR_OPTIONS);
    CHECK_EQ(parse_mutated(rr, 124, 22, 38, 1), 60); /* leaves one trailing byte: 0 = EOL */
}

static void test_error_strings(void)
{
    const char *seen[7] = {0};
    for (int e = NST_IPV4_ERR_TRUNCATED; e <= NST_IPV4_ERR_OPTIONS; e++) {
        seen[e] = nst_ipv4_error_str(-e);
        CHECK(strcmp(seen[e], "unknown error") != 0);
        CHECK(strcmp(seen[e], nst_ipv4_error_str(e)) == 0);
        for (int k = 1; k < e; k++)
            CHECK(strcmp(seen[k], seen[e]) != 0);
    }
    CHECK(strcmp(nst_ipv4_error_str(0), "unknown error") == 0);
    CHECK(strcmp(nst_ipv4_error_str(-99), "unknown error") == 0);
}

int main(void)
{
    RUN(test_echo_request);
    RUN(test_echo_reply_and_icmp_error);
    RUN(test_fragments);
    RUN(test_record_route_option);
    RUN(test_link_padding_allowed);
    RUN(test_truncated_everywhere);
    RUN(test_malformed_fields);
    RUN(test_bad_checksum);
    RUN(test_options);
    RUN(test_error_strings);
    return nst_test_done();
}
