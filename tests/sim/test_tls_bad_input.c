/* TLS over nstack TCP on the simulator, when it fails (src/app/,
 * include/nstack/tls.h): certificate verification (hostname, unknown CA)
 * and version mismatch with the alert each side sees; bad peers (garbage,
 * a truncated record, an alert first, a malformed ClientHello, silence, a
 * FIN mid-handshake) with a good connection running beside them; handshake
 * timeouts at their exact virtual times; truncation after the handshake is
 * an error, never a clean end. */
#include "support/tls_util.h"
#include "test.h"

#include <errno.h>

/* ---- 5. failures: verification, versions -------------------------------- */

static int both_failed(void *arg)
{
    void **v = arg;
    struct tt_client *c = v[0];
    struct tt_server *sv = v[1];
    return c->err && sv->n > 0 && sv->c[0].err;
}

/* alert: the one alert the failing side sends (RFC 8446 6.2), by the
 * client (alert_by_client) or the server; it is counted on both sides. */
static void failing_handshake(struct nst_tls_config *cc, int smin, int smax, const char *host, int want_client_err,
                              const char *want_client_str, int want_server_err, const char *want_server_str,
                              int alert, int alert_by_client)
{
    struct tt_lab l;
    tt_lab_up(&l, 51, 0);
    struct nst_tls_ctx *sctx = tt_server_ctx(smin, smax, 0, NULL), *cctx;
    CHECK_EQ(nst_tls_ctx_new(cc, &cctx, NULL), 0);
    struct tt_server sv;
    tt_server_start(&sv, l.ldn, sctx, TT_PORT);
    uint8_t *req = tt_pattern(TT_REQ_LEN, 6);
    struct tt_client c;
    tt_client_open(&c, &l, cctx, host, TT_PORT, req, TT_REQ_LEN);
    void *both[2] = {&c, &sv};
    CHECK(nst_world_run_until_cond(l.w, both_failed, both, nst_world_now(l.w) + NST_SEC(5)));
    fprintf(stderr, "  client: %s; server: %s\n", nst_stream_error_string(c.s),
            sv.n ? nst_stream_error_string(sv.c[0].s) : "-");
    CHECK_EQ(c.err, want_client_err);
    CHECK(strstr(nst_stream_error_string(c.s), want_client_str) != NULL);
    CHECK(nst_stream_events(c.s) & NST_EV_ERR);
    CHECK_EQ(nst_stream_established(c.s), want_client_err);
    CHECK_EQ(sv.c[0].err, want_server_err);
    CHECK(strstr(nst_stream_error_string(sv.c[0].s), want_server_str) != NULL);
    CHECK_EQ(sv.c[0].in, 0);
    const struct nst_tls_stats *cs = nst_tls_ctx_stats(cctx), *ss = nst_tls_ctx_stats(sctx);
    CHECK_EQ(cs->handshake_failures, 1);
    CHECK_EQ(ss->handshake_failures, 1);
    const struct nst_tls_stats *from = alert_by_client ? cs : ss, *to = alert_by_client ? ss : cs;
    CHECK_EQ(from->alerts_sent, 1);
    CHECK_EQ(from->alert_sent[alert], 1);
    CHECK_EQ(to->alerts_received, 1);
    CHECK_EQ(to->alert_received[alert], 1);
    CHECK_EQ(from->alerts_received + to->alerts_sent, 0);
    tt_client_free(&c);
    tt_server_stop(&sv);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    tt_lab_down(&l);
}

static void test_hostname_mismatch(void)
{
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = tt_pki.ca_cert;
    failing_handshake(&cc, NST_TLS1_2, NST_TLS1_3, "paris.lab", -EKEYREJECTED, "hostname mismatch", -EPROTO,
                      "TLS alert received: bad_certificate", 42, 1);
}

static void test_unknown_ca(void)
{
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = tt_pki.cert; /* trusts the server's certificate, but not as a root: no chain */
    failing_handshake(&cc, NST_TLS1_2, NST_TLS1_3, "london.lab", -EKEYREJECTED,
                      "certificate verify failed: unable to get local issuer certificate", -EPROTO,
                      "TLS alert received: unknown_ca", 48, 1);
}

static void test_version_mismatch(void)
{
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = tt_pki.ca_cert;
    cc.max_version = NST_TLS1_2;
    /* RFC 8446 4.2.1: a server that cannot agree answers protocol_version. */
    failing_handshake(&cc, NST_TLS1_3, NST_TLS1_3, "london.lab", -EPROTO, "alert received: protocol_version",
                      -EPROTO, "unsupported protocol (alert sent: protocol_version)", 70, 0);
}


struct bad_run {
    struct tt_client *good;
    struct tt_server *sv;
    uint16_t ports[6];
};

static int bad_run_done(void *arg)
{
    struct bad_run *b = arg;
    if (!b->good->t_done)
        return 0;
    for (int i = 0; i < 6; i++) {
        struct tt_sconn *c = tt_sconn_by_port(b->sv, b->ports[i]);
        if (!c || !c->err)
            return 0;
    }
    return 1;
}

static void test_bad_peers_beside_a_good_one(void)
{
    enum { LEN = 1 << 20 };
    struct tt_fix f;
    tt_fix_up(&f, 61, 0, 0, 0, 0);
    struct tt_lab *l = &f.l;
    struct nst_tls_ctx *sctx = f.sctx, *cctx = f.cctx;
    struct tt_server *sv = &f.sv;
    uint8_t *data = tt_pattern(LEN, 61);
    struct tt_client good, midway;
    tt_client_open(&good, l, cctx, "london.lab", TT_PORT, data, LEN);
    /* Raw TCP peers: garbage, a truncated record then FIN, an alert, and
     * one that says nothing; and a TLS client that leaves mid-handshake. */
    int garbage = tt_client_fd(l, TT_PORT), trunc = tt_client_fd(l, TT_PORT), alert = tt_client_fd(l, TT_PORT),
        silent = tt_client_fd(l, TT_PORT), malformed = tt_client_fd(l, TT_PORT);
    tt_client_open(&midway, l, cctx, "london.lab", TT_PORT, data, 0);
    nst_time_t t0 = nst_world_now(l->w);
    nst_world_run_for(l->w, NST_MSEC(81)); /* every TCP handshake done */
    static const char junk[] = "this is not a ClientHello\r\n\r\n";
    static const uint8_t partial[] = {22, 3, 1, 1, 0, 1, 0, 0, 252, 3, 3}; /* 256 bytes promised, 6 given */
    static const uint8_t fatal[] = {21, 3, 3, 0, 2, 2, 40};               /* fatal handshake_failure */
    static const uint8_t bad_hello[] = {22, 3, 1, 0, 8, 1, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef}; /* a 4-byte ClientHello */
    CHECK_EQ(nst_send(l->ny, garbage, junk, sizeof(junk) - 1, 0), (ssize_t)sizeof(junk) - 1);
    CHECK_EQ(nst_send(l->ny, trunc, partial, sizeof(partial), 0), (ssize_t)sizeof(partial));
    CHECK_EQ(nst_shutdown(l->ny, trunc, NST_SHUT_WR), 0);
    CHECK_EQ(nst_send(l->ny, alert, fatal, sizeof(fatal), 0), (ssize_t)sizeof(fatal));
    CHECK_EQ(nst_send(l->ny, malformed, bad_hello, sizeof(bad_hello), 0), (ssize_t)sizeof(bad_hello));
    nst_world_run_until(l->w, t0 + NST_MSEC(130)); /* the ClientHello is at the server, its answer on the way */
    uint16_t midway_port = tt_local_port(midway.s);
    nst_stream_close(midway.s); /* FIN, no close_notify */
    midway.s = NULL;
    struct bad_run br = {&good, sv, {tt_fd_port(l->ny, garbage), tt_fd_port(l->ny, trunc), tt_fd_port(l->ny, alert),
                                      tt_fd_port(l->ny, silent), midway_port, tt_fd_port(l->ny, malformed)}};
    CHECK(nst_world_run_until_cond(l->w, bad_run_done, &br, t0 + NST_SEC(30)));

    /* The good connection: every byte back, in order. */
    CHECK_EQ(good.err, 0);
    CHECK_EQ(good.got_len, LEN);
    CHECK_MEM(good.got, data, LEN);
    struct tt_sconn *g = tt_sconn_by_port(sv, tt_local_port(good.s));
    CHECK(g && g->err == 0 && g->in == LEN);

    /* Not TLS at all: OpenSSL answers no alert to a peer that does not
     * speak TLS records (there is no version to answer in). */
    struct tt_sconn *c = tt_sconn_by_port(sv, br.ports[0]);
    CHECK_EQ(c->err, -EPROTO);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "TLS error during the handshake: wrong version number"), 0);
    CHECK_EQ(c->info.alert_sent, -1);
    c = tt_sconn_by_port(sv, br.ports[1]);
    CHECK_EQ(c->err, -ECONNABORTED);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "peer closed the connection during the handshake"), 0);
    /* An alert where a ClientHello must come: unexpected_message back
     * (RFC 8446 5.1: the first record must be a handshake record). */
    c = tt_sconn_by_port(sv, br.ports[2]);
    CHECK_EQ(c->err, -EPROTO);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s),
                    "TLS error during the handshake: unexpected message (alert sent: unexpected_message)"), 0);
    CHECK_EQ(c->info.alert_sent, 10);
    c = tt_sconn_by_port(sv, br.ports[3]);
    CHECK_EQ(c->err, -ETIMEDOUT);
    CHECK_EQ(c->t_err, c->t_accept + NST_SEC(10)); /* the handshake timeout, to the nanosecond */
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "TLS handshake timed out after 10000 ms"), 0);
    CHECK(nst_stream_events(c->s) & NST_EV_ERR);
    c = tt_sconn_by_port(sv, br.ports[4]);
    CHECK_EQ(c->err, -ECONNABORTED);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s), "peer closed the connection during the handshake"), 0);
    /* A ClientHello too short to parse: decode_error (RFC 8446 6.2). */
    c = tt_sconn_by_port(sv, br.ports[5]);
    CHECK_EQ(c->err, -EPROTO);
    CHECK_EQ(strcmp(nst_stream_error_string(c->s),
                    "TLS error during the handshake: length mismatch (alert sent: decode_error)"), 0);
    CHECK_EQ(c->info.alert_sent, 50);

    const struct nst_tls_stats *ss = nst_tls_ctx_stats(sctx);
    CHECK_EQ(ss->handshakes_started, 7);
    CHECK_EQ(ss->handshakes_full, 1);
    CHECK_EQ(ss->handshake_failures, 6);
    CHECK_EQ(ss->handshake_timeouts, 1);
    CHECK_EQ(ss->alerts_received, 0);
    CHECK_EQ(ss->alert_sent[10], 1);
    CHECK_EQ(ss->alert_sent[50], 1);
    CHECK_EQ(ss->alerts_sent, 2);
    nst_close(l->ny, garbage);
    nst_close(l->ny, trunc);
    nst_close(l->ny, alert);
    nst_close(l->ny, silent);
    nst_close(l->ny, malformed);
    tt_client_free(&good);
    free(midway.got);
    free(data);
    tt_fix_down(&f);
}

/* A server that accepts and never answers: the client's handshake times
 * out at the configured moment after TCP was established. */
static void test_client_handshake_timeout(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 62, 0);
    int lfd = nst_socket(l.ldn, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, TT_PORT};
    CHECK_EQ(nst_bind(l.ldn, lfd, &a), 0);
    CHECK_EQ(nst_listen(l.ldn, lfd, 4), 0); /* TCP completes; nobody reads */
    struct nst_tls_config cc;
    nst_tls_config_default(&cc, NST_TLS_CLIENT);
    cc.ca_cert = tt_pki.ca_cert;
    cc.handshake_timeout = NST_SEC(3);
    struct nst_tls_ctx *cctx;
    CHECK_EQ(nst_tls_ctx_new(&cc, &cctx, NULL), 0);
    uint8_t req[TT_REQ_LEN] = {0};
    struct tt_client c;
    nst_time_t t0 = nst_world_now(l.w);
    tt_client_open(&c, &l, cctx, "london.lab", TT_PORT, req, TT_REQ_LEN);
    CHECK(nst_world_run_until_cond(l.w, tt_client_done, &c, t0 + NST_SEC(10)));
    struct nst_tls_info ci;
    nst_tls_get_info(c.s, &ci);
    CHECK_EQ(c.err, -ETIMEDOUT);
    CHECK_EQ(ci.handshake_start, t0 + NST_MSEC(80) + 4736); /* when TCP was established */
    CHECK_EQ(c.t_err, ci.handshake_start + NST_SEC(3));
    CHECK_EQ(strcmp(nst_stream_error_string(c.s), "TLS handshake timed out after 3000 ms"), 0);
    CHECK_EQ(nst_tls_ctx_stats(cctx)->handshake_timeouts, 1);
    tt_client_free(&c);
    nst_close(l.ldn, lfd);
    nst_tls_ctx_free(cctx);
    tt_lab_down(&l);
}

/* A truncation after the handshake: a peer that FINs without close_notify
 * is an error on the stream, never a clean end. */
static void test_truncation_is_not_eof(void)
{
    struct tt_fix f;
    tt_fix_up(&f, 63, 0, NST_TLS1_3, 0, 0);
    struct tt_client c;
    CHECK_EQ(tt_one_request(&f.l, &c, f.cctx, "london.lab", f.req), 0);
    /* The server's TCP sends FIN under the TLS layer's feet. */
    CHECK_EQ(nst_shutdown(f.l.ldn, nst_stream_fd(f.sv.c[0].s), NST_SHUT_WR), 0);
    CHECK(nst_world_run_until_cond(f.l.w, tt_client_closed, &c, nst_world_now(f.l.w) + NST_SEC(2)));
    CHECK_EQ(c.eof, 0);
    CHECK_EQ(c.err, -ECONNABORTED);
    CHECK_EQ(strcmp(nst_stream_error_string(c.s), "TCP FIN without close_notify (truncated)"), 0);
    CHECK_EQ(nst_tls_ctx_stats(f.cctx)->truncations, 1);
    tt_client_free(&c);
    tt_fix_down(&f);
}

/* TCP's own errors pass through a TLS stream: a refused connect before the
 * handshake, a reset during it. */
static void test_tcp_errors_pass_through(void)
{
    struct tt_lab l;
    tt_lab_up(&l, 64, 0);
    struct nst_tls_ctx *sctx = tt_server_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    struct nst_tls_ctx *cctx = tt_client_ctx(NST_TLS1_3, NST_TLS1_3, 0, NULL);
    uint8_t *req = tt_pattern(TT_REQ_LEN, 9);
    struct tt_client c;
    tt_client_open(&c, &l, cctx, "london.lab", TT_PORT, req, TT_REQ_LEN); /* nobody listens yet */
    CHECK(nst_world_run_until_cond(l.w, tt_client_done, &c, nst_world_now(l.w) + NST_SEC(2)));
    CHECK_EQ(c.err, -ECONNREFUSED);
    CHECK_EQ(strcmp(nst_stream_error_string(c.s), "TCP: Connection refused"), 0);
    CHECK_EQ(nst_tls_ctx_stats(cctx)->handshakes_started, 0);
    tt_client_free(&c);

    /* A server that takes the ClientHello and aborts (SO_LINGER 0: RST). */
    int lfd = nst_socket(l.ldn, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, TT_PORT};
    CHECK_EQ(nst_bind(l.ldn, lfd, &a), 0);
    CHECK_EQ(nst_listen(l.ldn, lfd, 4), 0);
    nst_time_t t0 = nst_world_now(l.w);
    tt_client_open(&c, &l, cctx, "london.lab", TT_PORT, req, TT_REQ_LEN);
    nst_world_run_until(l.w, t0 + NST_MSEC(125)); /* the ClientHello is in */
    int cfd = nst_accept(l.ldn, lfd, NULL);
    CHECK(cfd >= 0);
    struct nst_linger lg = {1, 0};
    CHECK_EQ(nst_setsockopt(l.ldn, cfd, NST_SOL_SOCKET, NST_SO_LINGER, &lg, sizeof(lg)), 0);
    CHECK_EQ(nst_close(l.ldn, cfd), 0);
    CHECK(nst_world_run_until_cond(l.w, tt_client_done, &c, t0 + NST_SEC(2)));
    CHECK_EQ(c.err, -ECONNRESET);
    CHECK_EQ(strcmp(nst_stream_error_string(c.s), "TCP: Connection reset by peer during the handshake"), 0);
    CHECK_EQ(nst_tls_ctx_stats(cctx)->handshake_failures, 1);
    tt_client_free(&c);
    nst_close(l.ldn, lfd);
    nst_tls_ctx_free(cctx);
    nst_tls_ctx_free(sctx);
    free(req);
    tt_lab_down(&l);
}

int main(void)
{
    tt_init();
    RUN(test_hostname_mismatch);
    RUN(test_unknown_ca);
    RUN(test_version_mismatch);
    RUN(test_bad_peers_beside_a_good_one);
    RUN(test_client_handshake_timeout);
    RUN(test_truncation_is_not_eof);
    RUN(test_tcp_errors_pass_through);
    tt_fini();
    return nst_test_done();
}
