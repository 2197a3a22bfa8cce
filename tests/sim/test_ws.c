/* WebSocket (RFC 6455, include/nstack/ws.h) on the simulator, over the
 * New York–London lab path (80 ms round trip): the opening handshake at
 * its exact virtual time, echo of text, binary and fragmented messages
 * byte-exact, subprotocol choice, ping keep-alive for ten minutes, the
 * pong deadline closing a dead peer at its exact time, the close
 * handshake both ways. Bad input lives in test_ws_bad_input.c. */
#include "support/ws_util.h"
#include "test.h"

#include <errno.h>

struct fix {
    struct tt_lab l;
    struct wu_server sv;
    struct wu_end cl;
    nst_time_t t0;
};

static void fix_up(struct fix *f, const struct nst_ws_config *scfg, const struct nst_ws_config *ccfg,
                   const char *path)
{
    tt_lab_up(&f->l, 11, 0);
    wu_server_start(&f->sv, f->l.ldn, WU_PORT, scfg);
    f->t0 = nst_world_now(f->l.w);
    wu_client_open(&f->cl, &f->l, WU_PORT, path, ccfg);
    CHECK(nst_world_run_until_cond(f->l.w, wu_opened, &f->cl, f->t0 + NST_SEC(2)));
    CHECK(f->cl.opened);
}

static void fix_down(struct fix *f)
{
    wu_end_free(&f->cl);
    wu_server_stop(&f->sv);
    tt_lab_down(&f->l);
}

/* The handshake takes two round trips from the SYN: TCP's, then the
 * Upgrade request and its 101. The client is open when the 101 arrives. */
static void test_handshake_time(void)
{
    struct fix f;
    fix_up(&f, NULL, NULL, "/echo");
    /* Two round trips of 80 ms, plus the serialisation of the SYN, the
     * request and their answers at 1 Gbit/s on the four links. */
    CHECK_EQ(f.cl.t_open - f.t0, NST_MSEC(160) + 19040);
    CHECK_EQ(f.sv.n, 1);
    CHECK(f.sv.c[0].opened);
    CHECK_EQ(f.sv.shared.handshakes_ok, 1);
    CHECK_EQ(nst_ws_http_status(f.sv.c[0].ws), 101);
    CHECK(strcmp(nst_ws_path(f.sv.c[0].ws), "/echo") == 0);
    CHECK(nst_ws_protocol(f.cl.ws) == NULL);
    fix_down(&f);
}

static int got_n(void *arg)
{
    struct wu_end *e = arg;
    return e->nmsgs >= 4 || e->closed;
}

/* Text, binary, an empty message and a 100 000-byte one, the client
 * sending in 1000-byte fragments: echoed back byte for byte, in order. */
static void test_echo(void)
{
    struct nst_ws_config cc;
    nst_ws_config_default(&cc);
    cc.send_fragment = 1000;
    struct fix f;
    fix_up(&f, NULL, &cc, "/echo");
    const char *text = "héllo, wörld — ☃ 𝄞";
    uint8_t *bin = tt_pattern(3000, 1), *big = tt_pattern(100000, 2);
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_TEXT, text, strlen(text)), 0);
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_BINARY, bin, 3000), 0);
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_TEXT, "", 0), 0);
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_BINARY, big, 100000), 0);
    CHECK(nst_world_run_until_cond(f.l.w, got_n, &f.cl, nst_world_now(f.l.w) + NST_SEC(5)));
    CHECK_EQ(f.cl.nmsgs, 4);
    if (f.cl.nmsgs == 4) {
        CHECK_EQ(f.cl.msgs[0].opcode, NST_WS_TEXT);
        CHECK_EQ(f.cl.msgs[0].len, strlen(text));
        CHECK_MEM(f.cl.msgs[0].data, text, strlen(text));
        CHECK_EQ(f.cl.msgs[1].opcode, NST_WS_BINARY);
        CHECK_EQ(f.cl.msgs[1].len, 3000);
        CHECK_MEM(f.cl.msgs[1].data, bin, 3000);
        CHECK_EQ(f.cl.msgs[2].len, 0);
        CHECK_EQ(f.cl.msgs[3].len, 100000);
        CHECK_MEM(f.cl.msgs[3].data, big, 100000);
    }
    const struct nst_ws_stats *ss = nst_ws_stats(f.sv.c[0].ws), *cs = nst_ws_stats(f.cl.ws);
    CHECK_EQ(ss->msgs_in, 4);
    CHECK_EQ(ss->frames_in, 1 + 3 + 1 + 100); /* binary in 3 fragments, the big one in 100 */
    CHECK_EQ(ss->bytes_in, strlen(text) + 3000 + 100000);
    CHECK_EQ(ss->msgs_out, 4);
    CHECK_EQ(cs->msgs_out, 4);
    CHECK_EQ(cs->msgs_in, 4);
    CHECK_EQ(cs->frames_in, 4); /* the server sends each in one frame */
    CHECK_EQ(cs->bytes_in, ss->bytes_out);
    free(bin);
    free(big);
    fix_down(&f);
}

/* The client sends two messages and closes with 1000 at once: both
 * messages arrive before the close (it waits for them); the server echoes
 * the code, both report it, the close frames are counted once each way. */
static void test_close_handshake(void)
{
    struct fix f;
    fix_up(&f, NULL, NULL, "/echo");
    nst_time_t t = nst_world_now(f.l.w);
    f.sv.c[0].echo = 0;
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_TEXT, "one", 3), 0);
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_BINARY, "two", 3), 0);
    CHECK_EQ(nst_ws_close(f.cl.ws, NST_WS_NORMAL, "bye"), 0);
    CHECK(!nst_ws_is_open(f.cl.ws));
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_TEXT, "x", 1), -ENOTCONN);
    CHECK(nst_world_run_until_cond(f.l.w, wu_closed, &f.cl, t + NST_SEC(3)));
    nst_world_run_for(f.l.w, NST_SEC(1));
    struct wu_end *s = &f.sv.c[0];
    CHECK(s->closed);
    CHECK_EQ(s->code, 1000);
    CHECK_EQ(f.cl.code, 1000);
    CHECK_EQ(f.cl.err, 0);
    CHECK_EQ(s->nmsgs, 2);
    /* The close frame reaches London in 40 ms; the server echoes it and
     * sends its FIN (RFC 6455 7.1.1: the server closes TCP first): the
     * client is done when both arrive, one round trip after it closed; it
     * answers with its FIN, which ends the server 40 ms later. Plus the
     * frames' serialisation at 1 Gbit/s. */
    CHECK_EQ(f.cl.t_close - t, NST_MSEC(80) + 6528);
    CHECK_EQ(s->t_close - t, NST_MSEC(120) + 8112);
    CHECK_EQ(s->final.close_received[NST_WS_SLOT_1000], 1);
    CHECK_EQ(s->final.close_sent[NST_WS_SLOT_1000], 1);
    CHECK_EQ(f.cl.final.close_sent[NST_WS_SLOT_1000], 1);
    CHECK_EQ(f.cl.final.close_received[NST_WS_SLOT_1000], 1);
    CHECK_EQ(s->final.err_protocol, 0);
    CHECK_EQ(f.cl.final.close_timeouts, 0);
    fix_down(&f);
}

/* The server picks the first of its own protocols the client offers. */
static void test_subprotocol(void)
{
    static const char *const sp[] = {"chat.v2", "chat.v1"};
    static const char *const cp[] = {"chat.v1", "chat.v2", "other"};
    struct nst_ws_config sc, cc;
    nst_ws_config_default(&sc);
    nst_ws_config_default(&cc);
    sc.protocols = sp;
    sc.nprotocols = 2;
    cc.protocols = cp;
    cc.nprotocols = 3;
    cc.extensions = "permessage-deflate; client_max_window_bits";
    struct fix f;
    fix_up(&f, &sc, &cc, "/chat");
    CHECK(nst_ws_protocol(f.cl.ws) && strcmp(nst_ws_protocol(f.cl.ws), "chat.v2") == 0);
    CHECK(nst_ws_protocol(f.sv.c[0].ws) && strcmp(nst_ws_protocol(f.sv.c[0].ws), "chat.v2") == 0);
    CHECK(strcmp(nst_ws_peer_extensions(f.sv.c[0].ws), "permessage-deflate; client_max_window_bits") == 0);
    fix_down(&f);
}

/* A client pinging every 30 s with a 10 s pong deadline, open. */
static void fix_up_pinging(struct fix *f)
{
    struct nst_ws_config cc;
    nst_ws_config_default(&cc);
    cc.ping_interval = NST_SEC(30);
    cc.pong_timeout = NST_SEC(10);
    fix_up(f, NULL, &cc, "/echo");
}

/* Pings every 30 s, answered: ten minutes later (and a second for the
 * last pong: after 30 s of silence the ARP entries along the path have
 * expired, so each ping and its pong re-resolve every hop and take 160 ms
 * one way) the connection is open, with 20 pings out and 20 pongs in, and
 * the server answered each. */
static void test_keepalive(void)
{
    struct fix f;
    fix_up_pinging(&f);
    nst_world_run_until(f.l.w, f.cl.t_open + NST_SEC(600) + NST_MSEC(1000));
    const struct nst_ws_stats *cs = nst_ws_stats(f.cl.ws), *ss = nst_ws_stats(f.sv.c[0].ws);
    CHECK(!f.cl.closed);
    CHECK(nst_ws_is_open(f.cl.ws));
    CHECK_EQ(cs->pings_out, 20);
    CHECK_EQ(cs->pongs_in, 20);
    CHECK_EQ(ss->pings_in, 20);
    CHECK_EQ(ss->pongs_out, 20);
    CHECK_EQ(cs->pong_timeouts, 0);
    fix_down(&f);
}

/* The server's host goes silent (every frame towards it is lost): the
 * ping at open + 30 s is not answered, and the pong deadline (10 s)
 * closes the connection at exactly open + 40 s, counted. */
static void test_pong_deadline(void)
{
    struct fix f;
    fix_up_pinging(&f);
    struct nst_link_params lp;
    nst_link_params_default(&lp);
    lp.latency = NST_MSEC(20);
    lp.bandwidth_bps = 1000000000ull;
    lp.loss = 1.0;
    nst_sim_link_set_params(f.l.p.links[3], &lp); /* r3-london */
    nst_world_run_for(f.l.w, NST_SEC(60));
    CHECK(f.cl.closed);
    CHECK_EQ(f.cl.code, NST_WS_ABNORMAL);
    CHECK_EQ(f.cl.err, -ETIMEDOUT);
    CHECK_EQ(f.cl.t_close - f.cl.t_open, NST_SEC(40));
    CHECK_EQ(f.cl.final.pong_timeouts, 1);
    CHECK_EQ(f.cl.final.pings_out, 1);
    CHECK_EQ(f.cl.final.pongs_in, 0);
    fix_down(&f);
}

int main(void)
{
    RUN(test_handshake_time);
    RUN(test_echo);
    RUN(test_close_handshake);
    RUN(test_subprotocol);
    RUN(test_keepalive);
    RUN(test_pong_deadline);
    return nst_test_done();
}
