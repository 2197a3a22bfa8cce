/* libFuzzer target for the HTTP/1.1 parser (src/app/http1_*.c).
 *
 * The first byte chooses the settings: request or response, the method of
 * the request a response answers (GET, HEAD, CONNECT), small or default
 * limits, LF alone accepted or not, EOF after the last byte. The rest is
 * the connection's bytes. They are parsed in one piece and then in pieces
 * cut where a generator seeded from the input says, and 1 byte at a time:
 * the outcome (every message's fields, body and trailers, where each ends,
 * the error and its status) must be the same text each time, or the
 * target aborts. A result must also be one of the statuses a server can
 * send. Any other crash, leak or sanitizer report is libFuzzer's to show.
 *
 * Build and run: scripts/run-fuzzers.sh [seconds] fuzz_http1. */
#include "app/http1_parse.h"

/* The fuzzers are built with src/ alone on the include path. */
#include "../support/http1_drive.c"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)   \
    do {                \
        if (!(cond))    \
            abort();    \
    } while (0)

static struct http1_drive whole, cut;

static void configure(struct http1_drive *d, uint8_t cfg)
{
    static const enum nst_http1_method methods[] = {NST_HTTP1_M_GET, NST_HTTP1_M_HEAD, NST_HTTP1_M_CONNECT,
                                                    NST_HTTP1_M_GET};
    http1_drive_init(d, (cfg & 1) ? NST_HTTP1_RESPONSE : NST_HTTP1_REQUEST);
    d->req_method = methods[(cfg >> 1) & 3];
    if (cfg & 8) {
        d->lim = (struct nst_http1_limits){64, 128, 256, 32, 0};
        d->max_fields = 4;
    }
    d->lim.reject_bare_lf = (cfg >> 4) & 1;
    d->eof = (cfg >> 5) & 1;
}

static void compare(const char *what)
{
    if (strcmp(whole.text, cut.text) != 0) {
        fprintf(stderr, "%s differs:\n%s--- vs one piece:\n%s", what, cut.text, whole.text);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The text of a longer input might not fit the drive's record. */
    if (size < 1 || size > 8192)
        return 0;
    uint8_t cfg = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    configure(&whole, cfg);
    http1_drive_run(&whole, in, len, NULL, 0);
    int status = nst_http1_status_of(whole.err);
    REQUIRE(whole.err == 0 || status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
            status == 505);
    REQUIRE((whole.err == 0) == (whole.why == 0));

    /* Random cuts, from a generator seeded by the bytes themselves. */
    size_t cuts[64], ncuts = 0;
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < len; i++)
        x = (x ^ in[i]) * 16777619u;
    for (size_t at = 0; len && ncuts < 64;) {
        x = x * 1103515245u + 12345u;
        at += 1 + (x >> 16) % (len / 8 + 2);
        if (at >= len)
            break;
        cuts[ncuts++] = at;
    }
    configure(&cut, cfg);
    http1_drive_run(&cut, in, len, cuts, ncuts);
    compare("random pieces");
    if (len <= 2048) {
        configure(&cut, cfg);
        http1_drive_bytewise(&cut, in, len);
        compare("1-byte pieces");
    }
    return 0;
}
