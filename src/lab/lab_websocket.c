/* `nstack demo websocket`: a WebSocket across an idle-timeout middlebox
 * (nst_idle_box, 60 s) in the transatlantic link of the New York – London
 * path. Without pings the connection dies at 60 s of silence: a load
 * balancer resets both halves; a NAT forgets the flow silently and the
 * client learns only when it next sends, after TCP's retransmissions.
 * With a ping every 30 s (half the timeout) it lives for ten minutes.
 *
 * Built into nstack_app (it uses ws.h), offered to the demo through
 * nst_demo_app_scenarios (lab_tls.c). */
#include <nstack/nstack.h>
#include <nstack/sim.h>
#include <nstack/stream.h>
#include <nstack/ws.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab_internal.h"
#include "lab/lab_svg.h"

#define WS_PORT 80
#define MAX_ARROWS 64

struct side {
    struct nst_ws *ws;
    struct nst_stack *st;
    int open, closed, code, err;
    nst_time_t t_open, t_close;
    unsigned msgs;
};

/* A frame seen leaving one end or reaching the other (for the ladder). */
struct seen {
    nst_time_t at;
    uint32_t seq;
    uint8_t flags;
    uint16_t len;
    int matched;
};

struct run {
    struct nst_lab_path p;
    struct nst_idle_box *box;
    int lfd;
    struct side ny, ldn;
    nst_time_t last_through, rst_at;
    /* The ladder's raw material, New York -> London only. */
    int watch;
    struct seen out[MAX_ARROWS], in[MAX_ARROWS];
    int nout, nin;
};

static void on_open(void *arg, struct nst_ws *ws)
{
    (void)ws;
    struct side *s = arg;
    s->open = 1;
    s->t_open = nst_stack_now(s->st);
}

static void on_message(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    struct side *s = arg;
    s->msgs++;
    nst_ws_send(ws, opcode, data, len); /* London echoes */
}

static void on_close(void *arg, struct nst_ws *ws, int code)
{
    struct side *s = arg;
    s->closed = 1;
    s->code = code;
    s->err = nst_ws_error(ws);
    s->t_close = nst_stack_now(s->st);
}

static const struct nst_ws_handler server_handler = {on_open, on_message, on_close};
static const struct nst_ws_handler client_handler = {on_open, NULL, on_close};

static void on_listener(void *arg, int fd, int ev)
{
    (void)fd;
    struct run *r = arg;
    if (!(ev & NST_EV_IN) || r->ldn.ws)
        return;
    int c = nst_accept(r->ldn.st, r->lfd, NULL);
    struct nst_stream *s = c >= 0 ? nst_stream_tcp(r->ldn.st, c) : NULL;
    if (s)
        r->ldn.ws = nst_ws_server(s, NULL, &server_handler, &r->ldn);
}

static void tcp_fields(const uint8_t *fr, struct seen *s, nst_time_t now)
{
    const uint8_t *ip = fr + 14, *tcp = ip + (ip[0] & 0xf) * 4;
    size_t tot = (size_t)ip[2] << 8 | ip[3];
    s->at = now;
    s->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    s->flags = tcp[13];
    s->len = (uint16_t)(tot - (size_t)(ip[0] & 0xf) * 4 - (size_t)(tcp[12] >> 4) * 4);
    s->matched = 0;
}

static int is_tcp(const uint8_t *fr, size_t len) { return len >= 54 && fr[12] == 8 && fr[13] == 0 && fr[23] == 6; }

/* The boxed link: when the last frame went through, and the box's RST. */
static void watch_box(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *fr,
                      size_t len)
{
    (void)dir;
    struct run *r = arg;
    if (ev != NST_SIM_OFFERED || !is_tcp(fr, len))
        return;
    struct seen s;
    tcp_fields(fr, &s, now);
    if (s.flags & 0x04) {
        if (!r->rst_at)
            r->rst_at = now;
    } else {
        r->last_through = now;
    }
}

/* New York's segments as they leave (ny-r1) and reach London (r3-london). */
static void watch_ny(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *fr, size_t len)
{
    struct run *r = arg;
    if (!r->watch || dir != 0 || ev != NST_SIM_OFFERED || !is_tcp(fr, len) || r->nout >= MAX_ARROWS)
        return;
    tcp_fields(fr, &r->out[r->nout++], now);
}

static void watch_ldn(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *fr,
                      size_t len)
{
    struct run *r = arg;
    if (!r->watch || dir != 0 || ev != NST_SIM_DELIVERED || !is_tcp(fr, len) || r->nin >= MAX_ARROWS)
        return;
    tcp_fields(fr, &r->in[r->nin++], now);
}

static int run_up(struct run *r, const struct nst_demo_opts *o, int mode, nst_time_t ping, const char *cap,
                  FILE *out)
{
    memset(r, 0, sizeof(*r));
    struct nst_stack_config hc;
    nst_stack_config_default(&hc);
    hc.tcp.data_retries = 5; /* Linux's 15 take a quarter of an hour; 5 show the same */
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.host_cfg = &hc;
    if (nst_lab_path_build(&r->p, &po) < 0)
        return -1;
    struct nst_idle_box_config bc;
    nst_idle_box_config_default(&bc);
    bc.mode = mode;
    r->box = nst_idle_box_attach(r->p.links[2], &bc);
    nst_lab_capture(o, r->p.links[2], cap, out);
    nst_sim_link_observe(r->p.links[2], watch_box, r);
    nst_sim_link_observe(r->p.links[0], watch_ny, r);
    nst_sim_link_observe(r->p.links[3], watch_ldn, r);
    r->ny.st = r->p.ny;
    r->ldn.st = r->p.london;
    r->lfd = nst_lab_listen(r->p.london, WS_PORT, 8);
    if (!r->box || r->lfd < 0 || nst_socket_set_event_cb(r->p.london, r->lfd, on_listener, r) < 0)
        return -1;
    int fd = nst_socket(r->p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, WS_PORT};
    nst_connect(r->p.ny, fd, &to);
    struct nst_stream *s = nst_stream_tcp(r->p.ny, fd);
    struct nst_ws_config cc;
    nst_ws_config_default(&cc);
    cc.ping_interval = ping;
    cc.pong_timeout = ping ? NST_SEC(10) : 0;
    r->ny.ws = s ? nst_ws_client(s, "london.lab", "/echo", &cc, &client_handler, &r->ny) : NULL;
    if (!r->ny.ws)
        return -1;
    nst_world_run_for(r->p.world, NST_SEC(1));
    return r->ny.open && r->ldn.open ? 0 : -1;
}

static void run_down(struct run *r)
{
    nst_ws_free(r->ny.ws);
    nst_ws_free(r->ldn.ws);
    nst_lab_path_free(&r->p);
}

static double sec(nst_time_t t) { return (double)t / 1e9; }

static const char *why(int err)
{
    return err == -ECONNRESET ? "connection reset" : err == -ETIMEDOUT ? "timed out" : err ? strerror(-err) : "-";
}

/* 1. A load balancer: RST both ways at exactly 60 s of silence. */
static int part_rst(const struct nst_demo_opts *o, FILE *out)
{
    struct run r;
    fprintf(out, "\n-- a load balancer (RST at 60 s idle), no pings --\n");
    if (run_up(&r, o, NST_IDLE_RST, 0, "websocket-lb.pcap", out) < 0) {
        run_down(&r);
        return 0;
    }
    nst_time_t last = r.last_through;
    nst_world_run_for(r.p.world, NST_SEC(70));
    fprintf(out, "  t=%9.6f s  the last segment of the handshake passes the box\n", sec(last));
    fprintf(out, "  t=%9.6f s  the box resets both halves (%.3f s of silence)\n", sec(r.rst_at), sec(r.rst_at - last));
    fprintf(out, "  t=%9.6f s  New York: closed %d (%s)\n", sec(r.ny.t_close), r.ny.code, why(r.ny.err));
    fprintf(out, "  t=%9.6f s  London:   closed %d (%s)\n", sec(r.ldn.t_close), r.ldn.code, why(r.ldn.err));
    nst_lab_figure(o, "a load balancer resets the idle WebSocket after", "60 s of silence",
                   r.rst_at == last + NST_SEC(60), "s", "%.3f", sec(r.rst_at - last));
    int ok = nst_lab_check(out, r.rst_at == last + NST_SEC(60), "the box resets the flow at exactly 60 s idle");
    ok &= nst_lab_check(out, r.ny.closed && r.ny.err == -ECONNRESET && r.ldn.closed && r.ldn.err == -ECONNRESET,
                        "each end sees the reset as it arrives (1006, ECONNRESET)");
    run_down(&r);
    return ok;
}

/* 2. A NAT: forgets silently; the client's next message finds out. */
static int part_silent(const struct nst_demo_opts *o, FILE *out)
{
    struct run r;
    fprintf(out, "\n-- a NAT (forgets the flow at 60 s idle, silently), no pings --\n");
    if (run_up(&r, o, NST_IDLE_SILENT, 0, "websocket-nat.pcap", out) < 0) {
        run_down(&r);
        return 0;
    }
    nst_world_run_until(r.p.world, r.ny.t_open + NST_SEC(90));
    int quiet = !r.ny.closed && !r.ldn.closed && !r.rst_at;
    nst_time_t sent = nst_world_now(r.p.world);
    r.watch = 1;
    nst_ws_send(r.ny.ws, NST_WS_TEXT, "are you there?", 14);
    nst_world_run_for(r.p.world, NST_SEC(120));
    r.watch = 0;
    fprintf(out, "  t=%9.6f s  open; then silence. At 60 s the NAT forgets the flow; nobody is told\n",
            sec(r.ny.t_open));
    fprintf(out, "  t=%9.6f s  New York sends a message: the box drops it, and each retransmission\n", sec(sent));
    fprintf(out, "  t=%9.6f s  New York: closed %d (%s): %.3f s to notice\n", sec(r.ny.t_close), r.ny.code,
            why(r.ny.err), sec(r.ny.t_close - sent));
    fprintf(out, "  London still believes the connection open: %s\n", r.ldn.closed ? "no" : "yes");
    /* The ladder: the message and its retransmissions, none arriving. */
    struct nst_svg_arrow a[MAX_ARROWS];
    static char labels[MAX_ARROWS][80];
    int n = 0;
    for (int i = 0; i < r.nout && n < MAX_ARROWS; i++) {
        struct seen *s = &r.out[i];
        int arrived = 0;
        for (int k = 0; k < r.nin && !arrived; k++)
            if (!r.in[k].matched && r.in[k].seq == s->seq && r.in[k].len == s->len && r.in[k].flags == s->flags) {
                r.in[k].matched = 1;
                arrived = 1;
                a[n].arrived = r.in[k].at;
            }
        if (!arrived)
            a[n].arrived = s->at + NST_USEC(19500); /* as far as the box (r2) */
        snprintf(labels[n], sizeof(labels[n]), "%s%u bytes%s", n ? "retransmission: " : "message: ", s->len,
                 arrived ? "" : " (dropped by the NAT)");
        a[n].from_left = 1;
        a[n].sent = s->at;
        a[n].label = labels[n];
        n++;
    }
    char path[1024];
    if (nst_lab_out_path(o, "websocket-nat-ladder.svg", path, sizeof(path)))
        nst_lab_picture_note(out, path,
                             nst_svg_ladder(path, "A NAT forgot the flow: the next message and its retransmissions",
                                            "New York", "London", a, n));
    int ok = nst_lab_check(out, quiet, "nothing happens at 60 s: the NAT forgets without a word");
    ok &= nst_lab_check(out, r.ny.closed && r.ny.err == -ETIMEDOUT && !r.ldn.closed && n == 7,
                        "New York learns only by sending: a tail loss probe, 5 retransmissions, then TCP gives up");
    run_down(&r);
    return ok;
}

/* 3. Pings at half the timeout keep it alive, through either box. */
static int part_pings(const struct nst_demo_opts *o, FILE *out)
{
    int ok = 1;
    for (int mode = NST_IDLE_RST; mode <= NST_IDLE_SILENT; mode++) {
        struct run r;
        fprintf(out, "\n-- %s, a ping every 30 s --\n", mode == NST_IDLE_RST ? "a load balancer" : "a NAT");
        if (run_up(&r, o, mode, NST_SEC(30), mode == NST_IDLE_RST ? "websocket-lb-pings.pcap" : "websocket-nat-pings.pcap", out) < 0) {
            run_down(&r);
            return 0;
        }
        nst_world_run_until(r.p.world, r.ny.t_open + NST_SEC(600) + NST_SEC(1));
        const struct nst_ws_stats *st = nst_ws_stats(r.ny.ws);
        fprintf(out, "  after 10 minutes: %s, %llu pings, %llu pongs, flows expired at the box: %llu\n",
                r.ny.closed ? "closed" : "open", (unsigned long long)st->pings_out, (unsigned long long)st->pongs_in,
                (unsigned long long)nst_idle_box_stats(r.box)->flows_expired);
        nst_lab_figure(o, mode == NST_IDLE_RST ? "pongs in 10 minutes, pinging every 30 s (load balancer)"
                                               : "pongs in 10 minutes, pinging every 30 s (NAT)",
                       "20, the connection open", !r.ny.closed && st->pongs_in == 20, "", "%llu",
                       (unsigned long long)st->pongs_in);
        ok &= nst_lab_check(out, !r.ny.closed && !r.ldn.closed && st->pongs_in == 20 &&
                                     nst_idle_box_stats(r.box)->flows_expired == 0,
                            "the connection survives 10 minutes of virtual time");
        run_down(&r);
    }
    return ok;
}

int nst_demo_websocket(const struct nst_demo_opts *o, FILE *out)
{
    fprintf(out, "A WebSocket from New York to London through an idle-timeout box (60 s) in the\n"
                 "transatlantic link, as load balancers and NATs have.\n");
    int ok = part_rst(o, out);
    ok &= part_silent(o, out);
    ok &= part_pings(o, out);
    return ok ? 0 : 1;
}
