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
 * Answers 101, 400 or 426 on s. NULL on ENOMEM or a head too large (s is
 * still the caller's), or if a handler freed the connection during the call. */
struct nst_ws *nst_ws_accept_request(struct nst_stream *s, const struct nst_http1_parser *req, const uint8_t *head,
                                     size_t head_len, const uint8_t *after, size_t after_len,
                                     const struct nst_ws_config *cfg, const struct nst_ws_handler *h, void *arg);

/* 1 if a parsed request asks for a WebSocket (Upgrade: websocket with
 * Connection: Upgrade): the HTTP server's cue to call the above. */
int nst_ws_is_upgrade(const struct nst_http1_parser *req, const uint8_t *head);

#endif
