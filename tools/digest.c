/* SHA-256 through OpenSSL's EVP interface (libcrypto). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/digest.h"

struct digest {
    EVP_MD_CTX *ctx;
};

struct digest *digest_new(void)
{
    struct digest *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->ctx = EVP_MD_CTX_new();
    if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
        digest_free(d);
        return NULL;
    }
    return d;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->ctx, data, len);
}

void digest_hex(const struct digest *d, char hex[DIGEST_HEX_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    hex[0] = '\0';
    /* Finalising consumes a context: finalise a copy, keep the original. */
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    if (copy && EVP_MD_CTX_copy_ex(copy, d->ctx) == 1 && EVP_DigestFinal_ex(copy, md, &len) == 1)
        for (unsigned i = 0; i < len && i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(copy);
}

void digest_free(struct digest *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->ctx);
    free(d);
}
