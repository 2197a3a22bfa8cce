/* nstack — readiness sets: epoll for a stack's descriptors.
 *
 * A poll set watches descriptors of one stack and hands back those that are
 * ready, with what they are ready for. It keeps a ready list that the
 * socket layer feeds whenever a socket's readiness may have changed (its
 * notify hook; no allocation there), so nst_pollset_wait() costs the ready
 * descriptors, not all of them. Like everything in the stack it never
 * blocks and never reads a clock: the application drives the stack
 * (nst_stack_input, nst_stack_poll, the simulator or nst_runloop) and asks
 * the set what became ready.
 *
 * The events are the NST_EV_* bits of <nstack/socket.h>, with epoll's
 * meanings:
 *   NST_EV_IN     data to read, a connection to accept, or EOF
 *   NST_EV_OUT    room in the send buffer (a connecting socket: established)
 *   NST_EV_RDHUP  the peer closed its sending side (FIN received)
 *   NST_EV_PRI    TCP urgent data not read yet
 *   NST_EV_ERR    an error is pending (NST_SO_ERROR reads and clears it):
 *                 connection refused, reset, timed out
 *   NST_EV_HUP    both directions are closed (after a RST: ERR|HUP|IN|OUT|RDHUP,
 *                 as Linux reports it)
 * NST_EV_ERR and NST_EV_HUP are always reported, asked for or not.
 *
 * Triggering, per descriptor, as epoll:
 *   level-triggered (the default): wait reports a descriptor for as long as
 *     it is ready for something asked, every call.
 *   NST_EV_ET (edge-triggered): wait reports it once, then not again until
 *     the stack notifies a new change on it (new data, new room, a state
 *     change), whether or not the application consumed what was reported —
 *     as EPOLLET, so read until -EAGAIN before waiting again.
 *   NST_EV_ONESHOT: reported once, then disabled until nst_pollset_mod()
 *     re-arms it.
 *
 * A descriptor belongs to at most one set (epoll allows several; nstack
 * keeps one hook per socket). Closing a descriptor (nst_close) removes it
 * from its set, as closing the last reference does for epoll. Free the
 * sets of a stack before or after the stack, either order is fine, but not
 * while a wait on it runs.
 *
 * Errors are negative errno codes. */
#ifndef NSTACK_POLL_H
#define NSTACK_POLL_H

#include "socket.h"
#include "api.h"

NST_API_BEGIN

/* Flags beside the NST_EV_* interest bits (the values are epoll's). */
#define NST_EV_ONESHOT (1u << 30)
#define NST_EV_ET (1u << 31)

/* What the application attached to a descriptor, given back with its
 * events (epoll_data_t's layout). */
typedef union nst_poll_data {
    void *ptr;
    int fd;
    uint32_t u32;
    uint64_t u64;
} nst_poll_data_t;

struct nst_poll_event {
    uint32_t events;      /* NST_EV_* the descriptor is ready for */
    int fd;               /* the descriptor */
    nst_poll_data_t data; /* as given to nst_pollset_add / nst_pollset_mod */
};

struct nst_pollset;

/* A new, empty set for descriptors of st. 0 and *out, or -EINVAL (st NULL),
 * -ENOMEM. */
int nst_pollset_new(struct nst_stack *st, struct nst_pollset **out);
/* Removes every descriptor (they stay open) and frees the set. NULL is fine. */
void nst_pollset_free(struct nst_pollset *ps);

/* Watches fd for `events` (NST_EV_IN, NST_EV_OUT, NST_EV_RDHUP, NST_EV_PRI,
 * optionally NST_EV_ET or NST_EV_ONESHOT; ERR and HUP are implied). If fd
 * is ready already, the next wait reports it. 0, or -EBADF (no such
 * descriptor), -EEXIST (already in this set), -EBUSY (in another set),
 * -EINVAL (unknown bits), -ENOMEM. */
int nst_pollset_add(struct nst_pollset *ps, int fd, uint32_t events, nst_poll_data_t data);
/* Changes what fd is watched for and its data, and re-arms it (a one-shot
 * descriptor is enabled again; an edge-triggered one is reported if ready,
 * as after a new change). 0, -EBADF, -ENOENT (not in this set), -EINVAL. */
int nst_pollset_mod(struct nst_pollset *ps, int fd, uint32_t events, nst_poll_data_t data);
/* Stops watching fd (it stays open). 0, -EBADF, -ENOENT. */
int nst_pollset_del(struct nst_pollset *ps, int fd);

/* Fills out[] with up to max ready descriptors, oldest-ready first; never
 * blocks. Returns how many (0 if none), or -EINVAL (max < 1, out NULL).
 * Level-triggered descriptors still ready go to the back of the list, so
 * with a small max every ready descriptor gets its turn. */
int nst_pollset_wait(struct nst_pollset *ps, struct nst_poll_event *out, int max);

/* Descriptors watched by the set. */
unsigned nst_pollset_count(const struct nst_pollset *ps);

NST_API_END

#endif
