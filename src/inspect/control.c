/* The control socket's server side (see <nstack/control.h>): a Unix-domain
 * listener and a few clients, every descriptor non-blocking and driven by
 * the run loop. A client's life: read one line (bounded), run it with
 * nst_inspect_run() into a bounded buffer, write the buffer as the socket
 * takes it, close. */
#include <nstack/control.h>
#include <nstack/inspect.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections the kernel queues before the loop accepts them (then the
 * client table's own bound applies). */
#define LISTEN_BACKLOG 16
/* What a client may still send after its answer before it is dropped. */
#define DRAIN_MAX (64u * 1024)

struct nst_control;

struct ctl_client {
    struct nst_control *ctl;
    int fd;                     /* -1: free slot */
    unsigned long age;          /* order of arrival: the oldest is evicted first */
    char req[NST_CONTROL_MAX_REQUEST];
    size_t req_len;
    char *reply;                /* NULL until the request is complete */
    size_t reply_len, reply_off;
    int draining;               /* reply sent: reading what the client still sends until it closes */
    size_t drained;             /* bytes discarded while draining */
};

struct nst_control {
    struct nst_runloop *rl;
    struct nst_stack *st;
    int lfd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct ctl_client clients[NST_CONTROL_MAX_CLIENTS];
    unsigned long arrivals, served;
};

/* ---- a reply buffer that stops growing at NST_CONTROL_MAX_REPLY ----------- */

struct capped {
    char *buf;
    size_t len, cap;
    int cut;                    /* something was dropped */
};

static ssize_t capped_write(void *cookie, const char *data, size_t n)
{
    struct capped *c = cookie;
    size_t room = NST_CONTROL_MAX_REPLY - c->len;
    size_t take = n < room ? n : room;
    if (take < n)
        c->cut = 1;
    if (c->len + take > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + take)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (!b) {
            c->cut = 1;
            return (ssize_t)n; /* what does not fit is dropped, never an error mid-answer */
        }
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, take);
    c->len += take;
    return (ssize_t)n;
}

/* Runs the request into a buffer of at most NST_CONTROL_MAX_REPLY bytes
 * (plus a note if it was cut). */
static int build_reply(struct nst_control *ctl, const char *request, char **out, size_t *len)
{
    struct capped c = {0};
    cookie_io_functions_t io = {.write = capped_write};
    FILE *f = fopencookie(&c, "w", io);
    if (!f)
        return -ENOMEM;
    nst_inspect_run(ctl->st, request, f);
    fclose(f);
    if (c.cut) {
        static const char note[] = "\n... (answer cut at the control socket's size limit)\n";
        char *b = realloc(c.buf, c.len + sizeof(note));
        if (b) {
            memcpy(b + c.len, note, sizeof(note) - 1);
            c.buf = b;
            c.len += sizeof(note) - 1;
        }
    }
    *out = c.buf;
    *len = c.len;
    return 0;
}

/* ---- clients ----------------------------------------------------------------- */

static void client_drop(struct ctl_client *c)
{
    if (c->fd < 0)
        return;
    nst_runloop_del_fd(c->ctl->rl, c->fd);
    close(c->fd);
    free(c->reply);
    c->fd = -1;
    c->reply = NULL;
    c->req_len = c->reply_len = c->reply_off = 0;
    c->draining = 0;
    c->drained = 0;
}

/* The reply is out: say so (EOF) and wait for the client to close. Closing
 * at once while it still sends (an over-long request) would reset the
 * connection and lose the reply on its side. */
static void client_linger(struct ctl_client *c)
{
    shutdown(c->fd, SHUT_WR);
    free(c->reply);
    c->reply = NULL;
    c->draining = 1;
    nst_runloop_mod_fd(c->ctl->rl, c->fd, EPOLLIN);
}

/* Discards what comes until EOF; a client that keeps sending past
 * DRAIN_MAX bytes is dropped (bounded work for a misbehaving client). */
static void client_drain(struct ctl_client *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n > 0 && (c->drained += (size_t)n) <= DRAIN_MAX)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        client_drop(c);
        return;
    }
}

/* Writes what the socket takes; drops the client when all is sent or the
 * peer has gone. */
static void client_send(struct ctl_client *c)
{
    while (c->reply_off < c->reply_len) {
        ssize_t n = send(c->fd, c->reply + c->reply_off, c->reply_len - c->reply_off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* EPOLLOUT brings us back */
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        c->reply_off += (size_t)n;
    }
    if (c->reply_off == c->reply_len)
        client_linger(c);
    else
        client_drop(c);
}

/* The reply is ready (c->reply): switch the client to sending it. */
static void client_start_reply(struct ctl_client *c)
{
    struct nst_control *ctl = c->ctl;
    ctl->served++;
    nst_runloop_mod_fd(ctl->rl, c->fd, EPOLLOUT);
    client_send(c);
}

static void client_answer(struct ctl_client *c, const char *request)
{
    if (build_reply(c->ctl, request, &c->reply, &c->reply_len) < 0) {
        client_drop(c);
        return;
    }
    client_start_reply(c);
}

static void client_refuse_long(struct ctl_client *c)
{
    char msg[80];
    int n = snprintf(msg, sizeof(msg), "error: a request is one line of at most %d bytes\n",
                     NST_CONTROL_MAX_REQUEST - 1);
    c->reply = malloc((size_t)n);
    if (!c->reply) {
        client_drop(c);
        return;
    }
    memcpy(c->reply, msg, (size_t)n);
    c->reply_len = (size_t)n;
    client_start_reply(c);
}

/* Reads what has come; answers once a whole line is there (or the client
 * stopped sending), refuses a line that does not fit. */
static void client_read(struct ctl_client *c)
{
    for (;;) {
        size_t room = sizeof(c->req) - 1 - c->req_len;
        if (room == 0) {
            client_refuse_long(c);
            return;
        }
        ssize_t n = recv(c->fd, c->req + c->req_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0 || (n == 0 && c->req_len == 0)) {
            client_drop(c);
            return;
        }
        c->req_len += (size_t)n;
        c->req[c->req_len] = 0;
        char *nl = memchr(c->req, '\n', c->req_len);
        if (nl)
            *nl = 0;
        if (nl || n == 0) {
            client_answer(c, c->req);
            return;
        }
    }
}

static void client_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)fd;
    (void)now;
    struct ctl_client *c = arg;
    if (c->draining)
        client_drain(c);
    else if (c->reply)
        client_send(c);
    else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        client_read(c);
}

/* A free slot, or the oldest client's (bounded: a crowd of silent
 * clients cannot lock the next one out). */
static struct ctl_client *slot_for_new(struct nst_control *ctl)
{
    struct ctl_client *oldest = &ctl->clients[0];
    for (int i = 0; i < NST_CONTROL_MAX_CLIENTS; i++) {
        struct ctl_client *c = &ctl->clients[i];
        if (c->fd < 0)
            return c;
        if (c->age < oldest->age)
            oldest = c;
    }
    client_drop(oldest);
    return oldest;
}

static void listener_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)events;
    (void)now;
    struct nst_control *ctl = arg;
    int cfd;
    while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct ctl_client *c = slot_for_new(ctl);
        c->fd = cfd;
        c->age = ctl->arrivals++;
        if (nst_runloop_add_fd(ctl->rl, cfd, EPOLLIN, client_ready, c) < 0) {
            close(cfd);
            c->fd = -1;
        }
    }
}

/* ---- the listener ------------------------------------------------------------ */

/* A socket file left by a process that died is replaced; anything else at
 * the path is not ours to remove. */
static int clear_path(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(sb.st_mode))
        return -EEXIST;
    return unlink(path) < 0 ? -errno : 0;
}

static int listen_at(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int err = clear_path(path);
    if (err)
        return err;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(path, 0600) < 0 ||
        listen(fd, LISTEN_BACKLOG) < 0) {
        err = -errno;
        close(fd);
        unlink(path);
        return err;
    }
    return fd;
}

int nst_control_open(struct nst_runloop *rl, struct nst_stack *st, const char *path, struct nst_control **out)
{
    struct nst_control *ctl = calloc(1, sizeof(*ctl));
    if (!ctl)
        return -ENOMEM;
    ctl->rl = rl;
    ctl->st = st;
    for (int i = 0; i < NST_CONTROL_MAX_CLIENTS; i++)
        ctl->clients[i] = (struct ctl_client){.ctl = ctl, .fd = -1};
    ctl->lfd = listen_at(path);
    if (ctl->lfd < 0) {
        int err = ctl->lfd;
        free(ctl);
        return err;
    }
    snprintf(ctl->path, sizeof(ctl->path), "%s", path);
    int err = nst_runloop_add_fd(rl, ctl->lfd, EPOLLIN, listener_ready, ctl);
    if (err < 0) {
        close(ctl->lfd);
        unlink(ctl->path);
        free(ctl);
        return err;
    }
    *out = ctl;
    return 0;
}

void nst_control_close(struct nst_control *ctl)
{
    if (!ctl)
        return;
    for (int i = 0; i < NST_CONTROL_MAX_CLIENTS; i++)
        client_drop(&ctl->clients[i]);
    nst_runloop_del_fd(ctl->rl, ctl->lfd);
    close(ctl->lfd);
    unlink(ctl->path);
    free(ctl);
}

unsigned long nst_control_served(const struct nst_control *ctl) { return ctl->served; }
