/* A WebSocket chat room on the simulator: nstack's HTTP server on one host
 * upgrades requests to /chat into WebSockets (nst_ws_upgrade) and sends
 * every message to every member; three clients on another host (alice,
 * bob, carol) join, each says one line once all three are in, and prints
 * what it hears; then each leaves with a close handshake (1000). Virtual
 * time: the same output on every run.
 *
 *   ws_chat_sim
 *
 * Shows: WebSocket on the same server as pages (nst_ws_upgrade in a
 * handler), the client (nst_ws_client over a TCP stream), messages,
 * broadcast, the close handshake, freeing in on_close.
 * Build: cc ws_chat_sim.c $(pkg-config --cflags --libs nstack-app) */
#include <nstack/http.h>
#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/ws.h>

#include <stdio.h>
#include <string.h>

#define SERVER NST_IP4(10, 0, 0, 80)
#define CLIENT NST_IP4(10, 0, 0, 1)
#define MEMBERS 3

/* ---- the server: the room ------------------------------------------------ */

struct room {
    struct nst_ws *member[MEMBERS];
    int n;
};

/* What one member says, every member hears (the sender too). */
static void room_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    (void)ws;
    struct room *r = arg;
    for (int i = 0; i < r->n; i++)
        if (r->member[i] && nst_ws_is_open(r->member[i]))
            nst_ws_send(r->member[i], opcode, data, len);
}

static void room_close(void *arg, struct nst_ws *ws, int code)
{
    (void)code;
    struct room *r = arg;
    for (int i = 0; i < r->n; i++)
        if (r->member[i] == ws)
            r->member[i] = NULL;
    nst_ws_free(ws); /* the last thing done with it */
}

static const struct nst_ws_handler room_handler = {NULL, room_message, room_close};

/* GET /chat with Upgrade: websocket becomes a member; anything else there
 * gets 400 / 426 from nst_ws_upgrade. */
static void chat(void *arg, struct nst_http_exchange *x)
{
    struct room *r = arg;
    if (r->n == MEMBERS) {
        nst_http_reply(x, 503, "text/plain", "the room is full\n", 17);
        return;
    }
    struct nst_ws *ws = nst_ws_upgrade(x, NULL, &room_handler, r);
    if (ws)
        r->member[r->n++] = ws;
}

/* ---- the clients ----------------------------------------------------------- */

struct member {
    const char *name;
    struct nst_stack *st;
    struct nst_ws *ws;
    int open, heard, closed;
};

static struct member members[MEMBERS] = {{.name = "alice"}, {.name = "bob"}, {.name = "carol"}};

static void on_open(void *arg, struct nst_ws *ws)
{
    (void)ws;
    ((struct member *)arg)->open = 1;
}

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    (void)opcode;
    struct member *m = arg;
    printf("%8.3f ms  %-5s hears \"%.*s\"\n", (double)nst_stack_now(m->st) / 1e6, m->name, (int)len,
           (const char *)data);
    if (++m->heard == MEMBERS) /* everyone has spoken: leave */
        nst_ws_close(ws, NST_WS_NORMAL, "bye");
}

static void on_close(void *arg, struct nst_ws *ws, int code)
{
    (void)ws;
    struct member *m = arg;
    m->closed = 1;
    printf("%8.3f ms  %-5s left, close code %d\n", (double)nst_stack_now(m->st) / 1e6, m->name, code);
}

static const struct nst_ws_handler member_handler = {on_open, on_message, on_close};

static int all(void *arg)
{
    int what = *(int *)arg, n = 0;
    for (int i = 0; i < MEMBERS; i++)
        n += what ? members[i].closed : members[i].open;
    return n == MEMBERS;
}

int main(void)
{
    struct nst_world *w = nst_world_new(7);
    struct nst_stack *srv = nst_world_add_host(w, "server", NULL);
    struct nst_stack *cli = nst_world_add_host(w, "clients", NULL);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_MSEC(10);
    nst_world_connect(w, cli, CLIENT, 24, srv, SERVER, 24, &lp);

    int lfd = nst_socket(srv, NST_SOCK_STREAM);
    struct nst_sockaddr port80 = {.port = 80};
    nst_bind(srv, lfd, &port80);
    nst_listen(srv, lfd, 8);
    struct nst_http_server *server = nst_http_server_new(srv, lfd, NULL, NULL);
    struct room room = {0};
    nst_http_server_route(server, NULL, "/chat", chat, &room);

    for (int i = 0; i < MEMBERS; i++) {
        int fd = nst_socket(cli, NST_SOCK_STREAM);
        struct nst_sockaddr to = {.addr = SERVER, .port = 80};
        nst_connect(cli, fd, &to); /* -EINPROGRESS: the Upgrade goes once connected */
        members[i].st = cli;
        members[i].ws = nst_ws_client(nst_stream_tcp(cli, fd), "10.0.0.80", "/chat", NULL, &member_handler,
                                      &members[i]);
    }
    int opened = 0, closed = 1;
    if (!nst_world_run_until_cond(w, all, &opened, NST_SEC(10))) {
        fprintf(stderr, "ws_chat_sim: not everyone got in\n");
        return 1;
    }
    for (int i = 0; i < MEMBERS; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "%s: hi, I am %s", members[i].name, members[i].name);
        nst_ws_send(members[i].ws, NST_WS_TEXT, line, (size_t)n);
    }
    int ok = nst_world_run_until_cond(w, all, &closed, nst_world_now(w) + NST_SEC(10));
    /* The server's ends finish a moment later (our FINs): let them. */
    nst_world_run_for(w, NST_SEC(1));
    for (int i = 0; i < MEMBERS; i++) {
        nst_ws_free(members[i].ws);
        nst_ws_free(room.member[i]); /* NULL once it left (freed in room_close) */
    }
    nst_http_server_free(server);
    nst_world_free(w);
    return ok ? 0 : 1;
}
