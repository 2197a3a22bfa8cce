/* A TLS echo server, and a client to talk to it, on the simulator.
 *
 *   tls_server_sim [MESSAGE]
 *
 * The server holds a certificate for "echo.example" (made at start by
 * nst_tls_make_test_pki, signed by a throwaway CA the client trusts); the
 * client connects, verifies the name and chain, sends MESSAGE over TLS,
 * reads the echo and closes (close_notify). Shows: TLS contexts, server
 * and client streams, nst_tls_get_info.
 * Build: cc tls_server_sim.c $(pkg-config --cflags --libs nstack-app) */
#include <nstack/nstack.h>
#include <nstack/tls.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SERVER NST_IP4(10, 0, 0, 2)

/* ---- the server: echoes what it reads, closes when the client does ---- */

struct server {
    struct nst_stack *st;
    struct nst_tls_ctx *ctx;
    int lfd;
};

static void echo(void *arg, struct nst_stream *s, int events)
{
    (void)arg;
    char buf[1024];
    ssize_t n;
    if (!(events & (NST_EV_IN | NST_EV_ERR)))
        return;
    while ((n = nst_stream_read(s, buf, sizeof(buf))) > 0)
        nst_stream_write(s, buf, (size_t)n);
    if (n != -EAGAIN) /* the client's close_notify (0) or an error */
        nst_stream_close(s);
}

static void on_listener(void *arg, int fd, int events)
{
    struct server *sv = arg;
    if (!(events & NST_EV_IN))
        return;
    int c = nst_accept(sv->st, fd, NULL);
    struct nst_stream *s = c >= 0 ? nst_tls_server(sv->ctx, sv->st, c) : NULL;
    if (s)
        nst_stream_set_callback(s, echo, sv);
}

/* ---- the client ---------------------------------------------------------- */

struct client {
    const char *msg;
    int sent, done;
    char got[1024];
    size_t len;
};

static void client_event(void *arg, struct nst_stream *s, int events)
{
    struct client *cl = arg;
    if (cl->done)
        return;
    if ((events & NST_EV_OUT) && !cl->sent) /* handshake done */
        cl->sent = nst_stream_write(s, cl->msg, strlen(cl->msg)) > 0;
    ssize_t n = nst_stream_read(s, cl->got + cl->len, sizeof(cl->got) - 1 - cl->len);
    if (n > 0)
        cl->len += (size_t)n;
    if ((n < 0 && n != -EAGAIN) || cl->len == strlen(cl->msg))
        cl->done = 1;
}

static int client_done(void *arg) { return ((struct client *)arg)->done; }

int main(int argc, char **argv)
{
    struct client cl = {.msg = argc > 1 ? argv[1] : "hello over TLS"};
    if (strlen(cl.msg) >= sizeof(cl.got)) {
        fprintf(stderr, "tls_server_sim: message too long\n");
        return 2;
    }
    struct nst_tls_test_pki pki;
    if (nst_tls_make_test_pki(&pki, "echo.example", 1) < 0)
        return 1;
    /* Server context: its certificate and key. Client context: trusts the CA. */
    struct nst_tls_config sc, cc;
    nst_tls_config_default(&sc, NST_TLS_SERVER);
    sc.cert = pki.cert;
    sc.key = pki.key;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = pki.ca_cert;
    struct nst_tls_ctx *sctx, *cctx;
    const char *why = "";
    if (nst_tls_ctx_new(&sc, &sctx, &why) < 0 || nst_tls_ctx_new(&cc, &cctx, &why) < 0) {
        fprintf(stderr, "tls_server_sim: %s\n", why);
        return 1;
    }

    struct nst_world *w = nst_world_new(1);
    struct nst_stack *srv = nst_world_add_host(w, "server", NULL), *cli = nst_world_add_host(w, "client", NULL);
    nst_world_connect(w, cli, NST_IP4(10, 0, 0, 1), 24, srv, SERVER, 24, NULL);
    struct server sv = {.st = srv, .ctx = sctx, .lfd = nst_socket(srv, NST_SOCK_STREAM)};
    struct nst_sockaddr https = {.port = 443};
    nst_bind(srv, sv.lfd, &https);
    nst_listen(srv, sv.lfd, 8);
    nst_socket_set_event_cb(srv, sv.lfd, on_listener, &sv);

    int fd = nst_socket(cli, NST_SOCK_STREAM);
    struct nst_sockaddr to = {.addr = SERVER, .port = 443};
    nst_connect(cli, fd, &to);
    struct nst_stream *s = nst_tls_client(cctx, cli, fd, "echo.example", 443);
    nst_stream_set_callback(s, client_event, &cl);
    nst_world_run_until_cond(w, client_done, &cl, NST_SEC(30));

    struct nst_tls_info info;
    int ok = cl.len == strlen(cl.msg) && memcmp(cl.got, cl.msg, cl.len) == 0 && nst_tls_get_info(s, &info) == 0;
    if (ok)
        printf("echoed \"%.*s\" over %s (%s) in %.3f ms of virtual time\n", (int)cl.len, cl.got,
               info.version_name, info.cipher, (double)(info.handshake_end - info.handshake_start) / 1e6);
    else
        fprintf(stderr, "tls_server_sim: failed: %s\n", nst_stream_error_string(s));
    nst_stream_close(s); /* close_notify, then FIN */
    nst_world_run_for(w, NST_SEC(1));
    nst_world_free(w);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(cctx);
    nst_tls_test_pki_free(&pki);
    return ok ? 0 : 1;
}
