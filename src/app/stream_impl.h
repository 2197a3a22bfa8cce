/* The stream's inside (include/nstack/stream.h): one struct every kind of
 * stream starts with, and the ops table each kind (plain TCP, TLS) fills. */
#ifndef NST_APP_STREAM_IMPL_H
#define NST_APP_STREAM_IMPL_H

#include <nstack/stream.h>
#include <nstack/timer.h>

struct nst_stream_ops {
    ssize_t (*read)(struct nst_stream *s, void *buf, size_t len);
    ssize_t (*write)(struct nst_stream *s, const void *buf, size_t len);
    int (*shutdown)(struct nst_stream *s);
    void (*destroy)(struct nst_stream *s); /* frees what the kind owns; not s->fd, not s */
    int (*events)(struct nst_stream *s);
    int (*established)(struct nst_stream *s);
    const char *(*alpn)(const struct nst_stream *s);
    /* The socket's readiness changed: make what progress there is (a TLS
     * handshake step). May fail the stream. */
    void (*on_socket)(struct nst_stream *s, int sock_events);
};

struct nst_stream {
    const struct nst_stream_ops *ops;
    struct nst_stack *st;
    int fd;
    int is_tls;
    nst_stream_cb cb;
    void *cb_arg;
    int busy;               /* inside one of the stream's calls */
    struct nst_app_timer *kick; /* runs a socket event that came while busy */
    int err;                /* pending error (negative errno), sticky */
    int last_read_early;    /* the last read returned 0-RTT bytes */
    char errstr[160];
};

/* Takes the socket: registers the stream as fd's per-socket callback. 0 or
 * -errno. */
int nst_stream_attach(struct nst_stream *s, const struct nst_stream_ops *ops, struct nst_stack *st, int fd,
                      int is_tls);
/* Undoes nst_stream_attach (the socket stays open). */
void nst_stream_detach(struct nst_stream *s);
/* Records the first error (later ones do not overwrite it) and its sentence
 * (printf-style). Returns err. */
int nst_stream_fail(struct nst_stream *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs the application's callback with the current events. The callback
 * may free s: the caller must not touch s afterwards. */
void nst_stream_notify(struct nst_stream *s);
/* The TCP socket's pending error (NST_SO_ERROR) or 0. */
int nst_stream_sock_error(struct nst_stream *s);

#endif
