/* The plain TCP stream: the socket as it is, behind the stream interface. */
#include <nstack/tcp_info.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/stream_impl.h"

static int keep_error(struct nst_stream *s, ssize_t r)
{
    if (r < 0 && r != -EAGAIN)
        nst_stream_fail(s, (int)r, "TCP: %s", strerror((int)-r));
    return (int)r;
}

static ssize_t tcp_read(struct nst_stream *s, void *buf, size_t len)
{
    if (s->err)
        return s->err;
    ssize_t r = nst_recv(s->st, s->fd, buf, len, 0);
    if (r < 0)
        keep_error(s, r);
    return r;
}

static ssize_t tcp_write(struct nst_stream *s, const void *buf, size_t len)
{
    if (s->err)
        return s->err;
    ssize_t r = nst_send(s->st, s->fd, buf, len, 0);
    if (r == -ENOTCONN) /* still connecting: not an error for a stream */
        return -EAGAIN;
    if (r < 0)
        keep_error(s, r);
    return r;
}

static int tcp_shutdown(struct nst_stream *s) { return nst_shutdown(s->st, s->fd, NST_SHUT_WR); }

static void tcp_destroy(struct nst_stream *s) { (void)s; }

static void tcp_on_socket(struct nst_stream *s, int ev)
{
    if ((ev & NST_EV_ERR) && !s->err) {
        int e = nst_stream_sock_error(s);
        if (e)
            nst_stream_fail(s, e, "TCP: %s", strerror(-e));
    }
}

static int tcp_events(struct nst_stream *s)
{
    int ev = nst_socket_events(s->st, s->fd);
    if (ev < 0)
        return NST_EV_ERR;
    return s->err ? ev | NST_EV_ERR : ev;
}

static int tcp_established(struct nst_stream *s)
{
    if (s->err)
        return s->err;
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    if (nst_getsockopt(s->st, s->fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) < 0)
        return 0;
    return ti.state != NST_TCPS_SYN_SENT && ti.state != NST_TCPS_SYN_RECEIVED && ti.state != NST_TCPS_CLOSED;
}

static const struct nst_stream_ops tcp_stream_ops = {
    .read = tcp_read,
    .write = tcp_write,
    .shutdown = tcp_shutdown,
    .destroy = tcp_destroy,
    .events = tcp_events,
    .established = tcp_established,
    .alpn = NULL,
    .on_socket = tcp_on_socket,
};

struct nst_stream *nst_stream_tcp(struct nst_stack *st, int fd)
{
    struct nst_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (nst_stream_attach(s, &tcp_stream_ops, st, fd, 0) < 0) { /* the caller keeps fd */
        free(s);
        return NULL;
    }
    return s;
}
