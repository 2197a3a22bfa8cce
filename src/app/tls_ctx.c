/* TLS contexts: what a role's connections share (include/nstack/tls.h) —
 * the SSL_CTX with versions, certificates, ALPN, tickets and 0-RTT set, the
 * client's session cache, the keylog, and the counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/tls_impl.h"

void nst_tls_config_default(struct nst_tls_config *c, enum nst_tls_role role)
{
    memset(c, 0, sizeof(*c));
    c->role = role;
    c->min_version = NST_TLS1_2;
    c->max_version = NST_TLS1_3;
    c->verify = 1;
    c->session_cache_size = 64;
    c->tickets = 1;
    c->tls13_tickets = 2;
    c->handshake_timeout = NST_SEC(10);
}

int nst_tls_config_keylog_from_env(struct nst_tls_config *c)
{
    const char *f = getenv("SSLKEYLOGFILE");
    if (!f || !*f)
        return 0;
    c->keylog_file = f;
    return 1;
}

/* ---- callbacks on every connection -------------------------------------- */

static struct nst_tls_ctx *ctx_of(const SSL *ssl) { return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)); }

static void on_keylog(const SSL *ssl, const char *line)
{
    struct nst_tls_ctx *ctx = ctx_of(ssl);
    if (ctx->keylog_fn)
        ctx->keylog_fn(ctx->keylog_arg, line);
    if (ctx->keylog_file) {
        fprintf(ctx->keylog_file, "%s\n", line);
        fflush(ctx->keylog_file);
    }
}

/* Alerts both ways, by description (RFC 8446 6): counters and the stream's
 * record of the last one. */
static void on_info(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_ALERT))
        return;
    struct nst_tls_ctx *ctx = ctx_of(ssl);
    struct tls_stream *t = SSL_get_app_data(ssl);
    int desc = ret & 0xff;
    if (where & SSL_CB_READ) {
        ctx->stats.alerts_received++;
        ctx->stats.alert_received[desc]++;
        if (desc == SSL3_AD_CLOSE_NOTIFY)
            ctx->stats.close_notify_received++;
        if (t)
            t->info.alert_received = desc;
    } else {
        ctx->stats.alerts_sent++;
        ctx->stats.alert_sent[desc]++;
        if (desc == SSL3_AD_CLOSE_NOTIFY)
            ctx->stats.close_notify_sent++;
        if (t)
            t->info.alert_sent = desc;
    }
}

/* Client: a session the server gave (at the end of a TLS 1.2 handshake, or
 * a TLS 1.3 ticket read after it) goes into the cache under host:port. */
int tls_cache_store(struct nst_tls_ctx *ctx, const char *key, SSL_SESSION *sess)
{
    if (!sess || !ctx->cache.cap || !SSL_SESSION_is_resumable(sess)) {
        SSL_SESSION_free(sess);
        return 0;
    }
    if (tls_cache_put(&ctx->cache, key, sess))
        ctx->stats.sessions_evicted++;
    ctx->stats.sessions_cached++;
    return 1;
}

static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    struct tls_stream *t = SSL_get_app_data(ssl);
    if (!t)
        return 0;
    SSL_SESSION_up_ref(sess); /* OpenSSL drops its own when we return 0 */
    tls_cache_store(ctx_of(ssl), t->cache_key, sess);
    return 0;
}

/* Server: the first of our protocols the client offers (RFC 7301 3.2); no
 * overlap is not fatal, the connection goes on without ALPN. */
static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                          unsigned int inlen, void *arg)
{
    (void)ssl;
    struct nst_tls_ctx *ctx = arg;
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, ctx->alpn_wire, ctx->alpn_wire_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

void tls_ctx_install_callbacks(struct nst_tls_ctx *ctx)
{
    SSL_CTX_set_app_data(ctx->ssl_ctx, ctx);
    SSL_CTX_set_info_callback(ctx->ssl_ctx, on_info);
    if (ctx->keylog_fn || ctx->keylog_file)
        SSL_CTX_set_keylog_callback(ctx->ssl_ctx, on_keylog);
    if (ctx->role == NST_TLS_CLIENT) {
        SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx->ssl_ctx, on_new_session);
    } else if (ctx->alpn_wire) {
        SSL_CTX_set_alpn_select_cb(ctx->ssl_ctx, on_alpn_select, ctx);
    }
}

/* ---- building the context ----------------------------------------------- */

/* "h2,http/1.1" -> "\x02h2\x08http/1.1" (RFC 7301 3.1). */
static int alpn_to_wire(const char *list, unsigned char **out, unsigned *out_len)
{
    size_t n = strlen(list);
    unsigned char *w = malloc(n + 1);
    if (!w)
        return -ENOMEM;
    size_t o = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len > 255) {
            free(w);
            return -EINVAL;
        }
        w[o++] = (unsigned char)len;
        memcpy(w + o, p, len);
        o += len;
        p += len + (e ? 1 : 0);
    }
    if (o == 0) {
        free(w);
        return -EINVAL;
    }
    *out = w;
    *out_len = (unsigned)o;
    return 0;
}

static int version_ok(int v) { return v == NST_TLS1_2 || v == NST_TLS1_3; }

/* The reason of OpenSSL's last error, for *why. */
static const char *ossl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

static int fail(const char **why, const char *msg, int err)
{
    if (why)
        *why = msg;
    return err;
}

static int load_server_identity(struct nst_tls_ctx *ctx, const struct nst_tls_config *c, const char **why)
{
    SSL_CTX *sc = ctx->ssl_ctx;
    if (c->cert_file || c->key_file) {
        if (!c->cert_file || !c->key_file)
            return fail(why, "a server needs both cert_file and key_file", -EINVAL);
        if (access(c->cert_file, R_OK) < 0 || access(c->key_file, R_OK) < 0)
            return fail(why, "certificate or key file not readable", -ENOENT);
        if (SSL_CTX_use_certificate_chain_file(sc, c->cert_file) != 1)
            return fail(why, ossl_reason("certificate file does not parse"), -EPROTO);
        if (SSL_CTX_use_PrivateKey_file(sc, c->key_file, SSL_FILETYPE_PEM) != 1)
            return fail(why, ossl_reason("key file does not parse"), -EPROTO);
    } else if (c->cert && c->key) {
        if (SSL_CTX_use_certificate(sc, c->cert) != 1 || SSL_CTX_use_PrivateKey(sc, c->key) != 1)
            return fail(why, ossl_reason("certificate or key refused"), -EPROTO);
    } else {
        return fail(why, "a server needs a certificate and a key", -EINVAL);
    }
    if (SSL_CTX_check_private_key(sc) != 1)
        return fail(why, "the key does not match the certificate", -EPROTO);
    return 0;
}

static int setup_client_verify(struct nst_tls_ctx *ctx, const struct nst_tls_config *c, const char **why)
{
    SSL_CTX *sc = ctx->ssl_ctx;
    if (!c->verify) {
        SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
        return 0;
    }
    SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, NULL);
    if (c->ca_file) {
        if (access(c->ca_file, R_OK) < 0)
            return fail(why, "CA file not readable", -ENOENT);
        if (SSL_CTX_load_verify_locations(sc, c->ca_file, NULL) != 1)
            return fail(why, ossl_reason("CA file does not parse"), -EPROTO);
    }
    if (c->ca_cert && X509_STORE_add_cert(SSL_CTX_get_cert_store(sc), c->ca_cert) != 1)
        return fail(why, ossl_reason("CA certificate refused"), -EPROTO);
    if (!c->ca_file && !c->ca_cert && SSL_CTX_set_default_verify_paths(sc) != 1)
        return fail(why, "no default CA store", -ENOENT);
    return 0;
}

static int setup(struct nst_tls_ctx *ctx, const struct nst_tls_config *c, const char **why)
{
    SSL_CTX *sc = ctx->ssl_ctx;
    if (!SSL_CTX_set_min_proto_version(sc, c->min_version) || !SSL_CTX_set_max_proto_version(sc, c->max_version))
        return fail(why, "TLS version not supported", -EINVAL);
    /* Partial writes: a write returns after each record, as a socket
     * would; the buffer may move between retries; idle buffers go back. */
    SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                             SSL_MODE_RELEASE_BUFFERS);
    /* Renegotiation (TLS 1.2) is a known denial-of-service lever. */
    SSL_CTX_set_options(sc, SSL_OP_NO_RENEGOTIATION);
    if (c->alpn) {
        int r = alpn_to_wire(c->alpn, &ctx->alpn_wire, &ctx->alpn_wire_len);
        if (r < 0)
            return fail(why, "bad ALPN list", r);
        if (c->role == NST_TLS_CLIENT && SSL_CTX_set_alpn_protos(sc, ctx->alpn_wire, ctx->alpn_wire_len) != 0)
            return fail(why, "ALPN refused", -ENOMEM);
    }
    if (c->keylog_file && !(ctx->keylog_file = fopen(c->keylog_file, "a")))
        return fail(why, "keylog file cannot be opened", -errno);
    if (c->role == NST_TLS_CLIENT)
        return setup_client_verify(ctx, c, why);

    int r = load_server_identity(ctx, c, why);
    if (r < 0)
        return r;
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"nstack", 6);
    if (!c->tickets)
        SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(sc, c->tickets ? c->tls13_tickets : 0);
    /* RFC 8446 8: with early data on, OpenSSL issues stateful tickets and
     * removes each from its cache when used (anti-replay, on by default). */
    SSL_CTX_set_max_early_data(sc, c->max_early_data);
    if (c->max_early_data > SSL_CTX_get_recv_max_early_data(sc))
        SSL_CTX_set_recv_max_early_data(sc, c->max_early_data);
    return 0;
}

int nst_tls_ctx_new(const struct nst_tls_config *c, struct nst_tls_ctx **out, const char **why)
{
    *out = NULL;
    if (why)
        *why = "";
    if (!c || (c->role != NST_TLS_CLIENT && c->role != NST_TLS_SERVER))
        return fail(why, "role must be NST_TLS_CLIENT or NST_TLS_SERVER", -EINVAL);
    if (!version_ok(c->min_version) || !version_ok(c->max_version) || c->min_version > c->max_version)
        return fail(why, "versions must be NST_TLS1_2 or NST_TLS1_3, min <= max", -EINVAL);
    struct nst_tls_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return fail(why, "out of memory", -ENOMEM);
    ctx->role = c->role;
    ctx->early_data = c->early_data;
    ctx->max_early_data = c->max_early_data;
    ctx->early_answer = c->role == NST_TLS_SERVER && c->early_answer;
    ctx->handshake_timeout = c->handshake_timeout;
    ctx->keylog_fn = c->keylog_fn;
    ctx->keylog_arg = c->keylog_arg;
    ERR_clear_error();
    ctx->ssl_ctx = SSL_CTX_new(c->role == NST_TLS_CLIENT ? TLS_client_method() : TLS_server_method());
    int r = ctx->ssl_ctx ? 0 : fail(why, "out of memory", -ENOMEM);
    if (!r && c->role == NST_TLS_CLIENT && c->session_cache_size) {
        ctx->cache.v = calloc(c->session_cache_size, sizeof(*ctx->cache.v));
        ctx->cache.cap = ctx->cache.v ? c->session_cache_size : 0;
        if (!ctx->cache.v)
            r = fail(why, "out of memory", -ENOMEM);
    }
    if (!r)
        r = setup(ctx, c, why);
    if (r < 0) {
        nst_tls_ctx_free(ctx);
        return r;
    }
    tls_ctx_install_callbacks(ctx);
    *out = ctx;
    return 0;
}

void nst_tls_ctx_free(struct nst_tls_ctx *ctx)
{
    if (!ctx)
        return;
    tls_cache_clear(&ctx->cache);
    free(ctx->cache.v);
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx->alpn_wire);
    if (ctx->keylog_file)
        fclose(ctx->keylog_file);
    free(ctx);
}

void nst_tls_ctx_flush_sessions(struct nst_tls_ctx *ctx) { tls_cache_clear(&ctx->cache); }

unsigned nst_tls_ctx_cached_sessions(const struct nst_tls_ctx *ctx) { return ctx->cache.n; }

const struct nst_tls_stats *nst_tls_ctx_stats(const struct nst_tls_ctx *ctx) { return &ctx->stats; }

/* ---- names and counters ------------------------------------------------- */

/* RFC 8446 6 (and RFC 5246 7.2 for the TLS 1.2-only ones). */
static const struct {
    int desc;
    const char *name;
} alert_names[] = {
    {0, "close_notify"},           {10, "unexpected_message"},       {20, "bad_record_mac"},
    {21, "decryption_failed"},     {22, "record_overflow"},          {40, "handshake_failure"},
    {42, "bad_certificate"},       {43, "unsupported_certificate"},  {44, "certificate_revoked"},
    {45, "certificate_expired"},   {46, "certificate_unknown"},      {47, "illegal_parameter"},
    {48, "unknown_ca"},            {49, "access_denied"},            {50, "decode_error"},
    {51, "decrypt_error"},         {70, "protocol_version"},         {71, "insufficient_security"},
    {80, "internal_error"},        {86, "inappropriate_fallback"},   {90, "user_canceled"},
    {100, "no_renegotiation"},     {109, "missing_extension"},       {110, "unsupported_extension"},
    {112, "unrecognized_name"},    {113, "bad_certificate_status_response"},
    {115, "unknown_psk_identity"}, {116, "certificate_required"},    {120, "no_application_protocol"},
};

const char *nst_tls_alert_name(int desc)
{
    for (size_t i = 0; i < sizeof(alert_names) / sizeof(alert_names[0]); i++)
        if (alert_names[i].desc == desc)
            return alert_names[i].name;
    return "unknown";
}

void nst_tls_stats_print(const struct nst_tls_ctx *ctx, FILE *out)
{
    const struct nst_tls_stats *s = &ctx->stats;
#define P(f)                                                          \
    do {                                                              \
        if (s->f)                                                     \
            fprintf(out, "%s %llu\n", #f, (unsigned long long)s->f); \
    } while (0)
    P(handshakes_started);
    P(handshakes_full);
    P(handshakes_resumed);
    P(handshake_failures);
    P(handshake_timeouts);
    P(early_accepted);
    P(early_rejected);
    P(early_resent_bytes);
    P(early_answer_bytes);
    P(truncations);
    P(close_notify_sent);
    P(close_notify_received);
    P(sessions_cached);
    P(sessions_evicted);
    P(alerts_sent);
    P(alerts_received);
#undef P
    for (int d = 0; d < NST_TLS_ALERTS; d++) {
        if (s->alert_sent[d])
            fprintf(out, "alert_sent.%s %llu\n", nst_tls_alert_name(d), (unsigned long long)s->alert_sent[d]);
        if (s->alert_received[d])
            fprintf(out, "alert_received.%s %llu\n", nst_tls_alert_name(d),
                    (unsigned long long)s->alert_received[d]);
    }
}
