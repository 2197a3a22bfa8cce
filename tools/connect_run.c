/* nstack connect's run: the run loop's step moves the connection through
 * its phases (connecting, transfer, hold, closing) and prints each TCP state
 * as the connection enters it.
 *
 * The step runs once per turn of the loop, after the stack took the frames
 * and ran its timers. The close: after sending, our side is shut down (the
 * FIN after the data: the active close), the peer is read until its EOF,
 * then the socket is closed. After receiving, the socket is closed at the
 * peer's EOF (the passive close), --hold-close seconds later if asked. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <nstack/socket.h>

#include "tools/bulk.h"
#include "tools/connect.h"
#include "tools/digest.h"

/* ---- the TCP state, as it changes ---------------------------------------- */

/* Whether a listed connection's remote end is DEST (either family). */
static int is_dest(const struct nst_sockaddr *remote, const struct nst_sockaddr *dest)
{
    if (remote->port != dest->port)
        return 0;
    if (dest->family == NST_AF_INET6)
        return remote->family == NST_AF_INET6 && memcmp(&remote->addr6, &dest->addr6, sizeof(dest->addr6)) == 0;
    return remote->family != NST_AF_INET6 && remote->addr == dest->addr;
}

/* The connection's state: from TCP_INFO while the socket has it, else from
 * the stack's list (closed connections and TIME_WAIT records are there: a
 * socket whose connection entered TIME_WAIT says CLOSED, its TCB freed for
 * a compact record); NST_TCPS_CLOSED once it is gone. */
static int current_state(struct connect_run *r)
{
    struct nst_tcp_info one;
    size_t len = sizeof(one);
    if (r->fd >= 0 && nst_getsockopt(r->h.st, r->fd, NST_IPPROTO_TCP, NST_TCP_INFO, &one, &len) == 0 &&
        one.state != NST_TCPS_CLOSED) {
        r->info = one;
        return one.state;
    }
    struct nst_tcp_info list[CONNECT_LIST_MAX];
    int n = nst_tcp_list(r->h.st, list, CONNECT_LIST_MAX);
    for (int i = 0; i < n && i < CONNECT_LIST_MAX; i++)
        if (list[i].state != NST_TCPS_CLOSED && list[i].local.port == r->local.port &&
            is_dest(&list[i].remote, &r->a->dest))
            return list[i].state;
    return NST_TCPS_CLOSED;
}

/* Prints each state the first time it is seen (flushed: a test reads this
 * while the connection lives). */
static void watch_state(struct connect_run *r, nst_time_t now)
{
    int s = current_state(r);
    if (s == r->state)
        return;
    r->state = s;
    r->last_progress = now;
    printf("nstack connect: state %s (+%.3f s)\n", nst_tcp_state_name(s), (double)(now - r->t0) / 1e9);
    fflush(stdout);
}

/* ---- the stream ---------------------------------------------------------- */

static void fail(struct connect_run *r, int err, const char *what)
{
    fprintf(stderr, "nstack connect: %s: %s\n", what, strerror(-err));
    if (!r->err)
        r->err = err;
    if (r->fd >= 0) {
        nst_close(r->h.st, r->fd);
        r->fd = -1;
    }
    r->phase = PH_DONE;
}

static void input_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)arg, (void)fd, (void)events, (void)now; /* the step that follows reads it */
}

/* Watches the input only while the step waits for it: a pipe that stays
 * readable while the socket is full would wake the loop for nothing. */
static void watch_input(struct connect_run *r, int on)
{
    if (on == r->in_watched)
        return;
    if (on ? nst_runloop_add_fd(r->h.rl, r->in_fd, EPOLLIN, input_ready, r) : nst_runloop_del_fd(r->h.rl, r->in_fd))
        return; /* a regular file cannot be watched, and never needs to be */
    r->in_watched = on;
}

/* Refills r->out from the source: > 0 bytes, 0 at its end, -EAGAIN, -errno. */
static ssize_t source_read(struct connect_run *r)
{
    if (r->in_fd < 0) {
        size_t n = r->pattern_left < sizeof(r->out) ? (size_t)r->pattern_left : sizeof(r->out);
        bulk_chargen(r->out, n, r->a->send_bytes - r->pattern_left);
        r->pattern_left -= n;
        return (ssize_t)n;
    }
    ssize_t n = read(r->in_fd, r->out, sizeof(r->out));
    return n < 0 ? -errno : n;
}

/* Sends until the socket or the source has nothing more to give; at the
 * source's end, shuts our side down (the FIN after the data). */
static void push(struct connect_run *r)
{
    for (;;) {
        if (r->pend_off == r->pend_len) {
            ssize_t n = source_read(r);
            if (n == -EAGAIN || n == -EINTR) {
                watch_input(r, 1);
                return;
            }
            if (n < 0) {
                fail(r, (int)n, "cannot read the input");
                return;
            }
            if (n == 0) {
                int err = nst_shutdown(r->h.st, r->fd, NST_SHUT_WR);
                if (err)
                    fail(r, err, "shutdown");
                r->shut = 1;
                return;
            }
            r->pend_off = 0;
            r->pend_len = (size_t)n;
        }
        ssize_t sent = nst_send(r->h.st, r->fd, r->out + r->pend_off, r->pend_len - r->pend_off, 0);
        if (sent == -EAGAIN) {
            watch_input(r, 0);
            return;
        }
        if (sent < 0) {
            fail(r, (int)sent, "send");
            return;
        }
        digest_update(r->digest, r->out + r->pend_off, (size_t)sent);
        r->pend_off += (size_t)sent;
        r->sent += (uint64_t)sent;
    }
}

/* Reads what has arrived (hashed in --recv mode) until -EAGAIN or EOF. */
static void pull(struct connect_run *r, nst_time_t now)
{
    for (;;) {
        ssize_t n = nst_recv(r->h.st, r->fd, r->in, sizeof(r->in), 0);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            fail(r, (int)n, "recv");
            return;
        }
        if (n == 0) {
            r->eof = 1;
            if (r->a->mode == MODE_RECV)
                r->end = now;
            return;
        }
        if (r->a->mode == MODE_RECV)
            digest_update(r->digest, r->in, (size_t)n);
        r->received += (uint64_t)n;
    }
}

/* ---- the run ------------------------------------------------------------- */

static void close_socket(struct connect_run *r)
{
    nst_close(r->h.st, r->fd);
    r->fd = -1;
    r->phase = PH_CLOSING;
}

static void on_connecting(struct connect_run *r, nst_time_t now)
{
    int ev = nst_socket_events(r->h.st, r->fd);
    if (ev & NST_EV_ERR) {
        int err = 0;
        size_t len = sizeof(err);
        nst_getsockopt(r->h.st, r->fd, NST_SOL_SOCKET, NST_SO_ERROR, &err, &len);
        fail(r, err > 0 ? -err : -ECONNREFUSED, "cannot connect"); /* SO_ERROR is a positive errno */
        return;
    }
    if (!(ev & NST_EV_OUT))
        return;
    char a[NST_SOCKADDR_STRLEN], b[NST_SOCKADDR_STRLEN];
    nst_getsockname(r->h.st, r->fd, &r->local);
    printf("nstack connect: connected to %s from %s in %.3f ms\n", nst_sockaddr_str(&r->a->dest, a, sizeof(a)),
           nst_sockaddr_str(&r->local, b, sizeof(b)), (double)(now - r->t0) / 1e6);
    fflush(stdout);
    r->start = now;
    r->phase = PH_TRANSFER;
}

/* Whether the peer acknowledged every byte sent, our FIN included: the
 * queue is empty (r->info is this turn's: watch_state read it), or the state
 * says so -- a connection can go from FIN_WAIT_1 to TIME_WAIT (or from
 * LAST_ACK to gone) within one turn, and its socket then has no TCP_INFO. */
static int all_acked(const struct connect_run *r)
{
    if (r->state == NST_TCPS_FIN_WAIT_2 || r->state == NST_TCPS_TIME_WAIT || r->state == NST_TCPS_CLOSED)
        return 1;
    return r->info.send_queue == 0 && r->info.unacked == 0;
}

static void on_transfer(struct connect_run *r, nst_time_t now)
{
    uint64_t before = r->sent + r->received;
    if (r->a->mode == MODE_SEND && !r->shut)
        push(r);
    if (r->phase == PH_TRANSFER)
        pull(r, now);
    if (r->phase != PH_TRANSFER)
        return;
    if (r->sent + r->received != before)
        r->last_progress = now;
    if (r->a->mode == MODE_SEND && r->shut && !r->end && all_acked(r))
        r->end = now;
    if (!r->eof || (r->a->mode == MODE_SEND && !r->shut))
        return;
    if (r->a->hold_close > 0) {
        r->hold_until = now + (nst_time_t)(r->a->hold_close * 1e9);
        r->last_progress = r->hold_until;
        r->phase = PH_HOLD;
        printf("nstack connect: the peer closed; holding the socket open for %g s\n", r->a->hold_close);
        fflush(stdout);
        return;
    }
    close_socket(r);
}

/* One phase's work; the phase may change. */
static void run_phase(struct connect_run *r, nst_time_t now)
{
    switch (r->phase) {
    case PH_CONNECTING: on_connecting(r, now); break;
    case PH_TRANSFER: on_transfer(r, now); break;
    case PH_HOLD:
        if (now >= r->hold_until)
            close_socket(r);
        break;
    case PH_CLOSING:
        if (r->state == NST_TCPS_TIME_WAIT || r->state == NST_TCPS_CLOSED)
            r->phase = PH_DONE;
        break;
    case PH_DONE: break;
    }
}

/* The run loop's step. A phase that ends hands over to the next at once:
 * the loop sleeps after the step until a frame or a timer, so work left for
 * "the next turn" (the first bytes, once connected) could wait seconds. */
static int connect_step(void *arg, nst_time_t now)
{
    struct connect_run *r = arg;
    enum connect_phase before;
    watch_state(r, now);
    do {
        before = r->phase;
        run_phase(r, now);
        watch_state(r, now); /* what the phase did: a shutdown is FIN_WAIT_1 at once */
    } while (r->phase != before && r->phase != PH_DONE);
    return 0;
}

/* A run of the loop ends when the phase changes: the next phase may need
 * another deadline (the end of --hold-close). */
static int phase_changed(void *arg)
{
    struct connect_run *r = arg;
    return r->phase != r->run_phase;
}

/* Runs until done, a signal (-EINTR), --timeout without progress
 * (-ETIMEDOUT), or a failing loop. */
int connect_loop(struct connect_run *r)
{
    nst_time_t idle = (nst_time_t)(r->a->idle * 1e9);
    while (r->phase != PH_DONE) {
        nst_time_t deadline = r->last_progress + idle;
        if (r->phase == PH_HOLD && r->hold_until < deadline)
            deadline = r->hold_until;
        r->run_phase = r->phase;
        int rc = nst_runloop_run(r->h.rl, deadline, phase_changed, r);
        if (rc < 0)
            return rc;
        if (rc == 0 && nst_runloop_now(r->h.rl) >= r->last_progress + idle)
            return -ETIMEDOUT;
    }
    return 0;
}

int connect_start(struct connect_run *r)
{
    struct nst_stack *st = r->h.st;
    int v6 = r->a->dest.family == NST_AF_INET6;
    /* RFC 4862 5.4: no address is used before DAD passed (a second or two). */
    if (v6)
        tap_host_wait_dad(&r->h);
    r->t0 = r->last_progress = nst_runloop_now(r->h.rl);
    r->fd = nst_socket_family(st, v6 ? NST_AF_INET6 : NST_AF_INET, NST_SOCK_STREAM);
    if (r->fd < 0)
        return r->fd;
    int err = nst_connect(st, r->fd, &r->a->dest);
    if (err && err != -EINPROGRESS)
        return err;
    watch_state(r, r->t0);
    nst_runloop_set_step(r->h.rl, connect_step, r);
    return 0;
}

/* ---- the report ---------------------------------------------------------- */

void connect_report(struct connect_run *r)
{
    const struct nst_tcp_info *i = &r->info;
    nst_time_t end = r->end ? r->end : nst_runloop_now(r->h.rl);
    if (r->start)
        bulk_report(stdout, r->a->mode == MODE_SEND ? "sent" : "received",
                    r->a->mode == MODE_SEND ? r->sent : r->received, end - r->start, r->digest);
    printf("connection: %llu segments out, %llu in; %llu retransmitted (%llu fast, %llu timeouts), "
           "%llu bytes retransmitted; rtt %.3f ms, cwnd %u, mss %u\n",
           (unsigned long long)i->segs_out, (unsigned long long)i->segs_in, (unsigned long long)i->retransmits,
           (unsigned long long)i->fast_retransmits, (unsigned long long)i->rto_timeouts,
           (unsigned long long)i->bytes_retrans, (double)i->rtt / 1e6, i->cwnd, i->snd_mss);
    printf("final state: %s\n", r->state >= 0 ? nst_tcp_state_name(r->state) : "none");
    tap_host_print_stats(stdout, &r->h);
}

int connect_open_input(struct connect_run *r)
{
    r->in_fd = -1;
    r->pattern_left = r->a->send_bytes;
    if (!r->a->send_file)
        return 0;
    int fd = strcmp(r->a->send_file, "-") ? open(r->a->send_file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0) {
        fprintf(stderr, "nstack connect: cannot open %s: %s\n", r->a->send_file, strerror(errno));
        return 1;
    }
    r->in_flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, r->in_flags | O_NONBLOCK);
    r->in_fd = fd;
    return 0;
}

void connect_close_input(struct connect_run *r)
{
    if (r->in_fd < 0)
        return;
    watch_input(r, 0);
    /* Standard input's flags belong to the open file the shell shares. */
    fcntl(r->in_fd, F_SETFL, r->in_flags);
    if (r->in_fd != STDIN_FILENO)
        close(r->in_fd);
    r->in_fd = -1;
}
