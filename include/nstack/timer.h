/* nstack — timers for applications, on the stack's own timer heap.
 *
 * The stack never reads a clock: its timers fire from nst_stack_poll() at
 * the time the caller passes in. An application timer joins the same heap,
 * so it fires in virtual time on the simulator (a 30 s ping interval costs
 * nothing in a test) and in real time on a TAP, exactly like the stack's
 * own retransmission and TIME_WAIT timers, and nst_stack_next_deadline()
 * accounts for it.
 *
 * A timer belongs to one stack. Free it (nst_app_timer_free) before the
 * stack. Its callback runs inside nst_stack_poll() and may call any socket
 * or stream function, arm or cancel any timer (itself included) and free
 * any other timer; it must not free its own timer except as its very last
 * action. */
#ifndef NSTACK_TIMER_H
#define NSTACK_TIMER_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

struct nst_app_timer;
typedef void (*nst_app_timer_fn)(void *arg, struct nst_app_timer *t);

/* A disarmed timer that will call fn(arg, t) when due. NULL on ENOMEM. */
struct nst_app_timer *nst_app_timer_new(struct nst_stack *st, nst_app_timer_fn fn, void *arg);
/* Arms (or re-arms) the timer to fire at absolute time `when` (the clock
 * the stack is driven with; nst_stack_now() is the present). A time already
 * past fires at the next poll. 0 or -ENOMEM. */
int nst_app_timer_arm(struct nst_app_timer *t, nst_time_t when);
/* Disarms; harmless if not armed. */
void nst_app_timer_cancel(struct nst_app_timer *t);
/* 1 if armed, 0 if not. */
int nst_app_timer_armed(const struct nst_app_timer *t);
/* When it is due (meaningful while armed). */
nst_time_t nst_app_timer_when(const struct nst_app_timer *t);
/* Cancels and frees; NULL is ignored. */
void nst_app_timer_free(struct nst_app_timer *t);

NST_API_END

#endif
