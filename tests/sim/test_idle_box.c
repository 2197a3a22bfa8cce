/* The idle-timeout middlebox (nst_idle_box, include/nstack/sim.h) on the
 * New York–London path, in the transatlantic link (r2-r3), 60 s timeout,
 * with a WebSocket across it (ws.h):
 *   - RST mode (a load balancer): with no traffic the box resets both
 *     halves at exactly 60 s idle; each end sees the reset one way later;
 *   - silent mode (a NAT): nothing happens at 60 s; the client's next
 *     message (at 90 s) is dropped, TCP retransmits and gives up at an
 *     exact time; the server never learns;
 *   - pings every 30 s (half the timeout) keep the flow alive for ten
 *     minutes in both modes;
 *   - segments of a forgotten flow are dropped and counted; the table is
 *     bounded (a SYN finding it full is dropped). */
#include "support/ws_util.h"
#include "test.h"

#include <errno.h>
#include <nstack/sim.h>

struct box_fix {
    struct tt_lab l;
    struct nst_idle_box *box;
    struct wu_server sv;
    struct wu_end cl;
    nst_time_t last_seen;  /* the last frame the box passed */
    nst_time_t rst_at[2];  /* the box's RSTs, by direction */
};

/* Watches the boxed link: the time of the last frame through it and of
 * the box's own RSTs. */
static void watch(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *fr, size_t len)
{
    struct box_fix *f = arg;
    if (ev != NST_SIM_OFFERED || len < 54 || fr[23] != 6)
        return;
    const uint8_t *tcp = fr + 14 + (fr[14] & 0xf) * 4;
    if ((tcp[13] & 0x04) && f->rst_at[dir] == 0)
        f->rst_at[dir] = now;
    else if (!(tcp[13] & 0x04))
        f->last_seen = now;
}

static void box_up(struct box_fix *f, int mode, nst_time_t ping)
{
    memset(f, 0, sizeof(*f));
    struct nst_stack_config hc;
    nst_stack_config_default(&hc);
    hc.tcp.data_retries = 5; /* give up in seconds, not a quarter hour */
    struct nst_lab_path_opts o;
    nst_lab_path_opts_default(&o);
    o.seed = 31;
    o.host_cfg = &hc;
    CHECK_EQ(nst_lab_path_build(&f->l.p, &o), 0);
    f->l.w = f->l.p.world;
    f->l.ny = f->l.p.ny;
    f->l.ldn = f->l.p.london;
    struct nst_idle_box_config bc;
    nst_idle_box_config_default(&bc);
    bc.mode = mode;
    bc.max_flows = 4;
    f->box = nst_idle_box_attach(f->l.p.links[2], &bc);
    CHECK(f->box != NULL);
    nst_sim_link_observe(f->l.p.links[2], watch, f);
    struct nst_ws_config cc;
    nst_ws_config_default(&cc);
    cc.ping_interval = ping;
    cc.pong_timeout = ping ? NST_SEC(10) : 0;
    wu_server_start(&f->sv, f->l.ldn, WU_PORT, NULL);
    wu_client_open(&f->cl, &f->l, WU_PORT, "/echo", &cc);
    CHECK(nst_world_run_until_cond(f->l.w, wu_opened, &f->cl, NST_SEC(3)));
    CHECK(f->cl.opened);
    nst_world_run_for(f->l.w, NST_SEC(1)); /* the last ACKs pass */
}

static void box_down(struct box_fix *f)
{
    wu_end_free(&f->cl);
    wu_server_stop(&f->sv);
    nst_lab_path_free(&f->l.p);
}

/* RST mode: exactly 60 s after the last segment the box sends a RST each
 * way; both WebSockets end 1006 with ECONNRESET when it arrives. */
static void test_rst_mode(void)
{
    struct box_fix f;
    box_up(&f, NST_IDLE_RST, 0);
    nst_time_t last = f.last_seen;
    nst_world_run_for(f.l.w, NST_SEC(70));
    CHECK_EQ(f.rst_at[0], last + NST_SEC(60));
    CHECK_EQ(f.rst_at[1], last + NST_SEC(60));
    struct wu_end *s = &f.sv.c[0];
    CHECK(f.cl.closed && s->closed);
    CHECK_EQ(f.cl.code, NST_WS_ABNORMAL);
    CHECK_EQ(f.cl.err, -ECONNRESET);
    CHECK_EQ(s->err, -ECONNRESET);
    /* The box acts on a frame as it enters the link, so a RST starts at
     * the link's far end from its receiver: NY's crosses r3-r2-r1-ny
     * (39.5 ms), London's r2-r3-london (20.5 ms); plus serialisation. */
    CHECK_EQ(f.cl.t_close - f.rst_at[1], NST_USEC(39500) + 1872);
    CHECK_EQ(s->t_close - f.rst_at[0], NST_USEC(20500) + 1392);
    const struct nst_idle_box_stats *bs = nst_idle_box_stats(f.box);
    CHECK_EQ(bs->flows_expired, 1);
    CHECK_EQ(bs->rsts_sent, 2);
    CHECK_EQ(bs->active, 0);
    CHECK_EQ(f.cl.final.stream_errors, 1);
    box_down(&f);
}

/* Silent mode: at 60 s nothing is sent; the client's message at 90 s is
 * dropped by the box (it no longer knows the flow), retransmitted five
 * times and TCP gives up: the WebSocket ends 1006 ETIMEDOUT. The server
 * heard nothing and is still open. */
static void test_silent_mode(void)
{
    struct box_fix f;
    box_up(&f, NST_IDLE_SILENT, 0);
    nst_world_run_until(f.l.w, f.cl.t_open + NST_SEC(90));
    CHECK(!f.cl.closed);
    CHECK_EQ(f.rst_at[0] + f.rst_at[1], 0);
    nst_time_t sent = nst_world_now(f.l.w);
    CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_TEXT, "anyone?", 7), 0);
    nst_world_run_for(f.l.w, NST_SEC(120));
    CHECK(f.cl.closed);
    CHECK_EQ(f.cl.code, NST_WS_ABNORMAL);
    CHECK_EQ(f.cl.err, -ETIMEDOUT);
    /* The RTO after the idle minute is 206.76 ms (RFC 6298 from the
     * handshake's samples). First a tail loss probe (RFC 8985 7.2: PTO =
     * 2 SRTT + 200 ms for a lone segment, capped at the RTO), then the RTO
     * afresh; five retransmissions double it, and the sixth expiry gives
     * up: 1 + 1 + 2 + 4 + 8 + 16 + 32 = 64 RTOs. */
    CHECK_EQ(f.cl.t_close - sent, 13232897408LL);
    CHECK(!f.sv.c[0].closed);
    CHECK_EQ(f.sv.c[0].nmsgs, 0);
    const struct nst_idle_box_stats *bs = nst_idle_box_stats(f.box);
    CHECK_EQ(bs->flows_expired, 1);
    CHECK_EQ(bs->rsts_sent, 0);
    CHECK_EQ(bs->unknown_dropped, 7); /* the message, the probe and five retransmissions */
    box_down(&f);
}

/* Pings every 30 s keep the flow alive through the box in both modes:
 * ten minutes later the connection still echoes. */
static void test_pings_keep_alive(void)
{
    for (int mode = NST_IDLE_RST; mode <= NST_IDLE_SILENT; mode++) {
        struct box_fix f;
        box_up(&f, mode, NST_SEC(30));
        nst_world_run_until(f.l.w, f.cl.t_open + NST_SEC(600));
        CHECK(!f.cl.closed);
        CHECK_EQ(nst_ws_send(f.cl.ws, NST_WS_TEXT, "still?", 6), 0);
        nst_world_run_for(f.l.w, NST_SEC(2));
        CHECK_EQ(f.cl.nmsgs, 1);
        CHECK_EQ(nst_ws_stats(f.cl.ws)->pings_out, 20);
        CHECK_EQ(nst_ws_stats(f.cl.ws)->pong_timeouts, 0);
        CHECK_EQ(nst_idle_box_stats(f.box)->flows_expired, 0);
        box_down(&f);
    }
}

/* The table holds 4 flows: the WebSocket and 3 more connections fill it;
 * the SYNs of a fifth are dropped (each retry counted), and it never
 * connects; the first four are untouched. */
static void test_table_bound(void)
{
    struct box_fix f;
    box_up(&f, NST_IDLE_RST, 0);
    int fds[4];
    for (int i = 0; i < 4; i++)
        fds[i] = tt_client_fd(&f.l, WU_PORT);
    nst_world_run_for(f.l.w, NST_SEC(2));
    const struct nst_idle_box_stats *bs = nst_idle_box_stats(f.box);
    CHECK_EQ(bs->flows_seen, 4);
    CHECK_EQ(bs->active, 4);
    CHECK_EQ(bs->table_full, 2); /* the fifth's SYN at 0 s and its retry at 1 s */
    for (int i = 0; i < 3; i++)
        CHECK_EQ(nst_socket_events(f.l.ny, fds[i]) & NST_EV_OUT, NST_EV_OUT);
    CHECK_EQ(nst_socket_events(f.l.ny, fds[3]) & NST_EV_OUT, 0);
    CHECK(!f.cl.closed);
    for (int i = 0; i < 4; i++)
        nst_close(f.l.ny, fds[i]);
    box_down(&f);
}

int main(void)
{
    RUN(test_rst_mode);
    RUN(test_silent_mode);
    RUN(test_pings_keep_alive);
    RUN(test_table_bound);
    return nst_test_done();
}
