/* System-call lines mapped onto nstack's socket API.
 *
 * Scripts use Linux's names and values (SOL_SOCKET, SO_LINGER, O_NONBLOCK,
 * POLLIN...), translated here to nstack's. Descriptors are nstack's own:
 * both start at 3 and hand out the lowest free one, as in packetdrill.
 * O_NONBLOCK is kept per descriptor by the runner (nstack itself never
 * blocks); a call on a blocking descriptor that would block returns 0 from
 * its op and is retried by pd_run.c until it completes. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pd.h"

#define PD_IO_MAX (64u << 20)

/* One call, tried once: 1 = done (*res: value or -errno), 0 = would block,
 * -1 = the runner failed (bad arguments...). */
typedef int (*op_fn)(struct pd_run *r, struct pd_event *ev, int first, long long *res);

/* ---- arguments -------------------------------------------------------------------- */

static int bad_arg(struct pd_run *r, struct pd_event *ev, int i, const char *what)
{
    pd_fail(r, "%d: %s(): argument %d must be %s", ev->line, ev->call.name, i + 1, what);
    pd_detail(r, "  script: %s", ev->text);
    return -1;
}

static int arg_int(struct pd_run *r, struct pd_event *ev, int i, long long *out)
{
    if (i >= ev->call.nargs)
        return bad_arg(r, ev, i, "given");
    const struct pd_val *v = &ev->call.args[i];
    if (v->kind == PD_V_INT) {
        *out = v->i;
        return 0;
    }
    if (v->kind == PD_V_LIST && v->n == 1 && v->items[0].kind == PD_V_INT) {
        *out = v->items[0].i;
        return 0;
    }
    return bad_arg(r, ev, i, "an integer");
}

/* An integer, or `...` for the default. */
static int arg_int_def(struct pd_run *r, struct pd_event *ev, int i, long long def, long long *out)
{
    if (i < ev->call.nargs && ev->call.args[i].kind == PD_V_ELLIPSIS) {
        *out = def;
        return 0;
    }
    return arg_int(r, ev, i, out);
}

static int arg_fd(struct pd_run *r, struct pd_event *ev, int *fd)
{
    long long v;
    if (arg_int(r, ev, 0, &v) < 0)
        return -1;
    *fd = (int)v;
    return 0;
}

/* The descriptor (argument 0) and integer argument i. */
static int arg_fd_int(struct pd_run *r, struct pd_event *ev, int *fd, int i, long long *v)
{
    if (arg_fd(r, ev, fd) < 0)
        return -1;
    return arg_int(r, ev, i, v);
}

static int nonblocking(const struct pd_run *r, int fd)
{
    return fd >= 0 && fd < PD_MAX_FDS && r->nonblock[fd];
}

static void set_nonblock(struct pd_run *r, int fd, int on)
{
    if (fd >= 0 && fd < PD_MAX_FDS)
        r->nonblock[fd] = (uint8_t)(on != 0);
}

static const struct pd_val *field(const struct pd_val *v, const char *name)
{
    if (v->kind != PD_V_STRUCT)
        return NULL;
    for (int i = 0; i < v->n; i++)
        if (v->items[i].name && !strcmp(v->items[i].name, name))
            return &v->items[i];
    return NULL;
}

/* A sockaddr argument: `...` gives def; {sin_port=htons(p), sin_addr=inet_addr("a")} */
static int arg_sockaddr(struct pd_run *r, struct pd_event *ev, int i, struct nst_sockaddr def,
                        struct nst_sockaddr *out)
{
    *out = def;
    if (i >= ev->call.nargs || ev->call.args[i].kind == PD_V_ELLIPSIS)
        return 0;
    const struct pd_val *v = &ev->call.args[i];
    if (v->kind != PD_V_STRUCT)
        return bad_arg(r, ev, i, "... or a {sa_family=..., sin_port=..., sin_addr=...} address");
    const struct pd_val *port = field(v, "sin_port"), *addr = field(v, "sin_addr");
    if (port && port->kind == PD_V_INT)
        out->port = (uint16_t)port->i;
    if (addr && addr->kind == PD_V_INT)
        out->addr = (nst_ip4_t)addr->i;
    return 0;
}

/* ---- socket, bind, listen, accept, connect ------------------------------------------------ */

static int op_socket(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    long long dom, type, proto;
    if (arg_int_def(r, ev, 0, AF_INET, &dom) < 0 || arg_int(r, ev, 1, &type) < 0 ||
        arg_int_def(r, ev, 2, 0, &proto) < 0)
        return -1;
    if (dom != AF_INET) {
        *res = -EAFNOSUPPORT;
        return 1;
    }
    long long base = type & ~(long long)(SOCK_NONBLOCK | SOCK_CLOEXEC);
    int t = base == SOCK_STREAM ? NST_SOCK_STREAM
            : base == SOCK_DGRAM ? (proto == IPPROTO_ICMP ? NST_SOCK_ICMP : NST_SOCK_DGRAM)
                                 : -1;
    *res = t < 0 ? -EPROTONOSUPPORT : nst_socket(r->st, t);
    if (*res >= 0)
        set_nonblock(r, (int)*res, (type & SOCK_NONBLOCK) != 0);
    return 1;
}

static int op_bind(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    struct nst_sockaddr a;
    if (arg_fd(r, ev, &fd) < 0 || arg_sockaddr(r, ev, 1, (struct nst_sockaddr){0, PD_BIND_PORT}, &a) < 0)
        return -1;
    *res = nst_bind(r->st, fd, &a);
    if (*res == 0 && a.port)
        r->bind_port = a.port;
    return 1;
}

static int op_listen(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    long long backlog;
    if (arg_fd_int(r, ev, &fd, 1, &backlog) < 0)
        return -1;
    *res = nst_listen(r->st, fd, (int)backlog);
    return 1;
}

static int op_accept(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    if (arg_fd(r, ev, &fd) < 0)
        return -1;
    int n = nst_accept(r->st, fd, NULL);
    if (n == -EAGAIN && !nonblocking(r, fd))
        return 0;
    if (n >= 0)
        set_nonblock(r, n, 0);
    *res = n;
    return 1;
}

/* A connection attempt: the script's lines without a port now mean it. */
static void note_connect(struct pd_run *r, int fd, const struct nst_sockaddr *a)
{
    struct pd_conn *c = pd_conn_get(r, a->port);
    c->isn_known = 0;
    c->ts_known = 0;
    struct nst_sockaddr local;
    if (nst_getsockname(r->st, fd, &local) == 0 && local.port) {
        c->lport = local.port;
        c->lport_known = 1;
    }
    r->cur_rport = a->port;
}

static int op_connect(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    int fd;
    if (arg_fd(r, ev, &fd) < 0)
        return -1;
    if (first) {
        struct nst_sockaddr a;
        if (arg_sockaddr(r, ev, 1, (struct nst_sockaddr){PD_REMOTE_IP, PD_CONNECT_PORT}, &a) < 0)
            return -1;
        int rc = nst_connect(r->st, fd, &a);
        if (rc == 0 || rc == -EINPROGRESS)
            note_connect(r, fd, &a);
        if (rc == -EINPROGRESS && !nonblocking(r, fd))
            return 0;
        *res = rc;
        return 1;
    }
    /* A blocking connect returns once the handshake ends either way. */
    int evs = nst_socket_events(r->st, fd);
    if (evs >= 0 && !(evs & (NST_EV_OUT | NST_EV_ERR | NST_EV_HUP)))
        return 0;
    int err = 0;
    size_t len = sizeof(err);
    if (evs < 0)
        err = -evs;
    else
        nst_getsockopt(r->st, fd, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len);
    *res = err ? -err : 0;
    return 1;
}

/* ---- data ----------------------------------------------------------------------------- */

static int msg_flags(long long f, int *dontwait)
{
    *dontwait = (f & MSG_DONTWAIT) != 0;
    return ((f & MSG_PEEK) ? NST_MSG_PEEK : 0) | ((f & MSG_OOB) ? NST_MSG_OOB : 0);
}

/* A data call's descriptor, its length (argument 2, up to PD_IO_MAX) and
 * a zeroed buffer of that length for it. 0, or -1 with the failure said. */
static int io_args(struct pd_run *r, struct pd_event *ev, int *fd, long long *len, uint8_t **buf)
{
    if (arg_fd_int(r, ev, fd, 2, len) < 0)
        return -1;
    if (*len < 0 || *len > PD_IO_MAX)
        return bad_arg(r, ev, 2, "a length up to 64 MiB");
    *buf = calloc(1, (size_t)*len + 1);
    if (!*buf)
        return pd_fail(r, "%d: out of memory", ev->line);
    return 0;
}

/* write/send/sendto: a blocking call writes everything (or fails). */
static int do_send(struct pd_run *r, struct pd_event *ev, int first, long long *res, long long flags,
                   const struct nst_sockaddr *to)
{
    int fd;
    long long len;
    uint8_t *buf;
    if (io_args(r, ev, &fd, &len, &buf) < 0)
        return -1;
    if (first)
        r->pend.done = 0;
    int dontwait;
    int nflags = msg_flags(flags, &dontwait);
    long long done = r->pend.done;
    int rc = 1;
    for (;;) {
        ssize_t n = nst_sendto(r->st, fd, buf + done, (size_t)(len - done), nflags, to);
        if (n > 0) {
            done += n;
            if (done < len)
                continue;
            *res = done;
        } else if (n == 0) {
            *res = done;
        } else if (n == -EAGAIN && !nonblocking(r, fd) && !dontwait) {
            rc = 0;
        } else {
            *res = done ? done : n;
        }
        break;
    }
    r->pend.done = done;
    free(buf);
    return rc;
}

static int op_write(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    return do_send(r, ev, first, res, 0, NULL);
}

static int op_send(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    long long flags;
    if (arg_int(r, ev, 3, &flags) < 0)
        return -1;
    return do_send(r, ev, first, res, flags, NULL);
}

static int op_sendto(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    long long flags;
    struct nst_sockaddr to;
    if (arg_int(r, ev, 3, &flags) < 0 ||
        arg_sockaddr(r, ev, 4, (struct nst_sockaddr){PD_REMOTE_IP, r->cur_rport}, &to) < 0)
        return -1;
    return do_send(r, ev, first, res, flags, &to);
}

static int do_recv(struct pd_run *r, struct pd_event *ev, long long *res, long long flags)
{
    int fd;
    long long len;
    uint8_t *buf;
    if (io_args(r, ev, &fd, &len, &buf) < 0)
        return -1;
    int dontwait;
    int nflags = msg_flags(flags, &dontwait);
    ssize_t n = nst_recvfrom(r->st, fd, buf, (size_t)len, nflags, NULL);
    free(buf);
    if (n == -EAGAIN && !nonblocking(r, fd) && !dontwait)
        return 0;
    *res = n;
    return 1;
}

static int op_read(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    return do_recv(r, ev, res, 0);
}

static int op_recv(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    long long flags;
    if (arg_int(r, ev, 3, &flags) < 0)
        return -1;
    return do_recv(r, ev, res, flags);
}

/* ---- shutdown, close, fcntl ----------------------------------------------------------------- */

static int op_shutdown(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    long long how;
    if (arg_fd_int(r, ev, &fd, 1, &how) < 0)
        return -1;
    int nhow = how == SHUT_RD ? NST_SHUT_RD : how == SHUT_WR ? NST_SHUT_WR : how == SHUT_RDWR ? NST_SHUT_RDWR : -1;
    *res = nst_shutdown(r->st, fd, nhow);
    return 1;
}

static int op_close(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    if (arg_fd(r, ev, &fd) < 0)
        return -1;
    *res = nst_close(r->st, fd);
    if (*res == 0)
        set_nonblock(r, fd, 0);
    return 1;
}

static int op_fcntl(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    long long cmd, arg = 0;
    if (arg_fd_int(r, ev, &fd, 1, &cmd) < 0)
        return -1;
    if (nst_socket_events(r->st, fd) < 0) {
        *res = -EBADF;
        return 1;
    }
    if (cmd == F_GETFL) {
        *res = O_RDWR | (nonblocking(r, fd) ? O_NONBLOCK : 0);
    } else if (cmd == F_SETFL) {
        if (arg_int(r, ev, 2, &arg) < 0)
            return -1;
        set_nonblock(r, fd, (arg & O_NONBLOCK) != 0);
        *res = 0;
    } else {
        return bad_arg(r, ev, 1, "F_GETFL or F_SETFL");
    }
    return 1;
}

/* ---- socket options --------------------------------------------------------------------------- */

struct opt_map {
    int level, name;   /* Linux */
    int nlevel, nname; /* nstack */
};

static const struct opt_map opt_maps[] = {
    {SOL_SOCKET, SO_REUSEADDR, NST_SOL_SOCKET, NST_SO_REUSEADDR},
    {SOL_SOCKET, SO_KEEPALIVE, NST_SOL_SOCKET, NST_SO_KEEPALIVE},
    {SOL_SOCKET, SO_LINGER, NST_SOL_SOCKET, NST_SO_LINGER},
    {SOL_SOCKET, SO_RCVBUF, NST_SOL_SOCKET, NST_SO_RCVBUF},
    {SOL_SOCKET, SO_SNDBUF, NST_SOL_SOCKET, NST_SO_SNDBUF},
    {SOL_SOCKET, SO_ERROR, NST_SOL_SOCKET, NST_SO_ERROR},
    {SOL_SOCKET, SO_TYPE, NST_SOL_SOCKET, NST_SO_TYPE},
    {IPPROTO_TCP, TCP_NODELAY, NST_IPPROTO_TCP, NST_TCP_NODELAY},
    {IPPROTO_TCP, TCP_MAXSEG, NST_IPPROTO_TCP, NST_TCP_MAXSEG},
    {IPPROTO_TCP, TCP_KEEPIDLE, NST_IPPROTO_TCP, NST_TCP_KEEPIDLE},
    {IPPROTO_TCP, TCP_KEEPINTVL, NST_IPPROTO_TCP, NST_TCP_KEEPINTVL},
    {IPPROTO_TCP, TCP_KEEPCNT, NST_IPPROTO_TCP, NST_TCP_KEEPCNT},
    {IPPROTO_TCP, TCP_CONGESTION, NST_IPPROTO_TCP, NST_TCP_CONGESTION},
    {IPPROTO_IP, IP_TTL, NST_IPPROTO_IP, NST_IP_TTL},
};

static int map_opt(struct pd_run *r, struct pd_event *ev, int *level, int *name)
{
    long long l, n;
    if (arg_int(r, ev, 1, &l) < 0 || arg_int(r, ev, 2, &n) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(opt_maps) / sizeof(opt_maps[0]); i++) {
        if (opt_maps[i].level == l && opt_maps[i].name == n) {
            *level = opt_maps[i].nlevel;
            *name = opt_maps[i].nname;
            return 0;
        }
    }
    pd_fail(r, "%d: %s(): option level %lld name %lld is not supported by the runner", ev->line, ev->call.name, l,
            n);
    return -1;
}

/* {onoff=1, linger=0}, also inside [ ]. */
static const struct pd_val *linger_struct(const struct pd_val *v)
{
    if (v->kind == PD_V_LIST && v->n == 1)
        v = &v->items[0];
    return v->kind == PD_V_STRUCT ? v : NULL;
}

/* set/getsockopt's descriptor, level and name; the value (argument 3)
 * must be given. */
static int sockopt_args(struct pd_run *r, struct pd_event *ev, int *fd, int *level, int *name)
{
    if (arg_fd(r, ev, fd) < 0 || map_opt(r, ev, level, name) < 0)
        return -1;
    if (ev->call.nargs < 4)
        return bad_arg(r, ev, 3, "given");
    return 0;
}

static int op_setsockopt(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd, level, name;
    if (sockopt_args(r, ev, &fd, &level, &name) < 0)
        return -1;
    const struct pd_val *v = &ev->call.args[3];
    if (name == NST_SO_LINGER && level == NST_SOL_SOCKET) {
        const struct pd_val *s = linger_struct(v), *on = s ? field(s, "onoff") : NULL, *sec = s ? field(s, "linger") : NULL;
        if (!on || !sec)
            return bad_arg(r, ev, 3, "{onoff=N, linger=N}");
        struct nst_linger l = {(int)on->i, (int)sec->i};
        *res = nst_setsockopt(r->st, fd, level, name, &l, sizeof(l));
        return 1;
    }
    if (v->kind == PD_V_STR) {
        *res = nst_setsockopt(r->st, fd, level, name, v->s, strlen(v->s));
        return 1;
    }
    long long x;
    if (arg_int(r, ev, 3, &x) < 0)
        return -1;
    int iv = (int)x;
    *res = nst_setsockopt(r->st, fd, level, name, &iv, sizeof(iv));
    return 1;
}

static int getsockopt_mismatch(struct pd_run *r, struct pd_event *ev, const char *got, const char *want)
{
    pd_fail(r, "%d: getsockopt() returned the value %s, expected %s", ev->line, got, want);
    pd_detail(r, "  script: %s", ev->text);
    return -1;
}

static int op_getsockopt(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd, level, name;
    if (sockopt_args(r, ev, &fd, &level, &name) < 0)
        return -1;
    union {
        int i;
        struct nst_linger l;
        char s[64];
    } out;
    memset(&out, 0, sizeof(out));
    size_t len = sizeof(out);
    *res = nst_getsockopt(r->st, fd, level, name, &out, &len);
    const struct pd_val *v = &ev->call.args[3];
    if (*res < 0 || v->kind == PD_V_ELLIPSIS)
        return 1;
    char got[64], want[64];
    if (level == NST_SOL_SOCKET && name == NST_SO_LINGER) {
        const struct pd_val *s = linger_struct(v), *on = s ? field(s, "onoff") : NULL, *sec = s ? field(s, "linger") : NULL;
        if (!on || !sec)
            return bad_arg(r, ev, 3, "{onoff=N, linger=N}");
        if (out.l.l_onoff != on->i || out.l.l_linger != sec->i) {
            snprintf(got, sizeof(got), "{onoff=%d, linger=%d}", out.l.l_onoff, out.l.l_linger);
            snprintf(want, sizeof(want), "{onoff=%lld, linger=%lld}", on->i, sec->i);
            return getsockopt_mismatch(r, ev, got, want);
        }
        return 1;
    }
    if (v->kind == PD_V_STR) {
        if (strcmp(out.s, v->s)) {
            snprintf(got, sizeof(got), "\"%.50s\"", out.s);
            snprintf(want, sizeof(want), "\"%.50s\"", v->s);
            return getsockopt_mismatch(r, ev, got, want);
        }
        return 1;
    }
    long long x;
    if (arg_int(r, ev, 3, &x) < 0)
        return -1;
    if (level == NST_SOL_SOCKET && name == NST_SO_TYPE)
        out.i = out.i == NST_SOCK_STREAM ? SOCK_STREAM : SOCK_DGRAM;
    if (out.i != x) {
        snprintf(got, sizeof(got), "[%d]", out.i);
        snprintf(want, sizeof(want), "[%lld]", x);
        return getsockopt_mismatch(r, ev, got, want);
    }
    return 1;
}

/* ---- poll ------------------------------------------------------------------------------------ */

static int poll_mask(int nev)
{
    int m = 0;
    if (nev & NST_EV_IN)
        m |= POLLIN;
    if (nev & NST_EV_PRI)
        m |= POLLPRI;
    if (nev & NST_EV_OUT)
        m |= POLLOUT;
    if (nev & NST_EV_ERR)
        m |= POLLERR;
    if (nev & NST_EV_HUP)
        m |= POLLHUP;
    if (nev & NST_EV_RDHUP)
        m |= POLLRDHUP;
    return m;
}

static void poll_flags_str(int m, char *b, size_t cap)
{
    static const struct {
        int bit;
        const char *name;
    } names[] = {{POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"},
                 {POLLRDHUP, "POLLRDHUP"}, {POLLNVAL, "POLLNVAL"}};
    size_t n = 0;
    b[0] = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (m & names[i].bit)
            n += (size_t)snprintf(b + n, n < cap ? cap - n : 0, "%s%s", n ? "|" : "", names[i].name);
    if (!n)
        snprintf(b, cap, "0");
}

/* revents of one {fd=, events=} entry. */
static int poll_one(struct pd_run *r, const struct pd_val *e)
{
    const struct pd_val *fd = field(e, "fd"), *events = field(e, "events");
    if (!fd || !events)
        return -1;
    int nev = nst_socket_events(r->st, (int)fd->i);
    if (nev < 0)
        return POLLNVAL;
    return poll_mask(nev) & (int)(events->i | POLLERR | POLLHUP | POLLNVAL);
}

static int poll_check(struct pd_run *r, struct pd_event *ev, const struct pd_val *list)
{
    for (int i = 0; i < list->n; i++) {
        const struct pd_val *want = field(&list->items[i], "revents");
        int got = poll_one(r, &list->items[i]);
        if (want && want->kind == PD_V_INT && got != want->i) {
            char g[96], w[96];
            poll_flags_str(got, g, sizeof(g));
            poll_flags_str((int)want->i, w, sizeof(w));
            pd_fail(r, "%d: poll(): fd %lld revents %s, expected %s", ev->line, field(&list->items[i], "fd")->i, g,
                    w);
            pd_detail(r, "  script: %s", ev->text);
            return -1;
        }
    }
    return 0;
}

static int op_poll(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    long long nfds, timeout;
    const struct pd_val *list = ev->call.nargs ? &ev->call.args[0] : NULL;
    if (!list || list->kind != PD_V_LIST)
        return bad_arg(r, ev, 0, "a list of {fd=N, events=...}");
    if (arg_int(r, ev, 1, &nfds) < 0 || arg_int(r, ev, 2, &timeout) < 0)
        return -1;
    int ready = 0;
    for (int i = 0; i < list->n; i++) {
        int m = poll_one(r, &list->items[i]);
        if (m < 0)
            return bad_arg(r, ev, 0, "a list of {fd=N, events=...}");
        ready += m != 0;
    }
    if (first)
        r->pend.wake = timeout < 0 ? NST_TIME_NEVER : r->now + NST_MSEC(timeout);
    if (!ready && timeout != 0 && r->now < r->pend.wake)
        return 0;
    r->pend.wake = NST_TIME_NEVER;
    if (poll_check(r, ev, list) < 0)
        return -1;
    *res = ready;
    return 1;
}

/* ---- dispatch ------------------------------------------------------------------------------------ */

struct op {
    const char *name;
    op_fn fn;
};

static const struct op ops[] = {
    {"socket", op_socket},   {"bind", op_bind},         {"listen", op_listen},
    {"accept", op_accept},   {"connect", op_connect},   {"write", op_write},
    {"send", op_send},       {"sendto", op_sendto},     {"read", op_read},
    {"recv", op_recv},       {"recvfrom", op_recv},     {"shutdown", op_shutdown},
    {"close", op_close},     {"fcntl", op_fcntl},       {"setsockopt", op_setsockopt},
    {"getsockopt", op_getsockopt}, {"poll", op_poll},
};

static op_fn find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(ops[i].name, name))
            return ops[i].fn;
    return NULL;
}

int pd_syscall_check(struct pd_run *r, struct pd_event *ev, long long result)
{
    const struct pd_syscall *c = &ev->call;
    if (c->ret_any)
        return 0;
    int ok = result < 0 ? c->ret == -1 && (!c->err || c->err == -result) : result == c->ret;
    if (ok)
        return 0;
    char got[64], want[64];
    if (result < 0)
        snprintf(got, sizeof(got), "-1 %s", pd_errno_name((int)-result));
    else
        snprintf(got, sizeof(got), "%lld", result);
    if (c->err)
        snprintf(want, sizeof(want), "-1 %s", pd_errno_name(c->err));
    else
        snprintf(want, sizeof(want), "%lld", c->ret);
    pd_fail(r, "%d: %s() returned %s, expected %s", ev->line, c->name, got, want);
    pd_detail(r, "  script: %s\n  at %.6f", ev->text, (double)r->now / 1e9);
    return -1;
}

int pd_syscall_start(struct pd_run *r, struct pd_event *ev)
{
    op_fn fn = find_op(ev->call.name);
    if (!fn) {
        pd_fail(r, "%d: unsupported system call %s()", ev->line, ev->call.name);
        return -1;
    }
    memset(&r->pend, 0, sizeof(r->pend));
    r->pend.ev = ev;
    r->pend.start = r->now;
    r->pend.wake = NST_TIME_NEVER;
    long long res = 0;
    int rc = fn(r, ev, 1, &res);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        r->pend.active = 1;
        return 0;
    }
    if (ev->call.has_end) {
        nst_time_t end = ev->call.end.kind == PD_T_REL ? r->now + ev->call.end.lo : ev->call.end.lo;
        if (end > r->now + r->sc->cfg.tolerance) {
            pd_fail(r, "%d: %s() returned at once (%.6f), expected to block until %.6f", ev->line, ev->call.name,
                    (double)r->now / 1e9, (double)end / 1e9);
            pd_detail(r, "  script: %s", ev->text);
            return -1;
        }
    }
    return pd_syscall_check(r, ev, res) < 0 ? -1 : 1;
}

void pd_syscall_retry(struct pd_run *r)
{
    struct pd_pending *p = &r->pend;
    op_fn fn = find_op(p->ev->call.name);
    long long res = 0;
    int rc = fn(r, p->ev, 0, &res);
    if (rc < 0) {
        p->active = 0;
        return;
    }
    if (rc == 1) {
        p->finished = 1;
        p->result = res;
        p->finished_at = r->now;
    }
}
