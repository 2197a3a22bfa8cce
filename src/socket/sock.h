/* The socket layer's internal side: the descriptor table and the ops each
 * transport (UDP, ICMP echo, TCP) provides. socket.c checks arguments and
 * descriptors and dispatches; the protocols never see a bad descriptor. */
#ifndef NST_SOCKET_SOCK_H
#define NST_SOCKET_SOCK_H

#include <nstack/socket.h>

struct nst_sock;

struct nst_proto_ops {
    int (*bind)(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a);
    int (*listen)(struct nst_stack *st, struct nst_sock *s, int backlog);
    /* On success stores a new socket (not yet installed) in *out. */
    int (*accept)(struct nst_stack *st, struct nst_sock *s, struct nst_sock **out, struct nst_sockaddr *peer);
    int (*connect)(struct nst_stack *st, struct nst_sock *s, const struct nst_sockaddr *a);
    ssize_t (*sendto)(struct nst_stack *st, struct nst_sock *s, const void *buf, size_t len, int flags,
                      const struct nst_sockaddr *to);
    ssize_t (*recvfrom)(struct nst_stack *st, struct nst_sock *s, void *buf, size_t len, int flags,
                        struct nst_sockaddr *from);
    int (*shutdown)(struct nst_stack *st, struct nst_sock *s, int how);
    /* Zero-copy receive (nst_recv_zc, nst_recv_done); NULL: not supported. */
    ssize_t (*recv_zc)(struct nst_stack *st, struct nst_sock *s, struct nst_span span[2]);
    int (*recv_done)(struct nst_stack *st, struct nst_sock *s, size_t n);
    /* Zero-copy send (nst_send_zc, nst_send_commit); NULL: not supported. */
    ssize_t (*send_zc)(struct nst_stack *st, struct nst_sock *s, struct nst_wspan span[2]);
    int (*send_commit)(struct nst_stack *st, struct nst_sock *s, size_t n);
    /* The descriptor is gone after this; the protocol may keep the
     * connection alive (TCP close handshake) and free it later. */
    void (*close)(struct nst_stack *st, struct nst_sock *s);
    int (*getname)(struct nst_stack *st, struct nst_sock *s, int peer, struct nst_sockaddr *out);
    int (*setsockopt)(struct nst_stack *st, struct nst_sock *s, int level, int name, const void *val, size_t len);
    int (*getsockopt)(struct nst_stack *st, struct nst_sock *s, int level, int name, void *val, size_t *len);
    int (*events)(struct nst_stack *st, struct nst_sock *s);
};

/* What an application layer attaches to a descriptor (nst_socket_set_event_cb,
 * nst_socket_set_data, nst_socket_set_note): allocated on first use, so a
 * socket nobody annotates pays one pointer. Freed when the descriptor closes. */
struct nst_sock_user {
    nst_event_cb cb;
    void *cb_arg;
    void *data;
    char note[NST_SOCKET_NOTE_MAX];
};

/* Embedded as the first member of each protocol's socket. */
struct nst_sock {
    int fd;           /* -1 while not installed (e.g. an embryonic accepted connection) */
    uint8_t type;     /* enum nst_sock_type */
    uint8_t family;   /* NST_AF_INET or NST_AF_INET6 (socket/inaddr.h) */
    uint8_t v6only;   /* NST_IPV6_V6ONLY (AF_INET6 only) */
    const struct nst_proto_ops *ops;
    struct nst_sock_user *user; /* NULL until the application attaches something */
    struct nst_poll_item *poll; /* its place in a poll set (pollset.c), or NULL */
};

struct nst_sock_table {
    struct nst_sock **v;
    uint64_t *used;     /* bitmap of descriptors in use */
    uint32_t cap;
    uint32_t low_free;  /* no descriptor below this is free */
    uint32_t count;
    uint32_t port_next; /* RFC 6056 Algorithm 3's next_ephemeral */
};

#define NST_FIRST_FD 3 /* 0-2 stay unused so descriptors read as in packetdrill scripts */

int nst_sock_table_init(struct nst_sock_table *t);
/* Closes every socket still open, then frees the table. */
void nst_sock_table_fini(struct nst_stack *st);
/* Gives s the lowest free descriptor. Returns it or -EMFILE/-ENOMEM. */
int nst_sock_install(struct nst_stack *st, struct nst_sock *s);
struct nst_sock *nst_sock_get(struct nst_stack *st, int fd);
/* Tells the application (event callback) that s's readiness may have changed. */
void nst_sock_notify(struct nst_stack *st, struct nst_sock *s);

/* Poll sets (pollset.c). nst_poll_item_notify puts s's item on its set's
 * ready list: O(1), no allocation; called from nst_sock_notify.
 * nst_poll_item_detach removes s from its set (the descriptor closes). */
void nst_poll_item_notify(struct nst_poll_item *it);
void nst_poll_item_detach(struct nst_sock *s);

/* Helpers for protocols' setsockopt/getsockopt. */
int nst_sockopt_int(const void *val, size_t len, int *out);
int nst_sockopt_put_int(void *val, size_t *len, int v);

/* RFC 6056 Algorithm 3 ("simple hash-based"): the search for a free local
 * port starts at an offset given by a keyed hash of the connection's
 * addresses plus a per-destination counter, and walks the ephemeral range.
 * in_use(arg, port) says whether a candidate is taken. Returns the port or
 * -EADDRNOTAVAIL when every port in the range is taken. Addresses as the
 * transports hold them (socket/inaddr.h): an unspecified raddr means the
 * destination is not known yet. */
int nst_port_pick(struct nst_stack *st, uint8_t proto, const nst_ip6_t *laddr, const nst_ip6_t *raddr, uint16_t rport,
                  int (*in_use)(void *arg, uint16_t port), void *arg);

/* Constructors, one per protocol. NULL on ENOMEM. */
struct nst_sock *nst_udp_sock_new(struct nst_stack *st);
/* An ICMP (NST_AF_INET) or ICMPv6 (NST_AF_INET6) echo socket (icmp_socket.c). */
struct nst_sock *nst_icmp_sock_new(struct nst_stack *st, int family);
/* Provided by src/tcp/ once TCP is in; returns NULL with errno-style code in *err. */
struct nst_sock *nst_tcp_sock_new(struct nst_stack *st, int *err);

#endif
