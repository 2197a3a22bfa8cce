/* The event loop: one nst_stack, virtual time, the script's events in
 * order.
 *
 * Timing (packetdrill's rules, in virtual time): an event's time is
 * absolute, relative to the previous event (+t), a range (t1~t2) or any
 * (*). Inbound packets are injected at their time; an outbound packet must
 * be sent within [t - tolerance, t + tolerance]. Relative times count from
 * the previous event's script time, except after an outbound packet
 * matched by a range or `*`, where they count from the time it was sent.
 *
 * Blocking calls: nstack's API never blocks, so a call on a blocking
 * descriptor that cannot complete is retried each time the stack's state
 * may have changed (after every timer run and every injected packet), as
 * packetdrill's syscall thread would sleep and wake. Written `t1...t2 call`
 * it is expected to return at t2 while the following events run; written
 * `t call` it must return by t + tolerance, time running forward on the
 * stack's own timers only. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"
#include "wire/eth.h"
#include "wire/tcp.h"

#define STEP_LIMIT 10000000 /* timer runs at one instant before we call it a livelock */

/* ---- failures ------------------------------------------------------------------- */

int pd_fail(struct pd_run *r, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
    return -1;
}

int pd_skip(struct pd_run *r, const char *reason)
{
    if (!r->failed) {
        snprintf(r->skip, sizeof(r->skip), "%s", reason);
        r->skip_line = r->line;
    }
    r->failed = 1; /* stops the run like a failure; the caller reports SKIP */
    return -1;
}

void pd_detail(struct pd_run *r, const char *fmt, ...)
{
    size_t n = strlen(r->detail);
    if (n >= sizeof(r->detail) - 2)
        return;
    if (n)
        r->detail[n++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail + n, sizeof(r->detail) - n, fmt, ap);
    va_end(ap);
}

/* ---- the world ------------------------------------------------------------------------ */

static int link_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct pd_run *r = ctx;
    if (r->q_len == r->q_cap) {
        size_t cap = r->q_cap ? r->q_cap * 2 : 64;
        struct pd_frame *q = realloc(r->q, cap * sizeof(*q));
        if (!q)
            return -1;
        r->q = q;
        r->q_cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, frame, len);
    r->q[r->q_len++] = (struct pd_frame){nst_stack_now(r->st), copy, len};
    return 0;
}

static int world_new(struct pd_run *r)
{
    struct pd_config *cfg = &r->sc->cfg;
    r->st = nst_stack_new(&cfg->stack);
    if (!r->st)
        return pd_fail(r, "0: nst_stack_new refused the configuration");
    r->local_mac = (struct nst_mac){{0x02, 0, 0, 0, 0, 0x01}};
    r->gw_mac = (struct nst_mac){{0x02, 0, 0, 0, 0, 0x02}};
    struct nst_iface_config ic = {
        .name = "eth0",
        .mac = r->local_mac,
        .addr = PD_LOCAL_IP,
        .prefix_len = 24,
        .mtu = cfg->mtu,
        .ops = {.send = link_send},
        .ctx = r,
    };
    r->ifindex = nst_iface_add(r->st, &ic);
    if (r->ifindex < 0 || nst_route_add(r->st, 0, 0, PD_GATEWAY_IP, r->ifindex, 0) < 0 ||
        nst_arp_add_static(r->st, r->ifindex, PD_GATEWAY_IP, &r->gw_mac) < 0)
        return pd_fail(r, "0: cannot set up the interface");
    r->bind_port = cfg->bind_port;
    r->info_fd = -1;
    r->cur_rport = PD_PEER_PORT;
    r->ip_id = 1;
    return 0;
}

void pd_run_free(struct pd_run *r)
{
    if (r->st)
        nst_stack_free(r->st);
    r->st = NULL;
    for (size_t i = r->q_head; i < r->q_len; i++)
        free(r->q[i].data);
    free(r->q);
    r->q = NULL;
}

struct pd_conn *pd_conn_get(struct pd_run *r, uint16_t rport)
{
    for (int i = 0; i < r->nconns; i++)
        if (r->conns[i].rport == rport)
            return &r->conns[i];
    if (r->nconns == PD_MAX_CONNS)
        return &r->conns[PD_MAX_CONNS - 1]; /* bounded: the last one is shared */
    struct pd_conn *c = &r->conns[r->nconns++];
    memset(c, 0, sizeof(*c));
    c->rport = rport;
    return c;
}

/* ---- time -------------------------------------------------------------------------------- */

static nst_time_t next_wake(struct pd_run *r)
{
    nst_time_t d = nst_stack_next_deadline(r->st);
    if (r->pend.active && !r->pend.finished && r->pend.wake < d)
        d = r->pend.wake;
    return d;
}

static void retry_pending(struct pd_run *r)
{
    if (r->pend.active && !r->pend.finished)
        pd_syscall_retry(r);
}

/* Runs one step: everything due at the next wake-up, if it is <= limit.
 * Returns 0 if there was none. */
static int step(struct pd_run *r, nst_time_t limit, long *same)
{
    nst_time_t d = next_wake(r);
    if (d > limit)
        return 0;
    if (d > r->now) {
        r->now = d;
        *same = 0;
    } else if (++*same > STEP_LIMIT) {
        pd_fail(r, "%d: the stack's timers livelock at %.6f", r->line, (double)r->now / 1e9);
        return 0;
    }
    nst_stack_poll(r->st, r->now);
    retry_pending(r);
    return 1;
}

void pd_run_until(struct pd_run *r, nst_time_t t)
{
    long same = 0;
    while (!r->failed && step(r, t, &same))
        ;
    if (t > r->now)
        r->now = t;
    nst_stack_poll(r->st, r->now);
    retry_pending(r);
}

/* Runs time on the stack's timers until the pending call returns; fails
 * if it would take longer than wait_max. */
static int run_until_returned(struct pd_run *r)
{
    long same = 0;
    nst_time_t limit = r->now + r->sc->cfg.wait_max;
    while (!r->failed && !r->pend.finished) {
        if (!step(r, limit, &same)) {
            if (!r->failed)
                pd_fail(r, "%d: %s() blocks for ever (nothing that could wake it within %.0f s)", r->line,
                        r->pend.ev->call.name, (double)r->sc->cfg.wait_max / 1e9);
            if (r->failed)
                pd_detail(r, "  script: %s", r->pend.ev->text);
            return -1;
        }
    }
    return r->failed ? -1 : 0;
}

/* ---- the captured frames ---------------------------------------------------------------- */

static int is_arp(const struct pd_frame *f)
{
    return f->len >= NST_ETH_HLEN && f->data[12] == 0x08 && f->data[13] == 0x06;
}

static struct pd_frame *peek_frame(struct pd_run *r)
{
    while (r->q_head < r->q_len) {
        struct pd_frame *f = &r->q[r->q_head];
        if (!is_arp(f))
            return f;
        free(f->data);
        r->q_head++;
    }
    r->q_head = r->q_len = 0;
    return NULL;
}

static void consume_frame(struct pd_run *r)
{
    free(r->q[r->q_head].data);
    r->q_head++;
}

/* The first unconsumed frame, running time forward (not past `until`)
 * until the stack sends one. */
static struct pd_frame *wait_frame(struct pd_run *r, nst_time_t until)
{
    long same = 0;
    for (;;) {
        struct pd_frame *f = peek_frame(r);
        if (f || r->failed)
            return f;
        if (!step(r, until, &same))
            break;
    }
    pd_run_until(r, until);
    return peek_frame(r);
}

/* ---- events --------------------------------------------------------------------------------- */

static void resolve(struct pd_run *r, const struct pd_time *t, nst_time_t base, nst_time_t *lo, nst_time_t *hi)
{
    switch (t->kind) {
    case PD_T_ABS:
        *lo = t->lo;
        *hi = t->hi;
        break;
    case PD_T_REL:
        *lo = base + t->lo;
        *hi = base + t->hi;
        break;
    case PD_T_ANY:
        *lo = r->now;
        *hi = NST_TIME_NEVER;
        break;
    }
}

static double secs(nst_time_t t) { return (double)t / 1e9; }

static int run_inbound(struct pd_run *r, struct pd_event *ev, nst_time_t lo)
{
    pd_run_until(r, lo);
    if (r->failed)
        return -1;
    const struct pd_packet *pk = &ev->pkt;
    struct pd_conn *c = pd_conn_get(r, pk->rport ? pk->rport : r->cur_rport);
    if (pk->proto == PD_TCP && pk->flags == NST_TCP_SYN)
        c->ts_known = 0; /* a new incarnation: its TS offset is learned again */
    if (pd_inject(r, ev) < 0)
        return -1;
    retry_pending(r);
    return 0;
}

static int run_outbound(struct pd_run *r, struct pd_event *ev, nst_time_t lo, nst_time_t hi, nst_time_t *sent)
{
    nst_time_t tol = r->sc->cfg.tolerance;
    nst_time_t until = hi == NST_TIME_NEVER ? r->now + r->sc->cfg.wait_max : hi + tol;
    struct pd_frame *f = wait_frame(r, until);
    if (r->failed)
        return -1;
    if (!f) {
        pd_fail(r, "%d: expected outbound packet not sent by %.6f", ev->line, secs(until));
        pd_detail(r, "  script: %s", ev->text);
        return -1;
    }
    if (r->sc->cfg.gso_merge) {
        pd_gso_merge(r, &ev->pkt);
        f = peek_frame(r);
    }
    *sent = f->at;
    if (f->at < lo - tol) {
        char got[512];
        pd_format_frame(r, f, got, sizeof(got));
        pd_fail(r, "%d: outbound packet sent at %.6f, expected at %.6f", ev->line, secs(f->at), secs(lo));
        pd_detail(r, "  script: %s\n  actual: %s", ev->text, got);
        return -1;
    }
    int rc = pd_match(r, ev, f);
    if (r->sc->cfg.verbose) {
        char got[512];
        pd_format_frame(r, f, got, sizeof(got));
        printf("  %s:%d: %s\n", r->sc->name, ev->line, got);
    }
    consume_frame(r);
    return rc;
}

/* A pending call that returned: check when, then what. */
static int check_pending(struct pd_run *r)
{
    struct pd_pending *p = &r->pend;
    if (!p->active || !p->finished)
        return 0;
    nst_time_t tol = r->sc->cfg.tolerance;
    p->active = 0;
    int line = r->line;
    r->line = p->ev->line;
    int rc = 0;
    if (p->finished_at < p->end_lo - tol || p->finished_at > p->end_hi + tol) {
        rc = pd_fail(r, "%d: %s() returned at %.6f, expected at %.6f", p->ev->line, p->ev->call.name,
                     secs(p->finished_at), secs(p->end_lo));
        pd_detail(r, "  script: %s", p->ev->text);
    } else {
        rc = pd_syscall_check(r, p->ev, p->result);
    }
    r->line = line;
    return rc;
}

/* A blocking call must return by its expected time before later events. */
static int settle_pending(struct pd_run *r, nst_time_t before)
{
    struct pd_pending *p = &r->pend;
    if (!p->active)
        return 0;
    nst_time_t deadline = p->end_hi + r->sc->cfg.tolerance;
    if (!p->finished && before > deadline)
        pd_run_until(r, deadline);
    if (r->failed)
        return -1;
    if (!p->finished && before > deadline) {
        pd_fail(r, "%d: %s() still blocked at %.6f, expected to return at %.6f", p->ev->line, p->ev->call.name,
                secs(r->now), secs(p->end_lo));
        pd_detail(r, "  script: %s", p->ev->text);
        return -1;
    }
    return check_pending(r);
}

nst_time_t pd_call_end(const struct pd_run *r, const struct pd_event *ev, nst_time_t start)
{
    const struct pd_time *e = &ev->call.end;
    if (e->kind == PD_T_REL)
        return start + e->lo; /* `+t1...+t2`: after the start (an nstack extension) */
    /* packetdrill: a relative start moves the end by the same base,
     * `+.1...0.2` ends 0.2 after the previous event. */
    return ev->time.kind == PD_T_REL ? r->last_time + e->lo : e->lo;
}

static int run_syscall(struct pd_run *r, struct pd_event *ev, nst_time_t lo)
{
    pd_run_until(r, lo);
    if (check_pending(r) < 0 || r->failed)
        return -1;
    if (r->pend.active) {
        pd_fail(r, "%d: %s() called while %s() (line %d) is still blocked", ev->line, ev->call.name,
                r->pend.ev->call.name, r->pend.ev->line);
        return -1;
    }
    int rc = pd_syscall_start(r, ev);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    /* It blocks. */
    struct pd_pending *p = &r->pend;
    if (ev->call.has_end) {
        p->end_lo = p->end_hi = pd_call_end(r, ev, lo);
        return 0;
    }
    p->end_lo = p->end_hi = lo;
    if (run_until_returned(r) < 0)
        return -1;
    return check_pending(r);
}

static int run_event(struct pd_run *r, struct pd_event *ev)
{
    nst_time_t lo = 0, hi = 0;
    resolve(r, &ev->time, r->last_time, &lo, &hi);
    r->line = ev->line;
    if (settle_pending(r, lo) < 0)
        return -1;
    if (ev->kind == PD_EV_SYSCALL) {
        if (run_syscall(r, ev, lo) < 0)
            return -1;
        r->last_time = lo;
    } else if (ev->kind == PD_EV_CODE) {
        pd_run_until(r, lo);
        if (r->failed || pd_python_run(r, ev) < 0)
            return -1;
        r->last_time = lo;
    } else if (ev->pkt.dir == '<') {
        if (run_inbound(r, ev, lo) < 0)
            return -1;
        r->last_time = ev->time.kind == PD_T_ANY ? r->now : lo;
    } else {
        nst_time_t sent = lo;
        if (run_outbound(r, ev, lo, hi, &sent) < 0)
            return -1;
        r->last_time = (ev->time.kind == PD_T_ANY || hi != lo) ? sent : lo;
    }
    return check_pending(r);
}

/* After the last event: a blocked call must have returned, and every
 * packet the stack sent up to now must have been expected. */
static int run_end(struct pd_run *r)
{
    struct pd_pending *p = &r->pend;
    if (p->active && settle_pending(r, p->end_hi + r->sc->cfg.tolerance + 1) < 0)
        return -1;
    struct pd_frame *f = peek_frame(r);
    if (f) {
        char got[512];
        pd_format_frame(r, f, got, sizeof(got));
        pd_fail(r, "%d: unexpected outbound packet after the last event, sent at %.6f", r->line, secs(f->at));
        pd_detail(r, "  actual: %s", got);
        return -1;
    }
    return 0;
}

int pd_run_script(struct pd_script *sc, struct pd_run *r)
{
    memset(r, 0, sizeof(*r));
    r->sc = sc;
    if (world_new(r) < 0)
        return -1;
    for (int i = 0; i < sc->nevents; i++)
        if (run_event(r, &sc->events[i]) < 0)
            return -1;
    return run_end(r);
}
