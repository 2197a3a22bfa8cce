/* nstack serve's simple services: UDP echo, TCP echo, discard, source,
 * and a sink that hashes what it reads. */
#include <errno.h>
#include <string.h>

#include "tools/bulk.h"
#include "tools/digest.h"
#include "tools/serve.h"

/* RFC 862: every datagram goes back to where it came from. */
void serve_udp_echo(struct server *sv, int fd, int events)
{
    if (!(events & NST_EV_IN))
        return;
    struct serve_stats *s = serve_stats_of(sv, fd);
    struct nst_sockaddr from;
    ssize_t n;
    /* The socket's queue is bounded by its receive buffer, so this ends. */
    while ((n = nst_recvfrom(sv->h.st, fd, sv->buf, sizeof(sv->buf), 0, &from)) >= 0) {
        if (nst_sendto(sv->h.st, fd, sv->buf, (size_t)n, 0, &from) >= 0) {
            s->datagrams++;
            s->bytes_in += (uint64_t)n;
        }
    }
}

/* Reads what is there into sv->buf: > 0 bytes, 0 at EOF, -EAGAIN, or
 * another error (the connection is then closed). */
static ssize_t conn_read(struct server *sv, int fd)
{
    ssize_t n = nst_recv(sv->h.st, fd, sv->buf, sizeof(sv->buf), 0);
    if (n > 0)
        serve_stats_of(sv, fd)->bytes_in += (uint64_t)n;
    else if (n < 0 && n != -EAGAIN)
        serve_conn_close(sv, fd);
    return n;
}

/* RFC 862 over TCP. The peer's bytes are read only while nothing is
 * waiting to go back: a peer that does not read its echo stops being read
 * (and its window closes), so the server holds at most one chunk for it. */
void serve_tcp_echo(struct server *sv, int fd, struct serve_conn *c, int events)
{
    (void)events;
    for (;;) {
        if (!serve_conn_flush(sv, fd, c) || c->out_len)
            return;
        ssize_t n = conn_read(sv, fd);
        if (n == 0) {
            /* The peer is done: send what is left, then our FIN. */
            c->close_after = 1;
            serve_conn_flush(sv, fd, c);
            return;
        }
        if (n < 0)
            return;
        if (serve_conn_queue(c, sv->buf, (size_t)n) < 0) {
            serve_conn_close(sv, fd);
            return;
        }
    }
}

/* RFC 863: read and forget; close when the peer does. */
void serve_discard(struct server *sv, int fd, struct serve_conn *c, int events)
{
    (void)c;
    (void)events;
    ssize_t n;
    while ((n = conn_read(sv, fd)) > 0)
        ;
    if (n == 0)
        serve_conn_close(sv, fd);
}

/* Sends the pattern until the socket is full (its send buffer bounds each
 * call); whatever the peer sends is dropped; closes when the peer does. */
void serve_source(struct server *sv, int fd, struct serve_conn *c, int events)
{
    ssize_t n;
    while ((n = conn_read(sv, fd)) > 0)
        ;
    if (n != -EAGAIN && n != 0)
        return; /* closed by conn_read */
    if (n == 0 || (events & (NST_EV_HUP | NST_EV_ERR))) {
        serve_conn_close(sv, fd);
        return;
    }
    for (;;) {
        bulk_chargen(sv->buf, sizeof(sv->buf), c->pattern_off);
        ssize_t sent = nst_send(sv->h.st, fd, sv->buf, sizeof(sv->buf), 0);
        if (sent == -EAGAIN)
            return;
        if (sent < 0) {
            serve_conn_close(sv, fd);
            return;
        }
        c->pattern_off += (uint64_t)sent;
        serve_stats_of(sv, fd)->bytes_out += (uint64_t)sent;
    }
}

/* Like discard, but hashes the stream: at the peer's EOF it prints the
 * bytes, the time from the first byte, and the SHA-256, for the kernel side
 * to compare with its own (sha256sum of what it sent). */
void serve_sink_sha256(struct server *sv, int fd, struct serve_conn *c, int events)
{
    (void)events;
    if (!c->digest && !(c->digest = digest_new())) {
        serve_conn_close(sv, fd);
        return;
    }
    ssize_t n;
    while ((n = conn_read(sv, fd)) > 0) {
        if (!c->bytes)
            c->first = nst_runloop_now(sv->h.rl);
        c->bytes += (uint64_t)n;
        digest_update(c->digest, sv->buf, (size_t)n);
    }
    if (n != 0)
        return; /* -EAGAIN, or closed by conn_read */
    struct nst_sockaddr peer = {0, 0};
    char a[NST_SOCKADDR_STRLEN], what[NST_SOCKADDR_STRLEN + 32];
    nst_getpeername(sv->h.st, fd, &peer);
    snprintf(what, sizeof(what), "sink-sha256 from %s", nst_sockaddr_str(&peer, a, sizeof(a)));
    bulk_report(stdout, what, c->bytes, c->bytes ? nst_runloop_now(sv->h.rl) - c->first : 0, c->digest);
    fflush(stdout);
    serve_conn_close(sv, fd);
}
