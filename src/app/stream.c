/* The byte stream (include/nstack/stream.h): what every kind of stream
 * shares, and the calls that dispatch to its kind. A stream lives on its
 * socket's per-socket callback, so it advances (a TLS handshake) as the
 * peer's packets arrive, then tells the application. */
#include "app/stream_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <nstack/stack.h>
#include <stdlib.h>

/* A socket event: progress, then the application's callback. Socket calls
 * tell their callbacks synchronously (TCP flushes its notifications before
 * returning), so an event can arrive while the stream is inside one of its
 * own calls (a write the application makes from its callback, say): it is
 * not run there, re-entering OpenSSL and the application, but from a timer
 * due at once, in the same instant of the stack's time. */
static void dispatch(struct nst_stream *s)
{
    s->busy++;
    if (s->ops->on_socket)
        s->ops->on_socket(s, nst_socket_events(s->st, s->fd));
    s->busy--;
    nst_stream_notify(s); /* last: the application may close s */
}

static void on_socket_event(void *arg, int fd, int events)
{
    (void)fd;
    (void)events;
    struct nst_stream *s = arg;
    if (s->busy) {
        if (!nst_app_timer_armed(s->kick))
            nst_app_timer_arm(s->kick, nst_stack_now(s->st));
        return;
    }
    dispatch(s);
}

static void on_kick(void *arg, struct nst_app_timer *t)
{
    (void)t;
    dispatch(arg);
}

int nst_stream_attach(struct nst_stream *s, const struct nst_stream_ops *ops, struct nst_stack *st, int fd,
                      int is_tls)
{
    int type = 0;
    size_t len = sizeof(type);
    if (nst_getsockopt(st, fd, NST_SOL_SOCKET, NST_SO_TYPE, &type, &len) < 0 || type != NST_SOCK_STREAM)
        return -EINVAL;
    s->ops = ops;
    s->st = st;
    s->fd = fd;
    s->is_tls = is_tls;
    if (!(s->kick = nst_app_timer_new(st, on_kick, s)))
        return -ENOMEM;
    int r = nst_socket_set_event_cb(st, fd, on_socket_event, s);
    if (r < 0) {
        nst_app_timer_free(s->kick);
        s->kick = NULL;
    }
    return r;
}

/* Unhooks the stream from its socket and frees the kick timer (close, or
 * a constructor giving up). */
void nst_stream_detach(struct nst_stream *s)
{
    nst_socket_set_event_cb(s->st, s->fd, NULL, NULL);
    nst_app_timer_free(s->kick);
    s->kick = NULL;
}

int nst_stream_fail(struct nst_stream *s, int err, const char *fmt, ...)
{
    if (s->err)
        return s->err;
    s->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errstr, sizeof(s->errstr), fmt, ap);
    va_end(ap);
    return err;
}

void nst_stream_notify(struct nst_stream *s)
{
    if (s->cb)
        s->cb(s->cb_arg, s, nst_stream_events(s));
}

int nst_stream_sock_error(struct nst_stream *s)
{
    int e = 0;
    size_t len = sizeof(e);
    if (nst_getsockopt(s->st, s->fd, NST_SOL_SOCKET, NST_SO_ERROR, &e, &len) < 0)
        return 0;
    return e > 0 ? -e : e;
}

ssize_t nst_stream_read(struct nst_stream *s, void *buf, size_t len)
{
    s->last_read_early = 0;
    s->busy++;
    ssize_t r = s->ops->read(s, buf, len);
    s->busy--;
    return r;
}

int nst_stream_read_was_early(const struct nst_stream *s) { return s->last_read_early; }

ssize_t nst_stream_write(struct nst_stream *s, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    s->busy++;
    ssize_t r = s->ops->write(s, buf, len);
    s->busy--;
    return r;
}

int nst_stream_shutdown(struct nst_stream *s)
{
    s->busy++;
    int r = s->ops->shutdown(s);
    s->busy--;
    return r;
}

void nst_stream_close(struct nst_stream *s)
{
    if (!s)
        return;
    s->busy++;
    s->ops->destroy(s);
    nst_stream_detach(s);
    nst_close(s->st, s->fd);
    free(s);
}

int nst_stream_events(struct nst_stream *s)
{
    s->busy++;
    int ev = s->ops->events(s);
    s->busy--;
    return ev;
}

int nst_stream_error(const struct nst_stream *s) { return s->err; }

const char *nst_stream_error_string(const struct nst_stream *s) { return s->errstr; }

int nst_stream_established(struct nst_stream *s)
{
    s->busy++;
    int r = s->ops->established(s);
    s->busy--;
    return r;
}

const char *nst_stream_alpn(const struct nst_stream *s) { return s->ops->alpn ? s->ops->alpn(s) : NULL; }

int nst_stream_is_tls(const struct nst_stream *s) { return s->is_tls; }

void nst_stream_set_callback(struct nst_stream *s, nst_stream_cb cb, void *arg)
{
    s->cb = cb;
    s->cb_arg = arg;
}

struct nst_stack *nst_stream_stack(const struct nst_stream *s) { return s->st; }

int nst_stream_fd(const struct nst_stream *s) { return s->fd; }
