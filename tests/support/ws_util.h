/* Test helpers for WebSocket on the simulator: a server of nst_ws
 * connections (echo, recording what arrives), a client, and raw TCP peers
 * that speak bytes of the test's choosing to either. */
#ifndef NST_TEST_WS_UTIL_H
#define NST_TEST_WS_UTIL_H

#include <nstack/nstack.h>
#include <nstack/stream.h>
#include <nstack/ws.h>

#include "support/tls_util.h"

#define WU_PORT 80
#define WU_MAX_CONNS 16
#define WU_MAX_MSGS 64

struct wu_msg {
    int opcode;
    uint8_t *data;
    size_t len;
    nst_time_t at;
};

/* One end's record: what it saw and when. */
struct wu_end {
    struct nst_ws *ws;
    int echo;
    struct wu_msg msgs[WU_MAX_MSGS];
    int nmsgs;
    int opened, closed, code, err;
    nst_time_t t_open, t_close;
    struct nst_ws_stats final; /* the counters at on_close */
    struct nst_stack *st;
};

struct wu_server {
    struct nst_stack *st;
    int lfd;
    struct nst_ws_config cfg;
    struct nst_ws_stats shared;
    struct wu_end c[WU_MAX_CONNS];
    int n;
};

extern const struct nst_ws_handler wu_handler;

void wu_server_start(struct wu_server *sv, struct nst_stack *st, uint16_t port, const struct nst_ws_config *cfg);
void wu_server_stop(struct wu_server *sv);

/* A client from l->ny to London's port, ws://london.lab/path. */
void wu_client_open(struct wu_end *e, struct tt_lab *l, uint16_t port, const char *path,
                    const struct nst_ws_config *cfg);
void wu_end_free(struct wu_end *e);

int wu_opened(void *arg);
int wu_closed(void *arg);

/* A raw TCP peer: writes what it is given, keeps what arrives. */
struct wu_raw {
    struct nst_stack *st;
    int fd, lfd;
    uint8_t got[65536];
    size_t got_len;
    int eof, err;
    nst_time_t t_eof;
};
/* Connects from l->ny to London's port. */
void wu_raw_connect(struct wu_raw *r, struct tt_lab *l, uint16_t port);
/* Listens on London's port; the first connection is accepted into r. */
void wu_raw_listen(struct wu_raw *r, struct tt_lab *l, uint16_t port);
void wu_raw_send(struct wu_raw *r, const void *data, size_t len);
void wu_raw_close(struct wu_raw *r);
int wu_raw_ended(void *arg);

/* A client frame (masked with key 0x37fa213d, RFC 6455 5.7's example). */
size_t wu_frame(uint8_t *out, int fin, int rsv, int opcode, int masked, const void *payload, size_t len);
/* A valid Upgrade request for path with key. */
size_t wu_upgrade_request(char *out, size_t cap, const char *key, const char *version);

#endif
