/* The client's session cache: resumable sessions by "host:port", bounded,
 * the oldest evicted first. OpenSSL's own client cache is off
 * (SSL_SESS_CACHE_NO_INTERNAL_STORE): it is keyed by session ID, which a
 * client cannot look up by server. */
#include <stdlib.h>
#include <string.h>

#include "app/tls_impl.h"

static struct tls_cache_entry *find(struct tls_session_cache *c, const char *key)
{
    for (unsigned i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    return NULL;
}

static void drop(struct tls_session_cache *c, struct tls_cache_entry *e)
{
    SSL_SESSION_free(e->sess);
    *e = c->v[--c->n];
}

int tls_cache_put(struct tls_session_cache *c, const char *key, SSL_SESSION *sess)
{
    int evicted = 0;
    struct tls_cache_entry *e = find(c, key);
    if (e) {
        SSL_SESSION_free(e->sess);
    } else {
        if (c->n == c->cap) {
            struct tls_cache_entry *oldest = &c->v[0];
            for (unsigned i = 1; i < c->n; i++)
                if (c->v[i].seq < oldest->seq)
                    oldest = &c->v[i];
            drop(c, oldest);
            evicted = 1;
        }
        e = &c->v[c->n++];
        snprintf(e->key, sizeof(e->key), "%s", key);
    }
    e->sess = sess;
    e->seq = ++c->seq;
    return evicted;
}

SSL_SESSION *tls_cache_take(struct tls_session_cache *c, const char *key)
{
    struct tls_cache_entry *e = find(c, key);
    if (!e)
        return NULL;
    SSL_SESSION *s = e->sess;
    if (!SSL_SESSION_is_resumable(s)) {
        drop(c, e);
        return NULL;
    }
    if (SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION) {
        /* RFC 8446 C.4: a ticket is used once; the reference moves out. */
        e->sess = NULL;
        *e = c->v[--c->n];
        return s;
    }
    SSL_SESSION_up_ref(s);
    return s;
}

void tls_cache_clear(struct tls_session_cache *c)
{
    while (c->n)
        drop(c, &c->v[c->n - 1]);
}
