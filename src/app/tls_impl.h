/* TLS inside (include/nstack/tls.h): the context, the TLS stream, and what
 * the files of src/app/tls*.c give each other. */
#ifndef NST_APP_TLS_IMPL_H
#define NST_APP_TLS_IMPL_H

#include <nstack/timer.h>
#include <nstack/tls.h>
#include <openssl/ssl.h>
#include <stdio.h>

#include "app/stream_impl.h"

/* ---- the client's session cache (tls_session_cache.c) ------------------ */

#define NST_TLS_CACHE_KEY_MAX 272 /* "host:port": a DNS name is at most 253 bytes */

struct tls_cache_entry {
    char key[NST_TLS_CACHE_KEY_MAX];
    SSL_SESSION *sess;
    uint64_t seq;   /* when it was stored: the oldest goes first */
};

struct tls_session_cache {
    struct tls_cache_entry *v;
    unsigned n, cap;
    uint64_t seq;
};

/* Stores sess under key (taking the caller's reference), replacing what
 * the key held; evicts the oldest entry when full. Returns 1 if an entry
 * was evicted. */
int tls_cache_put(struct tls_session_cache *c, const char *key, SSL_SESSION *sess);
/* The session for key (a reference the caller frees), or NULL. A TLS 1.3
 * session leaves the cache: its ticket is for one use (RFC 8446 C.4). */
SSL_SESSION *tls_cache_take(struct tls_session_cache *c, const char *key);
void tls_cache_clear(struct tls_session_cache *c);
struct nst_tls_ctx;
/* Client: keeps sess (the caller's reference) under key if it can be
 * resumed and the cache is on, counting it; else frees it. 1 if kept. */
int tls_cache_store(struct nst_tls_ctx *ctx, const char *key, SSL_SESSION *sess);

/* ---- server ticket keys (tls_ticket_keys.c) ----------------------------- */

/* RFC 5077 4's recommended layout: a name to find the key by, an HMAC key
 * and an AES key. */
struct tls_ticket_key {
    uint8_t name[16];
    uint8_t hmac[32];
    uint8_t aes[32];
};

struct tls_ticket_keys {
    struct tls_ticket_key cur, prev; /* tickets are made with cur; prev still opens them */
    int have_cur, have_prev;
};

/* Installs the keys (SSL_CTX_set_tlsext_ticket_key_evp_cb) on first use. */
int tls_ticket_keys_set(struct nst_tls_ctx *ctx, const uint8_t keys[80], int rotate);

/* ---- the context (tls_ctx.c) -------------------------------------------- */

struct nst_tls_ctx {
    SSL_CTX *ssl_ctx;
    enum nst_tls_role role;
    int early_data;             /* client: send 0-RTT when a session allows */
    uint32_t max_early_data;    /* server */
    int early_answer;           /* server: 0.5-RTT writes allowed */
    nst_time_t handshake_timeout;
    unsigned char *alpn_wire;   /* ALPN list in wire format (length-prefixed) */
    unsigned alpn_wire_len;
    void (*keylog_fn)(void *arg, const char *line);
    void *keylog_arg;
    FILE *keylog_file;
    struct tls_session_cache cache;
    struct tls_ticket_keys ticket_keys; /* server: our own keys, if set */
    unsigned streams;           /* open streams made from it */
    struct nst_tls_stats stats;
};

/* ---- the BIO over an nstack socket (tls_bio.c) --------------------------- */

struct tls_stream;
/* A BIO whose reads and writes are nst_recv / nst_send on the stream's
 * socket. During the handshake writes gather in the stream's flight buffer
 * and leave on BIO_flush (OpenSSL flushes at the end of each flight), so a
 * flight is one send; afterwards records go straight to the socket. NULL on
 * ENOMEM. */
BIO *tls_bio_new(struct tls_stream *t);
/* Pushes the flight buffer to the socket: 1 when empty, 0 when some is left
 * (socket full), or a negative errno from the socket. It pushes even when
 * the flight is held: callers check hold_flight. */
int tls_bio_push(struct tls_stream *t);

/* ---- the TLS stream (tls.c) --------------------------------------------- */

enum tls_phase {
    TLS_CONNECTING, /* client: waiting for TCP */
    TLS_HANDSHAKE,
    TLS_OPEN,
    TLS_FAILED,
};

#define TLS_FLIGHT_MAX (32 * 1024) /* a handshake flight: certificates fit */
#define TLS_EARLY_MAX (16 * 1024)  /* 0-RTT bytes a client holds on to */

struct tls_stream {
    struct nst_stream base; /* first */
    struct nst_tls_ctx *ctx;
    SSL *ssl;
    enum tls_phase phase;
    int sock_err;           /* an error the socket gave the BIO */
    int sock_eof;           /* the BIO read TCP's FIN */
    struct nst_app_timer *hs_timer;
    char cache_key[NST_TLS_CACHE_KEY_MAX];
    /* Flight buffer (tls_bio.c). */
    uint8_t *flight;
    size_t flight_len;
    /* Client 0-RTT: bytes the application wrote before the handshake; kept
     * until the server's verdict, resent if it rejects them. */
    uint8_t *early;
    size_t early_len, early_max, early_sent, resend_off;
    int early_closed;       /* no more early writes (handshake proceeding) */
    int resend;             /* rejected: early[resend_off..early_sent) to send again */
    /* Server 0-RTT: early bytes received, waiting to be read. */
    uint8_t *erx;
    size_t erx_len, erx_off;
    int early_finished;     /* SSL_read_early_data said FINISH */
    /* Server 0.5-RTT: the Finished flight is held (hold_flight) until
     * flight_timer, due in the same instant, so that an answer the
     * application writes from its read callback leaves with it. */
    int hold_flight;
    int may_answer;         /* the application read early bytes: it may write */
    int shut_pending;       /* shut down after the handshake (answered early) */
    struct nst_app_timer *flight_timer;
    /* How it went. */
    struct nst_tls_info info;
    char alpn[256], sni[256];
    int shut_sent;
};

/* Alert and keylog callbacks installed on every SSL_CTX (tls_ctx.c). */
void tls_ctx_install_callbacks(struct nst_tls_ctx *ctx);

#endif
