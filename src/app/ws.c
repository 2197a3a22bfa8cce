/* A WebSocket connection (RFC 6455) over a stream: the opening handshake,
 * then libwslay for framing (its callbacks read and write the stream, and
 * draw masking keys from the stack's generator), UTF-8 checked here as the
 * bytes arrive, pings and the pong deadline on the stack's timers, the
 * close handshake, counters.
 *
 * States: HANDSHAKE (server reading the request / client writing the
 * request and reading the 101), OPEN, CLOSING (close frames exchanged or
 * a fatal error: our FIN is out, waiting for the peer's), DONE (stream
 * closed, on_close delivered). */
#include <nstack/stack.h>
#include <nstack/timer.h>
#include <nstack/ws.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "app/ws_handshake.h"
#include "app/ws_upgrade.h"
#include "app/ws_utf8.h"

#define WS_HEAD_MAX 8192             /* an Upgrade request or 101 head */
#define WS_HEAD_FIELDS 48
#define WS_QUEUE_MAX (4u << 20)      /* bytes queued for sending, at most */

enum ws_state { WS_HANDSHAKE, WS_OPEN, WS_CLOSING, WS_DONE };

/* Frame headers as the bytes pass to wslay: it answers a control frame
 * that is fragmented or longer than 125 bytes, and a close frame with a
 * one-byte payload, with a close frame carrying no code; RFC 6455 7.4.1
 * and 5.5 want 1002. Only those rules are checked here. */
struct ws_sniff {
    uint8_t hdr[14];
    uint8_t have, need;
    uint64_t skip; /* payload bytes of the current frame still to pass */
};

/* A message sent in fragments: wslay pulls it frame by frame. */
struct ws_frag_src {
    struct ws_frag_src *next;
    uint8_t *data;
    size_t len, off, frag;
    int done;
};

struct nst_ws {
    struct nst_stream *s;
    struct nst_stack *st;
    struct nst_ws_config cfg;
    struct nst_ws_handler h;
    void *arg;
    wslay_event_context_ptr wc;
    enum ws_state state;
    int server;
    int tunnel_wait;                 /* client over HTTP/2: waiting for the CONNECT's answer */
    /* Handshake. */
    struct nst_http1_parser hp;
    struct nst_http1_field fields[WS_HEAD_FIELDS];
    uint8_t head[WS_HEAD_MAX];
    size_t head_len;
    size_t pre_off, pre_len;         /* bytes after the head, for wslay first */
    uint8_t out[1024];               /* the handshake we write */
    size_t out_len, out_off;
    char key[NST_WS_KEY_LEN + 1];
    int http_status;
    char protocol[NST_WS_TEXT_MAX], extensions[NST_WS_TEXT_MAX], path[NST_WS_TEXT_MAX];
    /* Receiving. */
    struct nst_utf8 utf8;
    int in_text, in_ctrl;
    int failed;                      /* we failed the connection: deliver nothing more */
    int eof;                         /* the peer's FIN */
    int shut;                        /* our FIN is sent */
    int close_counted, app_closed, peer_closed_first;
    /* Keep-alive and closing. */
    struct nst_app_timer *ping_t, *pong_t, *close_t, *kick_t;
    uint64_t ping_seq;
    struct ws_frag_src *frags;
    struct ws_sniff sniff;
    /* Frames wslay wrote, written to the stream in one piece (wslay hands
     * over a header and its payload separately). */
    uint8_t obuf[16384];
    size_t olen;
    int close_pending;               /* nst_ws_close waits for queued messages */
    uint16_t pend_code;
    uint8_t pend_reason[123];
    size_t pend_len;
    int err, code;
    int depth, free_pending;
    struct nst_ws_stats stats;
};

/* ---- counters ---------------------------------------------------------- */

int nst_ws_code_slot(int code)
{
    static const int codes[] = {1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011};
    for (int i = 0; i < (int)(sizeof(codes) / sizeof(codes[0])); i++)
        if (codes[i] == code)
            return i;
    return NST_WS_SLOT_OTHER;
}

/* Adds n to the counter at byte offset `off` of the stats, here and in the shared set. */
static void bump(struct nst_ws *ws, size_t off, uint64_t n)
{
    *(uint64_t *)((uint8_t *)&ws->stats + off) += n;
    if (ws->cfg.shared)
        *(uint64_t *)((uint8_t *)ws->cfg.shared + off) += n;
}
#define COUNT(ws, field, n) bump((ws), offsetof(struct nst_ws_stats, field), (n))

/* ---- the end ----------------------------------------------------------- */

static void stop_timers(struct nst_ws *ws)
{
    nst_app_timer_cancel(ws->ping_t);
    nst_app_timer_cancel(ws->pong_t);
    nst_app_timer_cancel(ws->close_t);
    nst_app_timer_cancel(ws->kick_t);
}

/* Closes the stream and tells the application, once. */
static void finish(struct nst_ws *ws, int code, int err)
{
    if (ws->state == WS_DONE)
        return;
    ws->state = WS_DONE;
    ws->code = code;
    if (!ws->err)
        ws->err = err;
    stop_timers(ws);
    nst_stream_close(ws->s);
    ws->s = NULL;
    if (ws->h.on_close)
        ws->h.on_close(ws->arg, ws, code);
}

/* The code on_close reports once the close handshake is over. */
static int close_code(struct nst_ws *ws)
{
    if (ws->wc && wslay_event_get_close_received(ws->wc)) {
        int c = wslay_event_get_status_code_received(ws->wc);
        return c ? c : NST_WS_NO_STATUS;
    }
    if (ws->wc && wslay_event_get_close_sent(ws->wc) && !ws->app_closed)
        return wslay_event_get_status_code_sent(ws->wc);
    return NST_WS_ABNORMAL;
}

/* Sends our FIN once every byte we have for the stream is written (a
 * refusal's response, or frames). */
static void shut_when_written(struct nst_ws *ws)
{
    if (!ws->shut && ws->out_off == ws->out_len && !ws->olen && nst_stream_shutdown(ws->s) != -EAGAIN)
        ws->shut = 1;
}

/* Our side is done (close frame sent, or a failed handshake answered):
 * send FIN and wait for the peer's (RFC 6455 7.1.1: the server closes
 * TCP first; a client waits for it, and so does close_timeout). */
static void start_closing(struct nst_ws *ws)
{
    if (ws->state == WS_CLOSING || ws->state == WS_DONE)
        return;
    ws->state = WS_CLOSING;
    nst_app_timer_cancel(ws->ping_t);
    nst_app_timer_cancel(ws->pong_t);
    if (!nst_app_timer_armed(ws->close_t))
        nst_app_timer_arm(ws->close_t, nst_stack_now(ws->st) + ws->cfg.close_timeout);
    shut_when_written(ws);
}

/* ---- wslay's callbacks -------------------------------------------------- */

/* 0, or -1 if the bytes break a control-frame rule (RFC 6455 5.5). */
static int sniff_frames(struct ws_sniff *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (f->skip) {
            size_t take = f->skip < n - i ? (size_t)f->skip : n - i;
            f->skip -= take;
            i += take;
            continue;
        }
        f->hdr[f->have++] = p[i++];
        if (f->have == 2) {
            uint8_t l7 = f->hdr[1] & 0x7f;
            f->need = (uint8_t)(2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (f->hdr[1] & 0x80 ? 4 : 0));
        }
        if (f->have < 2 || f->have < f->need)
            continue;
        uint64_t len = f->hdr[1] & 0x7f;
        if (len == 126)
            len = (uint64_t)f->hdr[2] << 8 | f->hdr[3];
        else if (len == 127)
            for (int k = 0; k < 8; k++)
                len = k ? len << 8 | f->hdr[2 + k] : f->hdr[2];
        uint8_t opcode = f->hdr[0] & 0x0f;
        if (opcode >= 0x8 && (!(f->hdr[0] & 0x80) || len > 125 || (opcode == 0x8 && len == 1)))
            return -1;
        f->skip = len;
        f->have = f->need = 0;
    }
    return 0;
}

static void fail(struct nst_ws *ws, int code);

static ssize_t on_wslay_recv(wslay_event_context_ptr wc, uint8_t *buf, size_t len, int flags, void *arg)
{
    (void)flags;
    struct nst_ws *ws = arg;
    ssize_t r;
    if (ws->pre_off < ws->pre_len) { /* bytes that came behind the handshake */
        size_t n = ws->pre_len - ws->pre_off < len ? ws->pre_len - ws->pre_off : len;
        memcpy(buf, ws->head + ws->pre_off, n);
        ws->pre_off += n;
        r = (ssize_t)n;
    } else {
        r = nst_stream_read(ws->s, buf, len);
    }
    if (r > 0 && sniff_frames(&ws->sniff, buf, (size_t)r)) {
        fail(ws, NST_WS_PROTOCOL_ERROR); /* these bytes never reach wslay */
        wslay_event_set_error(wc, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    if (r > 0)
        return r;
    if (r == -EAGAIN) {
        wslay_event_set_error(wc, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (r == 0)
        ws->eof = 1;
    else if (!ws->err)
        ws->err = (int)r;
    wslay_event_set_error(wc, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

/* Writes obuf to the stream; 1 when it is empty. */
static int flush_obuf(struct nst_ws *ws)
{
    while (ws->olen) {
        ssize_t r = nst_stream_write(ws->s, ws->obuf, ws->olen);
        if (r == -EAGAIN)
            return 0;
        if (r < 0) {
            if (!ws->err)
                ws->err = (int)r;
            ws->olen = 0;
            return 0;
        }
        memmove(ws->obuf, ws->obuf + r, ws->olen - (size_t)r);
        ws->olen -= (size_t)r;
    }
    return 1;
}

static ssize_t on_wslay_send(wslay_event_context_ptr wc, const uint8_t *data, size_t len, int flags, void *arg)
{
    (void)flags;
    struct nst_ws *ws = arg;
    if (ws->err) {
        wslay_event_set_error(wc, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    if (ws->olen == sizeof(ws->obuf) && !flush_obuf(ws) && ws->olen == sizeof(ws->obuf)) {
        wslay_event_set_error(wc, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = sizeof(ws->obuf) - ws->olen < len ? sizeof(ws->obuf) - ws->olen : len;
    memcpy(ws->obuf + ws->olen, data, n);
    ws->olen += n;
    return (ssize_t)n;
}

/* RFC 6455 5.3: masking keys "derived from a strong source of entropy":
 * the stack's generator (OS-seeded unless the stack is deterministic). */
static int on_wslay_genmask(wslay_event_context_ptr wc, uint8_t *buf, size_t len, void *arg)
{
    (void)wc;
    struct nst_ws *ws = arg;
    nst_stack_random(ws->st, buf, len);
    return 0;
}

/* Fails the connection with code (RFC 6455 7.1.7): a close frame, and no
 * more reading. */
static void fail(struct nst_ws *ws, int code)
{
    if (ws->failed || wslay_event_get_close_sent(ws->wc))
        return;
    ws->failed = 1;
    wslay_event_queue_close(ws->wc, (uint16_t)code, NULL, 0);
    wslay_event_shutdown_read(ws->wc);
}

static void on_frame_start(wslay_event_context_ptr wc, const struct wslay_event_on_frame_recv_start_arg *a,
                           void *arg)
{
    (void)wc;
    struct nst_ws *ws = arg;
    ws->in_ctrl = a->opcode >= 0x8;
    if (ws->in_ctrl)
        return;
    COUNT(ws, frames_in, 1);
    if (a->opcode != WSLAY_CONTINUATION_FRAME) { /* a new message */
        ws->in_text = a->opcode == WSLAY_TEXT_FRAME;
        nst_utf8_init(&ws->utf8);
    }
}

/* RFC 6455 8.1: text must be UTF-8; checked as the bytes come, so a bad
 * byte fails the connection without waiting for the message's end. */
static void on_frame_chunk(wslay_event_context_ptr wc, const struct wslay_event_on_frame_recv_chunk_arg *a,
                           void *arg)
{
    (void)wc;
    struct nst_ws *ws = arg;
    if (!ws->in_ctrl && ws->in_text && !ws->failed && nst_utf8_feed(&ws->utf8, a->data, a->data_length))
        fail(ws, NST_WS_INVALID_PAYLOAD);
}

/* RFC 6455 7.4.1, 7.4.2: the codes a close frame may carry. */
static int close_code_valid(int c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999);
}

static void on_close_frame(struct nst_ws *ws, const struct wslay_event_on_msg_recv_arg *a)
{
    int code = a->status_code ? a->status_code : NST_WS_NO_STATUS;
    COUNT(ws, close_received[nst_ws_code_slot(code)], 1);
    if (!wslay_event_get_close_sent(ws->wc))
        ws->peer_closed_first = 1;
    if (a->status_code && !close_code_valid(a->status_code)) {
        ws->peer_closed_first = 0; /* our close is an error, not an echo */
        wslay_event_queue_close(ws->wc, NST_WS_PROTOCOL_ERROR, NULL, 0);
    } else if (a->msg_length > 2 && !nst_utf8_valid(a->msg + 2, a->msg_length - 2)) {
        ws->peer_closed_first = 0;
        ws->failed = 1;
        wslay_event_queue_close(ws->wc, NST_WS_INVALID_PAYLOAD, NULL, 0);
    }
}

static void on_msg(wslay_event_context_ptr wc, const struct wslay_event_on_msg_recv_arg *a, void *arg)
{
    (void)wc;
    struct nst_ws *ws = arg;
    switch (a->opcode) {
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME:
        if (ws->failed || ws->state != WS_OPEN)
            return;
        if (a->opcode == WSLAY_TEXT_FRAME && !nst_utf8_complete(&ws->utf8)) {
            fail(ws, NST_WS_INVALID_PAYLOAD); /* ends inside a character */
            return;
        }
        COUNT(ws, msgs_in, 1);
        COUNT(ws, bytes_in, a->msg_length);
        if (ws->h.on_message)
            ws->h.on_message(ws->arg, ws, a->opcode, a->msg ? a->msg : (const uint8_t *)"", a->msg_length);
        break;
    case WSLAY_PING:
        COUNT(ws, pings_in, 1);
        if (wslay_event_get_write_enabled(ws->wc) && !wslay_event_get_close_sent(ws->wc))
            COUNT(ws, pongs_out, 1); /* wslay answers it (RFC 6455 5.5.3) */
        break;
    case WSLAY_PONG:
        COUNT(ws, pongs_in, 1);
        nst_app_timer_cancel(ws->pong_t); /* the peer is alive */
        break;
    case WSLAY_CONNECTION_CLOSE:
        on_close_frame(ws, a);
        break;
    }
}

/* ---- driving ------------------------------------------------------------ */

/* Writes what is left of the handshake; 1 when all of it is out. */
static int flush_handshake(struct nst_ws *ws)
{
    while (ws->out_off < ws->out_len) {
        ssize_t r = nst_stream_write(ws->s, ws->out + ws->out_off, ws->out_len - ws->out_off);
        if (r == -EAGAIN)
            return 0;
        if (r < 0) {
            finish(ws, NST_WS_ABNORMAL, (int)r);
            return 0;
        }
        ws->out_off += (size_t)r;
    }
    return 1;
}

/* Counts the close frame once it is sent, by who asked for it: the
 * application, an echo of the peer's, or a protocol error of the peer's. */
static void count_close_sent(struct nst_ws *ws)
{
    if (ws->close_counted || !wslay_event_get_close_sent(ws->wc) || wslay_event_want_write(ws->wc))
        return;
    ws->close_counted = 1;
    int code = wslay_event_get_status_code_sent(ws->wc);
    COUNT(ws, close_sent[nst_ws_code_slot(code ? code : NST_WS_NO_STATUS)], 1);
    if (ws->app_closed || ws->peer_closed_first)
        return;
    if (code == NST_WS_PROTOCOL_ERROR)
        COUNT(ws, err_protocol, 1);
    else if (code == NST_WS_INVALID_PAYLOAD)
        COUNT(ws, err_utf8, 1);
    else if (code == NST_WS_TOO_BIG)
        COUNT(ws, err_too_big, 1);
}

/* Reads and discards until the peer's FIN (or an error): the end. */
static void drain_closing(struct nst_ws *ws)
{
    uint8_t sink[2048];
    for (;;) {
        ssize_t r = nst_stream_read(ws->s, sink, sizeof(sink));
        if (r > 0)
            continue;
        if (r == -EAGAIN)
            return;
        finish(ws, close_code(ws), r < 0 && !ws->wc ? (int)r : 0);
        return;
    }
}

/* Lets wslay frame what is queued and writes it out, until the stream
 * takes no more or nothing is left. */
static void send_frames(struct nst_ws *ws)
{
    for (;;) {
        if (wslay_event_want_write(ws->wc) && !ws->err)
            wslay_event_send(ws->wc);
        if (!flush_obuf(ws) || !wslay_event_want_write(ws->wc) || ws->err)
            return;
    }
}

static void pump_frames(struct nst_ws *ws)
{
    if (wslay_event_want_read(ws->wc) && ws->state == WS_OPEN)
        wslay_event_recv(ws->wc);
    if (ws->state == WS_DONE)
        return;
    send_frames(ws);
    /* wslay sends control frames before queued messages: our close waits
     * until they are out, so no message sent before it is lost. */
    if (ws->close_pending && !wslay_event_get_queued_msg_count(ws->wc)) {
        ws->close_pending = 0;
        if (!wslay_event_get_close_sent(ws->wc) &&
            !wslay_event_queue_close(ws->wc, ws->pend_code, ws->pend_reason, ws->pend_len))
            send_frames(ws);
    }
    count_close_sent(ws);
    if (ws->err || (ws->eof && !wslay_event_get_close_received(ws->wc))) {
        /* The stream failed, or ended without a close frame (RFC 6455 7.1.5: 1006). */
        if (ws->err)
            COUNT(ws, stream_errors, 1);
        finish(ws, NST_WS_ABNORMAL, ws->err ? ws->err : -ECONNRESET);
        return;
    }
    /* Close frames exchanged, or ours sent after an error of the peer's. */
    int reading = wslay_event_get_read_enabled(ws->wc) && !wslay_event_get_close_received(ws->wc);
    if (wslay_event_get_close_sent(ws->wc) && !wslay_event_want_write(ws->wc) && !ws->olen &&
        (!reading || ws->eof)) {
        start_closing(ws);
        if (ws->eof) {
            finish(ws, close_code(ws), 0);
            return;
        }
    }
    if (ws->state == WS_CLOSING) {
        shut_when_written(ws);
        drain_closing(ws);
    }
}

static int open_framing(struct nst_ws *ws);

static void handshake_failed(struct nst_ws *ws, size_t counter_off)
{
    bump(ws, counter_off, 1);
    ws->err = -EPROTO;
    if (ws->server && ws->out_len) { /* answer, then close */
        flush_handshake(ws);
        start_closing(ws);
        return;
    }
    finish(ws, NST_WS_ABNORMAL, -EPROTO);
}

/* Reads more of the head; the parser's result (length, -EAGAIN, error). */
static int read_head(struct nst_ws *ws)
{
    for (;;) {
        if (ws->head_len == sizeof(ws->head))
            return nst_http1_parse_head(&ws->hp, ws->head, ws->head_len);
        ssize_t r = nst_stream_read(ws->s, ws->head + ws->head_len, sizeof(ws->head) - ws->head_len);
        if (r == -EAGAIN)
            return -EAGAIN;
        if (r <= 0)
            return r == 0 ? -ECONNRESET : (int)r;
        ws->head_len += (size_t)r;
        int n = nst_http1_parse_head(&ws->hp, ws->head, ws->head_len);
        if (n != -EAGAIN)
            return n;
    }
}

static void server_answer(struct nst_ws *ws, size_t hl)
{
    struct nst_ws_request req;
    nst_ws_check_request(&ws->hp, ws->head, ws->cfg.protocols, ws->cfg.nprotocols, &req);
    memcpy(ws->protocol, req.protocol, sizeof(ws->protocol));
    memcpy(ws->extensions, req.extensions, sizeof(ws->extensions));
    memcpy(ws->path, req.path, sizeof(ws->path));
    ws->http_status = req.status;
    int n = nst_ws_write_response(ws->out, sizeof(ws->out), &req);
    ws->out_len = n > 0 ? (size_t)n : 0;
    if (req.status != 101) {
        handshake_failed(ws, req.status == 426 ? offsetof(struct nst_ws_stats, handshake_bad_version)
                                               : offsetof(struct nst_ws_stats, handshake_bad_request));
        return;
    }
    ws->pre_off = hl;
    ws->pre_len = ws->head_len;
    open_framing(ws);
}

static void step_handshake(struct nst_ws *ws)
{
    if (!ws->server && !flush_handshake(ws))
        return;
    int n = read_head(ws);
    if (n == -EAGAIN)
        return;
    if (n < 0) {
        if (ws->server && nst_http1_status_of(n)) { /* a malformed request: its status */
            struct nst_ws_request req = {.status = nst_http1_status_of(n)};
            ws->http_status = req.status;
            int w = nst_ws_write_response(ws->out, sizeof(ws->out), &req);
            ws->out_len = w > 0 ? (size_t)w : 0;
            handshake_failed(ws, offsetof(struct nst_ws_stats, handshake_bad_request));
        } else if (!ws->server && nst_http1_status_of(n)) {
            handshake_failed(ws, offsetof(struct nst_ws_stats, handshake_bad_response));
        } else {
            COUNT(ws, stream_errors, 1);
            finish(ws, NST_WS_ABNORMAL, n);
        }
        return;
    }
    if (ws->server) {
        server_answer(ws, (size_t)n);
        return;
    }
    const char *why = "";
    if (nst_ws_check_response(&ws->hp, ws->head, ws->key, ws->cfg.protocols, ws->cfg.nprotocols, ws->protocol,
                              &why)) {
        handshake_failed(ws, offsetof(struct nst_ws_stats, handshake_bad_response));
        return;
    }
    ws->pre_off = (size_t)n;
    ws->pre_len = ws->head_len;
    open_framing(ws);
}

/* One round of progress on whatever the state allows. */
static void step(struct nst_ws *ws)
{
    if (ws->state == WS_HANDSHAKE && ws->tunnel_wait) {
        /* RFC 8441 4: the answer comes from the carrier (ws_tunnel_answered);
         * only the stream's end is seen here (a reset, the connection lost). */
        if (nst_stream_events(ws->s) & (NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP)) {
            COUNT(ws, stream_errors, 1);
            int e = nst_stream_error(ws->s);
            finish(ws, NST_WS_ABNORMAL, e ? e : -ECONNRESET);
        }
        return;
    }
    if (ws->state == WS_HANDSHAKE)
        step_handshake(ws);
    if (ws->state == WS_OPEN || (ws->state == WS_CLOSING && ws->wc)) {
        if (ws->server && !flush_handshake(ws))
            return;
        pump_frames(ws);
    } else if (ws->state == WS_CLOSING) {
        if (flush_handshake(ws))
            shut_when_written(ws);
        if (ws->state == WS_CLOSING)
            drain_closing(ws);
    }
}

static void really_free(struct nst_ws *ws);

/* Every entry from outside (stream events, timers, application calls)
 * goes through here, so a handler freeing the connection is safe. */
static void enter(struct nst_ws *ws) { ws->depth++; }
static void leave(struct nst_ws *ws)
{
    if (--ws->depth == 0 && ws->free_pending)
        really_free(ws);
}

static void on_stream(void *arg, struct nst_stream *s, int events)
{
    (void)s;
    (void)events;
    struct nst_ws *ws = arg;
    enter(ws);
    step(ws);
    leave(ws);
}

static void on_kick(void *arg, struct nst_app_timer *t)
{
    (void)t;
    on_stream(arg, NULL, 0);
}

/* ---- keep-alive --------------------------------------------------------- */

static void on_ping_timer(void *arg, struct nst_app_timer *t)
{
    struct nst_ws *ws = arg;
    if (ws->state != WS_OPEN)
        return;
    enter(ws);
    uint8_t data[8];
    uint64_t seq = ++ws->ping_seq;
    for (int i = 0; i < 8; i++)
        data[i] = (uint8_t)(seq >> (56 - 8 * i));
    struct wslay_event_msg m = {WSLAY_PING, data, sizeof(data)};
    if (wslay_event_queue_msg(ws->wc, &m) == 0) {
        COUNT(ws, pings_out, 1);
        /* RFC 6455 5.5.2/5.5.3 give no deadline; ours: a pong (any) by then. */
        if (ws->cfg.pong_timeout && !nst_app_timer_armed(ws->pong_t))
            nst_app_timer_arm(ws->pong_t, nst_stack_now(ws->st) + ws->cfg.pong_timeout);
    }
    nst_app_timer_arm(t, nst_stack_now(ws->st) + ws->cfg.ping_interval);
    step(ws);
    leave(ws);
}

static void on_pong_timer(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct nst_ws *ws = arg;
    enter(ws);
    COUNT(ws, pong_timeouts, 1);
    finish(ws, NST_WS_ABNORMAL, -ETIMEDOUT);
    leave(ws);
}

static void on_close_timer(void *arg, struct nst_app_timer *t)
{
    (void)t;
    struct nst_ws *ws = arg;
    enter(ws);
    COUNT(ws, close_timeouts, 1);
    finish(ws, close_code(ws), ws->err);
    leave(ws);
}

/* ---- setting up --------------------------------------------------------- */

static int open_framing(struct nst_ws *ws)
{
    struct wslay_event_callbacks cb = {on_wslay_recv, on_wslay_send, on_wslay_genmask, on_frame_start,
                                       on_frame_chunk, NULL, on_msg};
    int r = ws->server ? wslay_event_context_server_init(&ws->wc, &cb, ws)
                       : wslay_event_context_client_init(&ws->wc, &cb, ws);
    if (r) {
        ws->wc = NULL;
        finish(ws, NST_WS_ABNORMAL, -ENOMEM);
        return -ENOMEM;
    }
    wslay_event_config_set_max_recv_msg_length(ws->wc, ws->cfg.max_message);
    ws->state = WS_OPEN;
    COUNT(ws, handshakes_ok, 1);
    if (ws->cfg.ping_interval)
        nst_app_timer_arm(ws->ping_t, nst_stack_now(ws->st) + ws->cfg.ping_interval);
    if (ws->h.on_open)
        ws->h.on_open(ws->arg, ws);
    return 0;
}

void nst_ws_config_default(struct nst_ws_config *c)
{
    memset(c, 0, sizeof(*c));
    c->max_message = 1u << 20;
    c->close_timeout = NST_SEC(5);
}

static struct nst_ws *ws_new(struct nst_stream *s, int server, const struct nst_ws_config *cfg,
                             const struct nst_ws_handler *h, void *arg)
{
    struct nst_ws *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return NULL;
    ws->s = s;
    ws->st = nst_stream_stack(s);
    if (cfg)
        ws->cfg = *cfg;
    else
        nst_ws_config_default(&ws->cfg);
    if (h)
        ws->h = *h;
    ws->arg = arg;
    ws->server = server;
    /* Messages are written whole (obuf): Nagle would only hold a small
     * one back for a delayed ACK, as browsers and servers know. */
    int one = 1;
    nst_setsockopt(ws->st, nst_stream_fd(s), NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof(one));
    ws->ping_t = nst_app_timer_new(ws->st, on_ping_timer, ws);
    ws->pong_t = nst_app_timer_new(ws->st, on_pong_timer, ws);
    ws->close_t = nst_app_timer_new(ws->st, on_close_timer, ws);
    ws->kick_t = nst_app_timer_new(ws->st, on_kick, ws);
    if (!ws->ping_t || !ws->pong_t || !ws->close_t || !ws->kick_t) {
        ws->s = NULL;
        really_free(ws);
        return NULL;
    }
    return ws;
}

/* Starts reading the stream: a step now (bytes may be waiting already),
 * then on every stream event. */
static void attach(struct nst_ws *ws)
{
    nst_stream_set_callback(ws->s, on_stream, ws);
    nst_app_timer_arm(ws->kick_t, nst_stack_now(ws->st));
}

struct nst_ws *nst_ws_server(struct nst_stream *s, const struct nst_ws_config *cfg, const struct nst_ws_handler *h,
                             void *arg)
{
    struct nst_ws *ws = ws_new(s, 1, cfg, h, arg);
    if (!ws)
        return NULL;
    struct nst_http1_limits lim = NST_HTTP1_LIMITS_DEFAULT;
    lim.max_body = 0;
    nst_http1_parser_init(&ws->hp, NST_HTTP1_REQUEST, NST_HTTP1_M_OTHER, &lim, ws->fields, WS_HEAD_FIELDS);
    attach(ws);
    return ws;
}

int nst_ws_accept_request(struct nst_stream *s, const struct nst_http1_parser *req, const uint8_t *head,
                          size_t head_len, const uint8_t *after, size_t after_len, const struct nst_ws_config *cfg,
                          const struct nst_ws_handler *h, void *arg, struct nst_ws **out)
{
    *out = NULL;
    if (head_len + after_len > WS_HEAD_MAX || req->msg.nfields > WS_HEAD_FIELDS)
        return -E2BIG;
    struct nst_ws *ws = ws_new(s, 1, cfg, h, arg);
    if (!ws)
        return -ENOMEM;
    /* Our own copy of the head and of the parser pointing at our fields. */
    memcpy(ws->head, head, head_len);
    memcpy(ws->head + head_len, after, after_len);
    ws->head_len = head_len + after_len;
    ws->hp = *req;
    memcpy(ws->fields, req->fields, sizeof(ws->fields[0]) * req->msg.nfields);
    ws->hp.fields = ws->fields;
    ws->hp.max_fields = WS_HEAD_FIELDS;
    nst_stream_set_callback(ws->s, on_stream, ws);
    enter(ws);
    server_answer(ws, head_len);
    step(ws);
    if (--ws->depth == 0 && ws->free_pending) { /* a handler freed it already */
        really_free(ws);
        return 0;
    }
    *out = ws;
    return 0;
}

/* ---- over an HTTP/2 stream (RFC 8441) ------------------------------------ */

struct nst_ws *ws_tunnel_server(struct nst_stream *s, const char *path, const char *protocol,
                                const char *extensions, const struct nst_ws_config *cfg,
                                const struct nst_ws_handler *h, void *arg, int *freed)
{
    *freed = 0;
    struct nst_ws *ws = ws_new(s, 1, cfg, h, arg);
    if (!ws)
        return NULL;
    snprintf(ws->path, sizeof(ws->path), "%s", path);
    snprintf(ws->protocol, sizeof(ws->protocol), "%s", protocol ? protocol : "");
    snprintf(ws->extensions, sizeof(ws->extensions), "%s", extensions ? extensions : "");
    ws->http_status = 200;
    nst_stream_set_callback(ws->s, on_stream, ws);
    enter(ws);
    open_framing(ws); /* the 200 is the handshake: frames may follow at once */
    if (ws->state != WS_DONE)
        nst_app_timer_arm(ws->kick_t, nst_stack_now(ws->st));
    if (--ws->depth == 0 && ws->free_pending) {
        really_free(ws);
        *freed = 1;
        return NULL;
    }
    return ws;
}

struct nst_ws *ws_tunnel_client(struct nst_stream *s, const char *path, const struct nst_ws_config *cfg,
                                const struct nst_ws_handler *h, void *arg)
{
    struct nst_ws *ws = ws_new(s, 0, cfg, h, arg);
    if (!ws)
        return NULL;
    snprintf(ws->path, sizeof(ws->path), "%s", path);
    ws->tunnel_wait = 1;
    nst_stream_set_callback(ws->s, on_stream, ws);
    return ws;
}

void ws_tunnel_answered(struct nst_ws *ws, int status, const char *protocol, int has_extensions)
{
    if (ws->state != WS_HANDSHAKE)
        return;
    enter(ws);
    ws->tunnel_wait = 0;
    ws->http_status = status;
    /* RFC 8441 5: any 2xx accepts; the subprotocol, if any, must be one we
     * offered, and no extension was offered (RFC 6455 9.1, 4.1). */
    int ok = status >= 200 && status < 300 && !has_extensions;
    if (ok && protocol && protocol[0]) {
        ok = 0;
        for (size_t k = 0; k < ws->cfg.nprotocols; k++)
            ok |= strcmp(ws->cfg.protocols[k], protocol) == 0;
        snprintf(ws->protocol, sizeof(ws->protocol), "%s", protocol);
    }
    if (ok)
        open_framing(ws);
    else
        handshake_failed(ws, offsetof(struct nst_ws_stats, handshake_bad_response));
    if (ws->state != WS_DONE)
        step(ws);
    leave(ws);
}

struct nst_ws *nst_ws_client(struct nst_stream *s, const char *host, const char *path,
                             const struct nst_ws_config *cfg, const struct nst_ws_handler *h, void *arg)
{
    struct nst_ws *ws = ws_new(s, 0, cfg, h, arg);
    if (!ws)
        return NULL;
    uint8_t nonce[16];
    nst_stack_random(ws->st, nonce, sizeof(nonce));
    nst_ws_key_from(nonce, ws->key);
    int n = nst_ws_write_request(ws->out, sizeof(ws->out), host, path, ws->key, ws->cfg.protocols,
                                 ws->cfg.nprotocols, ws->cfg.extensions);
    if (n < 0) {
        ws->s = NULL;
        really_free(ws);
        return NULL;
    }
    ws->out_len = (size_t)n;
    snprintf(ws->path, sizeof(ws->path), "%s", path);
    nst_http1_parser_init(&ws->hp, NST_HTTP1_RESPONSE, NST_HTTP1_M_GET, NULL, ws->fields, WS_HEAD_FIELDS);
    attach(ws);
    return ws;
}

/* ---- sending ------------------------------------------------------------ */

/* Sends what was queued, unless a handler of ours is running (the step
 * around it sends on its way out). */
static void kick_send(struct nst_ws *ws)
{
    if (ws->depth)
        return;
    enter(ws);
    step(ws);
    leave(ws);
}

static ssize_t frag_read(wslay_event_context_ptr wc, uint8_t *buf, size_t len,
                         const union wslay_event_msg_source *src, int *eof, void *arg)
{
    (void)wc;
    (void)arg;
    struct ws_frag_src *f = src->data;
    size_t n = f->len - f->off;
    if (n > f->frag)
        n = f->frag;
    if (n > len)
        n = len;
    memcpy(buf, f->data + f->off, n);
    f->off += n;
    if (f->off == f->len) {
        *eof = 1;
        f->done = 1;
    }
    return (ssize_t)n;
}

/* Frees the fragment sources wslay has finished with. */
static void prune_frags(struct nst_ws *ws, int all)
{
    for (struct ws_frag_src **pp = &ws->frags; *pp;) {
        struct ws_frag_src *f = *pp;
        if (f->done || all) {
            *pp = f->next;
            free(f->data);
            free(f);
        } else {
            pp = &f->next;
        }
    }
}

static int queue_fragmented(struct nst_ws *ws, int opcode, const void *data, size_t len)
{
    prune_frags(ws, 0);
    struct ws_frag_src *f = calloc(1, sizeof(*f));
    uint8_t *copy = malloc(len);
    if (!f || !copy) {
        free(f);
        free(copy);
        return -ENOMEM;
    }
    memcpy(copy, data, len);
    *f = (struct ws_frag_src){ws->frags, copy, len, 0, ws->cfg.send_fragment, 0};
    struct wslay_event_fragmented_msg m = {(uint8_t)opcode, {.data = f}, frag_read};
    if (wslay_event_queue_fragmented_msg(ws->wc, &m)) {
        free(copy);
        free(f);
        return -ENOMEM;
    }
    ws->frags = f;
    return 0;
}

int nst_ws_send(struct nst_ws *ws, int opcode, const void *data, size_t len)
{
    if (ws->state != WS_OPEN || !wslay_event_get_write_enabled(ws->wc) || wslay_event_get_close_sent(ws->wc) ||
        ws->close_pending)
        return -ENOTCONN;
    if (opcode != NST_WS_TEXT && opcode != NST_WS_BINARY)
        return -EINVAL;
    if (opcode == NST_WS_TEXT && !nst_utf8_valid(data, len))
        return -EINVAL;
    if (wslay_event_get_queued_msg_length(ws->wc) + len > WS_QUEUE_MAX)
        return -ENOBUFS;
    int r;
    if (ws->cfg.send_fragment && len > ws->cfg.send_fragment) {
        r = queue_fragmented(ws, opcode, data, len);
    } else {
        struct wslay_event_msg m = {(uint8_t)opcode, data, len};
        r = wslay_event_queue_msg(ws->wc, &m) ? -ENOMEM : 0;
    }
    if (r)
        return r;
    COUNT(ws, msgs_out, 1);
    COUNT(ws, bytes_out, len);
    kick_send(ws);
    return 0;
}

int nst_ws_ping(struct nst_ws *ws, const void *data, size_t len)
{
    if (ws->state != WS_OPEN || wslay_event_get_close_sent(ws->wc))
        return -ENOTCONN;
    if (len > 125) /* RFC 6455 5.5 */
        return -EINVAL;
    struct wslay_event_msg m = {WSLAY_PING, data, len};
    if (wslay_event_queue_msg(ws->wc, &m))
        return -ENOMEM;
    COUNT(ws, pings_out, 1);
    kick_send(ws);
    return 0;
}

int nst_ws_close(struct nst_ws *ws, int code, const char *reason)
{
    if (ws->state != WS_OPEN || wslay_event_get_close_sent(ws->wc) || ws->close_pending)
        return -ENOTCONN;
    size_t rl = reason ? strlen(reason) : 0;
    if (rl > 123 || !close_code_valid(code) || (rl && !nst_utf8_valid((const uint8_t *)reason, rl)))
        return -EINVAL; /* RFC 6455 5.5: 125 bytes with the code */
    ws->app_closed = !wslay_event_get_close_received(ws->wc);
    ws->close_pending = 1;
    ws->pend_code = (uint16_t)code;
    if (rl)
        memcpy(ws->pend_reason, reason, rl);
    ws->pend_len = rl;
    nst_app_timer_arm(ws->close_t, nst_stack_now(ws->st) + ws->cfg.close_timeout);
    kick_send(ws);
    return 0;
}

static void really_free(struct nst_ws *ws)
{
    nst_app_timer_free(ws->ping_t);
    nst_app_timer_free(ws->pong_t);
    nst_app_timer_free(ws->close_t);
    nst_app_timer_free(ws->kick_t);
    if (ws->wc)
        wslay_event_context_free(ws->wc);
    prune_frags(ws, 1);
    nst_stream_close(ws->s);
    free(ws);
}

void nst_ws_free(struct nst_ws *ws)
{
    if (!ws)
        return;
    if (ws->depth) { /* inside one of our handlers: at the way out */
        ws->free_pending = 1;
        stop_timers(ws);
        return;
    }
    really_free(ws);
}

/* ---- accessors ---------------------------------------------------------- */

int nst_ws_is_open(const struct nst_ws *ws)
{
    return ws->state == WS_OPEN && !ws->close_pending && !wslay_event_get_close_sent(ws->wc) &&
           !wslay_event_get_close_received(ws->wc);
}
const char *nst_ws_protocol(const struct nst_ws *ws) { return ws->protocol[0] ? ws->protocol : NULL; }
const char *nst_ws_peer_extensions(const struct nst_ws *ws) { return ws->extensions; }
const char *nst_ws_path(const struct nst_ws *ws) { return ws->path; }
int nst_ws_http_status(const struct nst_ws *ws) { return ws->http_status; }
int nst_ws_error(const struct nst_ws *ws) { return ws->err; }
const struct nst_ws_stats *nst_ws_stats(const struct nst_ws *ws) { return &ws->stats; }
struct nst_stream *nst_ws_stream(const struct nst_ws *ws) { return ws->s; }
void *nst_ws_arg(const struct nst_ws *ws) { return ws->arg; }
