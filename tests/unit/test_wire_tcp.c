/* TCP header and options against the kernel's SYN, SYN|ACK, RST|ACK,
 * timestamped ACK and data, and dup ACKs carrying 1, 2 and 3 SACK blocks;
 * then every malformed variant and emit/parse round trips. */
#include "test.h"
#include "wire/checksum.h"
#include "wire/tcp.h"
#include "wire_frames.h"

#define A1 NST_IP4(192, 0, 2, 1)
#define A2 NST_IP4(192, 0, 2, 2)

/* Emits r, appends the payload, sets the checksum, compares with seg. */
static void check_emit_reproduces(const struct nst_tcp_repr *r, const uint8_t *seg, size_t len, nst_ip4_t src,
                                  nst_ip4_t dst)
{
    uint8_t out[128];
    struct nst_tcp_repr copy = *r;
    copy.hdr_len = 99; /* ignored and recomputed */
    int hl = nst_tcp_emit(&copy, out);
    CHECK_EQ(hl, r->hdr_len);
    CHECK_EQ((size_t)hl, NST_TCP_HLEN + nst_tcp_opts_len(&r->opts));
    memcpy(out + hl, seg + hl, len - (size_t)hl);
    CHECK_EQ(nst_get16(out + 16), 0);
    nst_tcp_set_checksum(out, len, src, dst);
    CHECK_MEM(out, seg, len);
}

/* Parses the segment t (len bytes from src to dst, checksum verified): a
 * header of hl bytes with want's ports, numbers, flags and window. */
static void check_header(const uint8_t *t, size_t len, nst_ip4_t src, nst_ip4_t dst, int hl,
                         const struct nst_tcp_repr *want, struct nst_tcp_repr *r)
{
    CHECK_EQ(nst_tcp_parse(t, len, src, dst, r, 1), hl);
    CHECK_EQ(r->src_port, want->src_port);
    CHECK_EQ(r->dst_port, want->dst_port);
    CHECK_EQ(r->seq, want->seq);
    CHECK_EQ(r->ack, want->ack);
    CHECK_EQ(r->flags, want->flags);
    CHECK_EQ(r->window, want->window);
}

static void test_syn(void)
{
    const uint8_t *t = tcp_syn + 34;
    struct nst_tcp_repr r;
    check_header(t, 40, A1, A2, 40,
                 &(struct nst_tcp_repr){.src_port = 40001, .dst_port = 8081, .seq = 3793226903u, .ack = 0,
                                        .flags = NST_TCP_SYN, .window = 64240},
                 &r);
    CHECK_EQ(r.urg_ptr, 0);
    CHECK_EQ(r.hdr_len, 40);
    CHECK_EQ(r.opts.has_mss, 1);
    CHECK_EQ(r.opts.mss, 1460);
    CHECK_EQ(r.opts.sack_ok, 1);
    CHECK_EQ(r.opts.has_ts, 1);
    CHECK_EQ(r.opts.ts_val, 1715053435u);
    CHECK_EQ(r.opts.ts_ecr, 0);
    CHECK_EQ(r.opts.has_wscale, 1);
    CHECK_EQ(r.opts.wscale, 10);
    CHECK_EQ(r.opts.sack_count, 0);
    /* Linux's layout: MSS, SACK_PERM, TS, NOP, WS. */
    const uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x66, 0x39, 0xa3, 0x7b, 0, 0, 0, 0, 1, 3, 3, 10};
    CHECK_MEM(t + 20, opts, 20);
    check_emit_reproduces(&r, t, 40, A1, A2);
}

static void test_rst_ack(void)
{
    const uint8_t *t = tcp_rst_ack + 34;
    struct nst_tcp_repr r;
    /* ack: the SYN's seq + 1 */
    check_header(t, 20, A2, A1, 20,
                 &(struct nst_tcp_repr){.src_port = 8081, .dst_port = 40001, .seq = 0, .ack = 3793226904u,
                                        .flags = NST_TCP_RST | NST_TCP_ACK, .window = 0},
                 &r);
    CHECK_EQ(r.hdr_len, 20);
    CHECK_EQ(r.opts.has_mss | r.opts.has_ts | r.opts.has_wscale | r.opts.sack_ok | r.opts.sack_count, 0);
    CHECK_EQ(nst_tcp_opts_len(&r.opts), 0);
    check_emit_reproduces(&r, t, 20, A2, A1);
    CHECK_EQ(nst_get16(t + 16), 0x8149);
}

static void test_synack(void)
{
    const uint8_t *t = tcp_synack + 34;
    struct nst_tcp_repr r;
    check_header(t, 40, A2, A1, 40,
                 &(struct nst_tcp_repr){.src_port = 8080, .dst_port = 40002, .seq = 644558806u, .ack = 2521512032u,
                                        .flags = NST_TCP_SYN | NST_TCP_ACK, .window = 65160},
                 &r);
    CHECK_EQ(r.opts.mss, 1460);
    CHECK_EQ(r.opts.sack_ok, 1);
    CHECK_EQ(r.opts.ts_val, 2523136195u);
    CHECK_EQ(r.opts.ts_ecr, 732024761u);
    CHECK_EQ(r.opts.wscale, 10);
    check_emit_reproduces(&r, t, 40, A2, A1);
}

static void test_ack_and_odd_data(void)
{
    struct nst_tcp_repr r;
    const uint8_t *t = tcp_ack_ts + 34;
    CHECK_EQ(nst_tcp_parse(t, 32, A1, A2, &r, 1), 32);
    CHECK_EQ(r.seq, 2521512032u);
    CHECK_EQ(r.ack, 644558807u);
    CHECK_EQ(r.flags, NST_TCP_ACK);
    CHECK_EQ(r.window, 63); /* scaled by 1024: 64512 */
    CHECK_EQ(r.opts.has_mss | r.opts.has_wscale | r.opts.sack_ok, 0);
    CHECK_EQ(r.opts.has_ts, 1);
    CHECK_EQ(r.opts.ts_val, 732024761u);
    CHECK_EQ(r.opts.ts_ecr, 2523136195u);
    const uint8_t nop_nop_ts[4] = {1, 1, 8, 10};
    CHECK_MEM(t + 20, nop_nop_ts, 4);
    check_emit_reproduces(&r, t, 32, A1, A2);

    t = tcp_data_odd + 34;
    CHECK_EQ(nst_tcp_parse(t, 49, A1, A2, &r, 1), 32);
    CHECK_EQ(r.flags, NST_TCP_PSH | NST_TCP_ACK);
    CHECK_EQ(r.seq, 2521512032u);
    CHECK_MEM(t + 32, "GET / HTTP/1.0\r\n\r", 17);
    check_emit_reproduces(&r, t, 49, A1, A2);
}

static void test_sack_blocks(void)
{
    struct nst_tcp_repr r;
    CHECK_EQ(nst_tcp_parse(tcp_sack1 + 34, 44, A2, A1, &r, 1), 44);
    CHECK_EQ(r.ack, 2165768438u);
    CHECK_EQ(r.window, 80);
    CHECK_EQ(r.opts.ts_val, 3626632181u);
    CHECK_EQ(r.opts.ts_ecr, 3069703324u);
    CHECK_EQ(r.opts.sack_count, 1);
    CHECK_EQ(r.opts.sack[0].start, 2165771334u);
    CHECK_EQ(r.opts.sack[0].end, 2165772782u);
    check_emit_reproduces(&r, tcp_sack1 + 34, 44, A2, A1);

    CHECK_EQ(nst_tcp_parse(tcp_sack2 + 34, 52, A2, A1, &r, 1), 52);
    CHECK_EQ(r.opts.sack_count, 2);
    CHECK_EQ(r.opts.sack[0].start, 2165781470u);
    CHECK_EQ(r.opts.sack[0].end, 2165782918u);
    CHECK_EQ(r.opts.sack[1].start, 2165771334u);
    CHECK_EQ(r.opts.sack[1].end, 2165772782u);
    check_emit_reproduces(&r, tcp_sack2 + 34, 52, A2, A1);

    CHECK_EQ(nst_tcp_parse(tcp_sack3 + 34, 60, A2, A1, &r, 1), 60);
    CHECK_EQ(r.opts.ts_val, 3626632183u);
    CHECK_EQ(r.opts.sack_count, 3);
    CHECK_EQ(r.opts.sack[0].start, 2165788710u);
    CHECK_EQ(r.opts.sack[0].end, 2165790158u);
    CHECK_EQ(r.opts.sack[1].start, 2165781470u);
    CHECK_EQ(r.opts.sack[1].end, 2165784366u);
    CHECK_EQ(r.opts.sack[2].start, 2165771334u);
    CHECK_EQ(r.opts.sack[2].end, 2165772782u);
    check_emit_reproduces(&r, tcp_sack3 + 34, 60, A2, A1);

    /* A fourth block does not fit beside the timestamps: it is left out. */
    r.opts.sack_count = 4;
    r.opts.sack[3] = (struct nst_tcp_sack_block){1, 2};
    CHECK_EQ(nst_tcp_opts_len(&r.opts), 40);
    check_emit_reproduces(&r, tcp_sack3 + 34, 60, A2, A1);
}

static void test_truncated_and_offset(void)
{
    struct nst_tcp_repr r;
    int bad = 0;
    for (size_t len = 0; len < 60; len++)
        if (nst_tcp_parse(tcp_sack3 + 34, len, A2, A1, &r, 0) != -NST_TCP_ERR_TRUNCATED)
            bad++;
    /* Verifying, a cut segment is caught by the checksum first whenever the
     * header itself is there (it is no longer the segment that was summed). */
    for (size_t len = 0; len < 20; len++)
        if (nst_tcp_parse(tcp_data_odd + 34, len, A1, A2, &r, 1) != -NST_TCP_ERR_TRUNCATED)
            bad++;
    for (size_t len = 20; len < 32; len++)
        if (nst_tcp_parse(tcp_data_odd + 34, len, A1, A2, &r, 1) != -NST_TCP_ERR_TRUNCATED)
            bad++;
    for (size_t len = 32; len < 49; len++)
        if (nst_tcp_parse(tcp_data_odd + 34, len, A1, A2, &r, 1) != -NST_TCP_ERR_CHECKSUM)
            bad++;
    CHECK_EQ(bad, 0);

    uint8_t b[20];
    memcpy(b, tcp_rst_ack + 34, 20);
    for (uint8_t off = 0; off < 5; off++) {
        b[12] = (uint8_t)(off << 4);
        CHECK_EQ(nst_tcp_parse(b, 20, A2, A1, &r, 0), -NST_TCP_ERR_OFFSET);
        CHECK_EQ(nst_tcp_parse(b, 20, A2, A1, &r, 1), -NST_TCP_ERR_OFFSET);
    }
    b[12] = 0xf0; /* 60 bytes claimed, 20 there */
    CHECK_EQ(nst_tcp_parse(b, 20, A2, A1, &r, 0), -NST_TCP_ERR_TRUNCATED);
}

static void test_bad_checksum(void)
{
    uint8_t b[49];
    memcpy(b, tcp_data_odd + 34, 49);
    struct nst_tcp_repr r;
    b[48] ^= 0x80; /* last (odd) data byte */
    CHECK_EQ(nst_tcp_parse(b, 49, A1, A2, &r, 1), -NST_TCP_ERR_CHECKSUM);
    CHECK_EQ(nst_tcp_parse(b, 49, A1, A2, &r, 0), 32);
    b[48] ^= 0x80;
    CHECK_EQ(nst_tcp_parse(b, 49, A2, A1, &r, 1), 32); /* swapping addresses keeps the sum */
    CHECK_EQ(nst_tcp_parse(b, 49, A1, A1, &r, 1), -NST_TCP_ERR_CHECKSUM);
    nst_tcp_set_checksum(b, 49, A1, A1);
    CHECK_EQ(nst_tcp_parse(b, 49, A1, A1, &r, 1), 32);
}

/* A 20-byte header from the RST followed by `opt` (padded with EOL to a
 * multiple of 4), checksum set, in a heap block of exactly the header's
 * size so that ASan catches any read past it; returns what parse says. */
static int parse_with_options(const uint8_t *opt, size_t optlen, struct nst_tcp_repr *r)
{
    size_t hl = 20 + (optlen + 3) / 4 * 4;
    uint8_t *b = calloc(1, hl);
    memcpy(b, tcp_rst_ack + 34, 20);
    memcpy(b + 20, opt, optlen);
    b[12] = (uint8_t)((hl / 4) << 4);
    nst_tcp_set_checksum(b, hl, A2, A1);
    int ret = nst_tcp_parse(b, hl, A2, A1, r, 1);
    free(b);
    return ret;
}

static void test_option_errors(void)
{
    struct nst_tcp_repr r;
    const uint8_t len0[4] = {2, 0, 5, 0xb4};
    const uint8_t len1[4] = {1, 1, 30, 1};
    const uint8_t overrun[4] = {2, 5, 5, 0xb4};
    const uint8_t overrun_ts[12] = {1, 1, 8, 11, 0, 0, 0, 1, 0, 0, 0, 2};
    const uint8_t no_len_byte[4] = {1, 1, 1, 2};
    const uint8_t unknown_len0[8] = {2, 4, 5, 0xb4, 99, 0, 0, 0};
    CHECK_EQ(parse_with_options(len0, 4, &r), -NST_TCP_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(len1, 4, &r), -NST_TCP_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(overrun, 4, &r), -NST_TCP_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(overrun_ts, 12, &r), -NST_TCP_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(no_len_byte, 4, &r), -NST_TCP_ERR_OPTIONS);
    CHECK_EQ(parse_with_options(unknown_len0, 8, &r), -NST_TCP_ERR_OPTIONS);
    /* The captured SYN's MSS length made 0 and 41. */
    uint8_t b[40];
    memcpy(b, tcp_syn + 34, 40);
    b[21] = 0;
    CHECK_EQ(nst_tcp_parse(b, 40, A1, A2, &r, 0), -NST_TCP_ERR_OPTIONS);
    b[21] = 21;
    CHECK_EQ(nst_tcp_parse(b, 40, A1, A2, &r, 0), -NST_TCP_ERR_OPTIONS);
    b[21] = 20; /* exactly to the end: an unknown-length MSS, ignored */
    CHECK_EQ(nst_tcp_parse(b, 40, A1, A2, &r, 0), 40);
    CHECK_EQ(r.opts.has_mss | r.opts.has_ts | r.opts.has_wscale | r.opts.sack_ok, 0);
}

static void test_option_leniency(void)
{
    struct nst_tcp_repr r;
    /* Unknown kinds (MPTCP 30, TFO cookie 34) are skipped by their length. */
    const uint8_t unknown[16] = {30, 4, 0x10, 0, 2, 4, 0x05, 0x78, 34, 6, 1, 2, 3, 4, 1, 0};
    CHECK_EQ(parse_with_options(unknown, 16, &r), 36);
    CHECK_EQ(r.opts.has_mss, 1);
    CHECK_EQ(r.opts.mss, 1400);
    /* Known kinds with the wrong length are ignored, and parsing goes on. */
    const uint8_t wrong[32] = {2, 3, 5,             /* MSS len 3 */
                               3, 4, 7, 0,          /* WS len 4 */
                               4, 3, 0,             /* SACK_PERM len 3 */
                               8, 8, 1, 2, 3, 4, 5, 6, /* TS len 8 */
                               5, 2,                /* SACK, no blocks */
                               5, 9, 0, 0, 0, 1, 0, 0, 0, /* SACK len 9 */
                               3, 3, 6};            /* a good WS */
    CHECK_EQ(parse_with_options(wrong, 32, &r), 52);
    CHECK_EQ(r.opts.has_mss, 0);
    CHECK_EQ(r.opts.sack_ok, 0);
    CHECK_EQ(r.opts.has_ts, 0);
    CHECK_EQ(r.opts.sack_count, 0);
    CHECK_EQ(r.opts.has_wscale, 1);
    CHECK_EQ(r.opts.wscale, 6);
    /* Four SACK blocks alone (34 bytes) are read. */
    uint8_t four[36] = {1, 1, 5, 34};
    for (int i = 0; i < 8; i++)
        nst_put32(four + 4 + 4 * i, (uint32_t)(1000 * (i + 1)));
    CHECK_EQ(parse_with_options(four, 36, &r), 56);
    CHECK_EQ(r.opts.sack_count, 4);
    CHECK_EQ(r.opts.sack[3].start, 7000);
    CHECK_EQ(r.opts.sack[3].end, 8000);
    /* EOL ends the list: what follows, even garbage, is not read. */
    const uint8_t eol[8] = {0, 2, 0, 0, 2, 4, 5, 0xb4};
    CHECK_EQ(parse_with_options(eol, 8, &r), 28);
    CHECK_EQ(r.opts.has_mss, 0);
    /* Stale values from an earlier parse do not leak into the next one. */
    CHECK_EQ(nst_tcp_parse(tcp_syn + 34, 40, A1, A2, &r, 1), 40);
    CHECK_EQ(nst_tcp_parse(tcp_rst_ack + 34, 20, A2, A1, &r, 1), 20);
    CHECK_EQ(r.opts.has_mss | r.opts.has_ts | r.opts.has_wscale | r.opts.sack_ok, 0);
}

static void test_emit_layouts(void)
{
    uint8_t b[60];
    struct nst_tcp_repr r = {.src_port = 1, .dst_port = 2, .flags = NST_TCP_SYN, .window = 65535};
    /* SYN without timestamps, as Linux: MSS, NOP, NOP, SACK_PERM, NOP, WS. */
    r.opts = (struct nst_tcp_opts){.has_mss = 1, .mss = 1460, .sack_ok = 1, .has_wscale = 1, .wscale = 7};
    CHECK_EQ(nst_tcp_emit(&r, b), 32);
    const uint8_t syn_nots[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
    CHECK_MEM(b + 20, syn_nots, 12);
    CHECK_EQ(b[12], 0x80);
    /* Timestamps without SACK_PERM: NOP, NOP, TS. */
    r.opts = (struct nst_tcp_opts){.has_ts = 1, .ts_val = 0x01020304, .ts_ecr = 0x05060708};
    CHECK_EQ(nst_tcp_emit(&r, b), 32);
    const uint8_t ts[12] = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_MEM(b + 20, ts, 12);
    /* Four SACK blocks alone: NOP, NOP, SACK(34). */
    r.opts = (struct nst_tcp_opts){.sack_count = 4};
    for (int i = 0; i < 4; i++)
        r.opts.sack[i] = (struct nst_tcp_sack_block){(uint32_t)(i * 10), (uint32_t)(i * 10 + 5)};
    CHECK_EQ(nst_tcp_emit(&r, b), 56);
    CHECK_EQ(b[20], 1);
    CHECK_EQ(b[21], 1);
    CHECK_EQ(b[22], 5);
    CHECK_EQ(b[23], 34);
    CHECK_EQ(nst_get32(b + 24 + 8 * 3), 30);
    CHECK_EQ(nst_get32(b + 28 + 8 * 3), 35);
    /* Everything at once: 20 bytes fixed leave room for 2 blocks. */
    r.opts.has_mss = r.opts.has_ts = r.opts.has_wscale = r.opts.sack_ok = 1;
    CHECK_EQ(nst_tcp_opts_len(&r.opts), 40);
    CHECK_EQ(nst_tcp_emit(&r, b), 60);
    CHECK_EQ(b[20 + 20 + 3], 18); /* SACK length: 2 blocks */
    /* A count past the maximum is clamped, never read past sack[]. */
    r.opts = (struct nst_tcp_opts){.sack_count = 200};
    CHECK_EQ(nst_tcp_opts_len(&r.opts), 36);
}

static void test_round_trip_all_combinations(void)
{
    int bad = 0, runs = 0;
    for (int mask = 0; mask < 16; mask++) {
        for (uint8_t n = 0; n <= 5; n++) {
            struct nst_tcp_repr r = {.src_port = 443, .dst_port = 50000, .seq = 0xfffffff0u, .ack = 17,
                                     .flags = NST_TCP_ACK | NST_TCP_ECE, .window = 1234, .urg_ptr = 9};
            r.opts.has_mss = mask & 1;
            r.opts.mss = 536;
            r.opts.sack_ok = (mask >> 1) & 1;
            r.opts.has_ts = (mask >> 2) & 1;
            r.opts.ts_val = 0xdeadbeef;
            r.opts.ts_ecr = 0xcafef00d;
            r.opts.has_wscale = (mask >> 3) & 1;
            r.opts.wscale = 14;
            r.opts.sack_count = n;
            for (int i = 0; i < NST_TCP_MAX_SACK; i++)
                r.opts.sack[i] = (struct nst_tcp_sack_block){100u * (uint32_t)i, 100u * (uint32_t)i + 50};
            uint8_t b[64];
            memset(b, 0xcc, sizeof b);
            int hl = nst_tcp_emit(&r, b);
            size_t ol = nst_tcp_opts_len(&r.opts);
            runs++;
            if ((size_t)hl != 20 + ol || ol > 40 || ol % 4 || b[hl] != 0xcc)
                bad++;
            nst_tcp_set_checksum(b, (size_t)hl, A1, A2);
            struct nst_tcp_repr p;
            if (nst_tcp_parse(b, (size_t)hl, A1, A2, &p, 1) != hl) {
                bad++;
                continue;
            }
            size_t fixed = 4u * r.opts.has_mss + (r.opts.has_ts ? 12u : 4u * r.opts.sack_ok) + 4u * r.opts.has_wscale;
            size_t fit = fixed + 12 <= 40 ? (40 - fixed - 4) / 8 : 0;
            size_t want = n < 4 ? n : 4;
            size_t expect_blocks = want < fit ? want : fit;
            if (p.src_port != 443 || p.dst_port != 50000 || p.seq != 0xfffffff0u || p.ack != 17 ||
                p.flags != (NST_TCP_ACK | NST_TCP_ECE) || p.window != 1234 || p.urg_ptr != 9 || p.hdr_len != hl)
                bad++;
            if (p.opts.has_mss != r.opts.has_mss || (p.opts.has_mss && p.opts.mss != 536) ||
                p.opts.sack_ok != r.opts.sack_ok || p.opts.has_ts != r.opts.has_ts ||
                (p.opts.has_ts && (p.opts.ts_val != 0xdeadbeef || p.opts.ts_ecr != 0xcafef00d)) ||
                p.opts.has_wscale != r.opts.has_wscale || (p.opts.has_wscale && p.opts.wscale != 14) ||
                p.opts.sack_count != expect_blocks)
                bad++;
            for (size_t i = 0; i < expect_blocks; i++)
                if (p.opts.sack[i].start != 100u * i || p.opts.sack[i].end != 100u * i + 50)
                    bad++;
        }
    }
    CHECK_EQ(runs, 96);
    CHECK_EQ(bad, 0);
}

static void test_set_checksum_short(void)
{
    uint8_t b[19];
    memset(b, 0x11, sizeof b);
    nst_tcp_set_checksum(b, sizeof b, A1, A2); /* too short for a header: untouched */
    CHECK_EQ(b[16], 0x11);
    CHECK_EQ(b[17], 0x11);
}

static void test_error_strings(void)
{
    for (int e = NST_TCP_ERR_TRUNCATED; e <= NST_TCP_ERR_OPTIONS; e++) {
        CHECK(strcmp(nst_tcp_error_str(-e), "unknown error") != 0);
        CHECK(strcmp(nst_tcp_error_str(-e), nst_tcp_error_str(e)) == 0);
        for (int k = NST_TCP_ERR_TRUNCATED; k < e; k++)
            CHECK(strcmp(nst_tcp_error_str(-k), nst_tcp_error_str(-e)) != 0);
    }
    CHECK(strcmp(nst_tcp_error_str(0), "unknown error") == 0);
}

int main(void)
{
    RUN(test_syn);
    RUN(test_rst_ack);
    RUN(test_synack);
    RUN(test_ack_and_odd_data);
    RUN(test_sack_blocks);
    RUN(test_truncated_and_offset);
    RUN(test_bad_checksum);
    RUN(test_option_errors);
    RUN(test_option_leniency);
    RUN(test_emit_layouts);
    RUN(test_round_trip_all_combinations);
    RUN(test_set_checksum_short);
    RUN(test_error_strings);
    return nst_test_done();
}
