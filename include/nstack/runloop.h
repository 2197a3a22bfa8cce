/* nstack — the real-time run loop: one stack on real links, in real time.
 *
 * It is the wall-clock counterpart of the simulator's world: it waits (epoll)
 * for frames on its TAP devices, for any other descriptor registered with a
 * callback (a control socket, a terminal), and for the stack's next timer
 * (a timerfd armed at nst_stack_next_deadline(), to the nanosecond); reads
 * CLOCK_MONOTONIC, and drives nst_stack_input() / nst_stack_poll() with it.
 * It is the one place in the library that reads a clock.
 *
 * A run is always bounded: until a predicate holds, a deadline passes,
 * nst_runloop_stop() is called, or (once nst_runloop_catch_signals() was
 * called) SIGINT or SIGTERM arrives.
 *
 * One loop drives one stack, from one thread. */
#ifndef NSTACK_RUNLOOP_H
#define NSTACK_RUNLOOP_H

#include "stack.h"
#include "api.h"

NST_API_BEGIN

struct nst_runloop;
struct nst_tap;

#define NST_RUNLOOP_MAX_FDS 64  /* descriptors registered at once (links and others) */
/* Links (TAPs, AF_XDP sockets) driven at once: one per interface of the
 * loop's stack at most. */
#define NST_RUNLOOP_MAX_TAPS NST_MAX_IFACES

/* Called when fd is ready; events are EPOLLIN/EPOLLOUT/... as returned by
 * epoll. `now` is the loop's time. A callback may register or remove
 * descriptors (itself included) and call the stack's API. */
typedef void (*nst_runloop_fd_fn)(void *arg, int fd, uint32_t events, nst_time_t now);
/* Called once per turn of the loop, after frames were read and timers run
 * and before the loop sleeps: where an application does its socket work.
 * Returns nonzero if it stopped with work left (a budget ran out): the loop
 * then takes another turn without sleeping. */
typedef int (*nst_runloop_step_fn)(void *arg, nst_time_t now);

/* CLOCK_MONOTONIC in ns: the time the loop gives its stack. */
nst_time_t nst_runloop_clock(void);
/* CLOCK_REALTIME - CLOCK_MONOTONIC: add it to a loop time to get a wall-clock
 * time (used for capture timestamps). */
nst_time_t nst_runloop_wall_offset(void);

/* 0 or -errno (out of descriptors or memory). */
int nst_runloop_new(struct nst_stack *st, struct nst_runloop **out);
/* Restores the signal mask if signals were caught. Does not close the
 * TAPs or descriptors registered: they belong to the caller. NULL is fine. */
void nst_runloop_free(struct nst_runloop *rl);

/* Watches fd for `events` (EPOLLIN, EPOLLOUT, ...; level-triggered).
 * 0, -EEXIST, -ENOSPC (NST_RUNLOOP_MAX_FDS) or -errno from epoll. */
int nst_runloop_add_fd(struct nst_runloop *rl, int fd, uint32_t events, nst_runloop_fd_fn fn, void *arg);
/* Changes the events watched. 0 or -ENOENT. */
int nst_runloop_mod_fd(struct nst_runloop *rl, int fd, uint32_t events);
/* Stops watching fd (it is not closed). 0 or -ENOENT. */
int nst_runloop_del_fd(struct nst_runloop *rl, int fd);
/* Drives a TAP attached to the loop's stack: its frames go in, its held
 * (impaired) frames come out on time. A TAP whose device fails (read error
 * other than "empty") ends the run with that error. 0, -ENOSPC, -errno. */
int nst_runloop_add_tap(struct nst_runloop *rl, struct nst_tap *tap);
/* Any link driver, as the loop drives it (a TAP is one: nst_runloop_add_tap
 * fills this in; the AF_XDP driver's is nst_runloop_add_xdp, <nstack/xdp.h>). */
struct nst_runloop_link {
    int fd;                              /* readable when frames wait */
    /* Takes in what is waiting (a bounded batch): >= 0, or -errno when the
     * device failed (ends the run). */
    int (*receive)(void *ctx, nst_time_t now);
    /* The time, and the held frames due by then (NULL: holds none). */
    void (*advance)(void *ctx, nst_time_t now);
    nst_time_t (*next_deadline)(const void *ctx); /* NULL: never */
    /* Called at the end of every turn, before the loop sleeps: a driver that
     * queues frames sends them (NULL: sends at once). */
    void (*flush)(void *ctx);
    void *ctx;
};
/* 0, -ENOSPC (NST_RUNLOOP_MAX_TAPS links), -errno. */
int nst_runloop_add_link(struct nst_runloop *rl, const struct nst_runloop_link *link);
void nst_runloop_set_step(struct nst_runloop *rl, nst_runloop_step_fn fn, void *arg);

/* Blocks SIGINT and SIGTERM in this thread and takes them through a
 * signalfd: when one arrives, the run ends with -EINTR (and so does every
 * later run: a stopped loop stays stopped). The mask is restored when the
 * loop is freed. 0 or -errno. */
int nst_runloop_catch_signals(struct nst_runloop *rl);
/* The signal that ended the last run, 0 if none. */
int nst_runloop_signal(const struct nst_runloop *rl);

/* Runs until pred(arg) is true (1; pred may be NULL), the loop time reaches
 * `deadline` (0; NST_TIME_NEVER: no deadline), or a signal or
 * nst_runloop_stop() ends it (-EINTR). -errno if epoll fails. The
 * predicate is checked before anything else, then after every turn. */
int nst_runloop_run(struct nst_runloop *rl, nst_time_t deadline, int (*pred)(void *arg), void *arg);
/* Makes the current run, and every later one, return -EINTR; for callbacks
 * (the loop's own thread). */
void nst_runloop_stop(struct nst_runloop *rl);
/* ---- Inside another event loop (epoll, libuv, ...) -----------------------
 *
 * An application with a loop of its own does not call nst_runloop_run: it
 * watches one descriptor and calls nst_runloop_run_once when it is ready
 * (as libuv's uv_backend_fd). The descriptor is the loop's epoll: it turns
 * readable when a TAP has frames, a descriptor registered with
 * nst_runloop_add_fd is ready, or the stack's next timer (or a TAP's held
 * frame) falls due — nst_runloop_run_once arms a timerfd inside it for
 * that deadline before returning. So:
 *
 *     add nst_runloop_fd(rl) to your epoll (EPOLLIN, level-triggered);
 *     call nst_runloop_run_once(rl) once at the start;
 *     whenever your epoll reports it: nst_runloop_run_once(rl), then do the
 *       socket work (a poll set's nst_pollset_wait, nst_recv, ...);
 *     socket calls that queue output (nst_send, nst_close) may move the
 *       stack's next deadline: call nst_runloop_run_once after them too
 *       (cheap when nothing is due), or the timer fires at the old one.
 *
 * The descriptor belongs to the loop (closed by nst_runloop_free). */
int nst_runloop_fd(const struct nst_runloop *rl);
/* One turn without sleeping: reads the clock, takes in what the TAPs and
 * registered descriptors have ready, runs the due timers and the step
 * callback, and arms the loop's timer for what is due next. Returns the
 * next deadline (loop time; NST_TIME_NEVER if none; the timer is armed for
 * it, so waiting on nst_runloop_fd is enough), or -errno (-EINTR when
 * stopped or a caught signal arrived, a TAP's failure). */
nst_time_t nst_runloop_run_once(struct nst_runloop *rl);

/* The loop's time: the clock as last read. */
nst_time_t nst_runloop_now(const struct nst_runloop *rl);

NST_API_END

#endif
