/* WebSocket in nstack serve (RFC 6455 and RFC 8441, include/nstack/ws.h),
 * always inside the library's HTTP server (nst_ws_upgrade), so a
 * WebSocket and a page can share a port:
 *   --http / --tls PORT: ws://HOST:PORT/ws echoes, ws://HOST:PORT/chat is a
 *       broadcast room, beside the pages (over HTTP/2 too with --http2 or
 *       ALPN h2: an extended CONNECT, RFC 8441);
 *   --ws PORT: an HTTP server of its own whose every path is a WebSocket:
 *       /chat the room, any other path echo.
 * A request to a WebSocket path that is not a valid handshake gets 400, or
 * 426 naming version 13, from the HTTP server. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/stream.h>
#include <nstack/ws.h>

#include "tools/serve.h"

#define WS_MAX_CONNS 1024

struct ws_conn {
    struct serve_ws *w;
    struct nst_ws *ws;
    int chat;
    int slot;
};

struct serve_ws {
    struct nst_ws_config cfg;
    struct nst_ws_stats stats;      /* every connection's counters, added up */
    struct ws_conn *conns[WS_MAX_CONNS];
    uint64_t accepted, refused;
    uint64_t over_h2;               /* accepted as HTTP/2 extended CONNECTs (RFC 8441) */
    struct nst_http_server *http;   /* --ws's own server */
};

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    struct ws_conn *c = arg;
    if (!c->chat) {
        nst_ws_send(ws, opcode, data, len);
        return;
    }
    for (int i = 0; i < WS_MAX_CONNS; i++) {
        struct ws_conn *o = c->w->conns[i];
        if (o && o->chat && o->ws && nst_ws_is_open(o->ws))
            nst_ws_send(o->ws, opcode, data, len); /* a member too slow to take it misses it (-ENOBUFS) */
    }
}

static void on_close(void *arg, struct nst_ws *ws, int code)
{
    (void)code;
    struct ws_conn *c = arg;
    c->w->conns[c->slot] = NULL;
    free(c);
    nst_ws_free(ws);
}

static const struct nst_ws_handler handler = {NULL, on_message, on_close};

static struct serve_ws *state(struct server *sv)
{
    if (!sv->ws) {
        sv->ws = calloc(1, sizeof(*sv->ws));
        if (sv->ws) {
            nst_ws_config_default(&sv->ws->cfg);
            sv->ws->cfg.shared = &sv->ws->stats;
        }
    }
    return sv->ws;
}

static int free_slot(struct serve_ws *w)
{
    for (int i = 0; i < WS_MAX_CONNS; i++)
        if (!w->conns[i])
            return i;
    return -1;
}

void serve_ws_handler(void *arg, struct nst_http_exchange *x)
{
    struct server *sv = arg;
    struct serve_ws *w = state(sv);
    int slot = w ? free_slot(w) : -1;
    struct ws_conn *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        if (w)
            w->refused++;
        nst_http_reply(x, 503, "text/plain", "too many WebSockets\n", 20);
        return;
    }
    const char *path = nst_http_exchange_request(x)->target;
    *c = (struct ws_conn){w, NULL, strcmp(path, "/chat") == 0, slot};
    w->conns[slot] = c; /* before the upgrade: on_close may come during it */
    struct nst_ws *ws = nst_ws_upgrade(x, &w->cfg, &handler, c);
    if (!ws) {
        if (w->conns[slot]) { /* refused (answered 400 / 426); else on_close freed it */
            w->conns[slot] = NULL;
            free(c);
        }
        return;
    }
    c->ws = ws;
    w->accepted++;
    w->over_h2 += nst_http_exchange_request(x)->http2 != 0;
}

int serve_ws_start(struct server *sv)
{
    struct serve_ws *w = state(sv);
    if (!w)
        return -ENOMEM;
    if (w->http)
        return 0;
    w->http = nst_http_server_new(sv->h.st, -1, NULL, NULL);
    if (!w->http || nst_http_server_route(w->http, NULL, "/", serve_ws_handler, sv) < 0)
        return -ENOMEM;
    return 0;
}

void serve_ws_conn(struct server *sv, int fd, struct serve_conn *c, int events)
{
    (void)c;
    (void)events;
    struct nst_stream *s = nst_stream_tcp(sv->h.st, fd);
    serve_conn_release(sv, fd); /* the library server owns it now */
    if (s)
        nst_http_server_adopt(sv->ws->http, s);
    else
        nst_close(sv->h.st, fd);
}

void serve_ws_report(struct server *sv)
{
    struct serve_ws *w = sv->ws;
    if (!w)
        return;
    const struct nst_ws_stats *s = &w->stats;
    printf("ws: %llu handshakes (%llu refused 400, %llu refused 426), %llu messages in, %llu out, "
           "%llu bytes in, %llu out, pings %llu/%llu, pongs %llu/%llu (in/out)\n",
           (unsigned long long)s->handshakes_ok, (unsigned long long)s->handshake_bad_request,
           (unsigned long long)s->handshake_bad_version, (unsigned long long)s->msgs_in,
           (unsigned long long)s->msgs_out, (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
           (unsigned long long)s->pings_in, (unsigned long long)s->pings_out, (unsigned long long)s->pongs_in,
           (unsigned long long)s->pongs_out);
    printf("ws: protocol errors: %llu (1002), %llu (1007 UTF-8), %llu (1009 too big); stream errors %llu\n",
           (unsigned long long)s->err_protocol, (unsigned long long)s->err_utf8, (unsigned long long)s->err_too_big,
           (unsigned long long)s->stream_errors);
    if (w->over_h2)
        printf("ws: %llu over HTTP/2 (RFC 8441 extended CONNECT)\n", (unsigned long long)w->over_h2);
}

void serve_ws_free(struct server *sv)
{
    struct serve_ws *w = sv->ws;
    if (!w)
        return;
    for (int i = 0; i < WS_MAX_CONNS; i++)
        if (w->conns[i]) {
            nst_ws_free(w->conns[i]->ws);
            free(w->conns[i]);
        }
    nst_http_server_free(w->http);
    free(w);
    sv->ws = NULL;
}
