/* nstack — WebSocket (RFC 6455) over a stream (plain TCP or TLS).
 *
 * A connection starts as an HTTP/1.1 Upgrade on a stream (stream.h): the
 * server reads the request and answers 101 (or 400 / 426), the client
 * writes the request and checks the 101. Then messages flow both ways as
 * frames. Framing is Debian's libwslay (event-driven, no I/O, no clock):
 * this layer feeds it the stream's bytes, gives it masking keys from the
 * stack's own generator, validates UTF-8 itself, and keeps the connection
 * alive with pings on the stack's timers (virtual time on the simulator).
 *
 * Everything is non-blocking and runs inside the stack's event
 * processing: the handler's functions are called from nst_stack_poll or
 * the packet input that made progress, and may send, close or free the
 * connection (nst_ws_free as their last action).
 *
 * Errors are negative errno values. */
#ifndef NSTACK_WS_H
#define NSTACK_WS_H

#include "stream.h"
#include "api.h"

NST_API_BEGIN

/* RFC 6455 5.2 opcodes an application sees. */
enum nst_ws_opcode { NST_WS_TEXT = 0x1, NST_WS_BINARY = 0x2 };

/* RFC 6455 7.4.1 status codes. */
enum nst_ws_code {
    NST_WS_NORMAL = 1000,
    NST_WS_GOING_AWAY = 1001,
    NST_WS_PROTOCOL_ERROR = 1002,
    NST_WS_UNSUPPORTED_DATA = 1003,
    NST_WS_NO_STATUS = 1005,       /* never sent: a close frame without a code */
    NST_WS_ABNORMAL = 1006,        /* never sent: the connection ended without a close handshake */
    NST_WS_INVALID_PAYLOAD = 1007, /* e.g. a text message that is not UTF-8 */
    NST_WS_POLICY = 1008,
    NST_WS_TOO_BIG = 1009,
    NST_WS_MANDATORY_EXT = 1010,
    NST_WS_INTERNAL_ERROR = 1011,
};

/* Close codes are counted per slot: the codes above, then one for any other. */
enum {
    NST_WS_SLOT_1000, NST_WS_SLOT_1001, NST_WS_SLOT_1002, NST_WS_SLOT_1003, NST_WS_SLOT_1005,
    NST_WS_SLOT_1006, NST_WS_SLOT_1007, NST_WS_SLOT_1008, NST_WS_SLOT_1009, NST_WS_SLOT_1010,
    NST_WS_SLOT_1011, NST_WS_SLOT_OTHER, NST_WS_SLOTS
};
int nst_ws_code_slot(int code);

/* Counters. Each connection has its own; a server usually also points
 * every connection at one shared set (nst_ws_config.shared). */
struct nst_ws_stats {
    uint64_t handshakes_ok;
    uint64_t handshake_bad_request;   /* server: answered 400 (not a valid Upgrade) */
    uint64_t handshake_bad_version;   /* server: answered 426 with Sec-WebSocket-Version: 13 */
    uint64_t handshake_bad_response;  /* client: not a valid 101 (status, Upgrade, Accept, protocol) */
    uint64_t msgs_in, msgs_out;       /* text and binary messages */
    uint64_t bytes_in, bytes_out;     /* their payload bytes */
    uint64_t frames_in;               /* data frames (fragments count one each) */
    uint64_t pings_in, pings_out, pongs_in, pongs_out;
    uint64_t close_sent[NST_WS_SLOTS];     /* by code, nst_ws_code_slot */
    uint64_t close_received[NST_WS_SLOTS];
    /* Protocol errors by kind (each makes us send that close code). */
    uint64_t err_protocol;            /* 1002: masking, reserved bits or opcodes, control frame
                                         rules, fragmentation order, bad close code */
    uint64_t err_utf8;                /* 1007: a text message or close reason that is not UTF-8 */
    uint64_t err_too_big;             /* 1009: a message over max_message */
    uint64_t pong_timeouts;           /* a ping unanswered by its deadline: the peer is dead */
    uint64_t stream_errors;           /* the stream failed (TCP reset, timeout, TLS error) */
    uint64_t close_timeouts;          /* the peer never finished the close handshake */
};

struct nst_ws;

struct nst_ws_handler {
    /* The handshake succeeded; messages can be sent. */
    void (*on_open)(void *arg, struct nst_ws *ws);
    /* A whole message (fragments joined), opcode NST_WS_TEXT (valid UTF-8)
     * or NST_WS_BINARY. The bytes are valid during the call. */
    void (*on_message)(void *arg, struct nst_ws *ws, int opcode, const uint8_t *data, size_t len);
    /* The connection is over (once): code is the peer's close code (1005
     * if it sent none), the code we closed with on a protocol error, or
     * 1006 when it ended without a close handshake (stream error, pong
     * timeout, failed handshake: nst_ws_error says which). The stream is
     * closed; free the connection with nst_ws_free. */
    void (*on_close)(void *arg, struct nst_ws *ws, int code);
};

struct nst_ws_config {
    uint64_t max_message;      /* largest message received, bytes; larger: close 1009. 1 MiB */
    size_t send_fragment;      /* messages longer than this are sent in fragments of it; 0: one frame */
    nst_time_t ping_interval;  /* a ping this often once open; 0: none (the default) */
    nst_time_t pong_timeout;   /* the connection is dead if a ping is not answered in this; 0: never */
    nst_time_t close_timeout;  /* wait this long for the peer's close frame or FIN; 5 s */
    /* Server: subprotocols supported, best first (the first the client
     * also offers is chosen). Client: offered, in that order. */
    const char *const *protocols;
    size_t nprotocols;
    /* Client: a Sec-WebSocket-Extensions value to offer (NULL: none). No
     * extension is implemented: a server accepts none, and a client fails
     * a 101 that names one (RFC 6455 9.1). */
    const char *extensions;
    struct nst_ws_stats *shared; /* also counted here, if not NULL */
};

void nst_ws_config_default(struct nst_ws_config *c);

/* Server side: takes over s (which the connection owns from now on), reads
 * the Upgrade request from it and answers. Inside nstack's HTTP server,
 * use nst_ws_upgrade below.
 * NULL on ENOMEM (s is then still the caller's). */
struct nst_ws *nst_ws_server(struct nst_stream *s, const struct nst_ws_config *cfg, const struct nst_ws_handler *h,
                             void *arg);
/* Inside an HTTP server (http.h), so one port serves pages and
 * WebSockets: a handler passes its exchange here.
 *   HTTP/1.1: a valid Upgrade request (RFC 6455 4.2.1) takes the
 *     connection's stream (with any bytes the client sent behind its
 *     request) and is answered 101; the HTTP server forgets the connection
 *     (nst_http_server_stats.upgrades).
 *   HTTP/2: an extended CONNECT with :protocol websocket (RFC 8441) is
 *     answered 200 and the stream carries the WebSocket; the connection's
 *     other streams go on. The server announces SETTINGS_ENABLE_CONNECT_PROTOCOL
 *     (nst_http2_config.enable_connect_protocol, on by default).
 * The connection is then as nst_ws_server's (on_open is called before this
 * returns). Call it from the route's handler: over HTTP/2, DATA that
 * arrives on the stream before the upgrade goes to the exchange's on_body,
 * not to the WebSocket. A request that is not a valid handshake gets an ordinary HTTP
 * answer on the exchange (400, or 426 with Sec-WebSocket-Version: 13, RFC
 * 6455 4.2.2 / 4.4), counted in cfg->shared, and NULL is returned; so is
 * NULL on ENOMEM (503 answered), or if a handler freed the connection
 * during the call. */
struct nst_http_exchange;
struct nst_http_request;
struct nst_ws *nst_ws_upgrade(struct nst_http_exchange *x, const struct nst_ws_config *cfg,
                              const struct nst_ws_handler *h, void *arg);
/* 1 if the request asks for a WebSocket: Upgrade: websocket with
 * Connection: Upgrade (HTTP/1.1), or CONNECT with :protocol websocket
 * (HTTP/2). A handler serving a page and a WebSocket on one path asks. */
int nst_ws_request_is_upgrade(const struct nst_http_request *r);

/* Client side: takes over s (connecting or connected), writes the Upgrade
 * request for ws://host/path (host as the Host field says it, with a port
 * if not the default) and checks the 101. NULL on ENOMEM or -EINVAL. */
struct nst_ws *nst_ws_client(struct nst_stream *s, const char *host, const char *path,
                             const struct nst_ws_config *cfg, const struct nst_ws_handler *h, void *arg);

/* WebSocket over HTTP/2 (RFC 8441), client side: one HTTP/2 connection
 * carries any number of WebSockets, each an extended CONNECT stream. The
 * connection takes over s (plain TCP: h2c with prior knowledge; TLS: its
 * ALPN must have chosen "h2"); authority is the :authority sent. NULL on
 * ENOMEM. */
struct nst_ws_h2;
struct nst_http2_stats;
struct nst_ws_h2 *nst_ws_h2_new(struct nst_stream *s, const char *authority);
/* A WebSocket on a new stream to path ("/chat"), as nst_ws_client's but
 * without a Sec-WebSocket-Key: it is sent once the server's SETTINGS allow
 * extended CONNECT (RFC 8441 3). If they do not, or the stream is reset,
 * on_close reports 1006 and nst_ws_error says why (-EPROTONOSUPPORT,
 * -ECONNRESET); an answer other than 2xx fails it as a bad response
 * (-EPROTO). The WebSocket is the application's (nst_ws_free); closing it
 * ends its stream only. NULL on ENOMEM, a bad path, or a connection
 * already known unable. */
struct nst_ws *nst_ws_h2_open(struct nst_ws_h2 *c, const char *path, const struct nst_ws_config *cfg,
                              const struct nst_ws_handler *h, void *arg);
/* 0 until the server's SETTINGS came, 1 if they allow WebSockets,
 * -EPROTONOSUPPORT if not, -ECONNRESET once the connection is gone. */
int nst_ws_h2_state(const struct nst_ws_h2 *c);
const struct nst_http2_stats *nst_ws_h2_stats(const struct nst_ws_h2 *c);
/* Closes the connection; WebSockets still on it see a reset (1006) and
 * stay the application's to free. NULL ignored. */
void nst_ws_h2_free(struct nst_ws_h2 *c);

/* Queues a message (opcode NST_WS_TEXT or NST_WS_BINARY; text must be
 * UTF-8: -EINVAL if not). 0, -ENOTCONN before open or after close, -ENOMEM. */
int nst_ws_send(struct nst_ws *ws, int opcode, const void *data, size_t len);
/* A ping with up to 125 bytes of application data. */
int nst_ws_ping(struct nst_ws *ws, const void *data, size_t len);
/* Starts the close handshake with code and a UTF-8 reason (up to 123
 * bytes). on_close follows when it is done (or times out). */
int nst_ws_close(struct nst_ws *ws, int code, const char *reason);
/* Frees the connection, closing its stream if still open. NULL ignored.
 * Calls no handler. */
void nst_ws_free(struct nst_ws *ws);

/* 1 between on_open and the start of the close handshake. */
int nst_ws_is_open(const struct nst_ws *ws);
/* The subprotocol agreed, or NULL. */
const char *nst_ws_protocol(const struct nst_ws *ws);
/* The Sec-WebSocket-Extensions the peer offered (server) or "" . */
const char *nst_ws_peer_extensions(const struct nst_ws *ws);
/* The request-target of the Upgrade (server), e.g. "/chat". */
const char *nst_ws_path(const struct nst_ws *ws);
/* Server: the HTTP status answered (101, 400, 426), 0 before. */
int nst_ws_http_status(const struct nst_ws *ws);
/* Why the connection ended abnormally (negative errno: -ECONNRESET,
 * -ETIMEDOUT for a pong timeout, -EPROTO for a failed handshake), or 0. */
int nst_ws_error(const struct nst_ws *ws);
const struct nst_ws_stats *nst_ws_stats(const struct nst_ws *ws);
struct nst_stream *nst_ws_stream(const struct nst_ws *ws);
void *nst_ws_arg(const struct nst_ws *ws);

NST_API_END

#endif
