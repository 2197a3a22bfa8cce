/* OpenSSL bound to an nstack socket: a BIO_METHOD whose read and write are
 * nst_recv and nst_send, so records go from OpenSSL to the TCP send buffer
 * without a memory BIO's extra copy, and back-pressure is TCP's own
 * (-EAGAIN becomes BIO's retry, which OpenSSL turns into WANT_READ/WRITE).
 *
 * The method is the one piece of process-wide state: OpenSSL wants one
 * BIO_METHOD for every BIO of the kind, made once (pthread_once) and never
 * freed. */
#include <errno.h>
#include <openssl/bio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/tls_impl.h"

static BIO_METHOD *nst_bio_method;
static pthread_once_t nst_bio_once = PTHREAD_ONCE_INIT;

static ssize_t send_direct(struct tls_stream *t, const void *buf, size_t len)
{
    ssize_t r = nst_send(t->base.st, t->base.fd, buf, len, 0);
    if (r < 0 && r != -EAGAIN && !t->sock_err)
        t->sock_err = (int)r;
    return r;
}

int tls_bio_push(struct tls_stream *t)
{
    while (t->flight_len) {
        ssize_t r = send_direct(t, t->flight, t->flight_len);
        if (r == -EAGAIN)
            return 0;
        if (r < 0)
            return (int)r;
        memmove(t->flight, t->flight + r, t->flight_len - (size_t)r);
        t->flight_len -= (size_t)r;
    }
    return 1;
}

/* During the handshake: gather the flight. */
static int write_flight(BIO *b, struct tls_stream *t, const char *buf, int len)
{
    if (!t->flight && !(t->flight = malloc(TLS_FLIGHT_MAX)))
        return -1;
    if (t->flight_len + (size_t)len > TLS_FLIGHT_MAX) {
        int r = tls_bio_push(t);
        if (r < 0)
            return -1;
        if (t->flight_len + (size_t)len > TLS_FLIGHT_MAX) {
            if (t->flight_len == 0) /* bigger than the buffer: straight through */
                goto direct;
            BIO_set_retry_write(b);
            return -1;
        }
    }
    memcpy(t->flight + t->flight_len, buf, (size_t)len);
    t->flight_len += (size_t)len;
    return len;
direct:;
    ssize_t r = send_direct(t, buf, (size_t)len);
    if (r == -EAGAIN)
        BIO_set_retry_write(b);
    return r < 0 ? -1 : (int)r;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    struct tls_stream *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    /* A held flight takes the 0.5-RTT records too (OpenSSL is out of init
     * while it reads early data). */
    if (t->hold_flight || (SSL_in_init(t->ssl) && t->phase != TLS_OPEN))
        return write_flight(b, t, buf, len);
    /* Records after the handshake: what is left of the flight goes first. */
    int p = tls_bio_push(t);
    if (p < 0)
        return -1;
    if (p == 0) {
        BIO_set_retry_write(b);
        return -1;
    }
    ssize_t r = send_direct(t, buf, (size_t)len);
    if (r == -EAGAIN) {
        BIO_set_retry_write(b);
        return -1;
    }
    return r < 0 ? -1 : (int)r;
}

static int bio_read(BIO *b, char *buf, int len)
{
    struct tls_stream *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    ssize_t r = nst_recv(t->base.st, t->base.fd, buf, (size_t)len, 0);
    if (r == -EAGAIN) {
        BIO_set_retry_read(b);
        return -1;
    }
    if (r == 0) { /* TCP FIN: an end OpenSSL must judge (close_notify or not), no retry */
        t->sock_eof = 1;
        return 0;
    }
    if (r < 0) {
        if (!t->sock_err)
            t->sock_err = (int)r;
        return -1;
    }
    return (int)r;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    struct tls_stream *t = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: {
        /* OpenSSL flushes at the end of each flight: send it (unless a
         * server holds it for a 0.5-RTT answer, tls.c). */
        BIO_clear_retry_flags(b);
        if (t->hold_flight)
            return 1;
        int r = tls_bio_push(t);
        if (r == 0)
            BIO_set_retry_write(b);
        return r > 0 ? 1 : (r == 0 ? -1 : 0);
    }
    case BIO_CTRL_WPENDING:
        return (long)t->flight_len;
    case BIO_CTRL_PENDING:
        return 0;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int bio_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

static void make_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nstack socket");
    if (!m)
        return;
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    nst_bio_method = m;
}

BIO *tls_bio_new(struct tls_stream *t)
{
    pthread_once(&nst_bio_once, make_method);
    if (!nst_bio_method)
        return NULL;
    BIO *b = BIO_new(nst_bio_method);
    if (b)
        BIO_set_data(b, t);
    return b;
}
