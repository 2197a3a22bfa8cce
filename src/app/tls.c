/* The TLS stream: an OpenSSL connection over an nstack TCP socket, behind
 * the stream interface (include/nstack/stream.h, tls.h).
 *
 * It moves on its own: the socket's per-socket callback runs a handshake
 * step whenever the peer's bytes arrive (or TCP connects), so the
 * handshake takes exactly the round trips TLS needs, in virtual time on the
 * simulator. Phases: CONNECTING (client, TCP not yet established) ->
 * HANDSHAKE -> OPEN, or FAILED with a sticky error.
 *
 * 0-RTT (RFC 8446 2.3, 4.2.10): a client holding a session that allows
 * early data takes writes before the handshake, sends them right after the
 * ClientHello (SSL_write_early_data), and keeps them until the server's
 * verdict; rejected, they are sent again as ordinary data. A server with
 * max_early_data reads them (SSL_read_early_data) into a buffer the
 * application drains, flagged as early; with early_answer, what the
 * application writes back before the handshake completes goes out as
 * 0.5-RTT data (SSL_write_early_data) in the server's Finished flight. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/stack.h>

#include "app/tls_impl.h"

static struct tls_stream *tls_of(struct nst_stream *s) { return (struct tls_stream *)s; }

static nst_time_t now_of(const struct tls_stream *t) { return nst_stack_now(t->base.st); }

static int is_client(const struct tls_stream *t) { return t->ctx->role == NST_TLS_CLIENT; }

/* ---- failing ------------------------------------------------------------ */

static int tls_fail(struct tls_stream *t, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int tls_fail(struct tls_stream *t, int err, const char *fmt, ...)
{
    if (t->phase == TLS_FAILED)
        return t->base.err;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t->phase == TLS_HANDSHAKE) /* a TCP connect that fails is TCP's failure, not TLS's */
        t->ctx->stats.handshake_failures++;
    t->phase = TLS_FAILED;
    nst_app_timer_cancel(t->hs_timer);
    ERR_clear_error();
    return nst_stream_fail(&t->base, err, "%s", msg);
}

/* Classifies a failed SSL call (SSL_get_error's verdict e): a retry
 * (-EAGAIN), or a failure of the stream with the clearest reason. */
static int tls_error(struct tls_stream *t, int e)
{
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        int p = t->hold_flight ? 1 : tls_bio_push(t);
        if (p < 0)
            return tls_fail(t, p, "TCP: %s", strerror(-p));
        return -EAGAIN;
    }
    if (e == SSL_ERROR_ZERO_RETURN) /* close_notify where the caller wanted more */
        return t->info.handshake_done ? tls_fail(t, -EPIPE, "peer closed the TLS connection (close_notify)")
                                      : tls_fail(t, -ECONNABORTED, "peer sent close_notify during the handshake");
    unsigned long code = ERR_peek_error();
    int reason = ERR_GET_REASON(code);
    const char *during = t->info.handshake_done ? "" : " during the handshake";
    if (t->sock_err)
        return tls_fail(t, t->sock_err, "TCP: %s%s", strerror(-t->sock_err), during);
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        long v = SSL_get_verify_result(t->ssl);
        return tls_fail(t, -EKEYREJECTED, "certificate verify failed: %s", X509_verify_cert_error_string(v));
    }
    if (t->info.alert_received > 0)
        return tls_fail(t, -EPROTO, "TLS alert received: %s", nst_tls_alert_name(t->info.alert_received));
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || (e == SSL_ERROR_SYSCALL && t->sock_eof)) {
        if (!t->info.handshake_done)
            return tls_fail(t, -ECONNABORTED, "peer closed the connection during the handshake");
        t->ctx->stats.truncations++;
        return tls_fail(t, -ECONNABORTED, "TCP FIN without close_notify (truncated)");
    }
    const char *why = code ? ERR_reason_error_string(code) : NULL;
    if (t->info.alert_sent > 0)
        return tls_fail(t, -EPROTO, "TLS error%s: %s (alert sent: %s)", during, why ? why : "protocol error",
                        nst_tls_alert_name(t->info.alert_sent));
    return tls_fail(t, -EPROTO, "TLS error%s: %s", during, why ? why : "protocol error");
}

/* ---- the handshake ------------------------------------------------------ */

static void set_note(struct tls_stream *t)
{
    char note[NST_SOCKET_NOTE_MAX];
    const char *early = t->info.early == NST_TLS_EARLY_ACCEPTED   ? " 0rtt"
                        : t->info.early == NST_TLS_EARLY_REJECTED ? " 0rtt-rejected"
                                                                  : "";
    snprintf(note, sizeof(note), "tls:%s cipher:%s%s%s%s%s", t->info.version_name, t->info.cipher,
             t->info.resumed ? " resumed" : "", early, t->info.alpn ? " alpn:" : "",
             t->info.alpn ? t->info.alpn : "");
    nst_socket_set_note(t->base.st, t->base.fd, note);
}

static void record_early_verdict(struct tls_stream *t)
{
    int status = SSL_get_early_data_status(t->ssl);
    if (status == SSL_EARLY_DATA_ACCEPTED) {
        t->info.early = NST_TLS_EARLY_ACCEPTED;
        t->ctx->stats.early_accepted++;
    } else if (status == SSL_EARLY_DATA_REJECTED) {
        t->info.early = NST_TLS_EARLY_REJECTED;
        t->ctx->stats.early_rejected++;
    }
    if (!is_client(t))
        return;
    /* What the server did not take goes again as ordinary data, and so do
     * bytes accepted for 0-RTT that never made it out. */
    t->resend_off = t->info.early == NST_TLS_EARLY_REJECTED ? 0 : t->early_sent;
    t->resend = t->resend_off < t->early_len;
    if (t->info.early == NST_TLS_EARLY_REJECTED)
        t->ctx->stats.early_resent_bytes += t->early_sent;
}

static void handshake_finished(struct tls_stream *t)
{
    t->phase = TLS_OPEN;
    nst_app_timer_cancel(t->hs_timer);
    struct nst_tls_info *i = &t->info;
    i->handshake_done = 1;
    i->handshake_end = now_of(t);
    i->version = SSL_version(t->ssl);
    i->version_name = SSL_get_version(t->ssl);
    i->cipher = SSL_get_cipher_name(t->ssl);
    i->resumed = SSL_session_reused(t->ssl);
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
    if (alpn_len) {
        memcpy(t->alpn, alpn, alpn_len);
        t->alpn[alpn_len] = 0;
        i->alpn = t->alpn;
    }
    const char *sni = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
    if (sni && !is_client(t)) {
        snprintf(t->sni, sizeof(t->sni), "%s", sni);
        i->sni = t->sni;
    }
    if (i->resumed)
        t->ctx->stats.handshakes_resumed++;
    else
        t->ctx->stats.handshakes_full++;
    if (is_client(t) && i->resumed && i->version == NST_TLS1_2)
        tls_cache_store(t->ctx, t->cache_key, SSL_get1_session(t->ssl));
    record_early_verdict(t);
    set_note(t);
}

/* Client: sends the 0-RTT bytes queued so far (the first call also sends
 * the ClientHello). 0 when all are out, -EAGAIN, or an error. */
static int write_early(struct tls_stream *t)
{
    while (t->early_sent < t->early_len) {
        size_t w = 0;
        ERR_clear_error();
        int r = SSL_write_early_data(t->ssl, t->early + t->early_sent, t->early_len - t->early_sent, &w);
        if (r != 1)
            return tls_error(t, SSL_get_error(t->ssl, r));
        t->early_sent += w;
        t->info.early_bytes = t->early_sent;
    }
    int p = tls_bio_push(t);
    return p < 0 ? tls_fail(t, p, "TCP: %s", strerror(-p)) : 0;
}

/* Server: reads 0-RTT bytes into the stream's buffer until OpenSSL says
 * the early part is over. 0 when it is, -EAGAIN, or an error. */
static int read_early(struct tls_stream *t)
{
    size_t cap = (size_t)t->ctx->max_early_data + 1;
    if (!t->erx && !(t->erx = malloc(cap)))
        return tls_fail(t, -ENOMEM, "out of memory");
    while (!t->early_finished) {
        if (t->erx_off == t->erx_len)
            t->erx_off = t->erx_len = 0;
        size_t n = 0;
        ERR_clear_error();
        int r = SSL_read_early_data(t->ssl, t->erx + t->erx_len, cap - t->erx_len, &n);
        if (r == SSL_READ_EARLY_DATA_SUCCESS) {
            t->erx_len += n;
            t->info.early_bytes += n;
        } else if (r == SSL_READ_EARLY_DATA_FINISH) {
            t->early_finished = 1;
        } else {
            return tls_error(t, SSL_get_error(t->ssl, -1));
        }
    }
    return 0;
}

/* Server: read_early, holding the flight OpenSSL writes meanwhile
 * (ServerHello..Finished) when early bytes wait for an application that may
 * answer them: the flight then leaves from flight_timer, due at once, after
 * the application's callback has run, with the answer it wrote. */
static int read_early_answerable(struct tls_stream *t)
{
    t->hold_flight = t->ctx->early_answer;
    int r = read_early(t);
    if (!t->hold_flight)
        return r;
    if (t->phase == TLS_FAILED) {
        t->hold_flight = 0;
        return r;
    }
    if (r == -EAGAIN && t->erx_off < t->erx_len && t->flight_len) {
        if (!nst_app_timer_armed(t->flight_timer))
            nst_app_timer_arm(t->flight_timer, now_of(t));
        return r;
    }
    t->hold_flight = 0;
    int p = tls_bio_push(t);
    return p < 0 ? tls_fail(t, p, "TCP: %s", strerror(-p)) : r;
}

static void on_flight_due(void *arg, struct nst_app_timer *tm)
{
    (void)tm;
    struct tls_stream *t = arg;
    if (!t->hold_flight)
        return;
    t->hold_flight = 0;
    t->base.busy++; /* the send may tell the socket's callback: run it later */
    int p = tls_bio_push(t);
    t->base.busy--;
    if (p < 0) {
        tls_fail(t, p, "TCP: %s", strerror(-p));
        nst_stream_notify(&t->base); /* last: the application may close the stream */
    }
}

static void handshake_step(struct tls_stream *t)
{
    /* What a held flight left when the socket was full goes first. */
    if (t->flight_len && !t->hold_flight) {
        int p = tls_bio_push(t);
        if (p < 0) {
            tls_fail(t, p, "TCP: %s", strerror(-p));
            return;
        }
    }
    if (is_client(t) && !t->early_closed) {
        if (t->early_len > t->early_sent && write_early(t) < 0)
            return;
        /* Early data may still be added until the server's flight is
         * here; then the handshake goes on and 0-RTT is over. */
        int sock = nst_socket_events(t->base.st, t->base.fd);
        if (t->early_sent && !(sock & (NST_EV_IN | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP)))
            return;
        t->early_closed = 1;
    }
    if (!is_client(t) && t->ctx->max_early_data && !t->early_finished && read_early_answerable(t) < 0)
        return;
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r != 1) {
        tls_error(t, SSL_get_error(t->ssl, r));
        return;
    }
    handshake_finished(t);
    int p = tls_bio_push(t);
    if (p < 0) {
        tls_fail(t, p, "TCP: %s", strerror(-p));
        return;
    }
    /* Buffers only the handshake needed go back (a connection at rest
     * keeps little more than OpenSSL's own state). */
    if (p == 1) {
        free(t->flight);
        t->flight = NULL;
    }
    if (!t->resend) {
        free(t->early);
        t->early = NULL;
        t->early_len = t->early_sent = 0;
    }
}

static void start_handshake(struct tls_stream *t)
{
    t->phase = TLS_HANDSHAKE;
    t->info.handshake_start = now_of(t);
    t->ctx->stats.handshakes_started++;
    if (t->ctx->handshake_timeout > 0)
        nst_app_timer_arm(t->hs_timer, now_of(t) + t->ctx->handshake_timeout);
    handshake_step(t);
}

static int flush_resend(struct tls_stream *t)
{
    while (t->resend_off < t->early_len) {
        size_t n = 0;
        ERR_clear_error();
        int r = SSL_write_ex(t->ssl, t->early + t->resend_off, t->early_len - t->resend_off, &n);
        if (r != 1)
            return tls_error(t, SSL_get_error(t->ssl, r));
        t->resend_off += n;
    }
    t->resend = 0;
    free(t->early);
    t->early = NULL;
    t->early_len = t->early_sent = t->resend_off = 0;
    return 0;
}

/* Whatever progress the socket allows now. */
static void progress(struct tls_stream *t)
{
    if (t->phase == TLS_CONNECTING) {
        int sock = nst_socket_events(t->base.st, t->base.fd);
        if (sock & NST_EV_ERR) {
            int e = nst_stream_sock_error(&t->base);
            tls_fail(t, e ? e : -ECONNRESET, "TCP: %s", strerror(e ? -e : ECONNRESET));
            return;
        }
        if (!(sock & NST_EV_OUT))
            return;
        start_handshake(t);
    } else if (t->phase == TLS_HANDSHAKE) {
        handshake_step(t);
    }
    if (t->phase == TLS_OPEN && t->resend)
        flush_resend(t);
    if (t->phase == TLS_OPEN && t->shut_pending) {
        t->shut_pending = 0;
        if (nst_stream_shutdown(&t->base) == -EAGAIN)
            t->shut_pending = 1;
    }
}

static void on_handshake_timeout(void *arg, struct nst_app_timer *tm)
{
    (void)tm;
    struct tls_stream *t = arg;
    if (t->phase != TLS_HANDSHAKE && t->phase != TLS_CONNECTING)
        return;
    t->ctx->stats.handshake_timeouts++;
    tls_fail(t, -ETIMEDOUT, "TLS handshake timed out after %lld ms",
             (long long)(t->ctx->handshake_timeout / NST_MSEC(1)));
    nst_stream_notify(&t->base); /* last: the application may close the stream */
}

/* ---- the stream ops ----------------------------------------------------- */

/* Reads (without consuming) to learn whether decrypted bytes, the peer's
 * close_notify or an error are there; processes what arrived after the
 * handshake on the way (TLS 1.3 tickets). 1 if a read would not block. */
static int tls_peek(struct tls_stream *t)
{
    if (t->info.peer_closed || t->phase == TLS_FAILED)
        return 1;
    if (SSL_pending(t->ssl) > 0)
        return 1;
    char c;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_peek_ex(t->ssl, &c, 1, &n);
    if (r == 1)
        return 1;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN) {
        t->info.peer_closed = 1;
        return 1;
    }
    return tls_error(t, e) != -EAGAIN;
}

static ssize_t tls_read(struct nst_stream *s, void *buf, size_t len)
{
    struct tls_stream *t = tls_of(s);
    if (t->erx_off < t->erx_len) { /* 0-RTT bytes first, never mixed with others */
        size_t n = t->erx_len - t->erx_off < len ? t->erx_len - t->erx_off : len;
        memcpy(buf, t->erx + t->erx_off, n);
        t->erx_off += n;
        s->last_read_early = 1;
        t->may_answer = t->ctx->early_answer;
        return (ssize_t)n;
    }
    if (t->phase == TLS_CONNECTING)
        progress(t);
    if (t->phase == TLS_FAILED)
        return s->err;
    if (t->phase != TLS_OPEN)
        return -EAGAIN;
    if (t->info.peer_closed)
        return 0;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(t->ssl, buf, len, &n);
    if (r == 1)
        return (ssize_t)n;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: the clean end */
        t->info.peer_closed = 1;
        return 0;
    }
    return tls_error(t, e);
}

/* Server, before the handshake completes: 0.5-RTT data (RFC 8446 2.3) once
 * the application has read early bytes, while OpenSSL still reads early
 * data (afterwards SSL_write_early_data is refused until the client's
 * Finished). The records join the flight; a held one leaves with them. */
static int server_may_answer(const struct tls_stream *t)
{
    return !is_client(t) && t->may_answer && !t->early_finished && !t->shut_pending;
}

static ssize_t write_early_answer(struct tls_stream *t, const void *buf, size_t len)
{
    size_t w = 0;
    ERR_clear_error();
    int r = SSL_write_early_data(t->ssl, buf, len, &w);
    if (r != 1)
        return tls_error(t, SSL_get_error(t->ssl, r));
    t->ctx->stats.early_answer_bytes += w;
    return (ssize_t)w;
}

/* Client, before the handshake: queue 0-RTT bytes if the session allows.
 * Server: 0.5-RTT data if allowed. */
static ssize_t write_before_handshake(struct tls_stream *t, const void *buf, size_t len)
{
    if (server_may_answer(t))
        return write_early_answer(t, buf, len);
    if (!is_client(t) || t->early_closed || t->early_len >= t->early_max)
        return -EAGAIN;
    if (!t->early && !(t->early = malloc(t->early_max)))
        return -ENOMEM;
    size_t n = t->early_max - t->early_len < len ? t->early_max - t->early_len : len;
    memcpy(t->early + t->early_len, buf, n);
    t->early_len += n;
    if (t->phase == TLS_HANDSHAKE)
        handshake_step(t);
    else
        progress(t);
    return (ssize_t)n;
}

static ssize_t tls_write(struct nst_stream *s, const void *buf, size_t len)
{
    struct tls_stream *t = tls_of(s);
    if (t->phase == TLS_FAILED)
        return s->err;
    if (t->shut_pending)
        return -EPIPE;
    if (t->phase != TLS_OPEN)
        return write_before_handshake(t, buf, len);
    if (t->shut_sent)
        return -EPIPE;
    if (t->resend) {
        int r = flush_resend(t);
        if (r < 0)
            return r;
    }
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(t->ssl, buf, len, &n);
    if (r == 1)
        return (ssize_t)n;
    return tls_error(t, SSL_get_error(t->ssl, r));
}

static int tls_shutdown(struct nst_stream *s)
{
    struct tls_stream *t = tls_of(s);
    if (t->shut_sent || t->shut_pending)
        return 0;
    /* A server that answered early closes after its handshake: a FIN now
     * would cut the client's Finished off, and close_notify needs it. */
    if (t->phase == TLS_HANDSHAKE && t->may_answer) {
        t->shut_pending = 1;
        return 0;
    }
    if (t->phase == TLS_OPEN) {
        if (t->resend) {
            int r = flush_resend(t);
            if (r < 0)
                return r;
        }
        ERR_clear_error();
        int r = SSL_shutdown(t->ssl); /* sends close_notify (RFC 8446 6.1) */
        if (r < 0) {
            int e = tls_error(t, SSL_get_error(t->ssl, r));
            if (e == -EAGAIN)
                return e;
        }
    }
    t->shut_sent = 1;
    return nst_shutdown(s->st, s->fd, NST_SHUT_WR);
}

static void tls_destroy(struct nst_stream *s)
{
    struct tls_stream *t = tls_of(s);
    if (t->phase == TLS_OPEN && !t->shut_sent) {
        ERR_clear_error();
        SSL_shutdown(t->ssl); /* best effort: close_notify before the FIN */
    }
    ERR_clear_error();
    SSL_free(t->ssl);
    nst_app_timer_free(t->hs_timer);
    nst_app_timer_free(t->flight_timer);
    free(t->flight);
    free(t->early);
    free(t->erx);
    t->ctx->streams--;
}

static int tls_events(struct nst_stream *s)
{
    struct tls_stream *t = tls_of(s);
    int ev = t->erx_off < t->erx_len ? NST_EV_IN : 0;
    if (t->phase == TLS_CONNECTING || t->phase == TLS_HANDSHAKE) {
        if ((is_client(t) && !t->early_closed && t->early_len < t->early_max) || server_may_answer(t))
            ev |= NST_EV_OUT;
        return ev;
    }
    if (t->phase == TLS_OPEN) {
        int sock = nst_socket_events(s->st, s->fd);
        if ((sock & (NST_EV_IN | NST_EV_ERR | NST_EV_HUP | NST_EV_RDHUP)) || SSL_pending(t->ssl) > 0 ||
            t->info.peer_closed) {
            if (tls_peek(t))
                ev |= NST_EV_IN;
        }
        if (t->phase == TLS_OPEN) {
            if (!t->shut_sent && (sock & NST_EV_OUT) && !t->resend)
                ev |= NST_EV_OUT;
            if (t->info.peer_closed)
                ev |= NST_EV_RDHUP | (t->shut_sent ? NST_EV_HUP : 0);
            return ev;
        }
    }
    return ev | NST_EV_ERR | NST_EV_IN | NST_EV_OUT; /* failed: read or write returns the error */
}

static int tls_established(struct nst_stream *s)
{
    struct tls_stream *t = tls_of(s);
    if (t->phase == TLS_CONNECTING)
        progress(t);
    if (t->phase == TLS_FAILED)
        return s->err;
    return t->phase == TLS_OPEN;
}

static const char *tls_alpn(const struct nst_stream *s) { return ((const struct tls_stream *)s)->info.alpn; }

static void tls_on_socket(struct nst_stream *s, int sock_events)
{
    (void)sock_events;
    struct tls_stream *t = tls_of(s);
    progress(t);
    if (t->phase == TLS_OPEN && (sock_events & (NST_EV_IN | NST_EV_RDHUP | NST_EV_HUP | NST_EV_ERR)))
        tls_peek(t); /* post-handshake messages (tickets), and truncation, seen now */
}

static const struct nst_stream_ops tls_stream_ops = {
    .read = tls_read,
    .write = tls_write,
    .shutdown = tls_shutdown,
    .destroy = tls_destroy,
    .events = tls_events,
    .established = tls_established,
    .alpn = tls_alpn,
    .on_socket = tls_on_socket,
};

/* ---- making streams ----------------------------------------------------- */

static struct tls_stream *tls_new(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd, enum nst_tls_role role)
{
    if (!ctx || ctx->role != role)
        return NULL;
    struct tls_stream *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ctx = ctx;
    t->info.alert_sent = t->info.alert_received = -1;
    if (nst_stream_attach(&t->base, &tls_stream_ops, st, fd, 1) < 0) {
        free(t);
        return NULL;
    }
    BIO *bio = NULL;
    t->ssl = SSL_new(ctx->ssl_ctx);
    t->hs_timer = nst_app_timer_new(st, on_handshake_timeout, t);
    t->flight_timer = nst_app_timer_new(st, on_flight_due, t);
    if (t->ssl)
        bio = tls_bio_new(t);
    if (!t->ssl || !t->hs_timer || !t->flight_timer || !bio) {
        BIO_free(bio);
        SSL_free(t->ssl);
        nst_app_timer_free(t->hs_timer);
        nst_app_timer_free(t->flight_timer);
        nst_stream_detach(&t->base);
        free(t);
        return NULL;
    }
    SSL_set_bio(t->ssl, bio, bio);
    SSL_set_app_data(t->ssl, t);
    ctx->streams++;
    /* Nagle would hold a flight's last short record (or a request right
     * after Finished) for an ACK: a round trip per flight. Off, as curl and
     * nginx do for TLS. */
    int one = 1;
    nst_setsockopt(st, fd, NST_IPPROTO_TCP, NST_TCP_NODELAY, &one, sizeof(one));
    return t;
}

static int set_peer_name(struct tls_stream *t, const char *host)
{
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) == 1) /* RFC 6066 3: no SNI for an address */
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1;
    return SSL_set_tlsext_host_name(t->ssl, host) == 1 && SSL_set1_host(t->ssl, host) == 1;
}

struct nst_stream *nst_tls_client(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd, const char *host,
                                  uint16_t port)
{
    if (!host || !*host || strlen(host) > 253)
        return NULL;
    struct tls_stream *t = tls_new(ctx, st, fd, NST_TLS_CLIENT);
    if (!t)
        return NULL;
    SSL_set_connect_state(t->ssl);
    if (!set_peer_name(t, host)) { /* the caller keeps fd */
        tls_destroy(&t->base);
        nst_stream_detach(&t->base);
        free(t);
        return NULL;
    }
    snprintf(t->cache_key, sizeof(t->cache_key), "%s:%u", host, port);
    SSL_SESSION *sess = tls_cache_take(&ctx->cache, t->cache_key);
    if (sess) {
        SSL_set_session(t->ssl, sess);
        uint32_t max = SSL_SESSION_get_max_early_data(sess);
        if (ctx->early_data && max)
            t->early_max = max < TLS_EARLY_MAX ? max : TLS_EARLY_MAX;
        SSL_SESSION_free(sess);
    }
    t->early_closed = t->early_max == 0;
    t->phase = TLS_CONNECTING;
    /* Already connected and no 0-RTT to wait for: start now. With 0-RTT,
     * the first write (or read) starts it, carrying the bytes. */
    if (t->early_closed) {
        t->base.busy++;
        progress(t);
        t->base.busy--;
    }
    return &t->base;
}

struct nst_stream *nst_tls_server(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd)
{
    struct tls_stream *t = tls_new(ctx, st, fd, NST_TLS_SERVER);
    if (!t)
        return NULL;
    SSL_set_accept_state(t->ssl);
    t->base.busy++;
    start_handshake(t);
    t->base.busy--;
    return &t->base;
}

int nst_tls_get_info(const struct nst_stream *s, struct nst_tls_info *out)
{
    if (!s || !s->is_tls)
        return -EINVAL;
    *out = ((const struct tls_stream *)s)->info;
    if (!out->version_name)
        out->version_name = "";
    if (!out->cipher)
        out->cipher = "";
    return 0;
}
