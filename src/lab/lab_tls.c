/* The article's HTTPS claims, measured on the New York - London path: the
 * time from the SYN to the first request byte leaving New York is one round
 * trip (80 ms) for plain TCP, two for TLS 1.3 (160 ms), three for TLS 1.2
 * (240 ms), two for a resumed TLS 1.2 session (160 ms) and one again for a
 * resumed TLS 1.3 session with 0-RTT (the request rides with the
 * ClientHello). Each case gets its ladder picture, its capture and the
 * keylog that lets Wireshark/tshark decrypt it.
 *
 * This file needs TLS: it is built into nstack_app (CMakeLists.txt), not
 * libnstack, and reaches `nstack demo` through nst_demo_opts.more. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nstack/stream.h>
#include <nstack/tls.h>

#include "lab/lab_svg.h"
#include "wire/tcp.h"

#define TLS_PORT 443
#define LADDER_MAX 48
#define WIRE_MAX 65536 /* bytes of one direction's stream we read records from */

/* The request and the response are found on the wire by the length of the
 * record that carries each (sealed_len). */
static const char request[] = "GET / HTTP/1.1\r\nHost: london.lab\r\nUser-Agent: nstack-lab\r\n"
                              "Accept: text/plain\r\nConnection: close\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
                               "Connection: close\r\n\r\nhello from London\n";
#define REQ_LEN (sizeof(request) - 1)
#define RESP_LEN (sizeof(response) - 1)

enum tls_case { PLAIN, TLS13_FULL, TLS12_FULL, TLS12_RESUMED, TLS13_0RTT, TLS13_0RTT_TFO, N_CASES };

static const struct tls_case_def {
    const char *file;    /* tls-<file>.pcap, .svg, .keylog */
    const char *title;
    int version;         /* 0: plain TCP */
    int resume, early;
    int round_trips;     /* before the first request byte, SYN's included */
    int answer_trips;    /* before the answer reaches New York */
    int tfo;             /* over TCP Fast Open (RFC 7413) */
} cases[N_CASES] = {
    {"plain", "plain TCP", 0, 0, 0, 1, 2},
    {"1.3-full", "TLS 1.3, full handshake", NST_TLS1_3, 0, 0, 2, 3},
    {"1.2-full", "TLS 1.2, full handshake", NST_TLS1_2, 0, 0, 3, 4},
    {"1.2-resumed", "TLS 1.2, resumed session", NST_TLS1_2, 1, 0, 2, 3},
    /* London has the request after 1.5 round trips and answers at once,
     * as 0.5-RTT data in its ServerHello..Finished flight: 2 round trips,
     * one fewer than a full TLS 1.3 handshake. */
    {"1.3-0rtt", "TLS 1.3, resumed with 0-RTT", NST_TLS1_3, 1, 1, 1, 2},
    /* The first fetch also got a Fast Open cookie: the ClientHello and the
     * 0-RTT request ride in the SYN itself, zero round trips; London
     * answers with its SYN-ACK (0.5-RTT data before the handshake's ACK):
     * the answer is there after one round trip. */
    {"1.3-0rtt-tfo", "TLS 1.3 0-RTT, Fast Open", NST_TLS1_3, 1, 1, 0, 1, 1},
};

/* ---- watching the wire --------------------------------------------------- */

/* One direction of the measured connection, as bytes in stream order, with
 * the record boundaries already named. */
struct wire_dir {
    uint32_t isn;
    int after_ccs;           /* TLS 1.2: records after ChangeCipherSpec are encrypted */
    size_t next_rec;         /* offset of the next record header not yet read */
    size_t len;
    uint8_t buf[WIRE_MAX];
};

struct seg {
    int from_ny;
    nst_time_t sent, arrived; /* arrived 0: not yet */
    uint32_t seq, len;
    uint8_t flags;
    int what;                 /* HAS_REQUEST, HAS_RESPONSE */
    char label[96];
};

#define HAS_REQUEST 1  /* the request's first record starts in this segment */
#define HAS_RESPONSE 2 /* the response's */

struct wire {
    uint16_t port;                  /* New York's port of the measured connection; 0: any */
    int tls;
    struct wire_dir dir[2];         /* 0: New York to London */
    struct seg seg[LADDER_MAX];
    int n;
    nst_time_t syn, request;        /* when New York sent them; -1 not yet */
    nst_time_t response;            /* when the response reached New York; -1 not yet */
};

static const char *handshake_name(int type)
{
    switch (type) {
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 14: return "ServerHelloDone";
    case 16: return "ClientKeyExchange";
    default: return "handshake";
    }
}

static void add_name(char *label, size_t size, const char *name)
{
    size_t used = strlen(label);
    /* "ServerHello, Certificate, Certificate" says nothing more. */
    const char *last = strrchr(label, ',');
    last = last ? last + 2 : label;
    if (strcmp(last, name) == 0 || used + strlen(name) + 3 >= size)
        return;
    snprintf(label + used, size - used, "%s%s", used ? ", " : "", name);
}

/* Is rl the length of a record sealing len bytes with AES-GCM? TLS 1.3
 * adds the inner content type and the 16-byte tag; TLS 1.2 the 8-byte
 * explicit nonce and the tag. The request and the response each go in one
 * record; no handshake record has either length here. */
static int sealed_len(size_t rl, size_t len) { return rl == len + 1 + 16 || rl == len + 8 + 16; }

/* Names the records that begin in the bytes just added to d, into label;
 * from_ny tells who sends them. Returns HAS_* for what began there. */
static int name_records(struct wire_dir *d, int from_ny, char *label, size_t size)
{
    int what = 0;
    while (d->next_rec + 5 <= d->len) {
        const uint8_t *r = d->buf + d->next_rec;
        size_t rl = (size_t)r[3] << 8 | r[4];
        const char *name;
        if (r[0] == 20) {
            name = "ChangeCipherSpec";
            d->after_ccs = 1;
        } else if (r[0] == 21) {
            name = "alert";
        } else if (r[0] == 22) {
            if (d->after_ccs)
                name = "Finished";
            else if (d->next_rec + 6 <= d->len)
                name = handshake_name(r[5]);
            else
                break; /* its type is in the next segment */
        } else if (r[0] == 23 && from_ny && sealed_len(rl, REQ_LEN)) {
            name = "HTTP request";
            what |= HAS_REQUEST;
        } else if (r[0] == 23 && !from_ny && sealed_len(rl, RESP_LEN)) {
            name = "HTTP response";
            what |= HAS_RESPONSE;
        } else if (r[0] == 23 && rl == 2 + 1 + 16) {
            name = "alert"; /* TLS 1.3 hides the type: 2 bytes, the inner type, the tag */
        } else if (r[0] == 23) {
            name = "encrypted handshake";
        } else {
            name = "?";
        }
        add_name(label, size, name);
        d->next_rec += 5 + rl;
    }
    return what;
}

/* A data segment: its bytes into the direction's stream, its label and
 * what (HAS_*) begins in it. */
static void read_payload(struct wire *w, struct seg *s, const uint8_t *f, const struct nst_tcp_repr *t)
{
    struct wire_dir *d = &w->dir[!s->from_ny];
    /* A SYN's data (RFC 7413) starts after the SYN's sequence number. */
    uint32_t start = s->seq + ((s->flags & NST_TCP_SYN) ? 1u : 0u);
    size_t off = (size_t)(start - d->isn - 1);
    if (off != d->len || off + s->len > sizeof(d->buf))
        return; /* a retransmission (none on this clean path) or too far */
    /* Ethernet, then IPv4 (its header length in its first byte), then TCP. */
    const uint8_t *data = f + 14 + (size_t)(f[14] & 0xf) * 4 + t->hdr_len;
    memcpy(d->buf + off, data, s->len);
    d->len += s->len;
    if (!w->tls) {
        snprintf(s->label, sizeof(s->label), s->from_ny ? "HTTP request" : "HTTP response");
        s->what = off == 0 ? (s->from_ny ? HAS_REQUEST : HAS_RESPONSE) : 0;
        return;
    }
    s->label[0] = 0;
    s->what = name_records(d, s->from_ny, s->label, sizeof(s->label));
    if (!s->label[0])
        snprintf(s->label, sizeof(s->label), "(continued)");
}

static void seg_flags_label(struct seg *s)
{
    if ((s->flags & (NST_TCP_SYN | NST_TCP_ACK)) == (NST_TCP_SYN | NST_TCP_ACK))
        snprintf(s->label, sizeof(s->label), "SYN-ACK");
    else if (s->flags & NST_TCP_SYN)
        snprintf(s->label, sizeof(s->label), "SYN");
    else if (s->flags & NST_TCP_FIN)
        snprintf(s->label, sizeof(s->label), "FIN");
    else
        snprintf(s->label, sizeof(s->label), "ACK");
}

/* New York's edge (link 0): a segment New York sends (dir 0, offered) of
 * the measured connection (its port: the first SYN seen). */
static void on_ny_sends(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f, size_t len)
{
    struct wire *w = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    if (ev != NST_SIM_OFFERED || dir != 0 || !nst_lab_frame_tcp(f, len, &t, &payload))
        return;
    if ((t.flags & NST_TCP_SYN) && !w->port)
        w->port = t.src_port;
    if (t.src_port != w->port || w->n >= LADDER_MAX)
        return;
    struct seg *s = &w->seg[w->n++];
    *s = (struct seg){.from_ny = 1, .sent = now, .seq = t.seq, .len = payload, .flags = t.flags};
    if (t.flags & NST_TCP_SYN) {
        w->syn = now;
        w->dir[0].isn = t.seq;
    }
    if (payload)
        read_payload(w, s, f, &t);
    if ((s->what & HAS_REQUEST) && w->request < 0)
        w->request = now;
    if (!payload) {
        seg_flags_label(s);
    } else if (t.flags & NST_TCP_SYN) {
        /* Fast Open: the SYN carries records. */
        char records[sizeof(s->label) - 8];
        snprintf(records, sizeof(records), "%s", s->label);
        snprintf(s->label, sizeof(s->label), "SYN + %s", records);
    }
}

/* London's edge (link 3): what London sends (dir 1, offered) and gets
 * (dir 0, delivered). Arrivals complete the arrows. */
static void on_london_link(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f,
                           size_t len)
{
    struct wire *w = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    if (!nst_lab_frame_tcp(f, len, &t, &payload))
        return;
    if (ev == NST_SIM_DELIVERED && dir == 0 && t.src_port == w->port) {
        for (int i = 0; i < w->n; i++) {
            struct seg *s = &w->seg[i];
            if (s->from_ny && !s->arrived && s->seq == t.seq && s->len == payload && s->flags == t.flags) {
                s->arrived = now;
                break;
            }
        }
    } else if (ev == NST_SIM_OFFERED && dir == 1 && t.dst_port == w->port && w->port && w->n < LADDER_MAX) {
        struct seg *s = &w->seg[w->n++];
        *s = (struct seg){.from_ny = 0, .sent = now, .seq = t.seq, .len = payload, .flags = t.flags};
        if (t.flags & NST_TCP_SYN)
            w->dir[1].isn = t.seq;
        if (payload)
            read_payload(w, s, f, &t);
        else
            seg_flags_label(s);
    }
}

/* New York's edge: one of London's segments arriving (dir 1, delivered)
 * completes its arrow. */
static void on_ny_arrival(struct wire *w, const struct nst_tcp_repr *t, uint32_t payload, nst_time_t now)
{
    for (int i = 0; i < w->n; i++) {
        struct seg *s = &w->seg[i];
        if (!s->from_ny && !s->arrived && s->seq == t->seq && s->len == payload && s->flags == t->flags) {
            s->arrived = now;
            if ((s->what & HAS_RESPONSE) && w->response < 0)
                w->response = now;
            return;
        }
    }
}

static void on_ny_edge(void *arg, enum nst_sim_frame_event ev, int dir, nst_time_t now, const uint8_t *f, size_t len)
{
    struct wire *w = arg;
    struct nst_tcp_repr t;
    uint32_t payload;
    if (ev == NST_SIM_DELIVERED && dir == 1 && w->port && nst_lab_frame_tcp(f, len, &t, &payload) &&
        t.dst_port == w->port)
        on_ny_arrival(w, &t, payload, now);
    else
        on_ny_sends(arg, ev, dir, now, f, len);
}

/* ---- London's HTTP responder and New York's client, over streams ---------- */

struct peer {
    struct nst_stream *s;
    char in[1024];
    size_t got, sent;
    int eof, err, early, answered;
};

struct scene {
    struct nst_lab_path p;
    struct nst_tls_ctx *sctx, *cctx; /* NULL: plain TCP */
    int lfd;
    int tfo;                         /* connect with NST_TCP_FASTOPEN_CONNECT */
    struct peer server, client;
};

/* Reads what is there (up to sizeof(in) kept, the rest counted out);
 * notes the end (EOF), an error, and whether any bytes were 0-RTT. */
static void peer_read(struct peer *c)
{
    for (;;) {
        char sink[512];
        size_t room = sizeof(c->in) - c->got;
        ssize_t r = nst_stream_read(c->s, room ? c->in + c->got : sink, room ? room : sizeof(sink));
        if (r > 0) {
            if (room)
                c->got += (size_t)r;
            c->early |= nst_stream_read_was_early(c->s);
            continue;
        }
        if (r == 0)
            c->eof = 1;
        else if (r != -EAGAIN && !c->err)
            c->err = (int)r;
        return;
    }
}

/* Writes what is left of msg; -EAGAIN until the stream takes it. */
static void peer_write(struct peer *c, const char *msg, size_t len)
{
    while (c->sent < len) {
        ssize_t w = nst_stream_write(c->s, msg + c->sent, len - c->sent);
        if (w < 0) {
            if (w != -EAGAIN && !c->err)
                c->err = (int)w;
            return;
        }
        c->sent += (size_t)w;
    }
}

static void on_server(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    struct peer *c = arg;
    peer_read(c);
    if (!c->answered && c->got >= REQ_LEN && memmem(c->in, c->got, "\r\n\r\n", 4))
        c->answered = 1;
    if (c->answered && c->sent < RESP_LEN) {
        peer_write(c, response, RESP_LEN);
        if (c->sent == RESP_LEN)
            nst_stream_shutdown(c->s); /* Connection: close */
    }
}

static void on_listener(void *arg, int fd, int ev)
{
    struct scene *sc = arg;
    int cfd;
    if (!(ev & NST_EV_IN))
        return;
    while ((cfd = nst_accept(sc->p.london, fd, NULL)) >= 0) {
        if (sc->server.s) /* the priming connection of a resumed case */
            nst_stream_close(sc->server.s);
        memset(&sc->server, 0, sizeof(sc->server));
        sc->server.s = sc->sctx ? nst_tls_server(sc->sctx, sc->p.london, cfd) : nst_stream_tcp(sc->p.london, cfd);
        if (!sc->server.s) {
            nst_close(sc->p.london, cfd);
            continue;
        }
        nst_stream_set_callback(sc->server.s, on_server, &sc->server);
        /* What came with the connection (Fast Open: the SYN's ClientHello
         * and 0-RTT request) is read now: no further event will say so. */
        on_server(&sc->server, sc->server.s, 0);
    }
}

static void on_client(void *arg, struct nst_stream *s, int ev)
{
    (void)s;
    (void)ev;
    struct peer *c = arg;
    peer_write(c, request, REQ_LEN);
    peer_read(c);
}

static int client_finished(void *arg)
{
    const struct peer *c = arg;
    return c->eof || c->err;
}

/* New York asks London for "/" over a new connection and reads the answer
 * to its end. 0, or why not (-errno). */
static int fetch(struct scene *sc)
{
    struct peer *c = &sc->client;
    struct nst_world *w = sc->p.world;
    if (c->s) {
        /* The previous connection closes first, and its last segments are
         * gone before the next SYN: they would queue ahead of it. */
        nst_stream_close(c->s);
        nst_world_run_for(w, NST_SEC(1));
    }
    memset(c, 0, sizeof(*c));
    int fd = nst_socket(sc->p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr to = {NST_LAB_LONDON_ADDR, TLS_PORT};
    int one = 1;
    if (fd >= 0 && sc->tfo)
        nst_setsockopt(sc->p.ny, fd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN_CONNECT, &one, sizeof(one));
    /* (With a Fast Open cookie connect returns 0: the SYN waits for the
     * first write, the TLS stream's ClientHello.) */
    int r = fd < 0 ? fd : nst_connect(sc->p.ny, fd, &to);
    if (r != -EINPROGRESS && !(r == 0 && sc->tfo))
        return -EIO;
    c->s = sc->cctx ? nst_tls_client(sc->cctx, sc->p.ny, fd, "london.lab", TLS_PORT) : nst_stream_tcp(sc->p.ny, fd);
    if (!c->s)
        return -ENOMEM;
    nst_stream_set_callback(c->s, on_client, c);
    on_client(c, c->s, 0); /* writes now: with 0-RTT the request goes with the ClientHello */
    if (!nst_world_run_until_cond(w, client_finished, c, nst_world_now(w) + NST_SEC(10)))
        return -ETIMEDOUT;
    nst_world_run_for(w, NST_MSEC(100)); /* the last ACKs; TLS 1.3 tickets were read with the answer */
    if (c->err)
        return c->err;
    return c->got == RESP_LEN && memcmp(c->in, response, RESP_LEN) == 0 ? 0 : -EBADMSG;
}

/* ---- one case ---------------------------------------------------------- */

/* The path; for a Fast Open case both hosts allow it (client and server,
 * as Linux's tcp_fastopen = 3). */
static int build_path(const struct nst_demo_opts *o, const struct tls_case_def *cd, struct nst_lab_path *p,
                      const char *cap, FILE *out)
{
    if (!cd->tfo)
        return nst_demo_build_path(o, p, NULL, 0, cap, out);
    struct nst_stack_config hc;
    nst_stack_config_default(&hc);
    hc.tcp.fastopen = 3;
    struct nst_lab_path_opts po;
    nst_lab_path_opts_default(&po);
    po.seed = o->seed;
    po.host_cfg = &hc;
    int err = nst_lab_path_build(p, &po);
    if (err)
        return err;
    nst_lab_capture(o, p->links[0], cap, out);
    return 0;
}

static struct nst_tls_ctx *case_ctx(const struct tls_case_def *cd, enum nst_tls_role role,
                                    const struct nst_tls_test_pki *pki, const char *keylog)
{
    struct nst_tls_config c;
    nst_tls_config_default(&c, role);
    c.min_version = c.max_version = cd->version;
    c.alpn = "http/1.1";
    if (role == NST_TLS_SERVER) {
        c.cert = pki->cert;
        c.key = pki->key;
        c.max_early_data = cd->early ? 16384 : 0;
        c.early_answer = cd->early; /* a GET: safe to answer before the client's Finished */
    } else {
        c.ca_cert = pki->ca_cert;
        c.early_data = cd->early;
        c.keylog_file = keylog;
    }
    struct nst_tls_ctx *ctx = NULL;
    return nst_tls_ctx_new(&c, &ctx, NULL) == 0 ? ctx : NULL;
}

static void ladder(const struct nst_demo_opts *o, const struct tls_case_def *cd, const struct wire *w, FILE *out)
{
    char name[64], path[1024], title[128];
    snprintf(name, sizeof(name), "tls-%s.svg", cd->file);
    if (!nst_lab_out_path(o, name, path, sizeof(path)))
        return;
    struct nst_svg_arrow a[LADDER_MAX];
    int n = 0;
    for (int i = 0; i < w->n; i++)
        if (w->seg[i].arrived)
            a[n++] = (struct nst_svg_arrow){w->seg[i].from_ny, w->seg[i].sent, w->seg[i].arrived, w->seg[i].label};
    snprintf(title, sizeof(title), "%s, New York - London (80 ms round trip)", cd->title);
    nst_lab_picture_note(out, path, nst_svg_ladder(path, title, "New York", "London", a, n));
}

struct case_result {
    nst_time_t delay;      /* SYN to the first request byte; -1 if not seen */
    nst_time_t response;   /* SYN to the response's first record reaching New York; -1 if not seen */
    int fetched, resumed, early_accepted, early_at_london;
    struct nst_tls_info info;
};

static int run_case(const struct nst_demo_opts *o, const struct tls_case_def *cd,
                    const struct nst_tls_test_pki *pki, struct case_result *res, FILE *out)
{
    char name[64], keylog[1024];
    struct scene *sc = calloc(1, sizeof(*sc));
    struct wire *w = calloc(1, sizeof(*w));
    memset(res, 0, sizeof(*res));
    res->delay = res->response = -1;
    snprintf(name, sizeof(name), "tls-%s.pcap", cd->file);
    if (!sc || !w || build_path(o, cd, &sc->p, name, out) < 0) {
        free(sc);
        free(w);
        return -ENOMEM;
    }
    nst_lab_warm_up_arp(&sc->p);
    snprintf(name, sizeof(name), "tls-%s.keylog", cd->file);
    const char *kl = cd->version ? nst_lab_out_path(o, name, keylog, sizeof(keylog)) : NULL;
    if (kl) {
        unlink(kl); /* keylog files are appended to */
        fprintf(out, "  keylog: %s\n", kl);
    }
    int err = 0;
    if (cd->version) {
        sc->sctx = case_ctx(cd, NST_TLS_SERVER, pki, NULL);
        sc->cctx = case_ctx(cd, NST_TLS_CLIENT, pki, kl);
        err = sc->sctx && sc->cctx ? 0 : -EPROTO;
    }
    sc->lfd = nst_lab_listen(sc->p.london, TLS_PORT, 16);
    sc->tfo = cd->tfo;
    int qlen = 16;
    if (cd->tfo && sc->lfd >= 0)
        nst_setsockopt(sc->p.london, sc->lfd, NST_IPPROTO_TCP, NST_TCP_FASTOPEN, &qlen, sizeof(qlen));
    if (!err && (sc->lfd < 0 || nst_socket_set_event_cb(sc->p.london, sc->lfd, on_listener, sc) < 0))
        err = -EIO;
    /* A resumed case first fetches once, to get a session to resume. */
    if (!err && cd->resume)
        err = fetch(sc);
    if (!err) {
        w->syn = w->request = w->response = -1;
        w->tls = cd->version != 0;
        nst_sim_link_observe(sc->p.links[0], on_ny_edge, w);
        nst_sim_link_observe(sc->p.links[3], on_london_link, w);
        err = fetch(sc);
        nst_sim_link_observe(sc->p.links[0], NULL, NULL);
        nst_sim_link_observe(sc->p.links[3], NULL, NULL);
    }
    res->fetched = err == 0;
    if (w->syn >= 0 && w->request >= 0)
        res->delay = w->request - w->syn;
    if (w->syn >= 0 && w->response >= 0)
        res->response = w->response - w->syn;
    if (!err && sc->cctx && nst_tls_get_info(sc->client.s, &res->info) == 0) {
        res->resumed = res->info.resumed;
        res->early_accepted = res->info.early == NST_TLS_EARLY_ACCEPTED;
        res->early_at_london = sc->server.early;
    }
    if (!err)
        ladder(o, cd, w, out);
    if (sc->client.s)
        nst_stream_close(sc->client.s);
    if (sc->server.s)
        nst_stream_close(sc->server.s);
    nst_tls_ctx_free(sc->cctx);
    nst_tls_ctx_free(sc->sctx);
    nst_lab_path_free(&sc->p);
    free(sc);
    free(w);
    return err;
}

const struct nst_demo_scenario nst_demo_app_scenarios[] = {
    {"demultiplexing", "a port picks the listener, the 4-tuple the connection; a closed port answers RST",
     nst_demo_demultiplexing},
    {"error-checked", "1 % of frames get a flipped bit: the checksums drop them, TCP resends, no wrong byte arrives",
     nst_demo_error_checked},
    {"flow-control", "a slow reader's window falls to zero: the sender waits and probes, never past the window",
     nst_demo_flow_control},
    {"congestion-control", "a 10 Mbit/s link with a short queue: TCP fills it, backs off at each drop, never floods it",
     nst_demo_congestion_control},
    {"tls", "HTTPS: TLS 1.3 costs 2 round trips, TLS 1.2 3, resumption 2, 0-RTT 1, 0-RTT over Fast Open 0 (80 ms each)",
     nst_demo_tls},
    {"keep-alive", "10 requests New York -> London: keep-alive saves 9 handshakes (720 ms; 1.44 s with TLS 1.3)",
     nst_demo_keepalive},
    {"timeouts", "a hung server: the connect timeout never fires, the response and read timeouts do",
     nst_demo_timeouts},
    {"h2-multiplex", "100 GETs: HTTP/2 on one connection and one port vs HTTP/1.1 on 1, 6 or 100 connections",
     nst_demo_h2_multiplex},
    {"h2-head-of-line", "2 % loss: one lost segment stalls every HTTP/2 stream behind it (why HTTP/3 exists)",
     nst_demo_h2_head_of_line},
    {"ports-multiplexed", "port-exhaustion's last fix: its load, 16,385 requests, over HTTP/2 on one connection, one port",
     nst_demo_ports_multiplexed},
    {"websocket", "a WebSocket dies at 60 s idle behind a load balancer or a NAT; 30 s pings keep it alive",
     nst_demo_websocket},
    {"cdn-edge", "TTFB London -> New York: 240 ms direct (TCP + TLS 1.3), 95 ms via a warm edge 5 ms away",
     nst_demo_cdn_edge},
    {NULL, NULL, NULL},
};

/* The report's figures of one case: when the request left, in round trips. */
static void tls_figures(const struct nst_demo_opts *o, const struct tls_case_def *cd, const struct case_result *r,
                        int on_time)
{
    char name[96], expected[32];
    snprintf(name, sizeof(name), "%s: SYN to the first request byte", cd->title);
    snprintf(expected, sizeof(expected), "%d ms (%d round trip%s)", cd->round_trips * 80, cd->round_trips,
             cd->round_trips == 1 ? "" : "s");
    nst_lab_figure(o, name, expected, on_time, "ms", "%.6f", (double)r->delay / 1e6);
}

int nst_demo_tls(const struct nst_demo_opts *o, FILE *out)
{
    struct nst_tls_test_pki pki;
    if (nst_tls_make_test_pki(&pki, "london.lab,10.0.4.2", 30) < 0) {
        fprintf(out, "  cannot make the test certificates\n");
        return 1;
    }
    fprintf(out, "New York fetches https://london.lab/ (a throwaway CA made for this run): how long\n"
                 "after its SYN does the first byte of the request leave New York?\n\n");
    struct case_result r[N_CASES];
    int ok = 1;
    for (int i = 0; i < N_CASES; i++) {
        fprintf(out, "%s:\n", cases[i].title);
        int err = run_case(o, &cases[i], &pki, &r[i], out);
        if (err)
            fprintf(out, "  the fetch failed: %s\n", strerror(-err));
        ok &= err == 0;
    }
    nst_tls_test_pki_free(&pki);
    fprintf(out, "\n  %-28s %16s %16s  %s\n", "", "SYN -> request", "SYN -> response", "negotiated");
    for (int i = 0; i < N_CASES; i++) {
        const struct nst_tls_info *in = &r[i].info;
        fprintf(out, "  %-28s %13.6f ms %13.6f ms  %s %s%s%s\n", cases[i].title, (double)r[i].delay / 1e6,
                (double)r[i].response / 1e6,
                cases[i].version ? in->version_name : "TCP", cases[i].version ? in->cipher : "",
                r[i].resumed ? " resumed" : "", r[i].early_accepted ? " 0-RTT" : "");
    }
    fprintf(out, "\n  (\"SYN -> request\": the first request byte leaves New York; \"SYN -> response\": the\n"
                 "  answer's first record reaches it. With 0-RTT London reads the request a round trip\n"
                 "  early and answers at once: the answer leaves as 0.5-RTT data with its Finished, before\n"
                 "  the client's Finished confirms the handshake, a round trip before a full handshake's.)\n\n");
    char what[160];
    for (int i = 0; i < N_CASES; i++) {
        const struct tls_case_def *cd = &cases[i];
        nst_time_t rtts = NST_MSEC(80) * cd->round_trips;
        /* The round trips, plus the serialisation of the frames that had
         * to arrive first (1 Gbit/s links): microseconds, never a millisecond. */
        if (cd->round_trips)
            snprintf(what, sizeof(what), "%s: the request leaves %d ms after the SYN (%d round trip%s)", cd->title,
                     cd->round_trips * 80, cd->round_trips, cd->round_trips == 1 ? "" : "s");
        else
            snprintf(what, sizeof(what), "%s: the request leaves in the SYN (zero round trips)", cd->title);
        int on_time = r[i].fetched && r[i].delay >= rtts && r[i].delay < rtts + NST_USEC(100);
        ok &= nst_lab_check(out, on_time, what);
        tls_figures(o, cd, &r[i], on_time);
        nst_time_t answer = NST_MSEC(80) * cd->answer_trips;
        snprintf(what, sizeof(what), "%s: the answer reaches New York %d ms after the SYN", cd->title,
                 cd->answer_trips * 80);
        ok &= nst_lab_check(out, r[i].response >= answer && r[i].response < answer + NST_USEC(100), what);
        if (cd->version) {
            snprintf(what, sizeof(what), "%s: %s%s%s", cd->title, cd->version == NST_TLS1_3 ? "TLSv1.3" : "TLSv1.2",
                     cd->resume ? ", the session resumed" : ", a full handshake",
                     cd->early ? ", London read the request as 0-RTT early data" : "");
            ok &= nst_lab_check(out, r[i].fetched && r[i].info.version == cd->version && r[i].resumed == cd->resume &&
                                         r[i].early_accepted == cd->early && r[i].early_at_london == cd->early,
                                what);
        }
    }
    ok &= nst_lab_check(out, r[TLS13_0RTT].delay == r[PLAIN].delay,
                        "with 0-RTT the request leaves as early as over plain TCP");
    ok &= nst_lab_check(out, r[TLS13_0RTT_TFO].delay == 0,
                        "with 0-RTT over TCP Fast Open the request leaves in the first packet");
    return ok ? 0 : 1;
}
