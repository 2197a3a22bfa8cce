/* The HTTP client's origins: one record per origin key (scheme, host,
 * address) holding the calls queued for it, in order, and its HTTP/1.1
 * connections. Dispatch (http_pool.c) takes origins from a ready list
 * rather than walking every queued call: an origin is on it while it has
 * queued calls and may be able to start one; one found blocked (all its
 * connections busy at max_per_origin, or its HTTP/2 connection at the
 * peer's stream limit) leaves it until capacity comes back
 * (http_origin_wake: a connection idle or gone, a stream slot free). An
 * origin that started a call goes to the ready list's tail: origins take
 * turns, each one's calls in their order.
 *
 * Bounds: every queued call counts against the client's max_queued (so
 * does each origin's queue, a part of it), and a record lives only while
 * calls or connections refer to it. */
#include "http_client_impl.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: the keys are the application's own (URLs it asked for), not a
 * peer's: no keyed hash needed against collisions. */
static uint32_t key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static int table_grow(struct nst_http_client *cl)
{
    uint32_t n = cl->origin_buckets ? cl->origin_buckets * 2 : 16;
    struct http_origin **b = calloc(n, sizeof *b);
    if (!b)
        return -1;
    for (uint32_t i = 0; i < cl->origin_buckets; i++) {
        for (struct http_origin *o = cl->origin_table[i], *next; o; o = next) {
            next = o->hnext;
            o->hnext = b[o->hash & (n - 1)];
            b[o->hash & (n - 1)] = o;
        }
    }
    free(cl->origin_table);
    cl->origin_table = b;
    cl->origin_buckets = n;
    return 0;
}

struct http_origin *http_origin_find(const struct nst_http_client *cl, const char *key)
{
    if (!cl->origin_buckets)
        return NULL;
    uint32_t h = key_hash(key);
    for (struct http_origin *o = cl->origin_table[h & (cl->origin_buckets - 1)]; o; o = o->hnext)
        if (o->hash == h && !strcmp(o->key, key))
            return o;
    return NULL;
}

struct http_origin *http_origin_get(struct nst_http_client *cl, const char *key)
{
    struct http_origin *o = http_origin_find(cl, key);
    if (o) {
        o->refs++;
        return o;
    }
    if (cl->origins >= cl->origin_buckets && table_grow(cl) < 0 && !cl->origin_buckets)
        return NULL;
    size_t len = strlen(key);
    o = calloc(1, sizeof *o + len + 1);
    if (!o)
        return NULL;
    memcpy(o->key, key, len + 1);
    o->cl = cl;
    o->hash = key_hash(key);
    o->refs = 1;
    uint32_t b = o->hash & (cl->origin_buckets - 1);
    o->hnext = cl->origin_table[b];
    cl->origin_table[b] = o;
    cl->origins++;
    return o;
}

static void ready_remove(struct http_origin *o)
{
    struct nst_http_client *cl = o->cl;
    if (!o->ready)
        return;
    if (o->rprev)
        o->rprev->rnext = o->rnext;
    else
        cl->ready_head = o->rnext;
    if (o->rnext)
        o->rnext->rprev = o->rprev;
    else
        cl->ready_tail = o->rprev;
    o->rnext = o->rprev = NULL;
    o->ready = 0;
}

static void ready_append(struct http_origin *o)
{
    struct nst_http_client *cl = o->cl;
    o->rprev = cl->ready_tail;
    o->rnext = NULL;
    if (cl->ready_tail)
        cl->ready_tail->rnext = o;
    else
        cl->ready_head = o;
    cl->ready_tail = o;
    o->ready = 1;
}

void http_origin_put(struct http_origin *o)
{
    if (!o || --o->refs)
        return;
    struct nst_http_client *cl = o->cl;
    ready_remove(o);
    struct http_origin **pp = &cl->origin_table[o->hash & (cl->origin_buckets - 1)];
    while (*pp != o)
        pp = &(*pp)->hnext;
    *pp = o->hnext;
    cl->origins--;
    free(o);
}

void http_origin_wake(struct http_origin *o)
{
    if (!o)
        return;
    if (o->queued && !o->ready)
        ready_append(o);
    http_pool_kick(o->cl);
}

void http_origin_wake_key(struct nst_http_client *cl, const char *key)
{
    struct http_origin *o = http_origin_find(cl, key);
    if (o)
        http_origin_wake(o);
    else
        http_pool_kick(cl);
}

void http_origin_blocked(struct http_origin *o) { ready_remove(o); }

void http_origin_took_turn(struct http_origin *o)
{
    ready_remove(o);
    if (o->queued)
        ready_append(o);
}

void http_origin_push(struct http_origin *o, struct nst_http_call *c, int front)
{
    if (front) {
        c->prev = NULL;
        c->next = o->head;
        if (o->head)
            o->head->prev = c;
        else
            o->tail = c;
        o->head = c;
    } else {
        c->next = NULL;
        c->prev = o->tail;
        if (o->tail)
            o->tail->next = c;
        else
            o->head = c;
        o->tail = c;
    }
    o->queued++;
    o->cl->queued++;
    http_origin_wake(o);
}

void http_origin_unlink(struct http_origin *o, struct nst_http_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        o->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        o->tail = c->prev;
    c->prev = c->next = NULL;
    o->queued--;
    o->cl->queued--;
    if (!o->queued)
        ready_remove(o);
}

struct nst_http_call *http_origin_any_queued(const struct nst_http_client *cl)
{
    for (uint32_t i = 0; i < cl->origin_buckets; i++)
        for (struct http_origin *o = cl->origin_table[i]; o; o = o->hnext)
            if (o->head)
                return o->head;
    return NULL;
}

void http_origin_table_free(struct nst_http_client *cl)
{
    free(cl->origin_table);
    cl->origin_table = NULL;
    cl->origin_buckets = 0;
}
