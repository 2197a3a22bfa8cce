/* An HTTP/1.1 GET over the simulator: two hosts on a simulated link (10 ms
 * each way, 1% loss), a tiny web server on one and a client on the other,
 * both written on nstack's byte streams. Everything runs in virtual time:
 * the same output, to the microsecond, on every run.
 *
 *   http_get_sim [PATH]     prints the response the client got
 *
 * The HTTP here is written by hand (a request line, a fixed response with
 * Content-Length, the connection closed after it); nstack's own HTTP/1.1
 * client library is not used. Shows: nst_world_*, nst_stream_tcp, stream
 * callbacks, reading until EOF.
 * Build: cc http_get_sim.c $(pkg-config --cflags --libs nstack-app) */
#include <nstack/nstack.h>
#include <nstack/stream.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SERVER NST_IP4(10, 0, 0, 80)
#define CLIENT NST_IP4(10, 0, 0, 1)

/* ---- the server: answers each request, then closes -------------------- */

struct server {
    struct nst_stack *st;
    int lfd;
    char req[1024];
    size_t len;
};

static void server_conn(void *arg, struct nst_stream *s, int events)
{
    struct server *sv = arg;
    if (!(events & NST_EV_IN))
        return;
    ssize_t n = nst_stream_read(s, sv->req + sv->len, sizeof(sv->req) - 1 - sv->len);
    if (n > 0)
        sv->len += (size_t)n;
    sv->req[sv->len] = 0;
    if (!strstr(sv->req, "\r\n\r\n"))
        return; /* the header is not complete yet */
    char path[256] = "?", resp[512];
    sscanf(sv->req, "GET %255s", path);
    char body[300];
    int blen = snprintf(body, sizeof(body), "Hello from nstack! You asked for %s\n", path);
    int rlen = snprintf(resp, sizeof(resp),
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                        "Connection: close\r\n\r\n%s", blen, body);
    nst_stream_write(s, resp, (size_t)rlen); /* fits the send buffer at once */
    nst_stream_close(s);                     /* FIN after the response */
}

/* The listener's readiness comes through the socket callback. */
static void server_accept(void *arg, int fd, int events)
{
    struct server *sv = arg;
    (void)fd;
    if (!(events & NST_EV_IN))
        return;
    int c = nst_accept(sv->st, sv->lfd, NULL);
    struct nst_stream *s = c >= 0 ? nst_stream_tcp(sv->st, c) : NULL;
    if (s)
        nst_stream_set_callback(s, server_conn, sv);
}

/* ---- the client: sends the request when connected, reads until EOF ---- */

struct client {
    const char *path;
    int sent, done, error;
    char resp[4096];
    size_t len;
};

static void client_event(void *arg, struct nst_stream *s, int events)
{
    struct client *cl = arg;
    if ((events & NST_EV_OUT) && !cl->sent) {
        char req[512];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 10.0.0.80\r\nUser-Agent: nstack-example\r\n\r\n",
                         cl->path);
        nst_stream_write(s, req, (size_t)n);
        cl->sent = 1;
    }
    ssize_t n;
    while ((n = nst_stream_read(s, cl->resp + cl->len, sizeof(cl->resp) - 1 - cl->len)) > 0)
        cl->len += (size_t)n;
    if (n == 0 || (n < 0 && n != -EAGAIN)) { /* EOF: the whole response */
        cl->error = n < 0 ? (int)-n : 0;
        cl->done = 1;
        nst_stream_close(s);
    }
}

static int client_done(void *arg) { return ((struct client *)arg)->done; }

int main(int argc, char **argv)
{
    struct client cl = {.path = argc > 1 ? argv[1] : "/index.html"};
    if (cl.path[0] != '/') {
        fprintf(stderr, "usage: http_get_sim [/PATH]\n");
        return 2;
    }
    /* The world: seed 7 fixes every random draw (loss, ISNs, ports). */
    struct nst_world *w = nst_world_new(7);
    struct nst_stack *srv = nst_world_add_host(w, "server", NULL);
    struct nst_stack *cli = nst_world_add_host(w, "client", NULL);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_MSEC(10);
    lp.loss = 0.01;
    nst_world_connect(w, cli, CLIENT, 24, srv, SERVER, 24, &lp);

    struct server sv = {.st = srv, .lfd = nst_socket(srv, NST_SOCK_STREAM)};
    struct nst_sockaddr http = {0, 80};
    nst_bind(srv, sv.lfd, &http);
    nst_listen(srv, sv.lfd, 8);
    nst_socket_set_event_cb(srv, sv.lfd, server_accept, &sv);

    int fd = nst_socket(cli, NST_SOCK_STREAM);
    struct nst_sockaddr to = {SERVER, 80};
    nst_connect(cli, fd, &to); /* -EINPROGRESS: the stream calls back when connected */
    struct nst_stream *s = nst_stream_tcp(cli, fd);
    nst_stream_set_callback(s, client_event, &cl);

    /* At most 60 s of virtual time (it takes well under one). */
    if (!nst_world_run_until_cond(w, client_done, &cl, NST_SEC(60)) || cl.error) {
        fprintf(stderr, "http_get_sim: no response (%s)\n", cl.error ? strerror(cl.error) : "timeout");
        return 1;
    }
    cl.resp[cl.len] = 0;
    printf("%s", cl.resp);
    printf("-- %zu bytes at t=%.3f ms (virtual time)\n", cl.len, (double)nst_world_now(w) / 1e6);
    nst_world_free(w);
    return strncmp(cl.resp, "HTTP/1.1 200 OK\r\n", 17) == 0 ? 0 : 1;
}
