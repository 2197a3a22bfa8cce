/* The CLOSE_WAIT leak detector.
 *
 * CLOSE_WAIT is the state in which the peer has closed its side (its FIN
 * arrived, RFC 9293 3.6) and TCP waits for the local application to close
 * too. TCP never leaves it on its own: no timer of RFC 9293 applies, so a
 * connection whose application forgets to call close() stays there for
 * ever, holding its descriptor, its buffers and its 4-tuple. Many such
 * connections are an application bug, not a network problem.
 *
 * Each connection that enters CLOSE_WAIT arms a timer for the stack's
 * threshold (cfg.tcp.close_wait_leak); if it is still there when the timer
 * fires, it is flagged (shown by `nstack ss`) and counted once
 * (tcp.close_wait_leaks). Nothing is done to the connection: closing it is
 * the application's business. */
#include "core/stack_impl.h"
#include "core/util.h"
#include "tcp/tcp_state.h"

void tcp_leak_fire(struct nst_stack *st, struct nst_timer *t)
{
    struct nst_tcp_conn *c = NST_CONTAINER_OF(t, struct nst_tcp_conn, t_leak);
    if (c->state != NST_TCPS_CLOSE_WAIT || c->cw_leak)
        return;
    c->cw_leak = 1;
    NST_STAT_INC(st, tcp, close_wait_leaks);
}

void tcp_leak_track(struct nst_stack *st, struct nst_tcp_conn *c)
{
    nst_time_t threshold = st->cfg.tcp.close_wait_leak;
    if (c->state == NST_TCPS_CLOSE_WAIT && threshold > 0) {
        nst_timer_arm(st, &c->t_leak, c->state_since + threshold);
        return;
    }
    /* Leaving CLOSE_WAIT (the application closed at last, or the
     * connection was reset) ends the leak. */
    nst_timer_cancel(st, &c->t_leak);
    c->cw_leak = 0;
}
