/* WebSocket bad input (RFC 6455): a raw TCP peer sends what a correct
 * endpoint never would, to nstack's server and to its client. Each case:
 * the RFC's close code (or HTTP status) on the wire, the counter of its
 * kind, no crash, and a good connection beside it untouched. */
#include "support/ws_util.h"
#include "test.h"

#include <errno.h>

#define KEY "dGhlIHNhbXBsZSBub25jZQ==" /* RFC 6455 1.3's example */

struct bad {
    struct tt_lab l;
    struct wu_server sv;
    struct wu_end good;
};

static void bad_up(struct bad *b, uint64_t max_message)
{
    struct nst_ws_config sc;
    nst_ws_config_default(&sc);
    sc.max_message = max_message;
    tt_lab_up(&b->l, 21, 0);
    wu_server_start(&b->sv, b->l.ldn, WU_PORT, &sc);
    /* A good client, open throughout. */
    wu_client_open(&b->good, &b->l, WU_PORT, "/echo", NULL);
    CHECK(nst_world_run_until_cond(b->l.w, wu_opened, &b->good, nst_world_now(b->l.w) + NST_SEC(2)));
}

/* The good client still echoes, and its server side saw no error. */
static void bad_down(struct bad *b)
{
    int before = b->good.nmsgs;
    CHECK_EQ(nst_ws_send(b->good.ws, NST_WS_TEXT, "still here", 10), 0);
    nst_world_run_for(b->l.w, NST_SEC(1));
    CHECK_EQ(b->good.nmsgs, before + 1);
    CHECK(!b->good.closed);
    CHECK_EQ(nst_ws_stats(b->sv.c[0].ws)->err_protocol, 0);
    wu_end_free(&b->good);
    wu_server_stop(&b->sv);
    tt_lab_down(&b->l);
}

/* Where the bytes after the response head start, or -1. */
static long after_head(const struct wu_raw *r)
{
    for (size_t i = 0; i + 4 <= r->got_len; i++)
        if (memcmp(r->got + i, "\r\n\r\n", 4) == 0)
            return (long)(i + 4);
    return -1;
}

/* Opens a raw connection, upgrades, sends `frames`, and returns the close
 * code of the frame the server answers with (0 if none). */
static int close_code_for(struct bad *b, const uint8_t *frames, size_t len)
{
    struct wu_raw r;
    wu_raw_connect(&r, &b->l, WU_PORT);
    char req[512];
    size_t rl = wu_upgrade_request(req, sizeof(req), KEY, "13");
    nst_world_run_for(b->l.w, NST_MSEC(100));
    wu_raw_send(&r, req, rl);
    wu_raw_send(&r, frames, len);
    nst_world_run_until_cond(b->l.w, wu_raw_ended, &r, nst_world_now(b->l.w) + NST_SEC(3));
    CHECK(r.eof);
    long h = after_head(&r);
    CHECK(h > 0 && memcmp(r.got, "HTTP/1.1 101 ", 13) == 0);
    int code = 0;
    /* The server's close: unmasked, FIN, opcode 8, a 2-byte code. */
    if (h > 0 && r.got_len >= (size_t)h + 4 && r.got[h] == 0x88 && r.got[h + 1] == 0x02)
        code = r.got[h + 2] << 8 | r.got[h + 3];
    wu_raw_close(&r);
    nst_world_run_for(b->l.w, NST_MSEC(500));
    return code;
}

static int server_code(struct bad *b, int fin, int rsv, int opcode, int masked, const void *p, size_t len)
{
    uint8_t f[512];
    size_t n = wu_frame(f, fin, rsv, opcode, masked, p, len);
    return close_code_for(b, f, n);
}

static const struct nst_ws_stats *last_conn(struct bad *b)
{
    struct wu_end *e = &b->sv.c[b->sv.n - 1];
    CHECK(e->closed);
    return &e->final;
}

/* RFC 6455 5.1, 5.2, 5.4, 5.5: framing rules, each a 1002. */
static void test_frame_rules(void)
{
    struct bad b;
    bad_up(&b, 1u << 20);
    uint8_t big[126];
    memset(big, 'p', sizeof(big));
    /* 5.1: a client frame must be masked. */
    CHECK_EQ(server_code(&b, 1, 0, 1, 0, "hi", 2), 1002);
    CHECK_EQ(last_conn(&b)->err_protocol, 1);
    CHECK_EQ(last_conn(&b)->close_sent[NST_WS_SLOT_1002], 1);
    CHECK_EQ(last_conn(&b)->msgs_in, 0);
    /* 5.2: reserved bits without an extension; reserved opcodes. */
    CHECK_EQ(server_code(&b, 1, 4, 1, 1, "hi", 2), 1002);
    CHECK_EQ(server_code(&b, 1, 1, 2, 1, "hi", 2), 1002);
    CHECK_EQ(server_code(&b, 1, 0, 0x3, 1, "hi", 2), 1002);
    CHECK_EQ(server_code(&b, 1, 0, 0xb, 1, "hi", 2), 1002);
    /* 5.5: control frames carry at most 125 bytes and are never fragmented. */
    CHECK_EQ(server_code(&b, 1, 0, 0x9, 1, big, 126), 1002);
    CHECK_EQ(server_code(&b, 0, 0, 0x9, 1, "x", 1), 1002);
    /* 5.4: a continuation with no message started; a new message inside one. */
    CHECK_EQ(server_code(&b, 1, 0, 0x0, 1, "x", 1), 1002);
    uint8_t two[64];
    size_t n = wu_frame(two, 0, 0, 1, 1, "ab", 2);
    n += wu_frame(two + n, 1, 0, 1, 1, "cd", 2);
    CHECK_EQ(close_code_for(&b, two, n), 1002);
    CHECK_EQ(b.sv.shared.err_protocol, 9);
    CHECK_EQ(b.sv.shared.msgs_in, 0);
    bad_down(&b);
}

/* RFC 6455 7.4: a close code that must not be sent (or is unassigned) is
 * answered with 1002; a valid one is echoed. */
static void test_close_codes(void)
{
    struct bad b;
    bad_up(&b, 1u << 20);
    static const int bad_codes[] = {0, 999, 1004, 1005, 1006, 1015, 1100, 2999, 5000};
    for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
        uint8_t c[2] = {(uint8_t)(bad_codes[i] >> 8), (uint8_t)bad_codes[i]};
        CHECK_EQ(server_code(&b, 1, 0, 0x8, 1, c, 2), 1002);
    }
    CHECK_EQ(b.sv.shared.err_protocol, 9);
    /* A one-byte close payload is no code at all: 1002. */
    CHECK_EQ(server_code(&b, 1, 0, 0x8, 1, "x", 1), 1002);
    /* Valid codes are echoed; a close without a code is answered without one. */
    uint8_t c1000[2] = {0x03, 0xe8}, c4000[2] = {0x0f, 0xa0};
    CHECK_EQ(server_code(&b, 1, 0, 0x8, 1, c1000, 2), 1000);
    CHECK_EQ(server_code(&b, 1, 0, 0x8, 1, c4000, 2), 4000);
    CHECK_EQ(b.sv.shared.close_received[NST_WS_SLOT_OTHER] >= 1, 1);
    CHECK_EQ(b.sv.shared.err_protocol, 10);
    bad_down(&b);
}

/* RFC 6455 8.1: text that is not UTF-8 is 1007, found as the bytes come:
 * in one frame, split across fragments, ending inside a character, and
 * in a close reason. */
static void test_utf8(void)
{
    struct bad b;
    bad_up(&b, 1u << 20);
    CHECK_EQ(server_code(&b, 1, 0, 1, 1, "\xc3\x28", 2), 1007);
    CHECK_EQ(last_conn(&b)->err_utf8, 1);
    CHECK_EQ(last_conn(&b)->close_sent[NST_WS_SLOT_1007], 1);
    uint8_t f[64];
    size_t n = wu_frame(f, 0, 0, 1, 1, "ok \xe2\x82", 5); /* a valid prefix of € */
    n += wu_frame(f + n, 1, 0, 0, 1, "\x28", 1);
    CHECK_EQ(close_code_for(&b, f, n), 1007);
    n = wu_frame(f, 1, 0, 1, 1, "end \xe2\x82", 6); /* ends inside € */
    CHECK_EQ(close_code_for(&b, f, n), 1007);
    CHECK_EQ(server_code(&b, 1, 0, 1, 1, "\xed\xa0\x80", 3), 1007); /* a surrogate */
    CHECK_EQ(server_code(&b, 1, 0, 1, 1, "\xc0\xaf", 2), 1007);     /* overlong */
    CHECK_EQ(server_code(&b, 1, 0, 0x8, 1, "\x03\xe8\xff", 3), 1007); /* close reason */
    /* € split across fragments is fine: echoed. */
    struct wu_raw r;
    wu_raw_connect(&r, &b.l, WU_PORT);
    char req[512];
    size_t rl = wu_upgrade_request(req, sizeof(req), KEY, "13");
    nst_world_run_for(b.l.w, NST_MSEC(100));
    n = wu_frame(f, 0, 0, 1, 1, "\xe2", 1);
    n += wu_frame(f + n, 0, 0, 0, 1, "\x82", 1);
    n += wu_frame(f + n, 1, 0, 0, 1, "\xac!", 2);
    wu_raw_send(&r, req, rl);
    wu_raw_send(&r, f, n);
    nst_world_run_for(b.l.w, NST_SEC(1));
    long h = after_head(&r);
    CHECK(h > 0 && r.got_len == (size_t)h + 6);
    if (h > 0 && r.got_len == (size_t)h + 6)
        CHECK_MEM(r.got + h, "\x81\x04\xe2\x82\xac!", 6);
    wu_raw_close(&r);
    nst_world_run_for(b.l.w, NST_SEC(6));
    CHECK_EQ(b.sv.shared.err_utf8, 6);
    bad_down(&b);
}

/* A message over max_message is 1009, whether in one frame or fragments. */
static void test_too_big(void)
{
    struct bad b;
    bad_up(&b, 100);
    uint8_t p[101], f[512];
    memset(p, 'a', sizeof(p));
    /* 100 bytes are accepted, then a close 1000 is echoed (before the echo
     * of the message, which wslay drops: its close jumps the data queue). */
    size_t n = wu_frame(f, 1, 0, 2, 1, p, 100);
    n += wu_frame(f + n, 1, 0, 8, 1, "\x03\xe8", 2);
    CHECK_EQ(close_code_for(&b, f, n), 1000);
    CHECK_EQ(last_conn(&b)->msgs_in, 1);
    CHECK_EQ(last_conn(&b)->close_sent[NST_WS_SLOT_1000], 1);
    CHECK_EQ(server_code(&b, 1, 0, 2, 1, p, 101), 1009);
    CHECK_EQ(last_conn(&b)->err_too_big, 1);
    n = wu_frame(f, 0, 0, 2, 1, p, 60);
    n += wu_frame(f + n, 1, 0, 0, 1, p, 41);
    CHECK_EQ(close_code_for(&b, f, n), 1009);
    CHECK_EQ(b.sv.shared.err_too_big, 2);
    CHECK_EQ(b.sv.shared.close_sent[NST_WS_SLOT_1009], 2);
    bad_down(&b);
}

/* The opening handshake: a wrong key is 400, a wrong version 426 naming
 * version 13 (RFC 6455 4.2.2, 4.4); not an Upgrade at all is 400. */
static void test_bad_handshake(void)
{
    struct bad b;
    bad_up(&b, 1u << 20);
    struct {
        const char *req;
        const char *status;
        int version_field;
    } cases[] = {
        {"GET /echo HTTP/1.1\r\nHost: l\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400 ", 0},
        {"GET /echo HTTP/1.1\r\nHost: l\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400 ", 0},
        {"GET /echo HTTP/1.1\r\nHost: l\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n\r\n", "HTTP/1.1 426 ", 1},
        {"GET /echo HTTP/1.1\r\nHost: l\r\nSec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
         "HTTP/1.1 400 ", 0},
        {"POST /echo HTTP/1.1\r\nHost: l\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400 ", 0},
        {"GET /echo HTTP/1.1\r\nHost: l\r\nBad Name: x\r\n\r\n", "HTTP/1.1 400 ", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wu_raw r;
        wu_raw_connect(&r, &b.l, WU_PORT);
        nst_world_run_for(b.l.w, NST_MSEC(100));
        wu_raw_send(&r, cases[i].req, strlen(cases[i].req));
        nst_world_run_until_cond(b.l.w, wu_raw_ended, &r, nst_world_now(b.l.w) + NST_SEC(3));
        CHECK(r.eof);
        r.got[r.got_len < sizeof(r.got) ? r.got_len : sizeof(r.got) - 1] = 0;
        CHECK(strncmp((char *)r.got, cases[i].status, strlen(cases[i].status)) == 0);
        CHECK_EQ(strstr((char *)r.got, "\r\nSec-WebSocket-Version: 13\r\n") != NULL, cases[i].version_field);
        wu_raw_close(&r);
        nst_world_run_for(b.l.w, NST_MSEC(500));
        struct wu_end *e = &b.sv.c[b.sv.n - 1];
        CHECK(e->closed && !e->opened);
        CHECK_EQ(e->code, NST_WS_ABNORMAL);
        CHECK_EQ(e->err, -EPROTO);
    }
    CHECK_EQ(b.sv.shared.handshake_bad_request, 5);
    CHECK_EQ(b.sv.shared.handshake_bad_version, 1);
    CHECK_EQ(b.sv.shared.handshakes_ok, 1); /* the good client's */
    bad_down(&b);
}

/* Against nstack's client: a 101 with a wrong Accept fails the handshake;
 * a masked frame from a server is 1002 (RFC 6455 5.1). */
static void test_bad_server(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 22, 0);
    static const char *const accept[] = {"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "wrong+accept+value+here+xxx="};
    for (int k = 0; k < 2; k++) {
        struct wu_raw srv;
        wu_raw_listen(&srv, &l, 8080);
        struct wu_end c;
        wu_client_open(&c, &l, 8080, "/", NULL);
        nst_world_run_for(l.w, NST_MSEC(300));
        /* The client's key is random: answer with the right Accept for it
         * in case 0, a wrong one in case 1. */
        char acc[64] = "";
        const char *kf = strstr((char *)srv.got, "Sec-WebSocket-Key: ");
        CHECK(kf != NULL);
        if (kf && k == 0) {
            char key[25];
            memcpy(key, kf + 19, 24);
            key[24] = 0;
            extern void nst_ws_accept_for(const char *key, size_t key_len, char out[29]);
            nst_ws_accept_for(key, 24, acc);
        } else {
            snprintf(acc, sizeof(acc), "%s", accept[1]);
        }
        char resp[256];
        int rl = snprintf(resp, sizeof(resp),
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
        srv.got_len = 0;
        wu_raw_send(&srv, resp, (size_t)rl);
        uint8_t f[32];
        size_t n = wu_frame(f, 1, 0, 1, 1, "hi", 2); /* masked: a server must not */
        wu_raw_send(&srv, f, n);
        nst_world_run_for(l.w, NST_SEC(1));
        if (k == 0) {
            CHECK(c.opened);
            CHECK_EQ(c.nmsgs, 0);
            /* The client's close: masked, 1002. */
            CHECK(srv.got_len >= 8 && srv.got[0] == 0x88 && srv.got[1] == 0x82);
            if (srv.got_len >= 8)
                CHECK_EQ((srv.got[6] ^ srv.got[2]) << 8 | (srv.got[7] ^ srv.got[3]), 1002);
            CHECK_EQ(nst_ws_stats(c.ws)->err_protocol, 1);
        } else {
            CHECK(!c.opened);
            CHECK(c.closed);
            CHECK_EQ(c.code, NST_WS_ABNORMAL);
            CHECK_EQ(c.err, -EPROTO);
            CHECK_EQ(c.final.handshake_bad_response, 1);
        }
        wu_raw_close(&srv);
        nst_world_run_for(l.w, NST_SEC(6));
        CHECK(c.closed);
        wu_end_free(&c);
    }
    tt_lab_down(&l);
}

int main(void)
{
    RUN(test_frame_rules);
    RUN(test_close_codes);
    RUN(test_utf8);
    RUN(test_too_big);
    RUN(test_bad_handshake);
    RUN(test_bad_server);
    return nst_test_done();
}
