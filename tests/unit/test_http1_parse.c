/* The HTTP/1.1 parser (src/app/http1_parse.h): every rule of RFC 9112 and
 * RFC 9110 it implements, with exact results and, for each refusal, the
 * exact status. Every message is also parsed in 1-byte pieces and in every
 * split into two pieces: the outcome (fields, body, trailers, where each
 * message ends, the error) must be identical to the one-piece parse. */
#include "app/http1_parse.h"
#include "support/http1_drive.h"
#include "test.h"

#include <errno.h>

static struct http1_drive D, alt;

/* Parses s in one piece into D (whose settings the caller may have set
 * first with setup()), then checks that 1-byte pieces and every two-piece
 * split give the same text. Returns the messages completed. */
static int parse_n(const char *s, size_t len)
{
    const uint8_t *in = (const uint8_t *)s;
    struct http1_drive cfg = D;
    int n = http1_drive_run(&D, in, len, NULL, 0);
    alt = cfg;
    http1_drive_bytewise(&alt, in, len);
    if (strcmp(alt.text, D.text) != 0) {
        fprintf(stderr, "bytewise differs:\n%s--- vs one piece:\n%s", alt.text, D.text);
        CHECK(0);
    }
    for (size_t cut = 1; cut < len; cut++) {
        alt = cfg;
        http1_drive_run(&alt, in, len, &cut, 1);
        if (strcmp(alt.text, D.text) != 0) {
            fprintf(stderr, "split at %zu differs:\n%s--- vs one piece:\n%s", cut, alt.text, D.text);
            CHECK(0);
            break;
        }
    }
    return n;
}

static int parse(const char *s)
{
    return parse_n(s, strlen(s));
}

static void setup(enum nst_http1_kind kind)
{
    http1_drive_init(&D, kind);
}

static struct nst_http1_msg *msg(int i)
{
    return &D.msgs[i].msg;
}

/* Parses a request that must be refused with err, why and status. */
static void refuse(enum nst_http1_kind kind, const char *s, int err, enum nst_http1_why why, int status, int line)
{
    setup(kind);
    parse(s);
    if (D.err != err || D.why != (int)why || nst_http1_status_of(D.err) != status)
        fprintf(stderr, "line %d: got %d/%s/%d, want %d/%s/%d for %s\n", line, D.err,
                nst_http1_why_str((enum nst_http1_why)D.why), nst_http1_status_of(D.err), err,
                nst_http1_why_str(why), status, s);
    CHECK_EQ(D.err, err);
    CHECK_EQ(D.why, why);
    CHECK_EQ(nst_http1_status_of(D.err), status);
}
#define REFUSE_REQ(s, err, why, status) refuse(NST_HTTP1_REQUEST, s, err, why, status, __LINE__)
#define REFUSE_RESP(s, why) refuse(NST_HTTP1_RESPONSE, s, -EBADMSG, why, 400, __LINE__)
#define BAD_REQ(s, why) REFUSE_REQ(s, -EBADMSG, why, 400)

#define CHECK_TEXT(want)                                                          \
    do {                                                                          \
        if (strcmp(D.text, want) != 0)                                            \
            fprintf(stderr, "text:\n%s--- want:\n%s", D.text, want);              \
        CHECK(strcmp(D.text, want) == 0);                                         \
    } while (0)

static void test_request_exact(void)
{
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept:  */*  \r\nX-Empty:\r\n\r\n"), 1);
    CHECK_TEXT("request GET (1) /index.html?q=1 form 0 HTTP/1.1 body 0 cl 0 keep-alive 1 expect 0/0 upgrade 0/-1 "
               "host 0\nHost: [example.com]\nAccept: [*/*]\nX-Empty: []\nend at 77, body 0 bytes\n");
    CHECK_EQ(D.msgs[0].head_len, 77);
    CHECK_EQ(msg(0)->nfields, 3);
    CHECK_EQ(D.err, 0);
}

static void test_request_targets(void)
{
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET http://example.com/a HTTP/1.1\r\nHost: example.com\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->target_form, NST_HTTP1_ABSOLUTE_FORM);
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->target_form, NST_HTTP1_AUTHORITY_FORM);
    CHECK_EQ(msg(0)->method_id, NST_HTTP1_M_CONNECT);
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), 1);
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->target_form, NST_HTTP1_ASTERISK_FORM);
    /* Methods are case-sensitive tokens: "get" is some other method. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->method_id, NST_HTTP1_M_OTHER);
    /* RFC 9110 6.2: HTTP/1.2 is read as 1.1. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->version_minor, 1);

    BAD_REQ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("CONNECT user@example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_TARGET);
    BAD_REQ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", NST_HTTP1_BAD_VERSION);
    BAD_REQ("GET /\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_VERSION);
    BAD_REQ("GET / http/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_VERSION);
    BAD_REQ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_VERSION);
    BAD_REQ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_METHOD);
    BAD_REQ(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", NST_HTTP1_BAD_METHOD);
    BAD_REQ("GET\r\n\r\n", NST_HTTP1_BAD_METHOD);
    REFUSE_REQ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", -EPROTONOSUPPORT, NST_HTTP1_VERSION_UNSUPPORTED, 505);
    REFUSE_REQ("GET / HTTP/0.9\r\n\r\n", -EPROTONOSUPPORT, NST_HTTP1_VERSION_UNSUPPORTED, 505);
}

static void test_status_line(void)
{
    setup(NST_HTTP1_RESPONSE);
    CHECK_EQ(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), 1);
    CHECK_TEXT("response 404 Not Found HTTP/1.1 body 1 cl 0 keep-alive 1 expect 0/0 upgrade 0/-1 host -1\n"
               "Content-Length: [0]\nend at 45, body 0 bytes\n");
    /* An empty reason, with and without the SP before it. */
    setup(NST_HTTP1_RESPONSE);
    CHECK_EQ(parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->status, 200);
    CHECK_EQ(msg(0)->reason.len, 0);
    setup(NST_HTTP1_RESPONSE);
    CHECK_EQ(parse("HTTP/1.0 599\r\nContent-Length: 0\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->status, 599);
    CHECK_EQ(msg(0)->version_minor, 0);
    CHECK_EQ(msg(0)->keep_alive, 0);
    /* obs-text and HTAB in the reason. */
    setup(NST_HTTP1_RESPONSE);
    CHECK_EQ(parse("HTTP/1.1 200 \xc3\x89t\tok\r\nContent-Length: 0\r\n\r\n"), 1);

    REFUSE_RESP("HTTP/1.1 20 OK\r\n\r\n", NST_HTTP1_BAD_STATUS);
    REFUSE_RESP("HTTP/1.1 099 Low\r\n\r\n", NST_HTTP1_BAD_STATUS);
    REFUSE_RESP("HTTP/1.1 2000 OK\r\n\r\n", NST_HTTP1_BAD_STATUS);
    REFUSE_RESP("HTTP/1.1 2x0 OK\r\n\r\n", NST_HTTP1_BAD_STATUS);
    REFUSE_RESP("HTTP/1.1 200 O\x01K\r\n\r\n", NST_HTTP1_BAD_REASON);
    REFUSE_RESP("HTTP/1.1  200 OK\r\n\r\n", NST_HTTP1_BAD_STATUS);
    REFUSE_RESP("HTTP/1.1\r\n\r\n", NST_HTTP1_BAD_VERSION);
    REFUSE_RESP("HTTP/2 200\r\n\r\n", NST_HTTP1_BAD_VERSION);
    REFUSE_RESP("ICY 200 OK\r\n\r\n", NST_HTTP1_BAD_VERSION);
    refuse(NST_HTTP1_RESPONSE, "HTTP/2.0 200 OK\r\n\r\n", -EPROTONOSUPPORT, NST_HTTP1_VERSION_UNSUPPORTED, 505,
           __LINE__);
}

static void test_field_syntax(void)
{
    /* obs-text is allowed in values; OWS around them is not part of them. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t \xe2\x82\xac  b \t\r\n\r\n"), 1);
    CHECK(strstr(D.text, "X-A: [\\xe2\\x82\\xac  b]\n") != NULL);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n", NST_HTTP1_OBS_FOLD);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tfolded\r\n\r\n", NST_HTTP1_OBS_FOLD);
    /* RFC 9112 2.2: whitespace between the start line and the first field. */
    BAD_REQ("GET / HTTP/1.1\r\n Host: a\r\n\r\n", NST_HTTP1_OBS_FOLD);
    BAD_REQ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", NST_HTTP1_SPACE_BEFORE_COLON);
    BAD_REQ("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", NST_HTTP1_SPACE_BEFORE_COLON);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", NST_HTTP1_NO_COLON);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n", NST_HTTP1_BAD_NAME);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", NST_HTTP1_BAD_NAME);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n", NST_HTTP1_BAD_NAME);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n", NST_HTTP1_BAD_VALUE);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX-A: \x01\r\n\r\n", NST_HTTP1_BAD_VALUE);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX-A: \x0b\r\n\r\n", NST_HTTP1_BAD_VALUE);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", NST_HTTP1_BARE_CR);
    BAD_REQ("GET / HTTP/1.1\rHost: a\r\n\r\n", NST_HTTP1_BARE_CR);
    /* NUL, with its length given explicitly. */
    setup(NST_HTTP1_REQUEST);
    parse_n("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 37);
    CHECK_EQ(D.why, NST_HTTP1_BAD_VALUE);
    CHECK_EQ(nst_http1_status_of(D.err), 400);
    setup(NST_HTTP1_REQUEST);
    parse_n("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 29);
    CHECK_EQ(D.why, NST_HTTP1_BAD_TARGET);
}

static void test_line_endings(void)
{
    /* RFC 9112 2.2: LF alone is recognized (our choice), CR before it ignored. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET / HTTP/1.1\nHost: a\r\nX: y\n\n"), 1);
    CHECK_EQ(D.msgs[0].end, 30);
    CHECK(strstr(D.text, "X: [y]\n") != NULL);
    /* ... unless told otherwise. */
    setup(NST_HTTP1_REQUEST);
    D.lim.reject_bare_lf = 1;
    parse("GET / HTTP/1.1\r\nHost: a\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_BARE_LF);
    CHECK_EQ(nst_http1_status_of(D.err), 400);
    setup(NST_HTTP1_REQUEST);
    D.lim.reject_bare_lf = 1;
    parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\n0\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_BARE_LF);
    /* RFC 9112 2.2: a server ignores empty lines before the request line. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
    CHECK_EQ(D.msgs[0].head_len, 5 + 27);
}

static void test_host(void)
{
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET / HTTP/1.0\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->host, -1);
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 1); /* empty authority */
    CHECK_EQ(msg(0)->host, 0);
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nX: 1\r\nhOsT: [2001:db8::1]:80\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->host, 1);
    BAD_REQ("GET / HTTP/1.1\r\nX: 1\r\n\r\n", NST_HTTP1_NO_HOST);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", NST_HTTP1_MANY_HOST);
    BAD_REQ("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", NST_HTTP1_MANY_HOST);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", NST_HTTP1_BAD_HOST);
    BAD_REQ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", NST_HTTP1_BAD_HOST);
    BAD_REQ("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", NST_HTTP1_BAD_HOST);
}

static void test_content_length(void)
{
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_LENGTH);
    CHECK_EQ(msg(0)->content_length, 5);
    CHECK(strstr(D.text, "data hello\nend at 53, body 5 bytes\n") != NULL);
    /* RFC 9110 8.6: identical repeats are one value. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc"), 1);
    CHECK_EQ(msg(0)->content_length, 3);
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), 1);
    CHECK_EQ(D.msgs[0].end, D.msgs[0].head_len);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            NST_HTTP1_CONFLICTING_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", NST_HTTP1_CONFLICTING_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 03\r\n\r\nabc", NST_HTTP1_CONFLICTING_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", NST_HTTP1_BAD_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", NST_HTTP1_BAD_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", NST_HTTP1_BAD_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", NST_HTTP1_BAD_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", NST_HTTP1_BAD_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", NST_HTTP1_BAD_CONTENT_LENGTH);
    /* 2^63 - 1 is a number (too large a body: 413); 2^63 is not one. */
    REFUSE_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", -EMSGSIZE,
               NST_HTTP1_BODY_TOO_LARGE, 413);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
            NST_HTTP1_BAD_CONTENT_LENGTH);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            NST_HTTP1_BAD_CONTENT_LENGTH);
}

static void test_transfer_encoding(void)
{
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                   "5\r\nhello\r\n6;name=val;q=\"a \\\" b\" ; flag\r\n world\r\n0\r\n\r\n"),
             1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_CHUNKED);
    CHECK(strstr(D.text, "data hello world\n") != NULL);
    CHECK_EQ(D.msgs[0].body_len, 11);
    CHECK_EQ(D.msgs[0].end, strlen("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                                   "5\r\nhello\r\n6;name=val;q=\"a \\\" b\" ; flag\r\n world\r\n0\r\n\r\n"));
    /* Request smuggling: both framings, or a final coding that is not chunked. */
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            NST_HTTP1_CL_AND_TE);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            NST_HTTP1_CL_AND_TE);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", NST_HTTP1_TE_NOT_CHUNKED);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", NST_HTTP1_TE_NOT_CHUNKED);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            NST_HTTP1_TE_CHUNKED_TWICE);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", NST_HTTP1_TE_BAD);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked x\r\n\r\n", NST_HTTP1_TE_BAD);
    BAD_REQ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", NST_HTTP1_TE_HTTP10);
    /* A coding we do not decode before chunked: 501 (RFC 9112 6.1). */
    REFUSE_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -ENOTSUP,
               NST_HTTP1_TE_UNKNOWN, 501);
    REFUSE_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
               -ENOTSUP, NST_HTTP1_TE_UNKNOWN, 501);
}

static void test_chunked_trailers(void)
{
    const char *s = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "000A\r\n0123456789\r\n0\r\nExpires: never\r\nX-Sum:  42 \r\n\r\n";
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse(s), 1);
    CHECK_TEXT("request POST (3) / form 0 HTTP/1.1 body 2 cl 0 keep-alive 1 expect 0/0 upgrade 0/-1 host 0\n"
               "Host: [a]\nTransfer-Encoding: [chunked]\ndata 0123456789\ntrailer Expires: [never]\n"
               "trailer X-Sum: [42]\nend at 108, body 10 bytes\n");
    CHECK_EQ(msg(0)->nfields, 2);
    CHECK_EQ(msg(0)->ntrailers, 2);
    /* Trailers are not header fields. */
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n",
            NST_HTTP1_OBS_FOLD);
    BAD_REQ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : a\r\n\r\n",
            NST_HTTP1_SPACE_BEFORE_COLON);
}

static void test_chunk_sizes(void)
{
#define CHUNKED_HEAD "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse(CHUNKED_HEAD "00000000000000000000001\r\nx\r\n0 \r\n\r\n"), 1);
    CHECK_EQ(D.msgs[0].body_len, 1);
    BAD_REQ(CHUNKED_HEAD "x\r\n", NST_HTTP1_BAD_CHUNK_SIZE);
    BAD_REQ(CHUNKED_HEAD "\r\n", NST_HTTP1_BAD_CHUNK_SIZE);
    BAD_REQ(CHUNKED_HEAD "-5\r\n", NST_HTTP1_BAD_CHUNK_SIZE);
    BAD_REQ(CHUNKED_HEAD "0x5\r\n", NST_HTTP1_BAD_CHUNK_SIZE);
    BAD_REQ(CHUNKED_HEAD " 5\r\n", NST_HTTP1_BAD_CHUNK_SIZE);
    BAD_REQ(CHUNKED_HEAD "5 x\r\nhello\r\n", NST_HTTP1_BAD_CHUNK_EXT);
    BAD_REQ(CHUNKED_HEAD "5;\r\nhello\r\n", NST_HTTP1_BAD_CHUNK_EXT);
    BAD_REQ(CHUNKED_HEAD "5;a=\r\nhello\r\n", NST_HTTP1_BAD_CHUNK_EXT);
    BAD_REQ(CHUNKED_HEAD "5;a=\"open\r\nhello\r\n", NST_HTTP1_BAD_CHUNK_EXT);
    BAD_REQ(CHUNKED_HEAD "5;a=b c\r\nhello\r\n", NST_HTTP1_BAD_CHUNK_EXT);
    /* 17 hex digits overflow 64 bits; 16 do not (but are too large a body). */
    BAD_REQ(CHUNKED_HEAD "10000000000000000\r\n", NST_HTTP1_CHUNK_SIZE_OVERFLOW);
    BAD_REQ(CHUNKED_HEAD "fffffffffffffffff\r\n", NST_HTTP1_CHUNK_SIZE_OVERFLOW);
    REFUSE_REQ(CHUNKED_HEAD "ffffffffffffffff\r\n", -EMSGSIZE, NST_HTTP1_BODY_TOO_LARGE, 413);
    BAD_REQ(CHUNKED_HEAD "5\r\nhelloXY", NST_HTTP1_BAD_CHUNK_END);
    BAD_REQ(CHUNKED_HEAD "5\r\nhello\rX", NST_HTTP1_BAD_CHUNK_END);
    /* Data bytes are data, CR included. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse(CHUNKED_HEAD "5\r\nhel\rl\r\n0\r\n\r\n"), 1);
    CHECK(strstr(D.text, "data hel\\x0dl\n") != NULL);
    BAD_REQ(CHUNKED_HEAD "5\rX\nhello", NST_HTTP1_BARE_CR);
}

static void test_connection(void)
{
    setup(NST_HTTP1_REQUEST);
    parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n");
    CHECK_EQ(msg(0)->keep_alive, 0);
    setup(NST_HTTP1_REQUEST);
    parse("GET / HTTP/1.0\r\n\r\n");
    CHECK_EQ(msg(0)->keep_alive, 0);
    setup(NST_HTTP1_REQUEST);
    parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    CHECK_EQ(msg(0)->keep_alive, 1);
    setup(NST_HTTP1_REQUEST);
    parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: ,,close\r\n\r\n");
    CHECK_EQ(msg(0)->keep_alive, 0);
    /* Expect. */
    setup(NST_HTTP1_REQUEST);
    parse("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx");
    CHECK_EQ(msg(0)->expect_continue, 1);
    CHECK_EQ(msg(0)->expect_other, 0);
    setup(NST_HTTP1_REQUEST);
    parse("PUT / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx");
    CHECK_EQ(msg(0)->expect_continue, 0);
    CHECK_EQ(msg(0)->expect_other, 1);
    setup(NST_HTTP1_REQUEST);
    parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
    CHECK_EQ(msg(0)->expect_continue, 0); /* RFC 9110 10.1.1: ignored in HTTP/1.0 */
    /* Upgrade (RFC 9110 7.8). */
    setup(NST_HTTP1_REQUEST);
    parse("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    CHECK_EQ(msg(0)->upgrade, 1);
    CHECK_EQ(msg(0)->upgrade_field, 1);
    setup(NST_HTTP1_REQUEST);
    parse("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
    CHECK_EQ(msg(0)->upgrade, 0);
    setup(NST_HTTP1_REQUEST);
    parse("GET /chat HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
    CHECK_EQ(msg(0)->upgrade, 0);
    setup(NST_HTTP1_RESPONSE);
    parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x05hello");
    CHECK_EQ(msg(0)->upgrade, 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_NONE);
    CHECK_EQ(D.msgs[0].end, 77);
}

/* RFC 9112 6.3, item by item, for responses. */
static void test_response_body_length(void)
{
    /* 1: HEAD responses and 1xx, 204, 304 end with their head. */
    setup(NST_HTTP1_RESPONSE);
    D.req_method = NST_HTTP1_M_HEAD;
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_NONE);
    CHECK_EQ(D.msgs[0].end, 40);
    setup(NST_HTTP1_RESPONSE);
    CHECK_EQ(parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
                   "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
             4);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_NONE);
    CHECK_EQ(msg(1)->body, NST_HTTP1_BODY_NONE);
    CHECK_EQ(msg(2)->status, 100);
    CHECK_EQ(msg(2)->body, NST_HTTP1_BODY_NONE);
    CHECK_EQ(msg(3)->status, 200);
    CHECK_EQ(D.msgs[3].body_len, 2);
    /* 2: a 2xx to CONNECT is a tunnel; any other answer has a body. */
    setup(NST_HTTP1_RESPONSE);
    D.req_method = NST_HTTP1_M_CONNECT;
    CHECK_EQ(parse("HTTP/1.1 200 Connection established\r\nContent-Length: 7\r\n\r\n\x16\x03\x01"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_TUNNEL);
    CHECK_EQ(msg(0)->keep_alive, 0);
    CHECK_EQ(D.msgs[0].end, 58);
    setup(NST_HTTP1_RESPONSE);
    D.req_method = NST_HTTP1_M_CONNECT;
    CHECK_EQ(parse("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\nno"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_LENGTH);
    /* 3: Transfer-Encoding wins over Content-Length; the connection is not reused. */
    setup(NST_HTTP1_RESPONSE);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
             1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_CHUNKED);
    CHECK_EQ(msg(0)->keep_alive, 0);
    CHECK_EQ(D.msgs[0].body_len, 2);
    /* 4: a final coding other than chunked, or TE in HTTP/1.0: until close. */
    setup(NST_HTTP1_RESPONSE);
    D.eof = 1;
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_CLOSE);
    CHECK_EQ(D.msgs[0].body_len, 2);
    CHECK_EQ(D.eof_rc, 0);
    setup(NST_HTTP1_RESPONSE);
    D.eof = 1;
    CHECK_EQ(parse("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_CLOSE);
    CHECK_EQ(D.msgs[0].body_len, 5);
    /* 5: an invalid Content-Length is an error for a client too. */
    REFUSE_RESP("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx", NST_HTTP1_CONFLICTING_CONTENT_LENGTH);
    REFUSE_RESP("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", NST_HTTP1_BAD_CONTENT_LENGTH);
    /* 8: neither: until close, whatever the version. */
    setup(NST_HTTP1_RESPONSE);
    D.eof = 1;
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\n\r\nall of it\r\n\r\nHTTP/1.1 200 OK\r\n"), 1);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_CLOSE);
    CHECK_EQ(msg(0)->keep_alive, 0);
    CHECK_EQ(D.msgs[0].body_len, 30);
    /* A body shorter than its Content-Length or an unfinished chunked body. */
    setup(NST_HTTP1_RESPONSE);
    D.eof = 1;
    parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    CHECK_EQ(D.eof_rc, -EBADMSG);
    CHECK_EQ(D.why, 0);
    CHECK(strstr(D.text, "eof -74\n") != NULL);
    setup(NST_HTTP1_RESPONSE);
    D.eof = 1;
    parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    CHECK_EQ(D.eof_rc, -EBADMSG);
}

static void test_request_body_length(void)
{
    /* 7: a request with neither has no body; what follows is the next request. */
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 2);
    CHECK_EQ(msg(0)->body, NST_HTTP1_BODY_NONE);
    CHECK_EQ(D.msgs[1].start, 28);
}

static void test_pipelining(void)
{
    const char *s = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                    "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
                    "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n"
                    "HEAD /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    setup(NST_HTTP1_REQUEST);
    D.eof = 1;
    CHECK_EQ(parse(s), 4);
    CHECK_EQ(D.msgs[0].end, 28);
    CHECK_EQ(D.msgs[1].start, 28);
    CHECK_EQ(D.msgs[1].end, 28 + 52);
    CHECK_EQ(D.msgs[2].start, 80);
    CHECK_EQ(D.msgs[2].end, 80 + 76);
    CHECK_EQ(D.msgs[3].end, strlen(s));
    CHECK_EQ(msg(2)->ntrailers, 1);
    CHECK_EQ(msg(3)->method_id, NST_HTTP1_M_HEAD);
    CHECK_EQ(msg(3)->keep_alive, 0);
    CHECK_EQ(D.eof_rc, -ENODATA); /* closed between messages */
    /* Closed inside a head. */
    setup(NST_HTTP1_REQUEST);
    D.eof = 1;
    parse("GET / HTTP/1.1\r\nHost: a\r\n");
    CHECK_EQ(D.eof_rc, -EBADMSG);
}

static void test_limits(void)
{
    static char big[20000];
    struct nst_http1_limits lim = NST_HTTP1_LIMITS_DEFAULT;
    CHECK_EQ(lim.max_start_line, 8192);
    /* A request line of exactly the limit passes; one byte more is 414,
     * known before its end arrives. */
    memset(big, 0, sizeof big);
    strcpy(big, "GET /");
    memset(big + 5, 'a', 8192 - 5 - 9);
    strcat(big, " HTTP/1.1\r\nHost: a\r\n\r\n");
    setup(NST_HTTP1_REQUEST);
    CHECK_EQ(http1_drive_run(&D, (const uint8_t *)big, strlen(big), NULL, 0), 1);
    memmove(big + 6, big + 5, strlen(big + 5) + 1);
    big[5] = 'b';
    setup(NST_HTTP1_REQUEST);
    http1_drive_run(&D, (const uint8_t *)big, strlen(big), NULL, 0);
    CHECK_EQ(D.why, NST_HTTP1_START_LINE_TOO_LONG);
    CHECK_EQ(nst_http1_status_of(D.err), 414);
    setup(NST_HTTP1_REQUEST);
    http1_drive_run(&D, (const uint8_t *)big, 8194, NULL, 0); /* no line end yet */
    CHECK_EQ(nst_http1_status_of(D.err), 414);
    /* Small limits, to run every split. */
    setup(NST_HTTP1_REQUEST);
    D.lim.max_start_line = 16;
    parse("GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_EQ(nst_http1_status_of(D.err), 414);
    setup(NST_HTTP1_RESPONSE);
    D.lim.max_start_line = 16;
    parse("HTTP/1.1 200 Very Long Reason\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_START_LINE_TOO_LONG);
    CHECK_EQ(nst_http1_status_of(D.err), 400);
    /* The field section: 431. */
    setup(NST_HTTP1_REQUEST);
    D.lim.max_field_section = 23; /* the empty line ending it included */
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nX: 0123456\r\n\r\n"), 1);
    setup(NST_HTTP1_REQUEST);
    D.lim.max_field_section = 23;
    parse("GET / HTTP/1.1\r\nHost: a\r\nX: 01234567\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_FIELDS_TOO_LARGE);
    CHECK_EQ(nst_http1_status_of(D.err), 431);
    setup(NST_HTTP1_REQUEST);
    D.lim.max_field_section = 20;
    parse("GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890");
    CHECK_EQ(nst_http1_status_of(D.err), 431);
    /* The number of fields: 431. */
    setup(NST_HTTP1_REQUEST);
    D.max_fields = 2;
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n"), 1);
    setup(NST_HTTP1_REQUEST);
    D.max_fields = 2;
    parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_TOO_MANY_FIELDS);
    CHECK_EQ(nst_http1_status_of(D.err), 431);
    /* Trailers count against the same array and the same section limit. */
    setup(NST_HTTP1_REQUEST);
    D.max_fields = 3;
    parse(CHUNKED_HEAD "0\r\nA: 1\r\nB: 2\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_TOO_MANY_FIELDS);
    setup(NST_HTTP1_REQUEST);
    D.lim.max_field_section = 60;
    parse(CHUNKED_HEAD "0\r\nA: 0123456789012345678901234567890123456789012345678901234567890\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_FIELDS_TOO_LARGE);
    CHECK_EQ(nst_http1_status_of(D.err), 431);
    /* The body: 413, by Content-Length at once, by chunks as announced,
     * until close as it arrives. */
    setup(NST_HTTP1_REQUEST);
    D.lim.max_body = 4;
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"), 1);
    setup(NST_HTTP1_REQUEST);
    D.lim.max_body = 4;
    parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_BODY_TOO_LARGE);
    CHECK_EQ(nst_http1_status_of(D.err), 413);
    setup(NST_HTTP1_REQUEST);
    D.lim.max_body = 4;
    parse(CHUNKED_HEAD "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_BODY_TOO_LARGE);
    CHECK(strstr(D.text, "data ab\n") != NULL);
    setup(NST_HTTP1_RESPONSE);
    D.lim.max_body = 4;
    D.eof = 1;
    parse("HTTP/1.1 200 OK\r\n\r\nabcde");
    CHECK_EQ(D.why, NST_HTTP1_BODY_TOO_LARGE);
    CHECK_EQ(D.err, -EMSGSIZE);
    /* A chunk line: 400. */
    setup(NST_HTTP1_REQUEST);
    D.lim.max_chunk_line = 8;
    CHECK_EQ(parse(CHUNKED_HEAD "1;ab=cde\r\nx\r\n0\r\n\r\n"), 1);
    setup(NST_HTTP1_REQUEST);
    D.lim.max_chunk_line = 8;
    parse(CHUNKED_HEAD "1;ab=cdef\r\nx\r\n0\r\n\r\n");
    CHECK_EQ(D.why, NST_HTTP1_CHUNK_LINE_TOO_LONG);
    CHECK_EQ(nst_http1_status_of(D.err), 400);
}

static void test_field_access(void)
{
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\nACCEPT: */*\r\nVary: , a ,, B\r\n\r\n";
    struct nst_http1_field f[8];
    struct nst_http1_parser p;
    nst_http1_parser_init(&p, NST_HTTP1_REQUEST, NST_HTTP1_M_OTHER, NULL, f, 8);
    const uint8_t *b = (const uint8_t *)s;
    CHECK_EQ(nst_http1_parse_head(&p, b, 10), -EAGAIN);
    CHECK_EQ(nst_http1_parse_head(&p, b, strlen(s)), (int)strlen(s));
    CHECK_EQ(p.state, NST_HTTP1_DONE);
    CHECK_EQ(nst_http1_find(&p, b, "accept", 0), 1);
    CHECK_EQ(nst_http1_find(&p, b, "accept", 2), 2);
    CHECK_EQ(nst_http1_find(&p, b, "accept", 3), -1);
    CHECK_EQ(nst_http1_find(&p, b, "accep", 0), -1);
    CHECK_EQ(f[2].value.len, 3);
    CHECK_MEM(b + f[2].value.off, "*/*", 3);
    CHECK_EQ(nst_http1_list_has(b + f[3].value.off, f[3].value.len, "b"), 1);
    CHECK_EQ(nst_http1_list_has(b + f[3].value.off, f[3].value.len, "a"), 1);
    CHECK_EQ(nst_http1_list_has(b + f[3].value.off, f[3].value.len, ""), 0);
    CHECK_EQ(nst_http1_list_has(b + f[3].value.off, f[3].value.len, "c"), 0);
    /* Calls after the end or after an error. */
    const uint8_t *data;
    size_t n;
    CHECK_EQ(nst_http1_parse_body(&p, b, 0, &data, &n), 0);
    CHECK_EQ(nst_http1_parse_head(&p, b, strlen(s)), -EINVAL);
    nst_http1_parser_next(&p, NST_HTTP1_M_OTHER);
    CHECK_EQ(nst_http1_parse_body(&p, b, 0, &data, &n), -EINVAL);
    CHECK_EQ(nst_http1_parse_head(&p, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18), -EBADMSG);
    CHECK_EQ(nst_http1_parse_head(&p, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18), -EBADMSG);
    CHECK_EQ(p.why, NST_HTTP1_NO_HOST);
    CHECK(strcmp(nst_http1_why_str(NST_HTTP1_NO_HOST), "no Host") == 0);
    CHECK_EQ(nst_http1_status_of(-EAGAIN), 0);
}

int main(void)
{
    RUN(test_request_exact);
    RUN(test_request_targets);
    RUN(test_status_line);
    RUN(test_field_syntax);
    RUN(test_line_endings);
    RUN(test_host);
    RUN(test_content_length);
    RUN(test_transfer_encoding);
    RUN(test_chunked_trailers);
    RUN(test_chunk_sizes);
    RUN(test_connection);
    RUN(test_response_body_length);
    RUN(test_request_body_length);
    RUN(test_pipelining);
    RUN(test_limits);
    RUN(test_field_access);
    return nst_test_done();
}
