/* nstack serve --ws PORT: WebSocket (RFC 6455, include/nstack/ws.h).
 *   ws://HOST:PORT/chat  a broadcast room: each message goes to every
 *                        member (the sender too)
 *   any other path       echo: each message comes back as it was sent
 * Connections are nst_ws over plain TCP streams; the streams drive
 * themselves from their sockets' callbacks, so only the listener goes
 * through the server's table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
};

static void on_open(void *arg, struct nst_ws *ws)
{
    struct ws_conn *c = arg;
    c->chat = strcmp(nst_ws_path(ws), "/chat") == 0;
}

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    struct ws_conn *c = arg;
    if (!c->chat) {
        nst_ws_send(ws, opcode, data, len);
        return;
    }
    for (int i = 0; i < WS_MAX_CONNS; i++) {
        struct ws_conn *o = c->w->conns[i];
        if (o && o->chat && nst_ws_is_open(o->ws))
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

static const struct nst_ws_handler handler = {on_open, on_message, on_close};

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

void serve_ws_accept(struct server *sv, int fd, int events)
{
    struct serve_ws *w = state(sv);
    if (!(events & NST_EV_IN))
        return;
    int nfd;
    while ((nfd = nst_accept(sv->h.st, fd, NULL)) >= 0) {
        int slot = w ? free_slot(w) : -1;
        struct ws_conn *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
        struct nst_stream *s = c ? nst_stream_tcp(sv->h.st, nfd) : NULL;
        if (!s) {
            free(c);
            nst_close(sv->h.st, nfd);
            if (w)
                w->refused++;
            continue;
        }
        *c = (struct ws_conn){w, NULL, 0, slot};
        w->conns[slot] = c;
        w->accepted++;
        serve_stats_of(sv, fd)->conns++;
        c->ws = nst_ws_server(s, &w->cfg, &handler, c);
        if (!c->ws) {
            w->conns[slot] = NULL;
            free(c);
            nst_stream_close(s);
        }
    }
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
    free(w);
    sv->ws = NULL;
}
