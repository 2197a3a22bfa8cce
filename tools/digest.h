/* SHA-256 of a byte stream, for the commands that move bulk data (nstack
 * connect, serve --sink-sha256): the kernel side hashes the same stream
 * (`openssl dgst -sha256`, sha256sum) and the two must agree. The hash is
 * OpenSSL's libcrypto: nstack writes no cryptography of its own. */
#ifndef NST_TOOLS_DIGEST_H
#define NST_TOOLS_DIGEST_H

#include <stddef.h>

struct digest;

#define DIGEST_HEX_LEN 65 /* 64 hex digits and the NUL */

/* NULL if out of memory. */
struct digest *digest_new(void);
void digest_update(struct digest *d, const void *data, size_t len);
/* Writes the hash of everything so far as hex into hex; the digest can
 * still be fed afterwards (the hash then covers the new bytes too). */
void digest_hex(const struct digest *d, char hex[DIGEST_HEX_LEN]);
/* NULL is accepted. */
void digest_free(struct digest *d);

#endif
