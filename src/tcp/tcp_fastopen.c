/* TCP Fast Open (RFC 7413): data in the SYN, delivered to the server's
 * application before the handshake completes, saving a round trip.
 *
 * Server. A client asks for a cookie with an empty Fast Open option in its
 * SYN; the SYN-ACK gives it one: a MAC of the client's address under the
 * stack's primary Fast Open key (4.1.2: SipHash-2-4, with a domain tag,
 * truncated to 8 bytes). 4.1.2 also asks the server to change its secret
 * now and then: as Linux, there is a backup key too, and a cookie made
 * under it is still valid (the SYN-ACK then gives the client one under
 * the primary); rotation (cfg.tcp.fastopen_key_rotation) moves the
 * primary to the backup and draws a new primary. A later SYN that brings
 * a valid cookie and data has its data taken at once: the SYN-ACK
 * acknowledges it and the connection is in the listener's accept queue
 * already, its data readable (as Linux does). A cookie that does not verify: the data is ignored and
 * the SYN-ACK acknowledges the SYN alone (and gives a fresh cookie); the
 * client sends the data again after the handshake (4.2.2). At most
 * NST_TCP_FASTOPEN connections of a listener may be in this state at once
 * (5.1: a flood of spoofed SYNs with data cannot fill the server); beyond,
 * SYN data is ignored.
 *
 * Client. A cache, per stack, of the cookies servers gave (by server
 * address, least recently used replaced). With a cookie, connect() with
 * NST_TCP_FASTOPEN_CONNECT returns at once and the first send goes in the
 * SYN (so does nst_sendto with NST_MSG_FASTOPEN). A SYN-ACK that does not
 * acknowledge the data means it is sent again once established. A SYN with
 * data that timed out is sent again without data; when that happens twice
 * the server's path is taken to drop SYNs with data (a middlebox, 4.4) and
 * Fast Open to it stops for a while (60 s doubled per further loss, at most
 * an hour, as Linux). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_state.h"

#define TFO_COOKIE_LEN 8
#define TFO_CACHE_SIZE 64
#define TFO_BLACKHOLE_BASE NST_SEC(60)
#define TFO_BLACKHOLE_MAX NST_SEC(3600)

enum { TFO_CLIENT = 1, TFO_SERVER = 2 };

struct tcp_tfo_entry {
    nst_ip6_t addr;             /* the server's (IPv4 mapped) */
    uint8_t in_use;
    uint8_t len;                /* cookie bytes, 0: none yet */
    uint8_t cookie[NST_TCP_FASTOPEN_MAX];
    uint8_t syn_loss;           /* SYNs with data lost in a row (4.4) */
    uint16_t mss;               /* the server's MSS (0: unknown) */
    nst_time_t last_loss;
    nst_time_t used;            /* LRU */
};

struct tcp_tfo_cache {
    struct tcp_tfo_entry e[TFO_CACHE_SIZE];
};

void tcp_tfo_cache_free(struct nst_tcp_state *ts)
{
    free(ts->tfo_cache);
    ts->tfo_cache = NULL;
}

/* ---- the server's keys (RFC 7413 4.1.2) ----------------------------------------- */

void tcp_tfo_keys_init(struct nst_stack *st)
{
    /* A key of its own, derived from the stack's secret (so drawing it
     * moves no other random sequence), and which does not reveal that
     * secret (SipHash is a PRF): nst_tcp_fastopen_get_keys hands it out. */
    struct tcp_tfo_keys *k = &st->tcp->tfo_keys;
    for (int half = 0; half < 2; half++) {
        const uint8_t tag[8] = {'T', 'F', 'O', 'k', 'e', 'y', '0', (uint8_t)half};
        uint64_t v = nst_siphash24(st->hash_key, tag, sizeof(tag));
        for (int i = 0; i < 8; i++)
            k->key[0][8 * half + i] = (uint8_t)(v >> (8 * i));
    }
    k->n_keys = 1;
    k->rotated = st->now;
}

static void keys_rotate(struct nst_stack *st, struct tcp_tfo_keys *k)
{
    memcpy(k->key[1], k->key[0], sizeof(k->key[0]));
    nst_rng_fill(&st->rng, k->key[0], sizeof(k->key[0]));
    k->n_keys = 2;
    NST_STAT_INC(st, tcp, tfo_key_rotations);
}

/* The rotations due by now, done when the keys are next used (the stack
 * needs no timer for them, and what a cookie meets is the same): one per
 * interval elapsed, two at most (a third would discard keys no cookie was
 * ever made under). */
static struct tcp_tfo_keys *keys_now(struct nst_stack *st)
{
    struct tcp_tfo_keys *k = &st->tcp->tfo_keys;
    nst_time_t every = st->cfg.tcp.fastopen_key_rotation;
    if (every <= 0 || st->now - k->rotated < every)
        return k;
    nst_time_t due = (st->now - k->rotated) / every;
    for (nst_time_t i = 0; i < NST_MIN(due, (nst_time_t)2); i++)
        keys_rotate(st, k);
    k->rotated += due * every;
    return k;
}

int nst_tcp_fastopen_set_keys(struct nst_stack *st, const uint8_t *keys, size_t len)
{
    if (!st || !st->tcp || !keys || (len != NST_TCP_FASTOPEN_KEY_LEN && len != 2 * NST_TCP_FASTOPEN_KEY_LEN))
        return -EINVAL;
    struct tcp_tfo_keys *k = &st->tcp->tfo_keys;
    memcpy(k->key, keys, len);
    k->n_keys = (uint8_t)(len / NST_TCP_FASTOPEN_KEY_LEN);
    k->rotated = st->now; /* the next rotation a whole interval from now */
    return 0;
}

int nst_tcp_fastopen_get_keys(struct nst_stack *st, uint8_t *out)
{
    if (!st || !st->tcp || !out)
        return -EINVAL;
    const struct tcp_tfo_keys *k = keys_now(st);
    size_t len = k->n_keys * (size_t)NST_TCP_FASTOPEN_KEY_LEN;
    memcpy(out, k->key, len);
    return (int)len;
}

/* ---- the cookie (server) ------------------------------------------------------ */

/* RFC 7413 4.1.2: the cookie is a MAC of the client's IP address: an IPv4
 * one's 4 bytes (the cookies IPv4 clients hold stay valid), an IPv6 one's
 * 16 under another tag. */
static void cookie_make(const uint8_t key[16], const nst_ip6_t *client, uint8_t out[TFO_COOKIE_LEN])
{
    uint8_t msg[20] = {'T', 'F', 'O', '1'};
    size_t n = 8;
    if (nst_ip6_is_v4mapped(client)) {
        memcpy(msg + 4, client->b + 12, 4);
    } else {
        msg[3] = '6';
        memcpy(msg + 4, client->b, 16);
        n = sizeof(msg);
    }
    uint64_t mac = nst_siphash24(key, msg, n);
    for (int i = 0; i < TFO_COOKIE_LEN; i++)
        out[i] = (uint8_t)(mac >> (8 * i));
}

/* 1 if the cookie was made under key, 0 if not, in constant time: how
 * far it matches tells nothing of the key. */
static unsigned cookie_made_under(const uint8_t key[16], const nst_ip6_t *client, const uint8_t *cookie)
{
    uint8_t want[TFO_COOKIE_LEN];
    cookie_make(key, client, want);
    unsigned diff = 0;
    for (int i = 0; i < TFO_COOKIE_LEN; i++)
        diff |= (unsigned)(want[i] ^ cookie[i]);
    return 1u & ((diff - 1u) >> 8); /* diff is below 256: 1 only for 0 */
}

enum { COOKIE_INVALID, COOKIE_PRIMARY, COOKIE_BACKUP };

/* Which key the cookie was made under. Both keys are always tried, so
 * the time taken does not tell which one (or whether one) matched. */
static int cookie_check(struct nst_stack *st, const nst_ip6_t *client, const struct nst_tcp_opts *o)
{
    if (o->fastopen_len != TFO_COOKIE_LEN)
        return COOKIE_INVALID;
    const struct tcp_tfo_keys *k = keys_now(st);
    unsigned primary = cookie_made_under(k->key[0], client, o->fastopen_cookie);
    unsigned backup = cookie_made_under(k->key[1], client, o->fastopen_cookie) & (k->n_keys == 2);
    return primary ? COOKIE_PRIMARY : backup ? COOKIE_BACKUP : COOKIE_INVALID;
}

void tcp_tfo_synack_opts(struct nst_stack *st, const struct nst_tcp_conn *c, struct nst_tcp_opts *o)
{
    if (!c->tfo_send_cookie)
        return;
    o->has_fastopen = 1;
    o->fastopen_len = TFO_COOKIE_LEN;
    cookie_make(keys_now(st)->key[0], &c->t.raddr, o->fastopen_cookie);
}

/* ---- server ---------------------------------------------------------------------- */

int tcp_tfo_passive(struct nst_stack *st, struct nst_tcp_conn *l, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    const struct nst_tcp_opts *o = &seg->h.opts;
    if (!(st->cfg.tcp.fastopen & TFO_SERVER) || !l->tfo_qlen || !o->has_fastopen)
        return 0;
    if (o->fastopen_len == 0) {
        /* 4.1.1: a cookie request: the SYN-ACK brings one; data, if any,
         * is not taken (it comes again after the handshake). */
        c->tfo_send_cookie = 1;
        NST_STAT_INC(st, tcp, tfo_cookies_sent);
        return 0;
    }
    int made_under = cookie_check(st, &c->t.raddr, o);
    if (made_under == COOKIE_INVALID) {
        /* 4.2.2: invalid: data ignored, a valid cookie in the SYN-ACK. */
        NST_STAT_INC(st, tcp, tfo_cookie_invalid);
        c->tfo_send_cookie = 1;
        NST_STAT_INC(st, tcp, tfo_cookies_sent);
        return 0;
    }
    if (made_under == COOKIE_BACKUP) {
        /* Valid, under the key being retired: taken (as Linux's
         * TCPFastOpenPassiveAltKey), and the SYN-ACK gives the client a
         * cookie under the primary before the backup goes too. */
        NST_STAT_INC(st, tcp, tfo_cookie_backup);
        c->tfo_send_cookie = 1;
        NST_STAT_INC(st, tcp, tfo_cookies_sent);
    }
    if (seg->len == 0)
        return 0; /* a valid cookie and no data: an ordinary handshake */
    if (l->lq->tfo_pending >= l->tfo_qlen || l->lq->accq_len >= l->lq->backlog) {
        NST_STAT_INC(st, tcp, tfo_passive_overflow); /* 5.1 */
        return 0;
    }
    uint32_t take = (uint32_t)NST_MIN((size_t)seg->len, nst_ring_space(&c->rcvbuf));
    long n = take ? nst_ring_write(&c->rcvbuf, seg->data, take) : 0;
    if (n <= 0)
        return 0;
    /* The SYN-ACK acknowledges the data (4.2); a FIN in the SYN is left
     * for the client to send again. */
    c->rcv_nxt += (uint32_t)n;
    c->last_ack_sent = c->rcv_nxt;
    c->bytes_received += (uint64_t)n;
    c->tfo_pending = 1;
    l->lq->tfo_pending++;
    NST_STAT_INC(st, tcp, tfo_passive);
    /* The application may answer before the handshake's ACK (as Linux
     * lets it): the initial window is open from now (tcp_established
     * sets it again). */
    c->cc.ops->init(&c->cc, c->mss, st->now);
    if (st->cfg.tcp.initial_window)
        c->cc.cwnd = st->cfg.tcp.initial_window * (uint32_t)c->mss;
    return 1;
}

void tcp_tfo_child_done(struct nst_stack *st, struct nst_tcp_conn *c)
{
    if (!c->tfo_pending)
        return;
    c->tfo_pending = 0;
    /* The listener is found again by address: a child already accepted no
     * longer points to it, and it may have closed meanwhile. */
    struct nst_tcp_conn *l = tcp_listener_lookup(st, &c->t.laddr, c->t.lport);
    if (l && l->lq && l->lq->tfo_pending)
        l->lq->tfo_pending--;
}

/* ---- the client's cache -------------------------------------------------------------- */

static struct tcp_tfo_entry *cache_find(struct nst_stack *st, const nst_ip6_t *addr, int create)
{
    struct nst_tcp_state *ts = st->tcp;
    if (!ts->tfo_cache) {
        if (!create || !(ts->tfo_cache = calloc(1, sizeof(*ts->tfo_cache))))
            return NULL;
    }
    struct tcp_tfo_entry *oldest = &ts->tfo_cache->e[0];
    for (int i = 0; i < TFO_CACHE_SIZE; i++) {
        struct tcp_tfo_entry *e = &ts->tfo_cache->e[i];
        if (e->in_use && memcmp(&e->addr, addr, sizeof(*addr)) == 0)
            return e;
        if (!e->in_use || (oldest->in_use && e->used < oldest->used))
            oldest = e;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    oldest->addr = *addr;
    oldest->in_use = 1;
    oldest->used = st->now;
    return oldest;
}

/* 4.4: SYNs with data to this server were lost twice or more, lately. */
static int blackholed(const struct nst_stack *st, const struct tcp_tfo_entry *e)
{
    if (e->syn_loss < 2)
        return 0;
    nst_time_t hold = TFO_BLACKHOLE_BASE << NST_MIN(e->syn_loss - 2u, 6u);
    return st->now - e->last_loss < NST_MIN(hold, TFO_BLACKHOLE_MAX);
}

int tcp_tfo_connect(struct nst_stack *st, struct nst_tcp_conn *c)
{
    c->tfo_request = 0;
    c->tfo_defer = 0;
    c->tfo_syn_data = 0;
    if (!(st->cfg.tcp.fastopen & TFO_CLIENT))
        return 0;
    struct tcp_tfo_entry *e = cache_find(st, &c->t.raddr, 0);
    if (e && blackholed(st, e))
        return 0; /* an ordinary handshake, no option */
    if (e && e->len) {
        e->used = st->now;
        c->tfo_defer = 1;
        return 1;
    }
    c->tfo_request = 1;
    return 0;
}

uint32_t tcp_tfo_syn_opts(struct nst_stack *st, struct nst_tcp_conn *c, struct nst_tcp_opts *o)
{
    if (c->state != NST_TCPS_SYN_SENT || c->syn_retransmitted)
        return 0; /* a SYN sent again goes without option or data (4.1.3) */
    if (c->tfo_request) {
        o->has_fastopen = 1;
        o->fastopen_len = 0;
        NST_STAT_INC(st, tcp, tfo_cookie_requests);
        return 0;
    }
    struct tcp_tfo_entry *e = nst_ring_len(&c->sndbuf) ? cache_find(st, &c->t.raddr, 0) : NULL;
    if (!e || !e->len || blackholed(st, e))
        return 0;
    o->has_fastopen = 1;
    o->fastopen_len = e->len;
    memcpy(o->fastopen_cookie, e->cookie, e->len);
    /* RFC 7413 4.1.3: the MSS the server gave last time (else 536). */
    return e->mss ? e->mss : TCP_DEFAULT_MSS;
}

void tcp_tfo_synack(struct nst_stack *st, struct nst_tcp_conn *c, const struct tcp_seg *seg)
{
    const struct nst_tcp_opts *o = &seg->h.opts;
    if (o->has_fastopen && o->fastopen_len && (st->cfg.tcp.fastopen & TFO_CLIENT)) {
        struct tcp_tfo_entry *e = cache_find(st, &c->t.raddr, 1);
        if (e) {
            e->len = o->fastopen_len;
            memcpy(e->cookie, o->fastopen_cookie, o->fastopen_len);
            e->used = st->now;
            e->mss = o->has_mss ? (uint16_t)NST_MIN(o->mss, c->adv_mss) : 0;
        }
    }
    if (!c->tfo_syn_data)
        return;
    struct tcp_tfo_entry *e = cache_find(st, &c->t.raddr, 0);
    if (nst_seq_gt(seg->h.ack, c->iss + 1)) {
        /* The data is acknowledged with the SYN: out of the send ring. */
        size_t n = NST_MIN((size_t)(seg->h.ack - (c->iss + 1)), nst_ring_len(&c->sndbuf));
        nst_ring_consume(&c->sndbuf, n);
        c->snd_buf_seq += (uint32_t)n;
        c->bytes_acked += n;
        NST_STAT_INC(st, tcp, tfo_syn_data_acked);
        if (e)
            e->syn_loss = 0;
        return;
    }
    /* 4.2.1 / 4.1.3: only the SYN was acknowledged (cookie refused, or the
     * SYN with data was lost and the bare one sent again): the data goes
     * once established, from SND.UNA. */
    NST_STAT_INC(st, tcp, tfo_syn_data_unacked);
    if (c->syn_retransmitted && e && e->syn_loss < 255) {
        e->syn_loss++;
        e->last_loss = st->now;
        if (e->syn_loss == 2)
            NST_STAT_INC(st, tcp, tfo_blackholed);
    }
}
