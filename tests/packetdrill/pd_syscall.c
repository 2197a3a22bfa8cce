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
    if (dom == AF_INET6)
        return pd_skip(r, "nstack has no IPv6");
    long long base = type & ~(long long)(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (dom == 17 /* AF_PACKET */ || base == SOCK_RAW)
        return pd_skip(r, "nstack has no socket type SOCK_RAW / AF_PACKET");
    if (dom != AF_INET) {
        *res = -EAFNOSUPPORT;
        return 1;
    }
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
    if (arg_fd(r, ev, &fd) < 0 || arg_sockaddr(r, ev, 1, (struct nst_sockaddr){0, r->sc->cfg.bind_port}, &a) < 0)
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
        if (arg_sockaddr(r, ev, 1, (struct nst_sockaddr){PD_REMOTE_IP, r->sc->cfg.connect_port}, &a) < 0)
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

/* nstack's flags for Linux's f (MSG_PEEK, MSG_OOB: urgent data, RFC 9293
 * 3.8.5); MSG_NOSIGNAL means nothing here (no signals), MSG_WAITALL is
 * done by the runner. -1 after pd_skip when a
 * flag needs what nstack lacks. */
static int msg_flags(struct pd_run *r, long long f, int *dontwait)
{
    static const struct {
        long long bit;
        const char *reason;
    } lacks[] = {
        {0x80, "nstack has no message flag MSG_EOR"},
        {0x8000, "nstack has no message flag MSG_MORE"},
        {0x4000000, "nstack has no message flag MSG_ZEROCOPY"},
        {0x20000000, "nstack has no TCP Fast Open (RFC 7413)"},
        {0x2000, "nstack has no control messages (cmsg) or error queue"},
        {0x20, "nstack has no message flag MSG_TRUNC"},
    };
    for (size_t i = 0; i < sizeof(lacks) / sizeof(lacks[0]); i++)
        if (f & lacks[i].bit)
            return pd_skip(r, lacks[i].reason);
    *dontwait = (f & MSG_DONTWAIT) != 0;
    return ((f & MSG_PEEK) ? NST_MSG_PEEK : 0) | ((f & MSG_OOB) ? NST_MSG_OOB : 0);
}

/* A data call's descriptor, its length (argument 2, up to PD_IO_MAX) and
 * a zeroed buffer of that length for it. 0, or -1 with the failure said. */
static int io_len(struct pd_run *r, struct pd_event *ev, long long *len);

static int io_args(struct pd_run *r, struct pd_event *ev, int *fd, long long *len, uint8_t **buf)
{
    if (arg_fd(r, ev, fd) < 0 || io_len(r, ev, len) < 0)
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
    int dontwait = 0;
    int nflags = msg_flags(r, flags, &dontwait);
    if (nflags < 0) {
        free(buf);
        return -1;
    }
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

static int do_recv(struct pd_run *r, struct pd_event *ev, int first, long long *res, long long flags)
{
    int fd;
    long long len;
    uint8_t *buf;
    if (io_args(r, ev, &fd, &len, &buf) < 0)
        return -1;
    int dontwait = 0;
    int nflags = msg_flags(r, flags, &dontwait);
    if (nflags < 0) {
        free(buf);
        return -1;
    }
    if (first)
        r->pend.done = 0;
    /* MSG_WAITALL (blocking): reads until len bytes, EOF or an error. */
    int waitall = (flags & MSG_WAITALL) && !(flags & MSG_PEEK) && !nonblocking(r, fd) && !dontwait;
    long long done = r->pend.done;
    ssize_t n;
    for (;;) {
        n = nst_recvfrom(r->st, fd, buf, (size_t)(len - done), nflags, NULL);
        if (n > 0 && waitall && (done += n) < len)
            continue;
        break;
    }
    free(buf);
    r->pend.done = done;
    if (n == -EAGAIN && !nonblocking(r, fd) && !dontwait)
        return 0;
    *res = waitall ? (done ? done : n) : n;
    return 1;
}

static int op_read(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    return do_recv(r, ev, first, res, 0);
}

static int op_recv(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    long long flags;
    if (arg_int(r, ev, 3, &flags) < 0)
        return -1;
    return do_recv(r, ev, first, res, flags);
}

static void epoll_closed(struct pd_run *r, int fd);

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
    if (*res == 0) {
        set_nonblock(r, fd, 0);
        epoll_closed(r, fd);
    }
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
    } else if (cmd == F_GETFD || cmd == F_SETFD) {
        *res = 0; /* close-on-exec: no exec here */
    } else {
        return bad_arg(r, ev, 1, "F_GETFL, F_SETFL, F_GETFD or F_SETFD");
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
    {IPPROTO_IP, 24 /* IP_BIND_ADDRESS_NO_PORT */, NST_IPPROTO_IP, NST_IP_BIND_ADDRESS_NO_PORT},
    {IPPROTO_TCP, TCP_INFO, NST_IPPROTO_TCP, NST_TCP_INFO},
    {IPPROTO_TCP, TCP_FASTOPEN, NST_IPPROTO_TCP, NST_TCP_FASTOPEN},
    {IPPROTO_TCP, 30 /* TCP_FASTOPEN_CONNECT */, NST_IPPROTO_TCP, NST_TCP_FASTOPEN_CONNECT},
    {SOL_SOCKET, SO_DEBUG, -1, -1}, /* taken and ignored by setsockopt */
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
    const char *nm = pd_option_name(l, n);
    if (nm) {
        char why[96];
        snprintf(why, sizeof(why), "nstack has no socket option %s", nm);
        return pd_skip(r, why);
    }
    pd_fail(r, "%d: %s(): option level %lld name %lld is unknown", ev->line, ev->call.name, l, n);
    return -1;
}

int pd_option_supported(long long level, long long name)
{
    for (size_t i = 0; i < sizeof(opt_maps) / sizeof(opt_maps[0]); i++)
        if (opt_maps[i].level == level && opt_maps[i].name == name)
            return 1;
    return 0;
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
    if (level == -1 && name == -1) { /* SO_DEBUG: kernel tracing, nothing a peer can see */
        *res = nst_socket_events(r->st, fd) < 0 ? -EBADF : 0;
        return 1;
    }
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

/* getsockopt(fd, SOL_TCP, TCP_INFO, {tcpi_state=..., tcpi_snd_cwnd=10, ...}, ...):
 * each named field is compared (pd_tcpi.c maps them onto nstack's). */
static int getsockopt_tcp_info(struct pd_run *r, struct pd_event *ev, int fd, long long *res)
{
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    *res = nst_getsockopt(r->st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    const struct pd_val *v = &ev->call.args[3];
    if (*res < 0 || v->kind != PD_V_STRUCT)
        return 1;
    for (int i = 0; i < v->n; i++) {
        const struct pd_val *f = &v->items[i];
        if (!f->name || f->kind == PD_V_ELLIPSIS)
            continue;
        long long got;
        if (pd_tcpi_field(r, &ti, f->name, &got) < 0)
            return -1;
        if (f->kind != PD_V_INT)
            return bad_arg(r, ev, 3, "{tcpi_NAME=integer, ...}");
        if (got != f->i) {
            char g[64], w[64];
            snprintf(g, sizeof(g), "%s=%lld", f->name, got);
            snprintf(w, sizeof(w), "%s=%lld", f->name, f->i);
            return getsockopt_mismatch(r, ev, g, w);
        }
    }
    return 1;
}

static int op_getsockopt(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd, level, name;
    if (sockopt_args(r, ev, &fd, &level, &name) < 0)
        return -1;
    if (name == NST_TCP_INFO && level == NST_IPPROTO_TCP)
        return getsockopt_tcp_info(r, ev, fd, res);
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
        if (v->str_prefix ? strncmp(out.s, v->s, strlen(v->s)) : strcmp(out.s, v->s)) {
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

/* ---- iovecs and messages ----------------------------------------------------------------- */

/* The bytes an iovec list [{..., N}, ...] stands for. -1 if it is not one. */
static long long iov_total(const struct pd_val *list)
{
    if (list->kind != PD_V_LIST)
        return -1;
    long long sum = 0;
    for (int i = 0; i < list->n; i++) {
        const struct pd_val *v = &list->items[i];
        if (v->kind != PD_V_STRUCT || v->n != 2 || v->items[1].kind != PD_V_INT || v->items[1].i < 0)
            return -1;
        sum += v->items[1].i;
    }
    return sum;
}

/* The length of a data call: argument 2 (write, send...), the iovec list
 * of writev/readv, or the msg_iov of sendmsg/recvmsg's msghdr. */
static int io_len(struct pd_run *r, struct pd_event *ev, long long *len)
{
    const char *n = ev->call.name;
    if (!strcmp(n, "writev") || !strcmp(n, "readv")) {
        if (ev->call.nargs < 2 || (*len = iov_total(&ev->call.args[1])) < 0)
            return bad_arg(r, ev, 1, "a list of iovecs [{..., N}]");
    } else if (!strcmp(n, "sendmsg") || !strcmp(n, "recvmsg")) {
        const struct pd_val *m = ev->call.nargs > 1 ? &ev->call.args[1] : NULL;
        const struct pd_val *iov = m ? field(m, "msg_iov") : NULL;
        if (!iov || (*len = iov_total(iov)) < 0)
            return bad_arg(r, ev, 1, "a msghdr {msg_name(...)=..., msg_iov(N)=[{..., N}], msg_flags=0}");
    } else if (arg_int(r, ev, 2, len) < 0) {
        return -1;
    }
    if (*len < 0 || *len > PD_IO_MAX)
        return bad_arg(r, ev, 2, "a length up to 64 MiB");
    return 0;
}

/* A msghdr's control messages: none, or what nstack cannot give. */
static int msg_control_none(struct pd_run *r, struct pd_event *ev)
{
    const struct pd_val *c = field(&ev->call.args[1], "msg_control");
    if (c && c->kind == PD_V_LIST && c->n)
        return pd_skip(r, "nstack has no control messages (cmsg) or error queue");
    return 0;
}

static int op_writev(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    return do_send(r, ev, first, res, 0, NULL);
}

static int op_readv(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    return do_recv(r, ev, first, res, 0);
}

static int op_sendmsg(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    long long flags;
    if (arg_int(r, ev, 2, &flags) < 0 || msg_control_none(r, ev) < 0)
        return -1;
    return do_send(r, ev, first, res, flags, NULL);
}

static int op_recvmsg(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    long long flags;
    if (arg_int(r, ev, 2, &flags) < 0 || msg_control_none(r, ev) < 0)
        return -1;
    return do_recv(r, ev, first, res, flags);
}

/* ---- ioctl ---------------------------------------------------------------------------------- */

/* SIOCINQ (FIONREAD), SIOCOUTQ, SIOCOUTQNSD from tcp_info's queues; FIONBIO. */
static int op_ioctl(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int fd;
    long long req, want = 0;
    if (arg_fd_int(r, ev, &fd, 1, &req) < 0)
        return -1;
    int has_want = ev->call.nargs > 2 && ev->call.args[2].kind != PD_V_ELLIPSIS;
    if (has_want && arg_int(r, ev, 2, &want) < 0)
        return -1;
    if (req == 0x5421) { /* FIONBIO */
        set_nonblock(r, fd, want != 0);
        *res = nst_socket_events(r->st, fd) < 0 ? -EBADF : 0;
        return 1;
    }
    if (req != 0x541B && req != 0x5411 && req != 0x894B) {
        char why[64];
        snprintf(why, sizeof(why), "nstack has no ioctl request 0x%llx", req);
        return pd_skip(r, why);
    }
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    int rc = nst_getsockopt(r->st, fd, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len);
    if (rc < 0) {
        *res = rc == -ENOPROTOOPT ? -ENOTTY : rc;
        return 1;
    }
    long long got = req == 0x541B ? ti.recv_queue : req == 0x5411 ? ti.send_queue : ti.send_queue - ti.unacked;
    *res = 0;
    if (has_want && got != want) {
        char g[32], w[32];
        snprintf(g, sizeof(g), "[%lld]", got);
        snprintf(w, sizeof(w), "[%lld]", want);
        pd_fail(r, "%d: ioctl() returned the value %s, expected %s", ev->line, g, w);
        pd_detail(r, "  script: %s", ev->text);
        return -1;
    }
    return 1;
}

/* ---- epoll ------------------------------------------------------------------------------------ */

/* An epoll instance lives in the runner, over nst_socket_events(). Its
 * descriptor number is held by an idle nstack UDP socket, so numbering
 * goes on as on Linux (socket = 3, epoll_create = 4, accept = 5). */
static struct pd_epoll *epoll_of(struct pd_run *r, int epfd)
{
    for (int i = 0; i < PD_MAX_EPOLL; i++)
        if (r->epolls[i].used && r->epolls[i].fd == epfd)
            return &r->epolls[i];
    return NULL;
}

static int op_epoll_create(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    (void)ev;
    struct pd_epoll *e = NULL;
    for (int i = 0; i < PD_MAX_EPOLL && !e; i++)
        if (!r->epolls[i].used)
            e = &r->epolls[i];
    if (!e) {
        *res = -EMFILE;
        return 1;
    }
    int fd = nst_socket(r->st, NST_SOCK_DGRAM);
    if (fd >= 0) {
        memset(e, 0, sizeof(*e));
        e->used = 1;
        e->fd = fd;
    }
    *res = fd;
    return 1;
}

static int op_epoll_ctl(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    (void)first;
    int epfd;
    long long op, fd;
    if (arg_fd_int(r, ev, &epfd, 1, &op) < 0 || arg_int(r, ev, 2, &fd) < 0)
        return -1;
    struct pd_epoll *e = epoll_of(r, epfd);
    if (!e) {
        *res = -EBADF;
        return 1;
    }
    const struct pd_val *evs = ev->call.nargs > 3 ? &ev->call.args[3] : NULL, *mask = evs ? field(evs, "events") : NULL;
    int slot = -1;
    for (int i = 0; i < e->n; i++)
        if (e->fds[i] == fd)
            slot = i;
    *res = 0;
    if (op == 1) { /* EPOLL_CTL_ADD */
        if (slot >= 0)
            *res = -EEXIST;
        else if (e->n == PD_EPOLL_FDS)
            *res = -ENOSPC;
        else if (!mask)
            return bad_arg(r, ev, 3, "{events=..., fd=N}");
        else {
            e->fds[e->n] = (int)fd;
            e->events[e->n++] = (uint32_t)mask->i;
        }
    } else if (op == 2 || op == 3) { /* DEL, MOD */
        if (slot < 0)
            *res = -ENOENT;
        else if (op == 2)
            e->fds[slot] = e->fds[--e->n], e->events[slot] = e->events[e->n];
        else if (!mask)
            return bad_arg(r, ev, 3, "{events=..., fd=N}");
        else
            e->events[slot] = (uint32_t)mask->i;
    } else {
        *res = -EINVAL;
    }
    return 1;
}

#define EPOLL_ONESHOT_BIT (1u << 30)

/* What epoll_wait reports for entry i (0: nothing). Level-triggered:
 * EPOLLET is taken as level (the difference shows only across calls that
 * a script does not make without new events). */
static uint32_t epoll_ready(struct pd_run *r, const struct pd_epoll *e, int i)
{
    if (!(e->events[i] & ~(EPOLL_ONESHOT_BIT | (1u << 31))))
        return 0; /* disarmed one-shot */
    int nev = nst_socket_events(r->st, e->fds[i]);
    if (nev < 0)
        return 0;
    return (uint32_t)poll_mask(nev) & (e->events[i] | POLLERR | POLLHUP);
}

static int op_epoll_wait(struct pd_run *r, struct pd_event *ev, int first, long long *res)
{
    int epfd;
    long long maxev, timeout;
    if (arg_fd(r, ev, &epfd) < 0 || arg_int(r, ev, 2, &maxev) < 0 || arg_int(r, ev, 3, &timeout) < 0)
        return -1;
    struct pd_epoll *e = epoll_of(r, epfd);
    if (!e) {
        *res = -EBADF;
        return 1;
    }
    int ready = 0;
    for (int i = 0; i < e->n; i++)
        ready += epoll_ready(r, e, i) != 0;
    if (first)
        r->pend.wake = timeout < 0 ? NST_TIME_NEVER : r->now + NST_MSEC(timeout);
    if (!ready && timeout != 0 && r->now < r->pend.wake)
        return 0;
    r->pend.wake = NST_TIME_NEVER;
    const struct pd_val *want = ev->call.nargs > 1 ? &ev->call.args[1] : NULL;
    struct pd_val one = {.kind = PD_V_LIST, .n = 1};
    if (want && want->kind == PD_V_STRUCT) { /* packetdrill also writes one event bare */
        one.items = (struct pd_val *)want;
        want = &one;
    }
    int n = 0;
    for (int i = 0; i < e->n && n < maxev; i++) {
        uint32_t got = epoll_ready(r, e, i);
        if (!got)
            continue;
        if (want && want->kind == PD_V_LIST && n < want->n) {
            const struct pd_val *w = &want->items[n], *wm = field(w, "events"), *wfd = field(w, "fd");
            if ((wm && wm->kind == PD_V_INT && (uint32_t)wm->i != got) ||
                (wfd && wfd->kind == PD_V_INT && wfd->i != e->fds[i])) {
                char g[96];
                poll_flags_str((int)got, g, sizeof(g));
                pd_fail(r, "%d: epoll_wait(): event %d is fd %d %s, expected fd %lld", ev->line, n + 1, e->fds[i], g,
                        wfd ? wfd->i : -1);
                pd_detail(r, "  script: %s", ev->text);
                return -1;
            }
        }
        if (e->events[i] & EPOLL_ONESHOT_BIT)
            e->events[i] = EPOLL_ONESHOT_BIT;
        n++;
    }
    *res = n;
    return 1;
}

/* close() of an epoll descriptor frees the instance and its placeholder. */
static void epoll_closed(struct pd_run *r, int fd)
{
    struct pd_epoll *e = epoll_of(r, fd);
    if (e)
        e->used = 0;
    for (int k = 0; k < PD_MAX_EPOLL; k++) {
        struct pd_epoll *x = &r->epolls[k];
        for (int i = 0; x->used && i < x->n; i++)
            if (x->fds[i] == fd)
                x->fds[i] = x->fds[--x->n], x->events[i] = x->events[x->n];
    }
}

/* ---- what nstack lacks --------------------------------------------------------------------------- */

/* System calls packetdrill knows that have no nstack counterpart. */
static const char *const lacking_calls[] = {"open", "sendfile", "pipe", "splice", "socketpair", "cap_set"};

static int lacking_call(struct pd_run *r, const char *name)
{
    for (size_t i = 0; i < sizeof(lacking_calls) / sizeof(lacking_calls[0]); i++) {
        if (!strcmp(lacking_calls[i], name)) {
            char why[96];
            snprintf(why, sizeof(why), "nstack has no system call %s()", name);
            return pd_skip(r, why);
        }
    }
    return 0;
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
    {"writev", op_writev},   {"readv", op_readv},       {"sendmsg", op_sendmsg},
    {"recvmsg", op_recvmsg}, {"ioctl", op_ioctl},       {"epoll_create", op_epoll_create},
    {"epoll_create1", op_epoll_create}, {"epoll_ctl", op_epoll_ctl}, {"epoll_wait", op_epoll_wait},
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

/* %{ }% blocks read the tcp_info of the latest TCP connection a call used. */
static void note_info_fd(struct pd_run *r, const struct pd_event *ev)
{
    const struct pd_val *a = ev->call.nargs ? &ev->call.args[0] : NULL;
    if (!a || a->kind != PD_V_INT || !strncmp(ev->call.name, "epoll", 5))
        return;
    struct nst_tcp_info ti;
    size_t len = sizeof(ti);
    if (nst_getsockopt(r->st, (int)a->i, NST_IPPROTO_TCP, NST_TCP_INFO, &ti, &len) == 0 && ti.state != NST_TCPS_LISTEN)
        r->info_fd = (int)a->i;
}

int pd_syscall_start(struct pd_run *r, struct pd_event *ev)
{
    op_fn fn = find_op(ev->call.name);
    if (!fn) {
        if (lacking_call(r, ev->call.name) < 0)
            return -1;
        pd_fail(r, "%d: unknown system call %s()", ev->line, ev->call.name);
        return -1;
    }
    memset(&r->pend, 0, sizeof(r->pend));
    r->pend.ev = ev;
    r->pend.start = r->now;
    r->pend.wake = NST_TIME_NEVER;
    note_info_fd(r, ev);
    long long res = 0;
    int rc = fn(r, ev, 1, &res);
    if (rc < 0)
        return -1;
    if (rc == 1 && !strcmp(ev->call.name, "accept") && res >= 0)
        r->info_fd = (int)res;
    if (rc == 0) {
        r->pend.active = 1;
        return 0;
    }
    if (ev->call.has_end) {
        nst_time_t end = pd_call_end(r, ev, r->now);
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
