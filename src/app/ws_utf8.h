/* Incremental UTF-8 validation (RFC 3629 4 syntax) for WebSocket text
 * messages, which may be cut anywhere across frames and reads (RFC 6455
 * 5.6, 8.1). Pure. */
#ifndef NST_APP_WS_UTF8_H
#define NST_APP_WS_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct nst_utf8 {
    uint8_t need; /* continuation bytes still expected */
    uint8_t lo, hi; /* the range the next continuation byte must be in */
};

static inline void nst_utf8_init(struct nst_utf8 *u) { *u = (struct nst_utf8){0, 0x80, 0xbf}; }
/* Feeds bytes; 0 while valid so far, -1 at the first invalid byte (the
 * state is then meaningless). */
int nst_utf8_feed(struct nst_utf8 *u, const uint8_t *p, size_t len);
/* 1 if the bytes fed so far end on a character boundary. */
static inline int nst_utf8_complete(const struct nst_utf8 *u) { return u->need == 0; }
/* The whole of p is valid UTF-8. */
int nst_utf8_valid(const uint8_t *p, size_t len);

#endif
