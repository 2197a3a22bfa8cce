/* nstack — TLS 1.2 and 1.3 over nstack TCP, with OpenSSL 3 (libssl).
 *
 * A context (struct nst_tls_ctx) holds what connections share: role,
 * versions, certificates, ALPN, the client's session cache, the server's
 * ticket keys, the keylog and the counters. A connection is a stream
 * (stream.h) made with nst_tls_client() or nst_tls_server() over a TCP
 * socket of any stack; many stacks may share a context if one thread
 * drives them all.
 *
 * Errors on a TLS stream (nst_stream_error, and from read/write):
 *   -EPROTO        the TLS protocol failed: garbage, a version or cipher
 *                  mismatch, an alert received or sent (the alert is in
 *                  nst_tls_info and the error string)
 *   -EKEYREJECTED  the peer's certificate did not verify (chain, expiry,
 *                  hostname)
 *   -ECONNABORTED  the stream was truncated: TCP FIN without close_notify
 *   -ETIMEDOUT     the handshake did not finish within handshake_timeout
 *   TCP's own (-ECONNRESET, -ETIMEDOUT, -ECONNREFUSED...) pass through.
 *
 * Resumption (client): sessions the server issues (TLS 1.3 tickets, TLS 1.2
 * tickets or session IDs) are kept in the context's cache under "host:port"
 * (bounded, oldest evicted) and offered by the next nst_tls_client() to the
 * same host and port. A TLS 1.3 session is used once (RFC 8446 C.4); TLS 1.3
 * tickets arrive after the handshake, so a client sees them only once it
 * has read from the stream.
 *
 * 0-RTT (TLS 1.3, RFC 8446 2.3): a client context with early_data = 1 that
 * holds a session allowing early data accepts writes on a new stream before
 * the handshake (even before TCP connects), up to the session's limit; they
 * leave with the ClientHello. The stream keeps a copy: if the server
 * rejects the early data, the stream sends the bytes again, as ordinary
 * data, right after the handshake (the application does nothing; the
 * server sees them once). A server context with max_early_data > 0 accepts
 * early data with OpenSSL's anti-replay on (each ticket is good for one
 * 0-RTT attempt); nst_stream_read_was_early() tells the application which
 * bytes were early.
 *
 * Keylog: each context can write SSLKEYLOGFILE lines (NSS key log format,
 * what Wireshark's tls.keylog_file reads) to a callback or append them to a
 * file. The library never reads the SSLKEYLOGFILE environment variable
 * itself; nst_tls_config_keylog_from_env() does it for programs that want
 * it (the CLI).
 *
 * Determinism on the simulator: handshake timings are identical on every
 * run when certificates have fixed-size keys and signatures (RSA 2048, as
 * nst_tls_make_test_pki makes) and key exchange is X25519 (the default
 * group); key bytes differ from run to run. */
#ifndef NSTACK_TLS_H
#define NSTACK_TLS_H

#include <stdio.h>

#include "stream.h"
#include "api.h"

NST_API_BEGIN

/* OpenSSL's X509 and EVP_PKEY, without including OpenSSL's headers. */
struct x509_st;
struct evp_pkey_st;

struct nst_tls_ctx;

enum nst_tls_role { NST_TLS_CLIENT = 1, NST_TLS_SERVER = 2 };
enum { NST_TLS1_2 = 0x0303, NST_TLS1_3 = 0x0304 }; /* protocol version numbers */

struct nst_tls_config {
    enum nst_tls_role role;
    int min_version, max_version;   /* NST_TLS1_2 / NST_TLS1_3; default 1.2 .. 1.3 */
    /* ALPN protocols in preference order, comma-separated ("h2,http/1.1");
     * NULL: no ALPN. The server picks the first of its own list the client
     * offers; no overlap is not an error (nst_stream_alpn gives NULL). */
    const char *alpn;

    /* Server: certificate (chain) and key, from PEM files or objects (the
     * context takes its own references). One of the two pairs is needed. */
    const char *cert_file, *key_file;
    struct x509_st *cert;
    struct evp_pkey_st *key;

    /* Client: verify the server's certificate chain against ca_file (PEM)
     * or, if NULL, the system's default store, and its name against the
     * host given to nst_tls_client (RFC 6125). verify = 0 turns both off
     * (tests, the lab). Default 1. */
    int verify;
    const char *ca_file;
    struct x509_st *ca_cert;        /* or an object (added to ca_file's) */

    /* Resumption. Client: sessions kept (host:port entries), 64; 0 turns
     * resumption off. Server: issue tickets (1, the default) or not. */
    unsigned session_cache_size;
    int tickets;
    unsigned tls13_tickets;         /* server: tickets sent after a TLS 1.3 handshake, 2 */

    /* 0-RTT. Client: 1 to send early data when a session allows it
     * (default 0). Server: bytes of early data accepted per connection,
     * 0 (the default) rejects it. */
    int early_data;
    uint32_t max_early_data;
    /* Server, TLS 1.3 0.5-RTT (RFC 8446 2.3): 1 lets a stream whose
     * application read early data write before the handshake completes;
     * the bytes leave with the server's Finished flight, before the client
     * is authenticated (RFC 8446 4.6.1, E.5). Default 0: writes wait for
     * the client's Finished. Opt-in because the answer then goes to a peer
     * whose handshake is not confirmed: only for answers that could go to
     * anyone holding the ticket (idempotent requests, no client-cert
     * checks pending). */
    int early_answer;

    /* The whole handshake, from the stream's first TLS step (client: TCP
     * established; server: the stream made) to Finished; 10 s; 0: none. */
    nst_time_t handshake_timeout;

    /* Keylog (SSLKEYLOGFILE format): a callback given each line (without
     * newline), and/or a file the lines are appended to. */
    void (*keylog_fn)(void *arg, const char *line);
    void *keylog_arg;
    const char *keylog_file;
};

/* Fills c with the defaults written beside each field, for role. */
void nst_tls_config_default(struct nst_tls_config *c, enum nst_tls_role role);
/* Sets c->keylog_file from $SSLKEYLOGFILE if it is set (the string stays
 * owned by the environment). Returns 1 if it was set, 0 if not. */
int nst_tls_config_keylog_from_env(struct nst_tls_config *c);

/* Makes a context. 0 and *out, or: -EINVAL (bad config), -ENOENT (a file
 * missing), -EPROTO (a PEM that does not parse, a key that does not match
 * the certificate), -ENOMEM. *why (if not NULL) gets a sentence. */
int nst_tls_ctx_new(const struct nst_tls_config *c, struct nst_tls_ctx **out, const char **why);
/* Frees a context; every stream made from it must be closed first. */
void nst_tls_ctx_free(struct nst_tls_ctx *ctx);

/* Server: the session ticket keys (80 bytes: 16 name, 32 HMAC, 32 AES;
 * RFC 5077 4), so several contexts (servers) accept each other's tickets.
 * Without it each context draws its own. Rotating makes keys the current
 * key (new tickets) and keeps the one before it to open tickets already
 * issued (OpenSSL then issues a fresh one); a ticket under any older key
 * means a full handshake. With max_early_data > 0, TLS 1.3 tickets are
 * stateful (see above) and stay with their context whatever the keys.
 * 0 or -EINVAL (a client context, NULL). */
int nst_tls_ctx_set_ticket_keys(struct nst_tls_ctx *ctx, const uint8_t keys[80]);
int nst_tls_ctx_rotate_ticket_keys(struct nst_tls_ctx *ctx, const uint8_t keys[80]);

/* Client: forgets every cached session (the next connection is full). */
void nst_tls_ctx_flush_sessions(struct nst_tls_ctx *ctx);
/* Client: sessions in the cache. */
unsigned nst_tls_ctx_cached_sessions(const struct nst_tls_ctx *ctx);

/* A TLS client stream over fd (a TCP socket of st, connecting or
 * connected; the stream owns it). host is the server's name for SNI and
 * verification (a dotted IPv4 address is verified as an IP and sent
 * without SNI); host:port is the session cache key. NULL on ENOMEM or a
 * bad fd. The handshake starts when TCP is established. */
struct nst_stream *nst_tls_client(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd, const char *host,
                                  uint16_t port);
/* A TLS server stream over fd (an accepted TCP socket; the stream owns
 * it). The handshake starts at once. */
struct nst_stream *nst_tls_server(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd);

/* What a TLS stream negotiated, and how it ended. */
enum nst_tls_early {
    NST_TLS_EARLY_NONE = 0,      /* not attempted */
    NST_TLS_EARLY_ACCEPTED = 1,
    NST_TLS_EARLY_REJECTED = 2,  /* client: resent after the handshake */
};
struct nst_tls_info {
    int handshake_done;
    int version;                 /* NST_TLS1_2, NST_TLS1_3, or 0 before */
    const char *version_name;    /* "TLSv1.3" */
    const char *cipher;          /* "TLS_AES_256_GCM_SHA384", or "" */
    const char *alpn;            /* or NULL */
    const char *sni;             /* server: the name the client asked for, or NULL */
    int resumed;                 /* 1: abbreviated handshake */
    enum nst_tls_early early;
    size_t early_bytes;          /* client: bytes sent as early data; server: received */
    int alert_sent, alert_received; /* last alert description (RFC 8446 6), -1: none */
    int peer_closed;             /* close_notify received */
    nst_time_t handshake_start, handshake_end; /* stack time; end 0 until done */
};
/* 0, or -EINVAL for a plain TCP stream. The strings stay valid while the
 * stream is open. */
int nst_tls_get_info(const struct nst_stream *s, struct nst_tls_info *out);
/* An alert description's name ("handshake_failure"), "unknown" if none. */
const char *nst_tls_alert_name(int desc);

/* Counters, per context (like netstat -s). */
#define NST_TLS_ALERTS 256
struct nst_tls_stats {
    uint64_t handshakes_started;
    uint64_t handshakes_full;       /* completed without resumption */
    uint64_t handshakes_resumed;    /* completed with a session (ticket or ID) */
    uint64_t handshake_failures;    /* started handshakes that failed (timeouts included) */
    uint64_t handshake_timeouts;
    uint64_t early_accepted, early_rejected; /* 0-RTT attempts, either side */
    uint64_t early_resent_bytes;    /* client: bytes resent after a rejection */
    uint64_t early_answer_bytes;    /* server: bytes written as 0.5-RTT data */
    uint64_t truncations;           /* FIN without close_notify */
    uint64_t close_notify_sent, close_notify_received;
    uint64_t sessions_cached, sessions_evicted; /* client cache */
    uint64_t alerts_sent, alerts_received;      /* all types, close_notify included */
    uint64_t alert_sent[NST_TLS_ALERTS], alert_received[NST_TLS_ALERTS]; /* by description */
};
/* The context's counters (valid while it lives). */
const struct nst_tls_stats *nst_tls_ctx_stats(const struct nst_tls_ctx *ctx);
/* Prints the non-zero counters, one "name value" per line. */
void nst_tls_stats_print(const struct nst_tls_ctx *ctx, FILE *out);

/* A throwaway public key infrastructure for tests and the lab, made at run
 * time (nothing private is ever committed): a self-signed CA and a server
 * certificate it signs for `names` (comma-separated DNS names and IPv4
 * addresses, e.g. "london.lab,10.0.4.2"; the first is also the subject CN),
 * all RSA 2048 with SHA-256, valid from now - 1 day for `days` days, fixed
 * serial numbers, so certificate sizes and signature sizes are the same on
 * every run. The caller owns the objects (X509_free / EVP_PKEY_free, or
 * nst_tls_test_pki_free). 0 or -ENOMEM/-EINVAL. */
struct nst_tls_test_pki {
    struct x509_st *ca_cert;
    struct evp_pkey_st *ca_key;
    struct x509_st *cert;
    struct evp_pkey_st *key;
};
int nst_tls_make_test_pki(struct nst_tls_test_pki *out, const char *names, int days);
void nst_tls_test_pki_free(struct nst_tls_test_pki *p);
/* Writes ca.pem, cert.pem and key.pem (mode 0600) into dir. 0 or -errno. */
int nst_tls_test_pki_write(const struct nst_tls_test_pki *p, const char *dir);

NST_API_END

#endif
