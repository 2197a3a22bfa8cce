/* The tunnel stream (stream_tunnel.h): stream.h over a carrier. There is
 * no socket under it (fd -1): the carrier tells it what happened and it
 * tells the application from a timer due at once, never from inside the
 * carrier's own processing (an HTTP/2 session's callbacks), so the
 * application may write, close or reset from its callback freely. */
#include "app/stream_tunnel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/stack.h>
#include <nstack/timer.h>

#include "app/http_impl.h"
#include "app/stream_impl.h"

struct tunnel {
    struct nst_stream s; /* first: the stream is the tunnel */
    const struct tunnel_ops *ops;
    void *carrier;       /* NULL once the carrier is gone */
    struct http_buf in;
    int eof, shut, blocked;
};

static struct tunnel *tun(struct nst_stream *s) { return (struct tunnel *)s; }

/* The application hears of it in the same instant, from the timer. */
static void later(struct tunnel *t)
{
    if (!nst_app_timer_armed(t->s.kick))
        nst_app_timer_arm(t->s.kick, nst_stack_now(t->s.st));
}

static void on_kick(void *arg, struct nst_app_timer *tm)
{
    (void)tm;
    nst_stream_notify(arg);
}

static ssize_t t_read(struct nst_stream *s, void *buf, size_t len)
{
    struct tunnel *t = tun(s);
    size_t have = t->in.len - t->in.off;
    if (have) {
        size_t n = have < len ? have : len;
        memcpy(buf, t->in.b + t->in.off, n);
        http_buf_drop(&t->in, n);
        if (t->carrier)
            t->ops->consumed(t->carrier, n);
        return (ssize_t)n;
    }
    if (t->eof)
        return 0;
    return s->err ? s->err : -EAGAIN;
}

static ssize_t t_write(struct nst_stream *s, const void *buf, size_t len)
{
    struct tunnel *t = tun(s);
    if (s->err)
        return s->err;
    if (t->shut || !t->carrier)
        return -EPIPE;
    ssize_t r = t->ops->write(t->carrier, buf, len);
    t->blocked = r == -EAGAIN;
    if (r < 0 && r != -EAGAIN)
        nst_stream_fail(s, (int)r, "HTTP/2 stream: %s", strerror((int)-r));
    return r;
}

static int t_shutdown(struct nst_stream *s)
{
    struct tunnel *t = tun(s);
    if (t->shut)
        return 0;
    if (!t->carrier)
        return s->err ? s->err : -EPIPE;
    int r = t->ops->end(t->carrier);
    if (r == 0)
        t->shut = 1;
    return r;
}

/* Closed with the carrier still there: it lets go (and resets its stream
 * unless both sides ended cleanly). */
static void t_destroy(struct nst_stream *s)
{
    struct tunnel *t = tun(s);
    if (t->carrier)
        t->ops->detach(t->carrier, t->shut && t->eof);
    t->carrier = NULL;
    http_buf_free(&t->in);
}

static int t_events(struct nst_stream *s)
{
    struct tunnel *t = tun(s);
    int ev = 0;
    if (t->in.len > t->in.off || t->eof || s->err)
        ev |= NST_EV_IN;
    if (t->carrier && !t->shut && !t->blocked && !s->err)
        ev |= NST_EV_OUT;
    if (s->err)
        ev |= NST_EV_ERR;
    if (t->eof)
        ev |= NST_EV_RDHUP;
    if ((t->eof && t->shut) || (!t->carrier && !t->eof))
        ev |= NST_EV_HUP;
    return ev;
}

static int t_established(struct nst_stream *s) { return s->err ? s->err : 1; }

static const struct nst_stream_ops tunnel_ops_table = {
    .read = t_read,
    .write = t_write,
    .shutdown = t_shutdown,
    .destroy = t_destroy,
    .events = t_events,
    .established = t_established,
};

struct nst_stream *tunnel_stream_new(struct nst_stack *st, const struct tunnel_ops *ops, void *carrier,
                                     size_t in_cap, int is_tls)
{
    struct tunnel *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->s.ops = &tunnel_ops_table;
    t->s.st = st;
    t->s.fd = -1;
    t->s.is_tls = is_tls;
    t->ops = ops;
    t->carrier = carrier;
    if (http_buf_init(&t->in, in_cap) || !(t->s.kick = nst_app_timer_new(st, on_kick, &t->s))) {
        http_buf_free(&t->in);
        free(t);
        return NULL;
    }
    return &t->s;
}

int tunnel_stream_input(struct nst_stream *s, const void *data, size_t len)
{
    struct tunnel *t = tun(s);
    if (http_buf_put(&t->in, data, len) < 0)
        return -ENOBUFS;
    later(t);
    return 0;
}

void tunnel_stream_eof(struct nst_stream *s)
{
    tun(s)->eof = 1;
    later(tun(s));
}

void tunnel_stream_writable(struct nst_stream *s)
{
    struct tunnel *t = tun(s);
    if (!t->blocked)
        return;
    t->blocked = 0;
    later(t);
}

void tunnel_stream_gone(struct nst_stream *s, int err)
{
    struct tunnel *t = tun(s);
    t->carrier = NULL;
    if (err && !(t->eof && t->shut))
        nst_stream_fail(s, err, "HTTP/2 stream reset");
    later(t);
}
