/* WebSocket inside the HTTP server (ws.h: nst_ws_upgrade): a handler hands
 * its exchange over and the request becomes a WebSocket, on the same port
 * as the pages.
 *   HTTP/1.1 (RFC 6455 4.2): the server's parser has read the Upgrade
 *     request; it is checked, a refusal is an ordinary HTTP answer (400,
 *     or 426 naming version 13) on a connection that serves on, and an
 *     acceptance takes the connection's stream, with the bytes read past
 *     the head, and answers 101 on it.
 *   HTTP/2 (RFC 8441): an extended CONNECT with :protocol websocket is
 *     answered 200 and its stream's DATA frames carry the frames from then
 *     on (a tunnel stream); the connection's other streams go on. */
#include <nstack/ws.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/h2_impl.h"
#include "app/http_server_impl.h"
#include "app/ws_handshake.h"
#include "app/ws_upgrade.h"

/* 1 if the comma-separated list v[0..len) has `token` (case-insensitive). */
static int list_has(const char *v, size_t len, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i < len;) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t j = i;
        while (j < len && v[j] != ',')
            j++;
        size_t e = j;
        while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - i == tl && !strncasecmp(v + i, token, tl))
            return 1;
        i = j;
    }
    return 0;
}

/* 1 if any field `name` of r lists token. */
static int fields_have(const struct nst_http_request *r, const char *name, const char *token)
{
    for (size_t i = 0; i < r->nfields; i++) {
        const struct nst_http_field *f = &r->fields[i];
        if (f->name_len == strlen(name) && !strncasecmp(f->name, name, f->name_len) &&
            list_has(f->value, f->value_len, token))
            return 1;
    }
    return 0;
}

int nst_ws_request_is_upgrade(const struct nst_http_request *r)
{
    if (r->http2) /* RFC 8441 4 */
        return r->protocol && !strcasecmp(r->protocol, "websocket") && !strcmp(r->method, "CONNECT");
    return fields_have(r, "upgrade", "websocket") && fields_have(r, "connection", "upgrade");
}

/* A refused handshake is an HTTP answer like any other. RFC 6455 4.2.2:
 * 400 for a request that is not a valid opening handshake; 4.4: 426 with
 * the version we speak (RFC 9110 15.5.22: and Upgrade). */
static struct nst_ws *refuse(struct nst_http_exchange *x, int status, const char *why,
                             const struct nst_ws_config *cfg)
{
    if (cfg && cfg->shared) {
        if (status == 426)
            cfg->shared->handshake_bad_version++;
        else
            cfg->shared->handshake_bad_request++;
    }
    char body[160];
    int n = snprintf(body, sizeof body, "WebSocket handshake refused: %s\n", why);
    struct nst_http_field f[4] = {{"Content-Type", 12, "text/plain", 10}};
    size_t nf = 1;
    if (status == 426) {
        f[nf++] = (struct nst_http_field){"Sec-WebSocket-Version", 21, "13", 2};
        f[nf++] = (struct nst_http_field){"Upgrade", 7, "websocket", 9};
        f[nf++] = (struct nst_http_field){"Connection", 10, "Upgrade", 7};
    }
    if (nst_http_respond(x, status, f, nf, n) == 0 && nst_http_write(x, body, (size_t)n) == n)
        nst_http_end(x);
    return NULL;
}

static struct nst_ws *upgrade_http1(struct nst_http_exchange *x, const struct nst_ws_config *cfg,
                                    const struct nst_ws_handler *h, void *arg)
{
    const struct nst_http1_parser *p;
    const uint8_t *head, *after;
    size_t head_len, after_len;
    http1_exchange_head(x, &p, &head, &head_len, &after, &after_len);
    struct nst_ws_request r;
    nst_ws_check_request(p, head, cfg ? cfg->protocols : NULL, cfg ? cfg->nprotocols : 0, &r);
    if (r.status != 101)
        return refuse(x, r.status, r.why, cfg);
    struct nst_ws *ws;
    if (nst_ws_accept_request(http1_exchange_stream(x), p, head, head_len, after, after_len, cfg, h, arg, &ws)) {
        nst_http_reply(x, 503, "text/plain", "no room for a WebSocket\n", 24);
        return NULL;
    }
    http1_exchange_handover(x, 101);
    return ws;
}

/* The first subprotocol of ours (best first) that the client offers. */
static const char *pick_protocol(const struct nst_http_request *q, const struct nst_ws_config *cfg)
{
    for (size_t k = 0; cfg && k < cfg->nprotocols; k++)
        if (fields_have(q, "sec-websocket-protocol", cfg->protocols[k]))
            return cfg->protocols[k];
    return NULL;
}

static struct nst_ws *upgrade_http2(struct nst_http_exchange *x, const struct nst_ws_config *cfg,
                                    const struct nst_ws_handler *h, void *arg)
{
    const struct nst_http_request *q = &x->req;
    /* RFC 8441 4, 5: CONNECT with :protocol websocket; no Sec-WebSocket-Key
     * or Accept (the stream is the handshake), the version still 13. */
    if (!nst_ws_request_is_upgrade(q))
        return refuse(x, 400, "not an extended CONNECT with :protocol websocket", cfg);
    int v = nst_http_field_find(q->fields, q->nfields, "sec-websocket-version");
    if (v < 0 || q->fields[v].value_len != 2 || memcmp(q->fields[v].value, "13", 2))
        return refuse(x, 426, "sec-websocket-version is not 13", cfg);
    const char *proto = pick_protocol(q, cfg);
    char exts[NST_WS_TEXT_MAX] = "";
    int e = nst_http_field_find(q->fields, q->nfields, "sec-websocket-extensions");
    if (e >= 0)
        snprintf(exts, sizeof exts, "%.*s", (int)q->fields[e].value_len, q->fields[e].value);
    char path[NST_WS_TEXT_MAX];
    snprintf(path, sizeof path, "%s", q->target);
    struct nst_http_field f = {"sec-websocket-protocol", 22, proto, proto ? strlen(proto) : 0};
    if (nst_http_respond(x, 200, &f, proto ? 1 : 0, -1))
        return NULL;
    struct nst_http_server *sv = nst_http_exchange_server(x);
    struct nst_stream *s = h2_exchange_tunnel(x);
    int freed = 0;
    struct nst_ws *ws = s ? ws_tunnel_server(s, path, proto, exts, cfg, h, arg, &freed) : NULL;
    if (!ws && !freed) {
        if (s)
            nst_stream_close(s); /* resets the stream */
        else
            nst_http_end(x);
        return NULL;
    }
    sv->stats.upgrades++;
    return ws;
}

struct nst_ws *nst_ws_upgrade(struct nst_http_exchange *x, const struct nst_ws_config *cfg,
                              const struct nst_ws_handler *h, void *arg)
{
    if (x->responded || x->ended)
        return NULL;
    return x->h2 ? upgrade_http2(x, cfg, h, arg) : upgrade_http1(x, cfg, h, arg);
}
