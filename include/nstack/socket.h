/* nstack — the BSD-like, non-blocking socket API.
 *
 * Descriptors are small integers local to one stack. Every call returns a
 * count or 0 on success and a negative errno code on failure (-EAGAIN when
 * it would block, -ECONNREFUSED, -EADDRNOTAVAIL, ...); a descriptor that is
 * not open is -EBADF everywhere. Nothing blocks: wait for readiness with a
 * poll set (<nstack/poll.h>), nst_socket_events() or an event callback, and
 * drive the stack with nst_stack_input() / nst_stack_poll(). */
#ifndef NSTACK_SOCKET_H
#define NSTACK_SOCKET_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

enum nst_sock_type {
    NST_SOCK_STREAM = 1, /* TCP */
    NST_SOCK_DGRAM = 2,  /* UDP */
    NST_SOCK_ICMP = 3,   /* ICMP echo ("ping socket"): see below */
};

/* Readiness, epoll-style. */
enum {
    NST_EV_IN = 0x001,   /* readable (data, a connection to accept, or EOF) */
    NST_EV_PRI = 0x002,  /* TCP: urgent data not read yet (RFC 9293 3.8.5; it is read inline,
                          * in the stream: NST_TCP_URGENT_LEFT says how much) */
    NST_EV_OUT = 0x004,  /* writable */
    NST_EV_ERR = 0x008,  /* an error is pending (read it with NST_SO_ERROR) */
    NST_EV_HUP = 0x010,  /* both directions closed */
    NST_EV_RDHUP = 0x2000, /* peer closed its sending side (FIN received) */
};

/* send/recv flags */
enum {
    NST_MSG_OOB = 0x1,  /* TCP send: the bytes are urgent data (RFC 9293 3.8.5): the urgent
                         * pointer of the segments points past them (RFC 6093). They go
                         * in the stream as usual; the peer reads them inline. Not for
                         * recv (urgent data is read inline: -EINVAL) */
    NST_MSG_PEEK = 0x2,
    NST_MSG_DONTWAIT = 0x40, /* accepted for familiarity; every call is non-blocking */
    NST_MSG_FASTOPEN = 0x20000000, /* TCP nst_sendto on an unconnected socket: connect to `to`
                                    * with TCP Fast Open (RFC 7413): with a cookie cached for the
                                    * server the bytes go in the SYN (returns how many the socket
                                    * took); without one, the SYN asks for a cookie and -EINPROGRESS
                                    * (nothing taken: send again once connected), as Linux */
};

/* shutdown how */
enum { NST_SHUT_RD = 0, NST_SHUT_WR = 1, NST_SHUT_RDWR = 2 };

/* setsockopt levels and names (values are nstack's own). */
enum { NST_SOL_SOCKET = 1, NST_IPPROTO_IP = 0, NST_IPPROTO_TCP = 6, NST_IPPROTO_IPV6 = 41 };
enum {
    /* NST_SOL_SOCKET */
    NST_SO_RCVBUF = 1,
    NST_SO_SNDBUF,
    NST_SO_KEEPALIVE,
    NST_SO_LINGER,      /* struct nst_linger */
    NST_SO_REUSEADDR,
    NST_SO_ERROR,       /* get only: the pending error as a positive errno (ECONNREFUSED,
                         * ECONNRESET, ETIMEDOUT, EHOSTUNREACH...) or 0; reading clears it
                         * (NST_EV_ERR goes with it) */
    NST_SO_TYPE,
    NST_SO_MAX_PACING_RATE, /* TCP: bytes/s (a 4- or 8-byte unsigned), 0 for no cap: the
                             * connection's data is paced at no more than this (Linux's
                             * SO_MAX_PACING_RATE under fq); turns pacing on */
    NST_SO_PACING,      /* TCP: 1 paces the data at cwnd/SRTT x 2 in slow start, x 1.2 after
                         * (Linux's rate under fq); BBR paces whatever this says */
    /* NST_IPPROTO_IP */
    NST_IP_TTL = 32,
    NST_IP_BIND_ADDRESS_NO_PORT, /* TCP: bind(addr, port 0) takes the address only; the
                                  * port is chosen by connect(), per 4-tuple (as Linux's) */
    /* NST_IPPROTO_TCP */
    NST_TCP_NODELAY = 64,
    NST_TCP_MAXSEG,
    NST_TCP_KEEPIDLE,   /* seconds */
    NST_TCP_KEEPINTVL,  /* seconds */
    NST_TCP_KEEPCNT,
    NST_TCP_CONGESTION, /* a string: "cubic" or "newreno" */
    NST_TCP_INFO,       /* get only: struct nst_tcp_info */
    NST_TCP_TW_REUSE,   /* reuse a TIME_WAIT port for a new connect when safe */
    NST_TCP_URGENT_LEFT, /* get only: urgent bytes not read yet (RFC 9293 3.8.5, RFC 6093: the
                          * urgent pointer points past them; they are read inline, in order,
                          * as the next bytes of the stream); 0 if none */
    NST_TCP_ECN,        /* ECN (RFC 3168) for this socket, the values of nst_tcp_config.ecn:
                         * 0 off, 1 ask and accept, 2 accept only; the stack's setting by
                         * default; read when the SYN goes (connect) or comes (a listener's,
                         * inherited by the connections it accepts) */
    NST_TCP_FASTOPEN,   /* listener: RFC 7413 server with at most this many Fast Open
                         * connections not yet past the handshake (section 5.1), 0 off;
                         * needs cfg.tcp.fastopen & 2 (Linux's TCP_FASTOPEN) */
    NST_TCP_FASTOPEN_CONNECT, /* 1: connect() uses Fast Open (RFC 7413): with a cookie cached
                         * it returns 0 at once and the first send goes in the SYN; without
                         * one the SYN asks for a cookie (-EINPROGRESS). Linux's option */
    NST_TCP_RACK,       /* 1: RFC 8985 RACK-TLP loss detection (with SACK), 0: RFC 6675's
                         * DupThresh; default cfg.tcp.rack; set before data flows (-EBUSY
                         * after); a listener's choice passes to its connections */
    /* NST_IPPROTO_IPV6 (AF_INET6 sockets; -ENOPROTOOPT on AF_INET ones) */
    NST_IPV6_V6ONLY = 96, /* 1: IPv6 only; 0 (the default, as Linux's bindv6only=0): a socket
                           * bound to :: takes IPv4 too, its IPv4 peers shown as ::ffff:a.b.c.d
                           * (RFC 3493 5.3). Set before bind/connect/listen (-EINVAL after) */
    NST_IPV6_UNICAST_HOPS, /* the hop limit of unicast packets 1..255, -1: the default
                            * (the interface's, from Router Advertisements, else 64) */
    NST_IPV6_TCLASS,       /* the traffic class 0..255 (its two ECN bits are TCP's to set,
                            * RFC 3168), -1: 0 */
};

/* NST_SO_LINGER (TCP). nst_close never blocks, so:
 *   l_onoff 0: close is a normal close (FIN after the data still queued),
 *     in the background.
 *   l_onoff 1, l_linger 0: close aborts: a RST is sent, queued data is
 *     thrown away, the peer reads ECONNRESET (RFC 9293 3.10.5 ABORT).
 *   l_onoff 1, l_linger > 0: close returns 0 at once and the connection
 *     closes normally in the background, exactly as with l_onoff 0. Linux
 *     blocks in close() up to l_linger seconds for the close to complete,
 *     also on an O_NONBLOCK socket (inet_release ignores O_NONBLOCK), then
 *     returns 0 and lets the connection finish normally too; what a peer
 *     sees is the same. A program that wants to know when its data was
 *     acknowledged shuts down (NST_SHUT_WR) and waits for NST_TCP_INFO's
 *     unacked to reach 0, or for the peer's EOF.
 * A negative l_linger is taken as 0. A close that leaves unread data in
 * the receive buffer always aborts (RFC 2525 2.17), as Linux's. */
struct nst_linger {
    int l_onoff;
    int l_linger; /* seconds */
};

/* A new socket of `type` (enum nst_sock_type): the lowest free descriptor
 * (>= 3). -EPROTONOSUPPORT (bad type), -EMFILE (max_sockets), -ENOMEM. */
int nst_socket(struct nst_stack *st, int type);
/* The same for a family: NST_AF_INET (nst_socket's) or NST_AF_INET6: an
 * IPv6 socket, which takes IPv6 addresses (struct nst_sockaddr family
 * NST_AF_INET6; UDP also takes IPv4 ones in sendto/connect, as Linux) and,
 * bound to :: without NST_IPV6_V6ONLY, IPv4 too: its IPv4 peers are
 * ::ffff:a.b.c.d (RFC 4291 2.5.5.2); bound or connected to such a mapped
 * address it is an IPv4 socket. Every address it reports (getsockname,
 * getpeername, accept, recvfrom) is NST_AF_INET6, an AF_INET socket's
 * NST_AF_INET. An AF_INET socket given an NST_AF_INET6 address:
 * -EAFNOSUPPORT. -EAFNOSUPPORT for another family, else as nst_socket. */
int nst_socket_family(struct nst_stack *st, int family, int type);

/* Text forms of an endpoint: "192.0.2.1:80", "[2001:db8::1]:80",
 * "[fe80::1%2]:80" (scope: the interface index, scope_id - 1) and, for an
 * IPv4-mapped AF_INET6 one, "[::ffff:192.0.2.1]:80" (RFC 5952 6). buf of
 * NST_SOCKADDR_STRLEN bytes always suffices; a shorter one is cut (with its
 * NUL). Returns buf. */
#define NST_SOCKADDR_STRLEN 64
const char *nst_sockaddr_str(const struct nst_sockaddr *a, char *buf, size_t len);
/* Parses those forms (and a bare "192.0.2.1" or "[2001:db8::1]": port 0)
 * into *out (zeroed first: family NST_AF_INET or NST_AF_INET6). 0 or -EINVAL. */
int nst_sockaddr_parse(const char *s, struct nst_sockaddr *out);
/* Binds to addr (address 0: any of the stack's; port 0: an ephemeral
 * one). 0, or -EBADF, -EINVAL (NULL addr, already bound or connected),
 * -EADDRNOTAVAIL (not one of the stack's addresses, or no free ephemeral
 * port), -EADDRINUSE (the port is taken; NST_SO_REUSEADDR relaxes it for
 * TCP as Linux does), -EACCES (UDP: a broadcast address). */
int nst_bind(struct nst_stack *st, int fd, const struct nst_sockaddr *addr);
/* TCP: listens, with a queue of backlog connections ready to accept
 * (clamped to [1, max_backlog]); unbound: an ephemeral port. Listening
 * again changes the backlog. 0, or -EBADF, -EINVAL (connecting or
 * connected), -EADDRINUSE, -ENOMEM, -EOPNOTSUPP (not TCP). */
int nst_listen(struct nst_stack *st, int fd, int backlog);
/* A connection from the listener's queue: a new descriptor (its peer in
 * *peer unless NULL), or -EAGAIN (none yet: wait for NST_EV_IN), -EINVAL
 * (not listening), -EBADF, -EMFILE, -ENOMEM, -EOPNOTSUPP (not TCP). */
int nst_accept(struct nst_stack *st, int fd, struct nst_sockaddr *peer);
/* TCP: starts the handshake, returns -EINPROGRESS (then NST_EV_OUT when
 * established, or NST_EV_ERR with NST_SO_ERROR ECONNREFUSED, ETIMEDOUT,
 * EHOSTUNREACH...); -EALREADY while it is under way, -EISCONN once
 * connected, -ENETUNREACH (no route), -EADDRNOTAVAIL (no free local port
 * toward addr), -EBADF, -EINVAL.
 * UDP: sets the default peer, returns 0 (or -ENETUNREACH, -EINVAL). */
int nst_connect(struct nst_stack *st, int fd, const struct nst_sockaddr *addr);
/* Sends up to len bytes. TCP: returns how many the send buffer took (> 0,
 * maybe fewer than len), -EAGAIN (the buffer is full: wait for
 * NST_EV_OUT), -ENOTCONN (never connected), -EPIPE (after shutdown(WR) or
 * close of the connection), or the pending error (-ECONNRESET...). UDP:
 * one datagram, len or -EDESTADDRREQ (no peer), -EMSGSIZE, -ENOBUFS,
 * -ENETUNREACH. Flags: NST_MSG_*; -EBADF as always. */
ssize_t nst_send(struct nst_stack *st, int fd, const void *buf, size_t len, int flags);
/* Receives up to len bytes: the count (> 0), 0 at the end of the stream
 * (TCP: the peer's FIN, read after the data), -EAGAIN (nothing yet: wait
 * for NST_EV_IN), -ENOTCONN, or the pending error (-ECONNRESET,
 * -ETIMEDOUT...), which is returned once. NST_MSG_PEEK leaves the bytes.
 * UDP: one datagram (truncated to len). */
ssize_t nst_recv(struct nst_stack *st, int fd, void *buf, size_t len, int flags);
/* nst_send/nst_recv with an address: the destination (UDP, ICMP; NULL:
 * the connected peer; TCP ignores it) and the source (may be NULL). Same
 * returns. */
ssize_t nst_sendto(struct nst_stack *st, int fd, const void *buf, size_t len, int flags,
                   const struct nst_sockaddr *to);
ssize_t nst_recvfrom(struct nst_stack *st, int fd, void *buf, size_t len, int flags, struct nst_sockaddr *from);

/* Zero-copy receive (stream sockets). nst_recv_zc shows the bytes ready to
 * read where they lie, in the socket's receive buffer, as at most two spans
 * (two when the buffer wraps; span[1].len is 0 otherwise). They stay where
 * they are, unchanged, while the stack takes in more (new data goes after
 * them) until nst_recv_done consumes them or the socket is read or closed.
 * Returns their total (> 0), 0 at the end of the stream, -EAGAIN if nothing
 * is ready yet, or an error as nst_recv would (-ENOTCONN, a pending error;
 * -EOPNOTSUPP for a datagram socket). nst_recv_done(n) consumes the first n
 * bytes shown (n at most their total): they leave the buffer and the
 * window opens as after nst_recv. 0 or -errno (-EINVAL if n is too big). */
struct nst_span {
    const uint8_t *base;
    size_t len;
};
ssize_t nst_recv_zc(struct nst_stack *st, int fd, struct nst_span span[2]);
int nst_recv_done(struct nst_stack *st, int fd, size_t n);

/* Zero-copy send (stream sockets). nst_send_zc shows the free room of the
 * socket's send buffer, to be written in place, as at most two spans, and
 * returns its total (> 0), -EAGAIN if the buffer is full, or an error as
 * nst_send would (-EPIPE, -ENOTCONN, a pending error; -EOPNOTSUPP for a
 * datagram socket). nst_send_commit(n) makes the first n bytes written
 * there data to send, as nst_send of them would (n at most the room shown).
 * Fill and commit before the stack runs again (nst_stack_input or
 * nst_stack_poll) and before any other call on the socket: an
 * acknowledgment may give back a drained buffer's storage. 0 or -errno. */
struct nst_wspan {
    uint8_t *base;
    size_t len;
};
ssize_t nst_send_zc(struct nst_stack *st, int fd, struct nst_wspan span[2]);
int nst_send_commit(struct nst_stack *st, int fd, size_t n);

/* TCP: NST_SHUT_WR sends FIN after the queued data (later sends: -EPIPE);
 * NST_SHUT_RD makes reads return 0; NST_SHUT_RDWR both. 0, or -EBADF,
 * -EINVAL (bad how), -ENOTCONN (not connected). */
int nst_shutdown(struct nst_stack *st, int fd, int how);
/* Releases the descriptor (and removes it from its poll set). Never
 * blocks: a TCP connection closes in the background (FIN after the queued
 * data; see NST_SO_LINGER for the RST cases). 0 or -EBADF. */
int nst_close(struct nst_stack *st, int fd);
/* The local (getsockname) or remote (getpeername) address. 0, or -EBADF,
 * -EINVAL (out NULL), -ENOTCONN (getpeername before the connection). */
int nst_getsockname(struct nst_stack *st, int fd, struct nst_sockaddr *out);
int nst_getpeername(struct nst_stack *st, int fd, struct nst_sockaddr *out);
/* Options (the NST_SOL_SOCKET, NST_IPPROTO_IP and NST_IPPROTO_TCP names
 * above; values are ints unless said). get: *len is the room at val in,
 * the size written out. 0, or -EBADF, -EINVAL (bad value or size),
 * -ENOPROTOOPT (an option this socket type lacks). */
int nst_setsockopt(struct nst_stack *st, int fd, int level, int name, const void *val, size_t len);
int nst_getsockopt(struct nst_stack *st, int fd, int level, int name, void *val, size_t *len);

/* Current readiness mask of a descriptor (NST_EV_*), or -EBADF. */
int nst_socket_events(struct nst_stack *st, int fd);

/* Optional: called whenever a descriptor's readiness may have changed
 * (events: its current NST_EV_* mask). One per stack; NULL turns it off.
 * For many descriptors a poll set (<nstack/poll.h>) is simpler. */
typedef void (*nst_event_cb)(void *arg, int fd, int events);
void nst_stack_set_event_cb(struct nst_stack *st, nst_event_cb cb, void *arg);

/* Per-socket callback and user data, for an application layer with many
 * connections (the TLS and stream layer, HTTP): it gets its own object back
 * with each event instead of looking the descriptor up. The per-socket
 * callback runs after the stack-wide one, with the same arguments except
 * arg. TCP delivers these notifications once a segment or timer has been
 * fully processed, so the callback may read, write or close (any socket,
 * its own included). Both are forgotten when the descriptor is closed; an
 * accepted socket starts with neither. 0 or -EBADF. */
int nst_socket_set_event_cb(struct nst_stack *st, int fd, nst_event_cb cb, void *arg);
int nst_socket_set_data(struct nst_stack *st, int fd, void *data);
/* The pointer given to nst_socket_set_data, or NULL (also for a bad fd). */
void *nst_socket_get_data(struct nst_stack *st, int fd);

/* A short line an application layer attaches to a socket for inspection
 * (`nstack ss -i` prints it after the TCP details), e.g. the TLS layer's
 * "tls1.3 TLS_AES_256_GCM_SHA384 resumed". Copied, at most
 * NST_SOCKET_NOTE_MAX - 1 bytes kept; NULL or "" clears it. 0 or -EBADF. */
#define NST_SOCKET_NOTE_MAX 96
int nst_socket_set_note(struct nst_stack *st, int fd, const char *note);
/* The note, or "" when there is none (or the fd is bad). */
const char *nst_socket_get_note(struct nst_stack *st, int fd);

/* ICMP echo sockets (like Linux's SOCK_DGRAM/IPPROTO_ICMP "ping" sockets).
 * sendto() takes an ICMP message whose first 8 bytes are the ICMP header:
 * type must be 8 (echo request); the identifier is replaced by the socket's
 * own (its bound "port") and the checksum is computed. recvfrom() returns
 * whole ICMP messages: echo replies carrying the socket's identifier, and
 * ICMP errors (destination unreachable, time exceeded) that quote one of the
 * socket's echo requests; `from` is the sender (the router, for traceroute).
 * The TTL of outgoing requests is set with NST_IP_TTL. Ping sockets have no
 * ports, so recvfrom() reports in from->port the IP TTL the message arrived
 * with (what ping prints as ttl=). */

NST_API_END

#endif
