/* The seam between an HTTP/1.1 server and WebSocket: a server that parsed
 * a request head itself and sees an Upgrade to websocket hands the stream
 * over here, with the head and whatever bytes followed it (the client may
 * send frames right behind its request). */
#ifndef NST_APP_WS_UPGRADE_H
#define NST_APP_WS_UPGRADE_H

#include <nstack/ws.h>

#include "app/http1_parse.h"

/* Like nst_ws_server, but the request head (head[0..head_len), parsed by
 * req) is already read; after[0..after_len) are the bytes read beyond it.
 * Answers 101, 400 or 426 on s, which the connection owns from then on.
 * 0 (*out the connection, or NULL if a handler freed it during the call),
 * or -ENOMEM / -E2BIG (head and bytes after it too large): s is still the
 * caller's. */
int nst_ws_accept_request(struct nst_stream *s, const struct nst_http1_parser *req, const uint8_t *head,
                          size_t head_len, const uint8_t *after, size_t after_len, const struct nst_ws_config *cfg,
                          const struct nst_ws_handler *h, void *arg, struct nst_ws **out);

/* RFC 8441: a WebSocket over a tunnel stream (stream_tunnel.h) that an
 * HTTP/2 extended CONNECT opened. There is no HTTP/1.1 handshake in the
 * stream: the server has answered 200 already (framing starts at once;
 * NULL on ENOMEM, s still the caller's, or with *freed set if a handler
 * freed it during the call); the client waits for the carrier to report
 * the answer (ws_tunnel_answered: a 2xx opens, anything else fails the
 * connection as a bad response). */
struct nst_ws *ws_tunnel_server(struct nst_stream *s, const char *path, const char *protocol,
                                const char *extensions, const struct nst_ws_config *cfg,
                                const struct nst_ws_handler *h, void *arg, int *freed);
struct nst_ws *ws_tunnel_client(struct nst_stream *s, const char *path, const struct nst_ws_config *cfg,
                                const struct nst_ws_handler *h, void *arg);
void ws_tunnel_answered(struct nst_ws *ws, int status, const char *protocol, int has_extensions);

/* 1 if a parsed request asks for a WebSocket (Upgrade: websocket with
 * Connection: Upgrade): the HTTP server's cue to call the above. */
int nst_ws_is_upgrade(const struct nst_http1_parser *req, const uint8_t *head);

#endif
