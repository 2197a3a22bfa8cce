/* An HTTP GET over the simulator: two hosts on a simulated link (10 ms
 * each way, 1% loss), nstack's HTTP server on one and its HTTP client on
 * the other (include/nstack/http.h). Everything runs in virtual time: the
 * same output, to the microsecond, on every run.
 *
 *   http_get_sim [PATH]     prints the response the client got
 *
 * Shows: nst_world_*, a server with a route and a handler answering with
 * nst_http_reply, a client sending a request and getting the head, the
 * body and the end through callbacks, and the per-request timings.
 * Build: cc http_get_sim.c $(pkg-config --cflags --libs nstack-app) */
#include <nstack/http.h>
#include <nstack/nstack.h>

#include <stdio.h>
#include <string.h>

#define SERVER NST_IP4(10, 0, 0, 80)
#define CLIENT NST_IP4(10, 0, 0, 1)

/* ---- the server: one handler for every path ------------------------------ */

static void hello(void *arg, struct nst_http_exchange *x)
{
    (void)arg;
    const struct nst_http_request *r = nst_http_exchange_request(x);
    char body[300];
    int n = snprintf(body, sizeof(body), "Hello from nstack! You asked for %s\n", r->target);
    nst_http_reply(x, 200, "text/plain", body, (size_t)n); /* head, body and end at once */
}

/* ---- the client: what the call reports ------------------------------------ */

struct result {
    int status, done, err;
    char body[4096];
    size_t len;
};

static void on_head(void *arg, struct nst_http_call *c, const struct nst_http_response *r)
{
    (void)c;
    struct result *res = arg;
    res->status = r->status;
    printf("status %d\n", r->status);
    for (size_t i = 0; i < r->nfields; i++)
        printf("%.*s: %.*s\n", (int)r->fields[i].name_len, r->fields[i].name, (int)r->fields[i].value_len,
               r->fields[i].value);
}

static void on_body(void *arg, struct nst_http_call *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct result *res = arg;
    size_t room = sizeof(res->body) - 1 - res->len;
    size_t n = len < room ? len : room;
    memcpy(res->body + res->len, data, n);
    res->len += n;
}

/* err 0: the whole response is in. The call is freed after this. */
static void on_done(void *arg, struct nst_http_call *c, int err)
{
    struct result *res = arg;
    res->done = 1;
    res->err = err;
    if (!err)
        printf("-- first byte after %.3f ms, whole response after %.3f ms (virtual time)\n",
               (double)nst_http_call_timing(c)->first_byte / 1e6, (double)nst_http_call_timing(c)->total / 1e6);
}

static int finished(void *arg) { return ((struct result *)arg)->done; }

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/index.html";
    if (path[0] != '/') {
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

    /* The server takes a listening socket; routes pick handlers by prefix. */
    int lfd = nst_socket(srv, NST_SOCK_STREAM);
    struct nst_sockaddr port80 = {.port = 80};
    nst_bind(srv, lfd, &port80);
    nst_listen(srv, lfd, 8);
    struct nst_http_server *server = nst_http_server_new(srv, lfd, NULL, NULL);
    nst_http_server_route(server, "GET", "/", hello, NULL);

    /* The client connects (and pools connections) by itself. */
    struct nst_http_client *client = nst_http_client_new(cli, NULL);
    struct nst_http_client_request req = {
        .method = "GET", .scheme = "http", .addr = {SERVER, 80}, .host = "10.0.0.80", .target = path};
    static const struct nst_http_call_cbs cbs = {on_head, on_body, on_done};
    struct result res = {0};
    if (!server || !client || nst_http_request_send(client, &req, &cbs, &res, NULL) < 0) {
        fprintf(stderr, "http_get_sim: cannot start\n");
        return 1;
    }

    /* At most 60 s of virtual time (it takes well under one). */
    if (!nst_world_run_until_cond(w, finished, &res, NST_SEC(60)) || res.err) {
        fprintf(stderr, "http_get_sim: no response (%s)\n", res.done ? nst_http_strerror(res.err) : "timeout");
        return 1;
    }
    printf("%.*s", (int)res.len, res.body);
    nst_http_client_free(client);
    nst_http_server_free(server);
    nst_world_free(w);
    return res.status == 200 ? 0 : 1;
}
