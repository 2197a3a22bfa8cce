/* The HTTP/1.1 writer (src/app/http1_write.h): exact bytes of request and
 * response heads, the framing fields each status and method calls for
 * (RFC 9110 8.6, RFC 9112 6), chunk framing with trailers, 100 Continue;
 * refusals of header injection and of a buffer too small; and round
 * trips through the parser. */
#include "app/http1_parse.h"
#include "app/http1_write.h"
#include "test.h"

#include <errno.h>

static uint8_t out[1024];

#define CHECK_OUT(n, want)                                                              \
    do {                                                                                \
        int _n = (n);                                                                   \
        CHECK_EQ(_n, (int)strlen(want));                                                \
        if (_n == (int)strlen(want) && memcmp(out, want, (size_t)_n) != 0)              \
            fprintf(stderr, "got:\n%.*s\nwant:\n%s\n", _n, (const char *)out, want);    \
        CHECK(_n == (int)strlen(want) && memcmp(out, want, (size_t)_n) == 0);           \
    } while (0)

static void test_request(void)
{
    struct nst_http1_out_field f[] = {{"Accept", "*/*"}, {"User-Agent", "nstack"}};
    struct nst_http1_request_head h = {.method = "GET", .target = "/a?b", .host = "example.com", .fields = f,
                                       .nfields = 2};
    CHECK_OUT(nst_http1_write_request(out, sizeof out, &h),
              "GET /a?b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nUser-Agent: nstack\r\n\r\n");
    struct nst_http1_request_head post = {.method = "POST", .target = "/up", .host = "h", .body = NST_HTTP1_OUT_LENGTH,
                                          .content_length = 12345, .expect_continue = 1, .close = 1};
    CHECK_OUT(nst_http1_write_request(out, sizeof out, &post),
              "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 12345\r\nExpect: 100-continue\r\n"
              "Connection: close\r\n\r\n");
    post.body = NST_HTTP1_OUT_CHUNKED;
    post.close = 0;
    CHECK_OUT(nst_http1_write_request(out, sizeof out, &post),
              "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
    /* Expect only with a body. */
    h.expect_continue = 1;
    h.nfields = 0;
    CHECK_OUT(nst_http1_write_request(out, sizeof out, &h), "GET /a?b HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

static void test_response_framing(void)
{
    int body = -1;
    struct nst_http1_response_head h = {.status = 200, .body = NST_HTTP1_OUT_LENGTH, .content_length = 5};
    CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    CHECK_EQ(body, 1);
    /* HEAD: the fields a GET would carry, and no body. */
    h.req_method = NST_HTTP1_M_HEAD;
    CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    CHECK_EQ(body, 0);
    /* No body is said with Content-Length: 0, else it would be read to close. */
    h = (struct nst_http1_response_head){.status = 404, .close = 1};
    CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body),
              "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    CHECK_EQ(body, 0);
    /* 1xx, 204, 304 and a 2xx to CONNECT: no framing fields, no body. */
    int statuses[] = {101, 204, 304};
    const char *want[] = {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n",
                          "HTTP/1.1 304 Not Modified\r\n\r\n"};
    for (int i = 0; i < 3; i++) {
        h = (struct nst_http1_response_head){.status = (uint16_t)statuses[i], .body = NST_HTTP1_OUT_CHUNKED};
        CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body), want[i]);
        CHECK_EQ(body, 0);
    }
    h = (struct nst_http1_response_head){.status = 200, .req_method = NST_HTTP1_M_CONNECT, .body = NST_HTTP1_OUT_LENGTH};
    CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body), "HTTP/1.1 200 OK\r\n\r\n");
    CHECK_EQ(body, 0);
    h = (struct nst_http1_response_head){.status = 299, .reason = "Odd", .body = NST_HTTP1_OUT_CHUNKED};
    CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body),
              "HTTP/1.1 299 Odd\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK_EQ(body, 1);
    /* A reason phrase may hold any SP and HTAB, at either end too. */
    h = (struct nst_http1_response_head){.status = 200, .reason = " \tok "};
    CHECK_OUT(nst_http1_write_response(out, sizeof out, &h, &body), "HTTP/1.1 200  \tok \r\nContent-Length: 0\r\n\r\n");
    CHECK_OUT(nst_http1_write_continue(out, sizeof out), "HTTP/1.1 100 Continue\r\n\r\n");
}

static void test_chunks(void)
{
    CHECK_OUT(nst_http1_write_chunk_head(out, sizeof out, 0x1a2b), "1a2b\r\n");
    CHECK_OUT(nst_http1_write_chunk_head(out, sizeof out, UINT64_MAX), "ffffffffffffffff\r\n");
    CHECK_EQ(nst_http1_write_chunk_head(out, sizeof out, 0), -EINVAL);
    CHECK_OUT(nst_http1_write_chunk_end(out, sizeof out), "\r\n");
    CHECK_OUT(nst_http1_write_last_chunk(out, sizeof out, NULL, 0), "0\r\n\r\n");
    struct nst_http1_out_field t[] = {{"X-Checksum", "abc"}};
    CHECK_OUT(nst_http1_write_last_chunk(out, sizeof out, t, 1), "0\r\nX-Checksum: abc\r\n\r\n");
}

static void test_refusals(void)
{
    int body;
    struct nst_http1_out_field inj[] = {{"X", "a\r\nSet-Cookie: evil"}};
    struct nst_http1_request_head h = {.method = "GET", .target = "/", .host = "h", .fields = inj, .nfields = 1};
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    struct nst_http1_out_field bad_name[] = {{"X Y", "a"}};
    h.fields = bad_name;
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    struct nst_http1_out_field padded[] = {{"X", " a"}};
    h.fields = padded;
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    struct nst_http1_out_field framing[] = {{"content-length", "5"}};
    h.fields = framing;
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    h.nfields = 0;
    h.target = "/a b";
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    h.target = "/";
    h.host = "a\nb";
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    h.host = "h";
    h.method = "G T";
    CHECK_EQ(nst_http1_write_request(out, sizeof out, &h), -EINVAL);
    h.method = "GET";
    /* Every buffer shorter than the head is refused whole. */
    int full = nst_http1_write_request(out, sizeof out, &h);
    CHECK_EQ(full, 27);
    for (int cap = 0; cap < full; cap++)
        CHECK_EQ(nst_http1_write_request(out, (size_t)cap, &h), -ENOSPC);
    struct nst_http1_response_head r = {.status = 200, .reason = "O\rK"};
    CHECK_EQ(nst_http1_write_response(out, sizeof out, &r, &body), -EINVAL);
    r.reason = NULL;
    r.status = 99;
    CHECK_EQ(nst_http1_write_response(out, sizeof out, &r, &body), -EINVAL);
    CHECK_EQ(nst_http1_write_continue(out, 10), -ENOSPC);
    CHECK_EQ(nst_http1_write_last_chunk(out, 4, NULL, 0), -ENOSPC);
}

/* What the writer writes, the parser reads back the same. */
static void test_round_trip(void)
{
    struct nst_http1_out_field f[] = {{"X-A", "1 2"}, {"Connection", "keep-alive, Upgrade"}, {"Upgrade", "websocket"}};
    struct nst_http1_request_head h = {.method = "PUT", .target = "/x", .host = "example.com:8080", .fields = f,
                                       .nfields = 3, .body = NST_HTTP1_OUT_CHUNKED, .expect_continue = 1};
    int n = nst_http1_write_request(out, sizeof out, &h);
    CHECK(n > 0);
    int c = nst_http1_write_chunk_head(out + n, sizeof out - (size_t)n, 3);
    memcpy(out + n + c, "abc", 3);
    int e = nst_http1_write_chunk_end(out + n + c + 3, sizeof out - (size_t)(n + c + 3));
    struct nst_http1_out_field t[] = {{"T", "v"}};
    int l = nst_http1_write_last_chunk(out + n + c + 3 + e, sizeof out - (size_t)(n + c + 3 + e), t, 1);
    size_t total = (size_t)(n + c + 3 + e + l);

    struct nst_http1_field fields[8];
    struct nst_http1_parser p;
    nst_http1_parser_init(&p, NST_HTTP1_REQUEST, NST_HTTP1_M_OTHER, NULL, fields, 8);
    CHECK_EQ(nst_http1_parse_head(&p, out, total), n);
    CHECK_EQ(p.msg.method_id, NST_HTTP1_M_PUT);
    CHECK_EQ(p.msg.host, 0);
    CHECK_EQ(p.msg.body, NST_HTTP1_BODY_CHUNKED);
    CHECK_EQ(p.msg.expect_continue, 1);
    CHECK_EQ(p.msg.upgrade, 1);
    CHECK_EQ(p.msg.keep_alive, 1);
    CHECK_EQ(p.msg.nfields, 6);
    const uint8_t *data;
    size_t dlen;
    int used = nst_http1_parse_body(&p, out + n, total - (size_t)n, &data, &dlen);
    CHECK_EQ(used, c + 3);
    CHECK_EQ(dlen, 3);
    CHECK_MEM(data, "abc", 3);
    int rest = nst_http1_parse_body(&p, out + n + used, total - (size_t)(n + used), &data, &dlen);
    CHECK_EQ(rest, e + l);
    CHECK_EQ(p.state, NST_HTTP1_DONE);
    CHECK_EQ(p.msg.ntrailers, 1);

    int body;
    struct nst_http1_response_head r = {.status = 404, .body = NST_HTTP1_OUT_LENGTH, .content_length = 2};
    n = nst_http1_write_response(out, sizeof out, &r, &body);
    nst_http1_parser_init(&p, NST_HTTP1_RESPONSE, NST_HTTP1_M_GET, NULL, fields, 8);
    CHECK_EQ(nst_http1_parse_head(&p, out, (size_t)n), n);
    CHECK_EQ(p.msg.status, 404);
    CHECK_EQ(p.msg.reason.len, 9);
    CHECK_EQ(p.msg.content_length, 2);
    CHECK(strcmp(nst_http1_reason(431), "Request Header Fields Too Large") == 0);
    CHECK(strcmp(nst_http1_reason(299), "") == 0);
}

int main(void)
{
    RUN(test_request);
    RUN(test_response_framing);
    RUN(test_chunks);
    RUN(test_refusals);
    RUN(test_round_trip);
    return nst_test_done();
}
