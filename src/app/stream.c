/* The byte stream (include/nstack/stream.h): what every kind of stream
 * shares, and the calls that dispatch to its kind. A stream lives on its
 * socket's per-socket callback, so it advances (a TLS handshake) as the
 * peer's packets arrive, then tells the application. */
#include "app/stream_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void on_socket_event(void *arg, int fd, int events)
{
    (void)fd;
    struct nst_stream *s = arg;
    if (s->ops->on_socket)
        s->ops->on_socket(s, events);
    nst_stream_notify(s);
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
    return nst_socket_set_event_cb(st, fd, on_socket_event, s);
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
    return s->ops->read(s, buf, len);
}

int nst_stream_read_was_early(const struct nst_stream *s) { return s->last_read_early; }

ssize_t nst_stream_write(struct nst_stream *s, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    return s->ops->write(s, buf, len);
}

int nst_stream_shutdown(struct nst_stream *s) { return s->ops->shutdown(s); }

void nst_stream_close(struct nst_stream *s)
{
    if (!s)
        return;
    s->ops->destroy(s);
    nst_close(s->st, s->fd); /* forgets the per-socket callback too */
    free(s);
}

int nst_stream_events(struct nst_stream *s) { return s->ops->events(s); }

int nst_stream_error(const struct nst_stream *s) { return s->err; }

const char *nst_stream_error_string(const struct nst_stream *s) { return s->errstr; }

int nst_stream_established(struct nst_stream *s) { return s->ops->established(s); }

const char *nst_stream_alpn(const struct nst_stream *s) { return s->ops->alpn ? s->ops->alpn(s) : NULL; }

int nst_stream_is_tls(const struct nst_stream *s) { return s->is_tls; }

void nst_stream_set_callback(struct nst_stream *s, nst_stream_cb cb, void *arg)
{
    s->cb = cb;
    s->cb_arg = arg;
}

struct nst_stack *nst_stream_stack(const struct nst_stream *s) { return s->st; }

int nst_stream_fd(const struct nst_stream *s) { return s->fd; }
