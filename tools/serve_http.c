/* nstack serve --http [--http2]: the library's HTTP server (include/nstack/http.h)
 * behind the serve framework. The framework accepts each connection as for
 * any TCP service; the first time it is ready, this file hands it, as a
 * stream, to the library server (nst_http_server_adopt) and the framework
 * forgets it. From then on the library does everything: keep-alive,
 * pipelining, 100-continue, HEAD, parse errors answered with their status,
 * header/idle/body timeouts.
 *
 * Pages:
 *   GET / and HEAD /  -> 200 "Hello from nstack"
 *   another path      -> 404 (or, with --root DIR, the file under DIR:
 *                        no path escape, symlinks out of DIR refused)
 *   another method    -> 405 with Allow (RFC 9110 15.5.6)
 *   /ws, /chat        -> WebSocket: echo, a broadcast room (tools/serve_ws.c;
 *                        HTTP/1.1 Upgrade or HTTP/2 extended CONNECT)
 *   over TLS (--tls), another method than GET/HEAD in 0-RTT early data
 *                     -> 425 (RFC 8470 5.2: early data can be replayed)
 * Every answer carries Date (RFC 9110 6.6.1: an origin server with a clock
 * sends it; the CLI has one, the library does not read clocks: the text
 * comes from nst_http_date, formatted once a second of the run loop's
 * time) and Server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/http.h>
#include <nstack/runloop.h>
#include <nstack/stream.h>

#include "tools/serve.h"

#define HTTP_BODY "Hello from nstack\n"

/* Date and Server: fields every answer of ours carries. */
static size_t our_fields(struct server *sv, struct nst_http_field f[3], const char *type)
{
    size_t dl;
    const char *date = nst_http_date(&sv->date, nst_runloop_now(sv->h.rl) + sv->wall_offset, &dl);
    f[0] = (struct nst_http_field){"Date", 4, date, dl};
    f[1] = (struct nst_http_field){"Server", 6, "nstack", 6};
    f[2] = (struct nst_http_field){"Content-Type", 12, type, strlen(type)};
    return 3;
}

static void answer(struct server *sv, struct nst_http_exchange *x, int status, const char *body, const char *allow)
{
    struct nst_http_field f[4];
    size_t n = our_fields(sv, f, "text/plain; charset=utf-8");
    if (allow)
        f[n++] = (struct nst_http_field){"Allow", 5, allow, strlen(allow)};
    size_t len = strlen(body);
    if (nst_http_respond(x, status, f, n, (int64_t)len) == 0 && nst_http_write(x, body, len) >= 0)
        nst_http_end(x);
}

static void page(void *arg, struct nst_http_exchange *x)
{
    struct server *sv = arg;
    const struct nst_http_request *r = nst_http_exchange_request(x);
    sv->stats[r->scheme[4] == 's' ? sv->https_service : sv->http_service].requests++;
    int get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
    if (r->early && !get)
        answer(sv, x, 425, "Too early: send it again after the handshake\n", NULL);
    else if (!get)
        answer(sv, x, 405, "Only GET and HEAD\n", "GET, HEAD");
    else if (!strcmp(r->target, "/") && !sv->http_root)
        answer(sv, x, 200, HTTP_BODY, NULL);
    else if (sv->http_root)
        nst_http_static_handler(sv->http_root, x);
    else
        answer(sv, x, 404, "Not found\n", NULL);
}

int serve_http_start(struct server *sv, size_t service, int tls, const char *root, int http2)
{
    /* --http and --tls share one library server (TLS streams are adopted
     * already made); requests are counted per service by their scheme. */
    if (tls)
        sv->https_service = service;
    else
        sv->http_service = service;
    if (sv->http)
        return 0;
    sv->wall_offset = nst_runloop_wall_offset();
    if (root && !(sv->http_root = nst_http_static_new(root))) {
        fprintf(stderr, "\nnstack serve: --root %s: %s\n", root, strerror(errno));
        return -errno;
    }
    /* --http2: HTTP/2 by prior knowledge (the client preface) beside
     * HTTP/1.1, each connection as its first bytes say. */
    struct nst_http_server_config c;
    nst_http_server_config_default(&c);
    if (http2)
        c.proto = NST_HTTP_PROTO_HTTP2;
    sv->http = nst_http_server_new(sv->h.st, -1, NULL, &c);
    if (!sv->http || nst_http_server_route(sv->http, NULL, "/", page, sv) < 0 ||
        nst_http_server_route(sv->http, NULL, "/ws", serve_ws_handler, sv) < 0 ||
        nst_http_server_route(sv->http, NULL, "/chat", serve_ws_handler, sv) < 0)
        return -ENOMEM;
    return 0;
}

void serve_http(struct server *sv, int fd, struct serve_conn *c, int events)
{
    (void)events;
    /* --tls: the connection is already a TLS stream (made at accept). */
    struct nst_stream *s = c->stream ? c->stream : nst_stream_tcp(sv->h.st, fd);
    c->stream = NULL;
    serve_conn_release(sv, fd); /* the library server owns it now */
    if (s)
        nst_http_server_adopt(sv->http, s);
    else
        nst_close(sv->h.st, fd);
}

void serve_http_report(const struct server *sv, const char *name)
{
    const struct nst_http_server_stats *s = nst_http_server_stats(sv->http);
    printf("%s: %llu connections, %llu bytes in, %llu bytes out, %llu requests\n", name,
           (unsigned long long)s->connections, (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
           (unsigned long long)s->requests);
    if (s->upgrades)
        printf("%s: %llu requests upgraded to WebSocket\n", name, (unsigned long long)s->upgrades);
    printf("%s: %llu responses (%llu 4xx, %llu 5xx), %llu parse errors; timeouts: %llu header, %llu idle, %llu body\n",
           name, (unsigned long long)s->responses, (unsigned long long)s->status_4xx,
           (unsigned long long)s->status_5xx, (unsigned long long)s->parse_errors,
           (unsigned long long)s->header_timeouts, (unsigned long long)s->idle_timeouts,
           (unsigned long long)s->body_timeouts);
    if (s->h2.connections)
        printf("%s: HTTP/2: %llu connections, %llu streams (at most %llu at once), %llu GOAWAY sent, "
               "%llu RST_STREAM received, %llu protocol errors\n",
               name, (unsigned long long)s->h2.connections, (unsigned long long)s->h2.streams,
               (unsigned long long)s->h2.max_concurrent, (unsigned long long)s->h2.goaway_sent,
               (unsigned long long)s->h2.rst_recv, (unsigned long long)s->h2.protocol_errors);
}

void serve_http_stop(struct server *sv)
{
    nst_http_server_free(sv->http);
    nst_http_static_free(sv->http_root);
    sv->http = NULL;
    sv->http_root = NULL;
}
