/* The WebSocket opening handshake (RFC 6455 4): the client's Upgrade
 * request and the server's 101, on top of the HTTP/1.1 parser and writer.
 * Pure: no I/O; the caller supplies the key's random bytes. */
#ifndef NST_APP_WS_HANDSHAKE_H
#define NST_APP_WS_HANDSHAKE_H

#include "app/http1_parse.h"

#include <stddef.h>
#include <stdint.h>

#define NST_WS_KEY_LEN 24    /* base64 of 16 bytes */
#define NST_WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */
#define NST_WS_TEXT_MAX 256  /* protocol, extensions, path kept from a handshake */

/* RFC 6455 4.2.2 item 5.4: base64(SHA-1(key ++ GUID)) into out (29 bytes
 * with the NUL). */
void nst_ws_accept_for(const char *key, size_t key_len, char out[NST_WS_ACCEPT_LEN + 1]);
/* base64 of 16 random bytes (RFC 6455 4.1 item 7), NUL-terminated. */
void nst_ws_key_from(const uint8_t nonce[16], char out[NST_WS_KEY_LEN + 1]);

/* What the server learnt from a request. */
struct nst_ws_request {
    int status;                         /* 101 to accept, or 400 / 426 */
    const char *why;                    /* for a refusal: the rule broken */
    char accept[NST_WS_ACCEPT_LEN + 1];
    char protocol[NST_WS_TEXT_MAX];     /* chosen subprotocol, "" if none */
    char extensions[NST_WS_TEXT_MAX];   /* offered extensions, joined by ", " (truncated) */
    char path[NST_WS_TEXT_MAX];         /* request-target (truncated) */
};

/* RFC 6455 4.2.1: checks a parsed request head (buf: its bytes) and picks
 * a subprotocol from `protocols` (best first). Sets r->status. */
void nst_ws_check_request(const struct nst_http1_parser *p, const uint8_t *buf, const char *const *protocols,
                          size_t nprotocols, struct nst_ws_request *r);
/* The response to r: 101 with Upgrade, Connection, Accept (and Protocol),
 * or 400 / 426 (with Sec-WebSocket-Version: 13) closing the connection.
 * Length written or -ENOSPC. */
int nst_ws_write_response(uint8_t *out, size_t cap, const struct nst_ws_request *r);

/* The client's request. Length or -ENOSPC / -EINVAL. */
int nst_ws_write_request(uint8_t *out, size_t cap, const char *host, const char *path, const char *key,
                         const char *const *protocols, size_t nprotocols, const char *extensions);
/* RFC 6455 4.1 (the client's checks of the server's response): 0 if the
 * parsed head is a valid 101 for `key` (protocol[] gets the subprotocol,
 * which must be one offered), or -EPROTO with *why set. */
int nst_ws_check_response(const struct nst_http1_parser *p, const uint8_t *buf, const char *key,
                          const char *const *protocols, size_t nprotocols, char protocol[NST_WS_TEXT_MAX],
                          const char **why);

#endif
