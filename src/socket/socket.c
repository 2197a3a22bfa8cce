/* The BSD-like socket API: descriptor table, argument checks, dispatch to
 * the protocol's ops. Descriptors start at 3 and the lowest free one is
 * always given, as POSIX does. */
#include <nstack/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"

#define WORD_BITS 64

/* The descriptor is going away: what the application attached goes too. */
static void sock_user_release(struct nst_sock *s)
{
    free(s->user);
    s->user = NULL;
}

static struct nst_sock_user *sock_user(struct nst_sock *s)
{
    if (!s->user)
        s->user = calloc(1, sizeof(*s->user));
    return s->user;
}

int nst_sock_table_init(struct nst_sock_table *t)
{
    memset(t, 0, sizeof(*t));
    t->low_free = NST_FIRST_FD;
    return 0;
}

void nst_sock_table_fini(struct nst_stack *st)
{
    struct nst_sock_table *t = &st->socks;
    for (uint32_t fd = 0; fd < t->cap; fd++) {
        struct nst_sock *s = t->v[fd];
        if (s) {
            t->v[fd] = NULL;
            s->fd = -1;
            nst_poll_item_detach(s);
            sock_user_release(s);
            s->ops->close(st, s);
        }
    }
    free(t->v);
    free(t->used);
    memset(t, 0, sizeof(*t));
}

static int table_grow(struct nst_sock_table *t, uint32_t want)
{
    uint32_t cap = t->cap ? t->cap : 64;
    while (cap <= want)
        cap *= 2;
    struct nst_sock **v = realloc(t->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    t->v = v;
    uint64_t *used = realloc(t->used, (cap / WORD_BITS) * sizeof(*used));
    if (!used)
        return -ENOMEM;
    t->used = used;
    memset(t->v + t->cap, 0, (cap - t->cap) * sizeof(*v));
    memset(t->used + t->cap / WORD_BITS, 0, ((cap - t->cap) / WORD_BITS) * sizeof(*used));
    t->cap = cap;
    return 0;
}

static uint32_t lowest_free(const struct nst_sock_table *t)
{
    for (uint32_t w = t->low_free / WORD_BITS; w < t->cap / WORD_BITS; w++) {
        uint64_t bits = t->used[w];
        if (w == t->low_free / WORD_BITS)
            bits |= (1ULL << (t->low_free % WORD_BITS)) - 1; /* below low_free counts as taken */
        if (bits != ~0ULL)
            return w * WORD_BITS + (uint32_t)__builtin_ctzll(~bits);
    }
    /* None free: the first past the table, never below low_free (an empty
     * table must still start at NST_FIRST_FD). */
    return t->cap > t->low_free ? t->cap : t->low_free;
}

int nst_sock_install(struct nst_stack *st, struct nst_sock *s)
{
    struct nst_sock_table *t = &st->socks;
    if (t->count >= st->cfg.max_sockets)
        return -EMFILE;
    uint32_t fd = lowest_free(t);
    if (fd >= t->cap && table_grow(t, fd) < 0)
        return -ENOMEM;
    t->v[fd] = s;
    t->used[fd / WORD_BITS] |= 1ULL << (fd % WORD_BITS);
    t->low_free = fd + 1;
    t->count++;
    s->fd = (int)fd;
    return (int)fd;
}

static void table_release(struct nst_sock_table *t, int fd)
{
    t->v[fd] = NULL;
    t->used[fd / WORD_BITS] &= ~(1ULL << (fd % WORD_BITS));
    if ((uint32_t)fd < t->low_free)
        t->low_free = (uint32_t)fd;
    t->count--;
}

struct nst_sock *nst_sock_get(struct nst_stack *st, int fd)
{
    if (fd < 0 || (uint32_t)fd >= st->socks.cap)
        return NULL;
    return st->socks.v[fd];
}

void nst_sock_notify(struct nst_stack *st, struct nst_sock *s)
{
    if (s->fd >= 0 && s->poll)
        nst_poll_item_notify(s->poll);
    if (s->fd < 0 || (!st->event_cb && !(s->user && s->user->cb)))
        return;
    int fd = s->fd, events = s->ops->events(st, s);
    if (st->event_cb)
        st->event_cb(st->event_arg, fd, events);
    /* The stack-wide callback may have closed the descriptor. */
    if (nst_sock_get(st, fd) == s && s->user && s->user->cb)
        s->user->cb(s->user->cb_arg, fd, events);
}


int nst_sockopt_int(const void *val, size_t len, int *out)
{
    if (!val || len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

int nst_sockopt_put_int(void *val, size_t *len, int v)
{
    if (!val || !len || *len < sizeof(int))
        return -EINVAL;
    memcpy(val, &v, sizeof(int));
    *len = sizeof(int);
    return 0;
}

/* ---- the API ------------------------------------------------------------ */

int nst_socket(struct nst_stack *st, int type) { return nst_socket_family(st, NST_AF_INET, type); }

int nst_socket_family(struct nst_stack *st, int family, int type)
{
    if (family != NST_AF_INET && family != NST_AF_INET6)
        return -EAFNOSUPPORT;
    struct nst_sock *s;
    int err = -ENOMEM;
    switch (type) {
    case NST_SOCK_DGRAM: s = nst_udp_sock_new(st); break;
    case NST_SOCK_ICMP: s = nst_icmp_sock_new(st, family); break;
    case NST_SOCK_STREAM: s = nst_tcp_sock_new(st, &err); break;
    default: return -EPROTONOSUPPORT;
    }
    if (!s)
        return err;
    s->family = (uint8_t)family;
    int fd = nst_sock_install(st, s);
    if (fd < 0)
        s->ops->close(st, s);
    return fd;
}

#define GET_SOCK(st, fd, s)                  \
    struct nst_sock *s = nst_sock_get(st, fd); \
    if (!s)                                  \
        return -EBADF

#define CALL_OP(s, op, ...) ((s)->ops->op ? (s)->ops->op(__VA_ARGS__) : -EOPNOTSUPP)

int nst_bind(struct nst_stack *st, int fd, const struct nst_sockaddr *addr)
{
    GET_SOCK(st, fd, s);
    if (!addr)
        return -EINVAL;
    return CALL_OP(s, bind, st, s, addr);
}

int nst_listen(struct nst_stack *st, int fd, int backlog)
{
    GET_SOCK(st, fd, s);
    return CALL_OP(s, listen, st, s, backlog);
}

int nst_accept(struct nst_stack *st, int fd, struct nst_sockaddr *peer)
{
    GET_SOCK(st, fd, s);
    if (!s->ops->accept)
        return -EOPNOTSUPP;
    struct nst_sock *child = NULL;
    int err = s->ops->accept(st, s, &child, peer);
    if (err < 0)
        return err;
    int nfd = nst_sock_install(st, child);
    if (nfd < 0)
        child->ops->close(st, child);
    return nfd;
}

int nst_connect(struct nst_stack *st, int fd, const struct nst_sockaddr *addr)
{
    GET_SOCK(st, fd, s);
    if (!addr)
        return -EINVAL;
    return CALL_OP(s, connect, st, s, addr);
}

ssize_t nst_sendto(struct nst_stack *st, int fd, const void *buf, size_t len, int flags,
                   const struct nst_sockaddr *to)
{
    GET_SOCK(st, fd, s);
    if (!buf && len)
        return -EFAULT;
    return CALL_OP(s, sendto, st, s, buf, len, flags, to);
}

ssize_t nst_send(struct nst_stack *st, int fd, const void *buf, size_t len, int flags)
{
    return nst_sendto(st, fd, buf, len, flags, NULL);
}

ssize_t nst_recvfrom(struct nst_stack *st, int fd, void *buf, size_t len, int flags, struct nst_sockaddr *from)
{
    GET_SOCK(st, fd, s);
    if (!buf && len)
        return -EFAULT;
    return CALL_OP(s, recvfrom, st, s, buf, len, flags, from);
}

ssize_t nst_recv(struct nst_stack *st, int fd, void *buf, size_t len, int flags)
{
    return nst_recvfrom(st, fd, buf, len, flags, NULL);
}

ssize_t nst_recv_zc(struct nst_stack *st, int fd, struct nst_span span[2])
{
    GET_SOCK(st, fd, s);
    if (!span)
        return -EINVAL;
    return CALL_OP(s, recv_zc, st, s, span);
}

int nst_recv_done(struct nst_stack *st, int fd, size_t n)
{
    GET_SOCK(st, fd, s);
    return CALL_OP(s, recv_done, st, s, n);
}

ssize_t nst_send_zc(struct nst_stack *st, int fd, struct nst_wspan span[2])
{
    GET_SOCK(st, fd, s);
    if (!span)
        return -EINVAL;
    return CALL_OP(s, send_zc, st, s, span);
}

int nst_send_commit(struct nst_stack *st, int fd, size_t n)
{
    GET_SOCK(st, fd, s);
    return CALL_OP(s, send_commit, st, s, n);
}

int nst_shutdown(struct nst_stack *st, int fd, int how)
{
    GET_SOCK(st, fd, s);
    if (how < NST_SHUT_RD || how > NST_SHUT_RDWR)
        return -EINVAL;
    return CALL_OP(s, shutdown, st, s, how);
}

int nst_close(struct nst_stack *st, int fd)
{
    GET_SOCK(st, fd, s);
    table_release(&st->socks, fd);
    s->fd = -1;
    nst_poll_item_detach(s);
    sock_user_release(s);
    s->ops->close(st, s);
    return 0;
}

int nst_getsockname(struct nst_stack *st, int fd, struct nst_sockaddr *out)
{
    GET_SOCK(st, fd, s);
    if (!out)
        return -EINVAL;
    return CALL_OP(s, getname, st, s, 0, out);
}

int nst_getpeername(struct nst_stack *st, int fd, struct nst_sockaddr *out)
{
    GET_SOCK(st, fd, s);
    if (!out)
        return -EINVAL;
    return CALL_OP(s, getname, st, s, 1, out);
}

int nst_setsockopt(struct nst_stack *st, int fd, int level, int name, const void *val, size_t len)
{
    GET_SOCK(st, fd, s);
    if (!val)
        return -EINVAL;
    return CALL_OP(s, setsockopt, st, s, level, name, val, len);
}

int nst_getsockopt(struct nst_stack *st, int fd, int level, int name, void *val, size_t *len)
{
    GET_SOCK(st, fd, s);
    if (!val || !len)
        return -EINVAL;
    if (level == NST_SOL_SOCKET && name == NST_SO_TYPE)
        return nst_sockopt_put_int(val, len, s->type);
    return CALL_OP(s, getsockopt, st, s, level, name, val, len);
}

int nst_socket_events(struct nst_stack *st, int fd)
{
    GET_SOCK(st, fd, s);
    return s->ops->events(st, s);
}

int nst_socket_set_event_cb(struct nst_stack *st, int fd, nst_event_cb cb, void *arg)
{
    GET_SOCK(st, fd, s);
    struct nst_sock_user *u = sock_user(s);
    if (!u)
        return -ENOMEM;
    u->cb = cb;
    u->cb_arg = arg;
    return 0;
}

int nst_socket_set_data(struct nst_stack *st, int fd, void *data)
{
    GET_SOCK(st, fd, s);
    struct nst_sock_user *u = sock_user(s);
    if (!u)
        return -ENOMEM;
    u->data = data;
    return 0;
}

void *nst_socket_get_data(struct nst_stack *st, int fd)
{
    struct nst_sock *s = nst_sock_get(st, fd);
    return s && s->user ? s->user->data : NULL;
}

int nst_socket_set_note(struct nst_stack *st, int fd, const char *note)
{
    GET_SOCK(st, fd, s);
    struct nst_sock_user *u = sock_user(s);
    if (!u)
        return -ENOMEM;
    snprintf(u->note, sizeof(u->note), "%s", note ? note : "");
    return 0;
}

const char *nst_socket_get_note(struct nst_stack *st, int fd)
{
    struct nst_sock *s = nst_sock_get(st, fd);
    return s && s->user ? s->user->note : "";
}
