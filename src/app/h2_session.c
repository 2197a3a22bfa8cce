/* HTTP/2 sessions over nstack streams: bytes between a stream and an
 * nghttp2 session, SETTINGS, and the counters both sides keep.
 *
 * Output: nghttp2_session_mem_send hands us its serialized frames (one
 * copy: nghttp2 writes each frame into its buffer); large ones go straight
 * to nst_stream_write (the stream's own copy into the TCP send buffer or
 * the TLS record). Small frames are gathered into io->out first (a copy
 * of a few hundred bytes) so that a burst of them leaves in one segment.
 * Only what the stream does not take stays in io->out, and nghttp2 is
 * asked for more only once io->out is empty. The send-callback
 * alternative copies every frame into a buffer of ours first: one more
 * copy of every byte, bulk DATA included.
 *
 * nghttp2's defences stay on: the rapid-reset limit (CVE-2023-44487,
 * stream_reset_rate_limit: a token bucket of 1000 resets refilled at 33
 * per second) and the CONTINUATION-flood limit (max_continuations, 8).
 * The reset bucket reads the monotonic clock, not the stack's: on the
 * simulator it refills in real time, so a flood sent in virtual seconds
 * meets a bucket that has barely refilled — the limit trips as it would
 * on a fast real link, and a test asserts the GOAWAY, not its moment. */
#include "h2_impl.h"

#include <nstack/socket.h>

#include <errno.h>
#include <stdio.h>

#define H2_SMALL 2048  /* a chunk shorter than this is gathered */
#define H2_BATCH 16384 /* at most this much is gathered before a write */
#include <string.h>

void h2_config_default(struct nst_http2_config *c)
{
    *c = (struct nst_http2_config){
        .max_concurrent_streams = 100,
        .stream_window = 1u << 20,
        .conn_window = 16u << 20,
        .max_frame_size = 16384,
        .max_header_list = 65536,
        .enable_connect_protocol = 1,
    };
}

/* Each side's connection starts with its struct h2_io (the session's user data). */
static struct h2_io *io_of(void *user) { return user; }

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    (void)ng;
    struct h2_io *io = io_of(user);
    if (f->hd.type < NST_HTTP2_FRAME_TYPES)
        io->stats->frames_sent[f->hd.type]++;
    io->frames_tx++;
    io->rst_tx += f->hd.type == NGHTTP2_RST_STREAM;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        io->goaway_tx++;
        io->stats->goaway_sent++;
        if (f->goaway.error_code != NGHTTP2_NO_ERROR) {
            io->stats->last_goaway_error = f->goaway.error_code;
            if (!io->counted)
                io->stats->protocol_errors++;
            io->counted = 1;
        }
    } else if (f->hd.type == NGHTTP2_RST_STREAM) {
        io->stats->rst_sent++;
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    (void)ng;
    struct h2_io *io = io_of(user);
    if (f->hd.type < NST_HTTP2_FRAME_TYPES)
        io->stats->frames_recv[f->hd.type]++;
    io->frames_rx++;
    io->goaway_rx += f->hd.type == NGHTTP2_GOAWAY;
    io->rst_rx += f->hd.type == NGHTTP2_RST_STREAM;
    if (f->hd.type == NGHTTP2_GOAWAY)
        io->stats->goaway_recv++;
    else if (f->hd.type == NGHTTP2_RST_STREAM)
        io->stats->rst_recv++;
    return 0;
}

static int on_invalid_frame(nghttp2_session *ng, const nghttp2_frame *f, int err, void *user)
{
    (void)ng;
    (void)err;
    struct h2_io *io = io_of(user);
    if (f->hd.type < NST_HTTP2_FRAME_TYPES)
        io->stats->frames_recv[f->hd.type]++;
    return 0;
}

void h2_callbacks_common(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
}

int h2_count_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user) { return on_frame_recv(ng, f, user); }
int h2_count_send(nghttp2_session *ng, const nghttp2_frame *f, void *user) { return on_frame_send(ng, f, user); }

int h2_option_new(nghttp2_option **opt, const struct nst_http2_config *c)
{
    if (nghttp2_option_new(opt))
        return -ENOMEM;
    /* RFC 9113 6.5.2: our header-list limit, enforced as received (a
     * HPACK bomb expands into a list larger than this: stream error). */
    nghttp2_option_set_max_send_header_block_length(*opt, 65536);
    nghttp2_option_set_max_settings(*opt, 32);
    nghttp2_option_set_max_continuations(*opt, 8);
    nghttp2_option_set_stream_reset_rate_limit(*opt, 1000, 33);
    /* Windows: we raise them ourselves in SETTINGS; nghttp2 sends
     * WINDOW_UPDATE as data is consumed (automatic updates). */
    (void)c;
    return 0;
}

int h2_send_settings(struct h2_io *io, const struct nst_http2_config *c, int server)
{
    nghttp2_settings_entry iv[6];
    size_t n = 0;
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c->max_concurrent_streams};
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, c->stream_window};
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_FRAME_SIZE, c->max_frame_size};
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, c->max_header_list};
    if (server) {
        /* RFC 8441 3: extended CONNECT (WebSocket over HTTP/2). */
        if (c->enable_connect_protocol)
            iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
    } else {
        iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
    }
    if (nghttp2_submit_settings(io->ng, NGHTTP2_FLAG_NONE, iv, n))
        return -EINVAL;
    /* RFC 9113 6.9.2: SETTINGS cannot change the connection window; a
     * WINDOW_UPDATE on stream 0 raises it. */
    if (c->conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE &&
        nghttp2_session_set_local_window_size(io->ng, NGHTTP2_FLAG_NONE, 0, (int32_t)c->conn_window))
        return -EINVAL;
    return 0;
}

int h2_io_init(struct h2_io *io, struct nst_stream *s, struct nst_http2_stats *stats)
{
    memset(io, 0, sizeof *io);
    io->s = s;
    io->stats = stats;
    /* One of nghttp2's output chunks (at most a DATA frame of the largest
     * frame size plus headers, or a header block) fits. */
    return http_buf_init(&io->out, 2 * 65536 + 1024);
}

void h2_io_free(struct h2_io *io)
{
    if (io->ng)
        nghttp2_session_del(io->ng);
    io->ng = NULL;
    io->stats->streams_open -= io->open_streams;
    io->open_streams = 0;
    http_buf_free(&io->out);
}

int h2_io_feed(struct h2_io *io, const uint8_t *data, size_t len)
{
    ssize_t r = nghttp2_session_mem_recv(io->ng, data, len);
    if (r < 0) {
        /* Most violations nghttp2 answers itself with a GOAWAY (counted as
         * it is sent). Those it returns as fatal get theirs here: a bad
         * preface (RFC 9113 3.4), a flood of CONTINUATION or of frames it
         * would have to answer (ENHANCE_YOUR_CALM). */
        io->fatal = 1;
        uint32_t code = r == NGHTTP2_ERR_FLOODED || r == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS
                            ? NGHTTP2_ENHANCE_YOUR_CALM
                        : r == NGHTTP2_ERR_NOMEM || r == NGHTTP2_ERR_CALLBACK_FAILURE ? NGHTTP2_INTERNAL_ERROR
                                                                                      : NGHTTP2_PROTOCOL_ERROR;
        if (nghttp2_session_terminate_session(io->ng, code) != 0 && !io->counted) {
            io->stats->protocol_errors++; /* no GOAWAY can be sent: counted all the same */
            io->counted = 1;
        }
        return (int)r;
    }
    return 0;
}

int h2_io_pull(struct h2_io *io)
{
    uint8_t buf[16384];
    int got = 0;
    while (!io->fatal) {
        ssize_t n = nst_stream_read(io->s, buf, sizeof buf);
        if (n == -EAGAIN)
            return got;
        if (n <= 0) {
            io->eof = 1;
            return -1;
        }
        got = 1;
        if (io->bytes_in)
            *io->bytes_in += (uint64_t)n;
        /* A request whose header block ends in early data may be a replay
         * (RFC 8470); one that ends after it needed the handshake. */
        io->in_early = nst_stream_read_was_early(io->s);
        if (h2_io_feed(io, buf, (size_t)n) < 0)
            return -1;
    }
    return -1;
}

/* http_buf_flush, counting what the stream took. */
static int flush(struct h2_io *io)
{
    size_t before = io->out.len - io->out.off;
    int f = http_buf_flush(&io->out, io->s);
    if (io->bytes_out)
        *io->bytes_out += before - (io->out.len - io->out.off);
    return f;
}

/* Gives bytes to the stream; what it does not take is kept in io->out. */
static int write_or_keep(struct h2_io *io, const uint8_t *data, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = nst_stream_write(io->s, data + off, n - off);
        if (w == -EAGAIN)
            break;
        if (w < 0) {
            io->eof = 1;
            return -1;
        }
        off += (size_t)w;
        if (io->bytes_out)
            *io->bytes_out += (uint64_t)w;
    }
    if (off < n && http_buf_put(&io->out, data + off, n - off) < 0) {
        io->fatal = 1; /* cannot happen: out held at most H2_BATCH before */
        return -1;
    }
    return 0;
}

int h2_io_push(struct h2_io *io)
{
    for (;;) {
        int f = flush(io);
        if (f == -EAGAIN)
            return 0;
        if (f < 0) {
            io->eof = 1;
            return -1;
        }
        /* Small frames (SETTINGS, HEADERS, WINDOW_UPDATE, short DATA) are
         * gathered into one write, so a burst leaves as full segments
         * rather than a segment per frame (the sockets run without
         * Nagle); a large DATA frame goes to the stream as nghttp2 made it. */
        size_t batched = 0;
        for (;;) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(io->ng, &data);
            if (n < 0) {
                io->fatal = 1;
                return -1;
            }
            if (n == 0)
                break;
            if ((size_t)n < H2_SMALL && batched + (size_t)n <= H2_BATCH) {
                http_buf_put(&io->out, data, (size_t)n);
                batched += (size_t)n;
                continue;
            }
            /* Order: what was gathered goes first. */
            int fl = flush(io);
            if (fl < 0 && fl != -EAGAIN) {
                io->eof = 1;
                return -1;
            }
            if (io->out.len > io->out.off) {
                if (http_buf_put(&io->out, data, (size_t)n) < 0) {
                    io->fatal = 1;
                    return -1;
                }
                return 0;
            }
            if (write_or_keep(io, data, (size_t)n) < 0)
                return -1;
            batched = 0;
            if (io->out.len > io->out.off)
                return 0;
        }
        if (io->out.len == io->out.off)
            return 0;
        f = flush(io);
        if (f == -EAGAIN || f == 0)
            return 0;
        io->eof = 1;
        return -1;
    }
}

int h2_io_finished(const struct h2_io *io)
{
    if (io->out.len > io->out.off)
        return 0;
    if (io->fatal)
        return !nghttp2_session_want_write(io->ng);
    return !nghttp2_session_want_read(io->ng) && !nghttp2_session_want_write(io->ng);
}

void h2_stream_opened(struct h2_io *io)
{
    io->open_streams++;
    io->stats->streams++;
    io->stats->streams_open++;
    if (io->open_streams > io->max_open)
        io->max_open = io->open_streams;
    if (io->open_streams > io->stats->max_concurrent)
        io->stats->max_concurrent = io->open_streams;
}

void h2_stream_closed(struct h2_io *io)
{
    if (!io->open_streams)
        return;
    io->open_streams--;
    io->stats->streams_open--;
}

/* Decimal digits of v at p; the end. */
static char *put_u64(char *p, uint64_t v)
{
    char t[20];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = t[--n];
    return p;
}

/* s, then a/b: one pair of the note. */
static char *put_pair(char *p, const char *s, uint64_t a, uint64_t b)
{
    while (*s)
        *p++ = *s++;
    p = put_u64(p, a);
    *p++ = '/';
    return put_u64(p, b);
}

static char *put_window(char *p, int32_t w)
{
    if (w < 0)
        *p++ = '-';
    return put_u64(p, w < 0 ? (uint64_t)-(int64_t)w : (uint64_t)w);
}

void h2_io_note(struct h2_io *io, const char *role)
{
    /* streams open/most at once, frames out/in, GOAWAY out/in, RST_STREAM
     * out/in, windows: ours (receive) / the peer's (send). Written by hand:
     * it is refreshed after every step of the connection, and snprintf's
     * twelve conversions were a fifth of a small request's CPU time. The
     * longest note fits `note`; the socket keeps its first
     * NST_SOCKET_NOTE_MAX - 1 bytes, as it kept snprintf's. */
    char note[16 + 6 * 42 + 32], *p = note;
    const char *pre = nst_stream_is_tls(io->s) ? "tls+" : "";
    while (*pre)
        *p++ = *pre++;
    for (size_t i = 0; role[i] && i < 8; i++)
        *p++ = role[i];
    p = put_pair(p, " streams ", io->open_streams, io->max_open);
    p = put_pair(p, " frames ", io->frames_tx, io->frames_rx);
    p = put_pair(p, " goaway ", io->goaway_tx, io->goaway_rx);
    p = put_pair(p, " rst ", io->rst_tx, io->rst_rx);
    memcpy(p, " win ", 5);
    p = put_window(p + 5, nghttp2_session_get_effective_local_window_size(io->ng));
    *p++ = '/';
    p = put_window(p, nghttp2_session_get_remote_window_size(io->ng));
    *p = 0;
    nst_socket_set_note(nst_stream_stack(io->s), nst_stream_fd(io->s), note);
}
