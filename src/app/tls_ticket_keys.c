/* Server session ticket keys set by the application (RFC 5077 4, RFC 8446
 * 4.6.1), so that several servers accept each other's tickets, and so that
 * keys can be rotated: tickets are made with the current key; the previous
 * one still opens tickets (and OpenSSL then issues a fresh one under the
 * current key), anything older means a full handshake. Without this, each
 * context has the random keys OpenSSL draws for it. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "app/tls_impl.h"

static int mac_init(EVP_MAC_CTX *hctx, const struct tls_ticket_key *k)
{
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_init(hctx, k->hmac, sizeof(k->hmac), params);
}

/* OpenSSL's ticket key callback: enc 1 makes a ticket (name, IV, keys),
 * enc 0 opens one: 1 with the current key, 2 with the previous (renew),
 * 0 unknown (full handshake), -1 error. */
static int on_ticket_key(SSL *ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
                         EVP_MAC_CTX *hctx, int enc)
{
    struct nst_tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const struct tls_ticket_keys *tk = &ctx->ticket_keys;
    if (enc) {
        if (RAND_bytes(iv, 16) != 1)
            return -1;
        memcpy(name, tk->cur.name, 16);
        if (!EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, tk->cur.aes, iv) || !mac_init(hctx, &tk->cur))
            return -1;
        return 1;
    }
    const struct tls_ticket_key *k = NULL;
    int verdict = 0;
    if (tk->have_cur && memcmp(name, tk->cur.name, 16) == 0) {
        k = &tk->cur;
        verdict = 1;
    } else if (tk->have_prev && memcmp(name, tk->prev.name, 16) == 0) {
        k = &tk->prev;
        verdict = 2;
    }
    if (!k)
        return 0;
    if (!EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) || !mac_init(hctx, k))
        return -1;
    return verdict;
}

int tls_ticket_keys_set(struct nst_tls_ctx *ctx, const uint8_t keys[80], int rotate)
{
    struct tls_ticket_keys *tk = &ctx->ticket_keys;
    if (ctx->role != NST_TLS_SERVER || !keys)
        return -EINVAL;
    if (rotate && tk->have_cur) {
        tk->prev = tk->cur;
        tk->have_prev = 1;
    } else if (!rotate) {
        tk->have_prev = 0;
    }
    memcpy(tk->cur.name, keys, 16);
    memcpy(tk->cur.hmac, keys + 16, 32);
    memcpy(tk->cur.aes, keys + 48, 32);
    tk->have_cur = 1;
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx->ssl_ctx, on_ticket_key);
    return 0;
}

int nst_tls_ctx_set_ticket_keys(struct nst_tls_ctx *ctx, const uint8_t keys[80])
{
    return tls_ticket_keys_set(ctx, keys, 0);
}

int nst_tls_ctx_rotate_ticket_keys(struct nst_tls_ctx *ctx, const uint8_t keys[80])
{
    return tls_ticket_keys_set(ctx, keys, 1);
}
