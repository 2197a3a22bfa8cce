/* The real-time run loop: see <nstack/runloop.h>.
 *
 * It lives in src/link/ beside the TAP driver because it is the other half
 * of a real link: the simulator's world moves frames in virtual time, this
 * moves them in real time. It uses only the public API of the stack and of
 * the driver, and is the one file of the library that reads a clock.
 *
 * One turn of the loop:
 *   1. read the clock; release the TAPs' held frames due; run the stack's
 *      timers (nst_stack_poll);
 *   2. the step callback (the application's socket work; if it has work
 *      left, step 4 does not sleep);
 *   3. stop if stopped, if the predicate holds, or at the deadline;
 *   4. sleep in epoll_wait until a descriptor is ready or the earliest of the
 *      deadline, the stack's next timer and the TAPs' next held frame (a
 *      timerfd, to the nanosecond: epoll's own timeout counts milliseconds);
 *   5. call each ready descriptor's callback, the clock read afresh for each.
 * Level-triggered epoll and a bounded TAP batch keep one busy descriptor
 * from starving the timers or the others. */
#include <nstack/runloop.h>
#include <nstack/tap.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define RL_EVENTS 64
/* epoll data for the loop's own descriptors; registered ones carry their
 * slot index and a generation (see struct rl_slot). */
#define RL_TAG_TIMER 0xfffffffeu
#define RL_TAG_SIGNAL 0xffffffffu

/* A registered descriptor. The generation changes whenever the slot is
 * freed, so an event already fetched for a descriptor removed by an
 * earlier callback of the same batch is recognised as stale and ignored. */
struct rl_slot {
    int fd;                    /* -1: free */
    uint32_t gen;
    nst_runloop_fd_fn fn;
    void *arg;
};

/* A link the loop drives; the callback's argument. */
struct rl_link {
    struct nst_runloop *rl;
    struct nst_runloop_link l;
};

struct nst_runloop {
    struct nst_stack *st;
    int epfd, timerfd, sigfd;
    nst_time_t now;
    nst_time_t armed;          /* when the timerfd fires; NST_TIME_NEVER: disarmed */
    struct rl_slot slots[NST_RUNLOOP_MAX_FDS];
    struct rl_link links[NST_RUNLOOP_MAX_TAPS];
    int nlinks;
    nst_runloop_step_fn step;
    void *step_arg;
    int stopped;
    int signo;                 /* the signal that stopped the loop */
    int error;                 /* a link's failure, ends the run */
    sigset_t old_mask;
    int mask_saved;
};

static nst_time_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (nst_time_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

nst_time_t nst_runloop_clock(void) { return clock_ns(CLOCK_MONOTONIC); }

nst_time_t nst_runloop_wall_offset(void) { return clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC); }

nst_time_t nst_runloop_now(const struct nst_runloop *rl) { return rl->now; }

/* Reads the clock; the links learn the time (the time of the frames the
 * stack sends next) and let out what they held until then. */
static void clock_tick(struct nst_runloop *rl)
{
    nst_time_t t = nst_runloop_clock();
    if (t > rl->now)
        rl->now = t;
    for (int i = 0; i < rl->nlinks; i++)
        if (rl->links[i].l.advance)
            rl->links[i].l.advance(rl->links[i].l.ctx, rl->now);
}

static int epoll_add_tag(int epfd, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int nst_runloop_new(struct nst_stack *st, struct nst_runloop **out)
{
    *out = NULL;
    if (!st)
        return -EINVAL;
    struct nst_runloop *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return -ENOMEM;
    rl->st = st;
    rl->sigfd = -1;
    rl->armed = NST_TIME_NEVER;
    for (int i = 0; i < NST_RUNLOOP_MAX_FDS; i++)
        rl->slots[i].fd = -1;
    rl->epfd = epoll_create1(EPOLL_CLOEXEC);
    rl->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int err = rl->epfd < 0 || rl->timerfd < 0 ? -errno : 0;
    if (!err)
        err = epoll_add_tag(rl->epfd, rl->timerfd, EPOLLIN, RL_TAG_TIMER);
    if (err) {
        nst_runloop_free(rl);
        return err;
    }
    rl->now = nst_runloop_clock();
    *out = rl;
    return 0;
}

void nst_runloop_free(struct nst_runloop *rl)
{
    if (!rl)
        return;
    if (rl->sigfd >= 0)
        close(rl->sigfd);
    if (rl->mask_saved)
        pthread_sigmask(SIG_SETMASK, &rl->old_mask, NULL);
    if (rl->timerfd >= 0)
        close(rl->timerfd);
    if (rl->epfd >= 0)
        close(rl->epfd);
    free(rl);
}

static struct rl_slot *slot_of(struct nst_runloop *rl, int fd)
{
    for (int i = 0; i < NST_RUNLOOP_MAX_FDS; i++)
        if (rl->slots[i].fd == fd)
            return &rl->slots[i];
    return NULL;
}

static uint64_t slot_tag(const struct nst_runloop *rl, const struct rl_slot *s)
{
    return (uint64_t)(s - rl->slots) | ((uint64_t)s->gen << 32);
}

int nst_runloop_add_fd(struct nst_runloop *rl, int fd, uint32_t events, nst_runloop_fd_fn fn, void *arg)
{
    if (fd < 0 || !fn)
        return -EINVAL;
    if (slot_of(rl, fd))
        return -EEXIST;
    struct rl_slot *s = slot_of(rl, -1);
    if (!s)
        return -ENOSPC;
    int err = epoll_add_tag(rl->epfd, fd, events, slot_tag(rl, s));
    if (err)
        return err;
    s->fd = fd;
    s->fn = fn;
    s->arg = arg;
    return 0;
}

int nst_runloop_mod_fd(struct nst_runloop *rl, int fd, uint32_t events)
{
    struct rl_slot *s = fd >= 0 ? slot_of(rl, fd) : NULL;
    if (!s)
        return -ENOENT;
    struct epoll_event ev = {.events = events, .data.u64 = slot_tag(rl, s)};
    return epoll_ctl(rl->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int nst_runloop_del_fd(struct nst_runloop *rl, int fd)
{
    struct rl_slot *s = fd >= 0 ? slot_of(rl, fd) : NULL;
    if (!s)
        return -ENOENT;
    /* The descriptor may already be closed (epoll forgot it then): only the
     * slot matters. */
    epoll_ctl(rl->epfd, EPOLL_CTL_DEL, fd, NULL);
    s->fd = -1;
    s->gen++;
    return 0;
}

static void link_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)fd;
    (void)events;
    struct rl_link *t = arg;
    int rc = t->l.receive(t->l.ctx, now);
    /* A device that fails to read (deleted under us, ...) would be ready
     * again at once, for ever: end the run with its error instead. */
    if (rc < 0 && !t->rl->error)
        t->rl->error = rc;
}

int nst_runloop_add_link(struct nst_runloop *rl, const struct nst_runloop_link *link)
{
    if (!link || link->fd < 0 || !link->receive)
        return -EINVAL;
    if (rl->nlinks >= NST_RUNLOOP_MAX_TAPS)
        return -ENOSPC;
    struct rl_link *t = &rl->links[rl->nlinks];
    t->rl = rl;
    t->l = *link;
    int err = nst_runloop_add_fd(rl, link->fd, EPOLLIN, link_ready, t);
    if (err)
        return err;
    rl->nlinks++;
    if (link->advance)
        link->advance(link->ctx, rl->now);
    return 0;
}

static int tap_receive(void *ctx, nst_time_t now) { return nst_tap_receive(ctx, now); }
static void tap_advance(void *ctx, nst_time_t now) { nst_tap_advance(ctx, now); }
static nst_time_t tap_deadline(const void *ctx) { return nst_tap_next_deadline(ctx); }

static void tap_group_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)fd;
    (void)events;
    nst_tap_group_take(arg, now);
}

int nst_runloop_add_tap(struct nst_runloop *rl, struct nst_tap *tap)
{
    if (!tap)
        return -EINVAL;
    struct nst_runloop_link l = {nst_tap_fd(tap), tap_receive, tap_advance, tap_deadline, NULL, tap};
    int err = nst_runloop_add_link(rl, &l);
    /* A queue of a multi-queue device: ARP the other queues' stacks got. */
    if (!err && nst_tap_group_fd(tap) >= 0)
        err = nst_runloop_add_fd(rl, nst_tap_group_fd(tap), EPOLLIN, tap_group_ready, tap);
    return err;
}

void nst_runloop_set_step(struct nst_runloop *rl, nst_runloop_step_fn fn, void *arg)
{
    rl->step = fn;
    rl->step_arg = arg;
}

int nst_runloop_catch_signals(struct nst_runloop *rl)
{
    if (rl->sigfd >= 0)
        return 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked, the signals wait in the signalfd for the loop to read them:
     * no handler runs in the middle of the stack's work. */
    int err = pthread_sigmask(SIG_BLOCK, &set, &rl->old_mask);
    if (err)
        return -err;
    rl->mask_saved = 1;
    rl->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (rl->sigfd < 0)
        return -errno;
    return epoll_add_tag(rl->epfd, rl->sigfd, EPOLLIN, RL_TAG_SIGNAL);
}

int nst_runloop_signal(const struct nst_runloop *rl) { return rl->signo; }

void nst_runloop_stop(struct nst_runloop *rl) { rl->stopped = 1; }

static void take_signal(struct nst_runloop *rl)
{
    struct signalfd_siginfo si;
    if (read(rl->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        rl->signo = (int)si.ssi_signo;
        rl->stopped = 1;
    }
}

/* Arms the timerfd for `when` (absolute, CLOCK_MONOTONIC), unless it
 * already is. NST_TIME_NEVER disarms it. */
static int arm_timer(struct nst_runloop *rl, nst_time_t when)
{
    if (when == rl->armed)
        return 0;
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (when != NST_TIME_NEVER) {
        its.it_value.tv_sec = when / 1000000000LL;
        its.it_value.tv_nsec = when % 1000000000LL;
    }
    if (timerfd_settime(rl->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -errno;
    rl->armed = when;
    return 0;
}

static void take_timer(struct nst_runloop *rl)
{
    uint64_t expirations;
    if (read(rl->timerfd, &expirations, sizeof(expirations)) > 0)
        rl->armed = NST_TIME_NEVER; /* a one-shot timer is disarmed once it fired */
}

static nst_time_t next_wake(const struct nst_runloop *rl, nst_time_t deadline)
{
    nst_time_t wake = deadline;
    nst_time_t t = nst_stack_next_deadline(rl->st);
    if (t < wake)
        wake = t;
    for (int i = 0; i < rl->nlinks; i++) {
        if (!rl->links[i].l.next_deadline)
            continue;
        t = rl->links[i].l.next_deadline(rl->links[i].l.ctx);
        if (t < wake)
            wake = t;
    }
    return wake;
}

static void dispatch(struct nst_runloop *rl, const struct epoll_event *ev)
{
    uint32_t tag = (uint32_t)ev->data.u64, gen = (uint32_t)(ev->data.u64 >> 32);
    if (tag == RL_TAG_TIMER) {
        take_timer(rl);
        return;
    }
    if (tag == RL_TAG_SIGNAL) {
        take_signal(rl);
        return;
    }
    struct rl_slot *s = &rl->slots[tag];
    if (s->fd < 0 || s->gen != gen)
        return; /* removed by an earlier callback of this batch */
    clock_tick(rl);
    s->fn(s->arg, s->fd, ev->events, rl->now);
}

/* Sleeps until a descriptor is ready or `wake`, then runs the callbacks. */
static int wait_and_dispatch(struct nst_runloop *rl, nst_time_t wake)
{
    int timeout = -1;
    if (wake <= rl->now) {
        timeout = 0; /* something is due: only collect what is ready */
    } else {
        int err = arm_timer(rl, wake);
        if (err)
            return err;
    }
    struct epoll_event evs[RL_EVENTS];
    int n = epoll_wait(rl->epfd, evs, RL_EVENTS, timeout);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++)
        dispatch(rl, &evs[i]);
    return 0;
}

/* Steps 1 and 2 of a turn: time, held frames, timers, the application;
 * then the links send what the turn queued. Returns nonzero if the
 * application has work left. */
static int turn(struct nst_runloop *rl)
{
    clock_tick(rl);
    nst_stack_poll(rl->st, rl->now);
    int busy = rl->step ? rl->step(rl->step_arg, rl->now) : 0;
    for (int i = 0; i < rl->nlinks; i++)
        if (rl->links[i].l.flush)
            rl->links[i].l.flush(rl->links[i].l.ctx);
    return busy;
}

int nst_runloop_fd(const struct nst_runloop *rl) { return rl->epfd; }

nst_time_t nst_runloop_run_once(struct nst_runloop *rl)
{
    if (rl->stopped)
        return -EINTR;
    /* Collect what is ready (no sleep), then the turn proper, so frames
     * read now are answered and their timers counted before arming. */
    int err = wait_and_dispatch(rl, rl->now);
    if (err)
        return err;
    turn(rl);
    if (rl->error)
        return rl->error;
    if (rl->stopped)
        return -EINTR;
    nst_time_t wake = next_wake(rl, NST_TIME_NEVER);
    err = arm_timer(rl, wake);
    return err ? err : wake;
}

int nst_runloop_run(struct nst_runloop *rl, nst_time_t deadline, int (*pred)(void *arg), void *arg)
{
    if (rl->stopped)
        return -EINTR;
    if (pred && pred(arg))
        return 1;
    for (;;) {
        int busy = turn(rl);
        if (rl->error)
            return rl->error;
        if (rl->stopped)
            return -EINTR;
        if (pred && pred(arg))
            return 1;
        if (rl->now >= deadline)
            return 0;
        /* Work left over: only collect what is ready, do not sleep. */
        int err = wait_and_dispatch(rl, busy ? rl->now : next_wake(rl, deadline));
        if (err)
            return err;
    }
}
