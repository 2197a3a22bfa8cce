/* TLS over nstack TCP on the simulator, the handshakes (src/app/,
 * include/nstack/tls.h): on the article's New York–London path, the exact
 * virtual time the first request byte leaves New York after the SYN for
 * plain TCP, TLS 1.3 and 1.2 full, TLS 1.2 resumed and TLS 1.3 with 0-RTT;
 * the 0-RTT answer as 0.5-RTT data (and after the handshake without it);
 * bulk echo of both versions through a lossy path; resumption through the
 * client's cache; 0-RTT rejected and resent; ALPN, SNI, keylog; contexts
 * from PEM files, shared ticket keys, the `ss -i` line. */
#include "support/tls_util.h"
#include "test.h"

#include <errno.h>

/* ---- watching the wire: when the request leaves New York --------------- */

#define MAX_FRAMES 4096

struct wframe {
    nst_time_t at;
    uint16_t sport;
    uint8_t flags;
    uint32_t seq;
    uint16_t len;
    uint8_t data[1500];
};

struct watch {
    struct wframe *f;
    int n;
};

static void on_frame(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *fr, size_t len)
{
    struct watch *w = arg;
    if (ev != NST_SIM_OFFERED || dir != 0 || len < 14 + 20 + 20 || fr[12] != 0x08 || fr[13] != 0x00)
        return;
    const uint8_t *ip = fr + 14;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = (size_t)ip[2] << 8 | ip[3];
    if (ip[9] != 6 || tot > len - 14)
        return;
    const uint8_t *tcp = ip + ihl;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    uint16_t dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
    if (dport != TT_PORT || w->n >= MAX_FRAMES)
        return;
    struct wframe *f = &w->f[w->n++];
    f->at = now;
    f->sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
    f->flags = tcp[13];
    f->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    f->len = (uint16_t)(tot - ihl - doff);
    memcpy(f->data, tcp + doff, f->len);
}

/* For the connection from sport: the time from its SYN to the first frame
 * carrying the first byte of the request (plain: the first payload byte;
 * TLS: the first application-data record of at least TT_REQ_LEN + 16 bytes,
 * which no handshake record is). -1 if not seen. */
static nst_time_t request_delay(const struct watch *w, uint16_t sport, int tls)
{
    static uint8_t stream[65536];
    static nst_time_t when[65536];
    nst_time_t syn = -1;
    uint32_t isn = 0;
    size_t have = 0;
    for (int i = 0; i < w->n; i++) {
        const struct wframe *f = &w->f[i];
        if (f->sport != sport)
            continue;
        if ((f->flags & 0x02) && syn < 0) {
            syn = f->at;
            isn = f->seq;
        }
        if (syn < 0 || !f->len)
            continue;
        size_t off = (size_t)(f->seq - isn - 1);
        for (size_t k = 0; k < f->len && off + k < sizeof(stream); k++) {
            if (off + k >= have) {
                stream[off + k] = f->data[k];
                when[off + k] = f->at;
                have = off + k + 1;
            }
        }
    }
    if (syn < 0 || !have)
        return -1;
    if (!tls)
        return when[0] - syn;
    for (size_t o = 0; o + 5 <= have;) {
        size_t rl = (size_t)stream[o + 3] << 8 | stream[o + 4];
        if (stream[o] == 23 && rl >= TT_REQ_LEN + 16)
            return when[o] - syn;
        o += 5 + rl;
    }
    return -1;
}

/* ---- 1. timings on the 80 ms path --------------------------------------- */

enum scenario { PLAIN, TLS13_FULL, TLS12_FULL, TLS12_RESUMED, TLS13_0RTT };

/* Runs one request of TT_REQ_LEN bytes (echoed) in a new world; for the
 * resumed scenarios a first connection primes the client's cache. Returns
 * the delay from SYN to the request's first byte on the wire. */
static nst_time_t run_scenario(enum scenario sc, struct nst_tls_info *cinfo, struct nst_tls_info *sinfo)
{
    struct tt_lab l;
    tt_lab_up(&l, 7, 0);
    struct watch w = {calloc(MAX_FRAMES, sizeof(struct wframe)), 0};
    nst_sim_link_observe(l.p.links[0], on_frame, &w);
    int v = sc == TLS12_FULL || sc == TLS12_RESUMED ? NST_TLS1_2 : NST_TLS1_3;
    struct nst_tls_ctx *sctx = sc == PLAIN ? NULL : tt_server_ctx(v, v, sc == TLS13_0RTT ? 16384 : 0, NULL);
    struct nst_tls_ctx *cctx = sc == PLAIN ? NULL : tt_client_ctx(v, v, sc == TLS13_0RTT, NULL);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, sctx, TT_PORT);
    uint8_t *req = tt_pattern(TT_REQ_LEN, 1);
    struct tt_client c;
    if (sc == TLS12_RESUMED || sc == TLS13_0RTT) {
        tt_client_open(&c, &l, cctx, "london.lab", TT_PORT, req, TT_REQ_LEN);
        CHECK(nst_world_run_until_cond(l.w, tt_client_done, &c, nst_world_now(l.w) + NST_SEC(5)));
        nst_world_run_for(l.w, NST_MSEC(100)); /* TLS 1.3 tickets follow the handshake */
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 1);
        tt_client_free(&c);
        nst_world_run_for(l.w, NST_SEC(1));
    }
    tt_client_open(&c, &l, cctx, "london.lab", TT_PORT, req, TT_REQ_LEN);
    CHECK(nst_world_run_until_cond(l.w, tt_client_done, &c, nst_world_now(l.w) + NST_SEC(5)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.got_len, TT_REQ_LEN);
    CHECK_MEM(c.got, req, TT_REQ_LEN);
    nst_time_t d = request_delay(&w, tt_local_port(c.s), sc != PLAIN);
    if (cctx) {
        CHECK_EQ(nst_tls_get_info(c.s, cinfo), 0);
        *sinfo = sv.c[sv.n - 1].info;
        CHECK_EQ(sv.c[sv.n - 1].in, TT_REQ_LEN);
        const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
        int resumed = sc == TLS12_RESUMED || sc == TLS13_0RTT;
        CHECK_EQ(cs->handshakes_full, 1);
        CHECK_EQ(cs->handshakes_resumed, resumed);
        CHECK_EQ(ss->handshakes_full, 1);
        CHECK_EQ(ss->handshakes_resumed, resumed);
        CHECK_EQ(cs->early_accepted, sc == TLS13_0RTT);
        CHECK_EQ(ss->early_accepted, sc == TLS13_0RTT);
        CHECK_EQ(sv.c[sv.n - 1].early_in, sc == TLS13_0RTT ? TT_REQ_LEN : 0);
        CHECK_EQ(cs->handshake_failures + ss->handshake_failures, 0);
        /* ss -i shows it. */
        const char *note = nst_socket_get_note(l.ny, nst_stream_fd(c.s));
        CHECK(strstr(note, v == NST_TLS1_3 ? "tls:TLSv1.3" : "tls:TLSv1.2") != NULL);
        CHECK((strstr(note, "resumed") != NULL) == resumed);
    }
    tt_client_free(&c);
    tt_server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    free(w.f);
    tt_lab_down(&l);
    return d;
}

static void test_first_request_byte_timings(void)
{
    struct nst_tls_info ci, si;
    /* SYN to the first request byte on the wire: the round trips each
     * handshake costs on the 80 ms path, plus the serialisation of the
     * frames that had to arrive first (1 Gbit/s links, store and forward). */
    nst_time_t plain = run_scenario(PLAIN, &ci, &si);
    nst_time_t t13 = run_scenario(TLS13_FULL, &ci, &si);
    CHECK_EQ(ci.version, NST_TLS1_3);
    CHECK_EQ(ci.resumed, 0);
    nst_time_t t12 = run_scenario(TLS12_FULL, &ci, &si);
    CHECK_EQ(ci.version, NST_TLS1_2);
    nst_time_t t12r = run_scenario(TLS12_RESUMED, &ci, &si);
    CHECK_EQ(ci.resumed, 1);
    nst_time_t t13e = run_scenario(TLS13_0RTT, &ci, &si);
    CHECK_EQ(ci.resumed, 1);
    CHECK_EQ(ci.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(si.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(ci.early_bytes, TT_REQ_LEN);
    fprintf(stderr, "  SYN -> request: plain %lld, tls1.3 %lld, tls1.2 %lld, tls1.2 resumed %lld, tls1.3 0-rtt %lld ns\n",
            (long long)plain, (long long)t13, (long long)t12, (long long)t12r, (long long)t13e);
    /* Plain TCP: one round trip, plus the SYN and SYN-ACK (74-byte frames,
     * 592 ns on each of 4 links) serialised. */
    CHECK_EQ(plain, NST_MSEC(80) + 4736);
    /* TLS 1.3 full: one more round trip; the server's flight (certificate
     * included) takes its serialisation time on every hop. */
    CHECK_EQ(t13, NST_MSEC(160) + 61568);
    /* TLS 1.2 full: two more round trips. */
    CHECK_EQ(t12, NST_MSEC(240) + 70304);
    /* TLS 1.2 resumed (abbreviated handshake): one more round trip. */
    CHECK_EQ(t12r, NST_MSEC(160) + 27808);
    /* TLS 1.3 with 0-RTT: the request leaves with the ClientHello, as
     * early as plain TCP's. */
    CHECK_EQ(t13e, NST_MSEC(80) + 4736);
}


/* ---- 2. bulk echo through a lossy path, clean close both ways ----------- */

static void bulk_echo(int version, uint64_t seed)
{
    enum { LEN = 3 << 20 };
    struct tt_fix f;
    tt_fix_up(&f, seed, 0.01, version, 0, 0);
    struct tt_lab *l = &f.l;
    struct tt_server *sv = &f.sv;
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(f.cctx), *ss = nst_tls_ctx_stats(f.sctx);
    uint8_t *data = tt_pattern(LEN, (uint32_t)seed);
    struct tt_client c;
    tt_client_open(&c, l, f.cctx, "london.lab", TT_PORT, data, LEN);
    c.shut_when_done = 1;
    CHECK(nst_world_run_until_cond(l->w, tt_client_closed, &c, nst_world_now(l->w) + NST_SEC(600)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.got_len, LEN);
    CHECK_MEM(c.got, data, LEN);
    CHECK_EQ(c.eof, 1);             /* the server's close_notify: a clean end */
    CHECK_EQ(sv->c[0].in, LEN);
    CHECK_EQ(sv->c[0].eof, 1);       /* and the client's */
    CHECK_EQ(sv->c[0].err, 0);
    CHECK(nst_sim_link_stats(l->p.links[2], 0)->lost + nst_sim_link_stats(l->p.links[2], 1)->lost > 0);
    struct nst_tls_info ci;
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(ci.version, version);
    CHECK_EQ(ci.peer_closed, 1);
    CHECK_EQ(cs->close_notify_sent, 1);
    CHECK_EQ(cs->close_notify_received, 1);
    CHECK_EQ(ss->close_notify_sent, 1);
    CHECK_EQ(ss->close_notify_received, 1);
    CHECK_EQ(cs->truncations + ss->truncations, 0);
    CHECK_EQ(cs->alerts_sent, 1); /* close_notify, nothing else */
    tt_client_free(&c);
    free(data);
    tt_fix_down(&f);
}

static void test_bulk_echo_lossy_tls12(void) { bulk_echo(NST_TLS1_2, 21); }
static void test_bulk_echo_lossy_tls13(void) { bulk_echo(NST_TLS1_3, 22); }

/* The same exchange over a plain TCP stream: the interface is the same. */
static void test_plain_stream_echo(void)
{
    enum { LEN = 1 << 20 };
    struct tt_lab l;
    tt_lab_up(&l, 23, 0);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, NULL, TT_PORT);
    uint8_t *data = tt_pattern(LEN, 23);
    struct tt_client c;
    tt_client_open(&c, &l, NULL, NULL, TT_PORT, data, LEN);
    c.shut_when_done = 1;
    CHECK(nst_world_run_until_cond(l.w, tt_client_done, &c, nst_world_now(l.w) + NST_SEC(60)));
    CHECK_EQ(nst_stream_established(c.s), 1);
    CHECK(nst_world_run_until_cond(l.w, tt_client_closed, &c, nst_world_now(l.w) + NST_SEC(60)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.got_len, LEN);
    CHECK_MEM(c.got, data, LEN);
    CHECK_EQ(c.eof, 1);
    CHECK_EQ(nst_stream_is_tls(c.s), 0);
    CHECK(nst_stream_alpn(c.s) == NULL);
    struct nst_tls_info ti;
    CHECK_EQ(nst_tls_get_info(c.s, &ti), -EINVAL);
    tt_client_free(&c);
    tt_server_stop(&sv);
    free(data);
    tt_lab_down(&l);
}

/* ---- 3. resumption and 0-RTT -------------------------------------------- */

/* ---- 3. resumption and 0-RTT -------------------------------------------- */

static void test_resumption_through_cache(void)
{
    for (int v = NST_TLS1_2; v <= NST_TLS1_3; v++) {
        struct tt_fix f;
        tt_fix_up(&f, 31 + (uint64_t)v, 0, v, 0, 0);
        struct nst_tls_ctx *sctx = f.sctx, *cctx = f.cctx;
        struct tt_lab *l = &f.l;
        const uint8_t *req = f.req;
        for (int i = 0; i < 3; i++) /* the second and third resume */
            CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), i > 0);
        /* Another host:port is another cache entry: a full handshake. */
        CHECK_EQ(tt_request_resumed(l, cctx, "10.0.4.2", req), 0);
        const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
        CHECK_EQ(cs->handshakes_full, 2);
        CHECK_EQ(cs->handshakes_resumed, 2);
        CHECK_EQ(ss->handshakes_full, 2);
        CHECK_EQ(ss->handshakes_resumed, 2);
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 2);
        /* Flushed: the next connection is full again. */
        nst_tls_ctx_flush_sessions(cctx);
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 0);
        CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), 0);
        tt_fix_down(&f);
    }
}

/* A server that no longer takes early data (another context: its tickets
 * are unknown there) rejects the 0-RTT bytes: the client stream sends them
 * again after the handshake; the server sees them once, not as early. */
static void test_early_data_rejected_resent(void)
{
    struct tt_fix f;
    tt_fix_up(&f, 33, 0, NST_TLS1_3, 16384, 1);
    struct tt_lab *l = &f.l;
    struct nst_tls_ctx *cctx = f.cctx, *sctx_no = tt_server_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    struct tt_server *sv = &f.sv;
    const uint8_t *req = f.req;
    struct tt_client c;
    CHECK_EQ(tt_one_request(l, &c, cctx, "london.lab", req), 0);
    tt_client_free(&c);
    CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 1);
    sv->ctx = sctx_no;
    CHECK_EQ(tt_one_request(l, &c, cctx, "london.lab", req), 0);
    struct nst_tls_info ci;
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(ci.early, NST_TLS_EARLY_REJECTED);
    CHECK_EQ(ci.early_bytes, TT_REQ_LEN);
    CHECK_EQ(ci.resumed, 0);
    struct tt_sconn *s2 = &sv->c[1];
    CHECK_EQ(s2->in, TT_REQ_LEN);   /* once */
    CHECK_EQ(s2->early_in, 0);   /* and not as early data */
    CHECK_EQ(s2->info.early, NST_TLS_EARLY_REJECTED);
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx);
    CHECK_EQ(cs->early_rejected, 1);
    CHECK_EQ(cs->early_accepted, 0);
    CHECK_EQ(cs->early_resent_bytes, TT_REQ_LEN);
    CHECK_EQ(nst_tls_ctx_stats(sctx_no)->early_rejected, 1);
    tt_client_free(&c);
    /* The ticket from that connection is sctx_no's, which allows no early
     * data: the next connection resumes without 0-RTT. */
    CHECK_EQ(tt_one_request(l, &c, cctx, "london.lab", req), 0);
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(ci.resumed, 1);
    CHECK_EQ(ci.early, NST_TLS_EARLY_NONE);
    CHECK_EQ(sv->c[2].early_in, 0);
    tt_client_free(&c);
    tt_fix_down(&f);
    nst_tls_ctx_free(sctx_no);
}

/* ---- 3b. 0.5-RTT: the server answers early data in its first flight ---- */

struct answer_run {
    nst_time_t answer;         /* from the client's connect to the whole echo back */
    nst_time_t hs_end;         /* from the connect to the client's handshake done */
    enum nst_tls_early early;  /* the client's verdict */
    uint64_t answer_bytes;     /* the serving context's early_answer_bytes */
    uint64_t early_in;         /* bytes the server read as early data */
};

/* On a fresh lab (seed, loss): a first connection primes the client's
 * cache, then one 0-RTT request of TT_REQ_LEN bytes is timed; the echo
 * server writes back what it reads at once, from its read callback. The
 * server answers early data as 0.5-RTT if `answering`; with `reject` the
 * timed request meets another (answering) context, which cannot open the
 * ticket and rejects the early data. The client then shuts down; both
 * ends must close cleanly. */
static struct answer_run early_answer_run(uint64_t seed, double loss, int answering, int reject)
{
    struct answer_run r = {0};
    struct tt_lab l;
    tt_lab_up(&l, seed, loss);
    struct nst_tls_ctx *sctx = answering ? tt_server_ctx_answering(16384)
                                         : tt_server_ctx(NST_TLS1_3, NST_TLS1_3, 16384, NULL);
    struct nst_tls_ctx *other = reject ? tt_server_ctx_answering(16384) : NULL;
    struct nst_tls_ctx *cctx = tt_client_ctx(NST_TLS1_3, NST_TLS1_3, 1, NULL);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, sctx, TT_PORT);
    uint8_t *req = tt_pattern(TT_REQ_LEN, (uint32_t)seed);
    struct tt_client c;
    CHECK_EQ(tt_one_request(&l, &c, cctx, "london.lab", req), 0);
    tt_client_free(&c);
    nst_world_run_for(l.w, NST_SEC(1));
    CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 1);
    if (other)
        sv.ctx = other;
    nst_time_t t0 = nst_world_now(l.w);
    tt_client_open(&c, &l, cctx, "london.lab", TT_PORT, req, TT_REQ_LEN);
    c.shut_when_done = 1;
    CHECK(nst_world_run_until_cond(l.w, tt_client_closed, &c, t0 + NST_SEC(20)));
    CHECK_EQ(c.err, 0);
    CHECK_EQ(c.eof, 1);
    CHECK_EQ(c.got_len, TT_REQ_LEN);
    CHECK_MEM(c.got, req, TT_REQ_LEN);
    r.answer = c.t_done - t0;
    struct nst_tls_info ci;
    CHECK_EQ(nst_tls_get_info(c.s, &ci), 0);
    r.early = ci.early;
    r.hs_end = ci.handshake_end - t0;
    struct tt_sconn *s = &sv.c[sv.n - 1];
    CHECK_EQ(s->in, TT_REQ_LEN); /* once, early or not */
    CHECK_EQ(s->err, 0);
    CHECK_EQ(s->eof, 1);
    r.early_in = s->early_in;
    r.answer_bytes = nst_tls_ctx_stats(other ? other : sctx)->early_answer_bytes;
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx);
    CHECK_EQ(cs->handshake_failures + cs->truncations, 0);
    CHECK_EQ(nst_tls_ctx_stats(sv.ctx)->handshake_failures, 0);
    CHECK_EQ(nst_tls_ctx_stats(sv.ctx)->truncations, 0);
    /* The tickets of an answering server still follow its handshake. */
    if (!reject)
        CHECK_EQ(nst_tls_ctx_cached_sessions(cctx), 1);
    tt_client_free(&c);
    tt_server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    nst_tls_ctx_free(other);
    free(req);
    tt_lab_down(&l);
    return r;
}

/* RFC 8446 2.3: a server may send data in its first flight (0.5-RTT). The
 * 0-RTT request leaves New York with the ClientHello (80 ms after the
 * SYN's connect: the SYN-ACK's round trip), reaches London 40 ms later,
 * and the answer rides with London's ServerHello..Finished: back 160 ms
 * after the connect instead of 240 (London waiting for the client's
 * Finished). Rejected early data is never answered early. */
static void test_early_answer_half_rtt(void)
{
    struct answer_run a = early_answer_run(41, 0, 1, 0);
    struct answer_run b = early_answer_run(41, 0, 1, 0);
    struct answer_run waits = early_answer_run(41, 0, 0, 0);
    struct answer_run rej = early_answer_run(41, 0, 1, 1);
    fprintf(stderr, "  connect -> answer: 0.5-RTT %lld, waiting %lld, rejected %lld ns\n", (long long)a.answer,
            (long long)waits.answer, (long long)rej.answer);
    CHECK_EQ(a.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(a.early_in, TT_REQ_LEN);
    CHECK_EQ(a.answer_bytes, TT_REQ_LEN);
    /* Two round trips, plus the frames' serialisation on 4 hops. */
    CHECK_EQ(a.answer, NST_MSEC(160) + 49632);
    CHECK_EQ(b.answer, a.answer); /* identical every run */
    /* In the same burst as London's Finished: the client reads the answer
     * in the instant its handshake completes. */
    CHECK_EQ(a.hs_end, a.answer);
    /* Without the switch the answer waits for the client's Finished. */
    CHECK_EQ(waits.early, NST_TLS_EARLY_ACCEPTED);
    CHECK_EQ(waits.early_in, TT_REQ_LEN);
    CHECK_EQ(waits.answer_bytes, 0);
    CHECK_EQ(waits.answer, NST_MSEC(240) + 58280);
    /* Rejected: the request comes again after the client's Finished, as
     * ordinary data, and so does its answer. */
    CHECK_EQ(rej.early, NST_TLS_EARLY_REJECTED);
    CHECK_EQ(rej.early_in, 0);
    CHECK_EQ(rej.answer_bytes, 0);
    CHECK_EQ(rej.answer, NST_MSEC(240) + 101184);
}

/* Through a lossy path the 0.5-RTT answer arrives whole and in order, the
 * handshake completes after it and both ends close cleanly. */
static void test_early_answer_lossy(void)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        struct answer_run r = early_answer_run(seed, 0.1, 1, 0);
        CHECK_EQ(r.early, NST_TLS_EARLY_ACCEPTED);
        CHECK_EQ(r.answer_bytes, TT_REQ_LEN);
        CHECK(r.answer >= NST_MSEC(160));
    }
}

/* ---- 4. ALPN, SNI, keylog ------------------------------------------------ */

struct keylog {
    int lines, client_random, traffic0;
};

static void count_keylog(void *arg, const char *line)
{
    struct keylog *k = arg;
    k->lines++;
    k->client_random += strncmp(line, "CLIENT_RANDOM ", 14) == 0;
    k->traffic0 += strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
}

static const char *negotiate(struct tt_lab *l, const char *server_alpn, const char *client_alpn, const char *host,
                             char *out, size_t outlen, char *sni, size_t snilen, struct keylog *kl, int version)
{
    struct nst_tls_ctx *sctx = tt_server_ctx(version, version, 0, server_alpn);
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = tt_pki.ca_cert;
    cc.alpn = client_alpn;
    cc.min_version = cc.max_version = version;
    cc.keylog_fn = count_keylog;
    cc.keylog_arg = kl;
    struct nst_tls_ctx *cctx;
    CHECK_EQ(nst_tls_ctx_new(&cc, &cctx, NULL), 0);
    struct tt_server sv;
    tt_server_start(&sv, l->ldn, sctx, TT_PORT);
    uint8_t *req = tt_pattern(TT_REQ_LEN, 5);
    struct tt_client c;
    CHECK_EQ(tt_one_request(l, &c, cctx, host, req), 0);
    const char *a = nst_stream_alpn(c.s);
    snprintf(out, outlen, "%s", a ? a : "(none)");
    snprintf(sni, snilen, "%s", sv.c[0].info.sni ? sv.c[0].info.sni : "(none)");
    const char *sa = sv.c[0].info.alpn;
    CHECK_EQ(strcmp(sa ? sa : "(none)", out), 0); /* both ends agree */
    tt_client_free(&c);
    tt_server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    return out;
}

static void test_alpn_sni_keylog(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 41, 0);
    char a[64], sni[64];
    struct keylog k = {0};
    /* RFC 7301 3.2: the server's preference among what the client offers. */
    CHECK_EQ(strcmp(negotiate(&l, "h2,http/1.1", "http/1.1,h2", "london.lab", a, sizeof(a), sni, sizeof(sni), &k,
                              NST_TLS1_3), "h2"), 0);
    CHECK_EQ(strcmp(sni, "london.lab"), 0);
    /* TLS 1.3 keylog: two handshake secrets, two traffic secrets, exporter. */
    CHECK_EQ(k.lines, 5);
    CHECK_EQ(k.traffic0, 1);
    memset(&k, 0, sizeof(k));
    CHECK_EQ(strcmp(negotiate(&l, "h2,http/1.1", "http/1.1", "london.lab", a, sizeof(a), sni, sizeof(sni), &k,
                              NST_TLS1_2), "http/1.1"), 0);
    CHECK_EQ(k.lines, 1); /* TLS 1.2: CLIENT_RANDOM <random> <master secret> */
    CHECK_EQ(k.client_random, 1);
    /* No overlap: no ALPN, not an error. */
    CHECK_EQ(strcmp(negotiate(&l, "h2", "spdy/3", "london.lab", a, sizeof(a), sni, sizeof(sni), &k, NST_TLS1_3),
                 "(none)"), 0);
    CHECK_EQ(strcmp(negotiate(&l, "h2", NULL, "london.lab", a, sizeof(a), sni, sizeof(sni), &k, NST_TLS1_3),
                    "(none)"), 0);
    /* An address: verified against the certificate's IP entry, no SNI
     * (RFC 6066 3). */
    negotiate(&l, NULL, NULL, "10.0.4.2", a, sizeof(a), sni, sizeof(sni), &k, NST_TLS1_3);
    CHECK_EQ(strcmp(sni, "(none)"), 0);
    tt_lab_down(&l);
}

/* ---- 8. contexts from files, shared ticket keys, keylog file, ss -i ---- */

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static void test_files_ticket_keys_keylog_ss(void)
{
    char dir[512], ca[600], cert[600], key[600], klog[600];
    snprintf(dir, sizeof(dir), "%s/tls-pki", nst_test_out_dir());
    mkdir(dir, 0700);
    CHECK_EQ(nst_tls_test_pki_write(&tt_pki, dir), 0);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(klog, sizeof(klog), "%s/keylog.txt", dir);
    remove(klog);
    struct stat stt;
    CHECK_EQ(stat(key, &stt), 0);
    CHECK_EQ(stt.st_mode & 0777, 0600);

    /* Errors say what is wrong. */
    struct nst_tls_config c;
    struct nst_tls_ctx *ctx = NULL;
    const char *why = NULL;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert_file = cert;
    c.key_file = "/nonexistent/key.pem";
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -ENOENT);
    CHECK(ctx == NULL && why && *why);
    c.cert_file = c.key_file = NULL;
    c.cert = tt_pki.cert;
    c.key = tt_pki.ca_key; /* not the certificate's key */
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EPROTO);
    c.key = tt_pki.key;
    c.alpn = "h2,,http/1.1";
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EINVAL);
    c.alpn = NULL;
    c.min_version = NST_TLS1_3;
    c.max_version = NST_TLS1_2;
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EINVAL);
    nst_tls_config_default(&c, NST_TLS_SERVER);
    CHECK_EQ(nst_tls_ctx_new(&c, &ctx, &why), -EINVAL); /* a server without a certificate */
    /* $SSLKEYLOGFILE is read only when asked (the CLI asks). */
    setenv("SSLKEYLOGFILE", klog, 1);
    nst_tls_config_default(&c, NST_TLS_CLIENT);
    CHECK(c.keylog_file == NULL);
    CHECK_EQ(nst_tls_config_keylog_from_env(&c), 1);
    CHECK_EQ(strcmp(c.keylog_file, klog), 0);
    unsetenv("SSLKEYLOGFILE");
    CHECK_EQ(nst_tls_config_keylog_from_env(&c), 0);

    /* Two servers from the PEM files sharing ticket keys: a session from
     * one resumes on the other. */
    uint8_t keys[80];
    for (int i = 0; i < 80; i++)
        keys[i] = (uint8_t)(i * 7 + 1);
    struct nst_tls_ctx *sa, *sb, *cctx;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert_file = cert;
    c.key_file = key;
    CHECK_EQ(nst_tls_ctx_new(&c, &sa, NULL), 0);
    CHECK_EQ(nst_tls_ctx_new(&c, &sb, NULL), 0);
    CHECK_EQ(nst_tls_ctx_set_ticket_keys(sa, keys), 0);
    CHECK_EQ(nst_tls_ctx_set_ticket_keys(sb, keys), 0);
    nst_tls_config_default(&c, NST_TLS_CLIENT);
    c.ca_file = ca;
    c.keylog_file = klog;
    CHECK_EQ(nst_tls_ctx_new(&c, &cctx, NULL), 0);
    CHECK_EQ(nst_tls_ctx_set_ticket_keys(cctx, keys), -EINVAL); /* a client has none */

    struct tt_lab l;
    tt_lab_up(&l, 81, 0);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, sa, TT_PORT);
    uint8_t *req = tt_pattern(TT_REQ_LEN, 8);
    struct tt_client cl;
    CHECK_EQ(tt_one_request(&l, &cl, cctx, "london.lab", req), 0);
    /* ss -i shows the TLS line after TCP's. */
    char *text = NULL;
    size_t tlen = 0;
    FILE *mf = open_memstream(&text, &tlen);
    struct nst_ss_opts o = {0};
    o.info = 1;
    nst_ss_print(l.ny, &o, mf);
    fclose(mf);
    CHECK(strstr(text, " tls:TLSv1.3 cipher:TLS_AES_256_GCM_SHA384\n") != NULL);
    free(text);
    tt_client_free(&cl);
    CHECK_EQ(count_lines(klog), 5);
    sv.ctx = sb;
    CHECK_EQ(tt_request_resumed(&l, cctx, "london.lab", req), 1);
    CHECK_EQ(nst_tls_ctx_stats(sb)->handshakes_resumed, 1);
    CHECK_EQ(count_lines(klog), 10);
    tt_server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sa);
    nst_tls_ctx_free(sb);
    free(req);
    tt_lab_down(&l);
}

/* TLS 1.2 without tickets: the server keeps the session in its cache and
 * the client resumes by session ID (RFC 5246 7.3). */
static void test_tls12_session_id_resumption(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 34, 0);
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert = tt_pki.cert;
    c.key = tt_pki.key;
    c.max_version = NST_TLS1_2;
    c.tickets = 0;
    struct nst_tls_ctx *sctx, *cctx = tt_client_ctx(NST_TLS1_2, NST_TLS1_2, 0, NULL);
    CHECK_EQ(nst_tls_ctx_new(&c, &sctx, NULL), 0);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, sctx, TT_PORT);
    uint8_t *req = tt_pattern(TT_REQ_LEN, 10);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(tt_request_resumed(&l, cctx, "london.lab", req), i);
    CHECK_EQ(nst_tls_ctx_stats(sctx)->handshakes_resumed, 1);
    tt_server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    tt_lab_down(&l);
}

/* Many connections on one stack at once, both versions, some resuming:
 * each echo intact, the counters add up. */
static void test_many_connections(void)
{
    enum { N = TT_MAX_CONNS, LEN = 64 * 1024 };
    struct tt_lab l;
    tt_lab_up(&l, 35, 0.005);
    struct nst_tls_ctx *sctx = tt_server_ctx(NST_TLS1_2, NST_TLS1_3, 0, NULL);
    struct nst_tls_ctx *c12 = tt_client_ctx(NST_TLS1_2, NST_TLS1_2, 0, NULL);
    struct nst_tls_ctx *c13 = tt_client_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, sctx, TT_PORT);
    uint8_t *data = tt_pattern(LEN, 35);
    /* Prime one session per version, then open N - 2 at once. */
    CHECK_EQ(tt_request_resumed(&l, c12, "london.lab", data), 0);
    CHECK_EQ(tt_request_resumed(&l, c13, "london.lab", data), 0);
    static struct tt_client c[N - 2];
    for (int i = 0; i < N - 2; i++)
        tt_client_open(&c[i], &l, i % 2 ? c13 : c12, "london.lab", TT_PORT, data, LEN);
    nst_world_run_for(l.w, NST_SEC(60));
    int resumed = 0;
    for (int i = 0; i < N - 2; i++) {
        CHECK_EQ(c[i].err, 0);
        CHECK_EQ(c[i].got_len, LEN);
        CHECK_MEM(c[i].got, data, LEN);
        struct nst_tls_info ci;
        nst_tls_get_info(c[i].s, &ci);
        CHECK_EQ(ci.version, i % 2 ? NST_TLS1_3 : NST_TLS1_2);
        resumed += ci.resumed;
        tt_client_free(&c[i]);
    }
    /* One cached session per version: the TLS 1.2 one is reusable, a TLS 1.3
     * ticket is used once (the first 1.3 connection to ask gets it). */
    const struct nst_tls_stats *ss = nst_tls_ctx_stats(sctx);
    CHECK_EQ(resumed, (N - 2) / 2 + 1);
    CHECK_EQ(ss->handshakes_resumed, (uint64_t)resumed);
    CHECK_EQ(ss->handshakes_full + ss->handshakes_resumed, N);
    CHECK_EQ(ss->handshake_failures, 0);
    tt_server_stop(&sv);
    nst_tls_ctx_free(c12);
    nst_tls_ctx_free(c13);
    nst_tls_ctx_free(sctx);
    free(data);
    tt_lab_down(&l);
}

/* Ticket key rotation (RFC 5077 4): the previous key still opens tickets
 * (and the server issues one under the current key); older ones mean a
 * full handshake. Both versions. */
static void test_ticket_key_rotation(void)
{
    uint8_t keys[6][80];
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < 80; i++)
            keys[k][i] = (uint8_t)(k * 31 + i);
    for (int v = NST_TLS1_2; v <= NST_TLS1_3; v++) {
        struct tt_fix f;
        tt_fix_up(&f, 36 + (uint64_t)v, 0, v, 0, 0);
        struct nst_tls_ctx *sctx = f.sctx, *cctx = f.cctx;
        struct tt_lab *l = &f.l;
        const uint8_t *req = f.req;
        CHECK_EQ(nst_tls_ctx_set_ticket_keys(sctx, keys[1]), 0);
        CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), 0);
        CHECK_EQ(nst_tls_ctx_rotate_ticket_keys(sctx, keys[2]), 0);
        CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), 1); /* under the previous key */
        CHECK_EQ(nst_tls_ctx_rotate_ticket_keys(sctx, keys[3]), 0);
        CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), 1); /* the fresh ticket, key 2 */
        CHECK_EQ(nst_tls_ctx_rotate_ticket_keys(sctx, keys[4]), 0);
        CHECK_EQ(nst_tls_ctx_rotate_ticket_keys(sctx, keys[5]), 0);
        CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), 0); /* key 3: too old */
        CHECK_EQ(tt_request_resumed(l, cctx, "london.lab", req), 1);
        CHECK_EQ(nst_tls_ctx_rotate_ticket_keys(cctx, keys[0]), -EINVAL);
        tt_fix_down(&f);
    }
}

int main(void)
{
    tt_init();
    RUN(test_first_request_byte_timings);
    RUN(test_bulk_echo_lossy_tls12);
    RUN(test_bulk_echo_lossy_tls13);
    RUN(test_plain_stream_echo);
    RUN(test_resumption_through_cache);
    RUN(test_early_data_rejected_resent);
    RUN(test_early_answer_half_rtt);
    RUN(test_early_answer_lossy);
    RUN(test_tls12_session_id_resumption);
    RUN(test_ticket_key_rotation);
    RUN(test_many_connections);
    RUN(test_alpn_sni_keylog);
    RUN(test_files_ticket_keys_keylog_ss);
    tt_fini();
    return nst_test_done();
}
