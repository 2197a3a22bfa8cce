/* Poll sets: see <nstack/poll.h>.
 *
 * Each watched socket has an item; the set keeps every item on one list
 * (to free them) and the ready ones on another, in the order they became
 * ready. The socket layer's notify hook (nst_sock_notify, called when a
 * socket's readiness may have changed) appends the socket's item to the
 * ready list unless it is there already: two pointer writes, so the
 * per-packet cost stays tiny. nst_pollset_wait then asks each queued socket
 * for its current events (ops->events) and drops those that turned out not
 * ready: it costs the queued descriptors, never the whole table.
 *
 * Level-triggered items stay queued after a report (at the back) until a
 * wait finds them not ready; edge-triggered and one-shot ones leave the
 * queue when reported and come back only with the next notification (or
 * nst_pollset_mod). */
#include <nstack/poll.h>

#include <errno.h>
#include <stdlib.h>

#include "core/stack_impl.h"

struct nst_poll_link {
    struct nst_poll_item *prev, *next;
};

struct nst_poll_item {
    struct nst_pollset *set;
    struct nst_sock *sock;
    struct nst_poll_link all, ready;
    uint32_t events;          /* interest and flags, as given */
    int queued;               /* on the ready list */
    int disarmed;             /* one-shot, reported: silent until mod */
    nst_poll_data_t data;
};

struct nst_poll_list {
    struct nst_poll_item *head, *tail;
};

struct nst_pollset {
    struct nst_stack *st;
    struct nst_poll_list all, ready;
    unsigned count;
};

#define NST_EV_INTEREST (NST_EV_IN | NST_EV_OUT | NST_EV_RDHUP | NST_EV_PRI | NST_EV_ERR | NST_EV_HUP)
#define NST_EV_ALWAYS (NST_EV_ERR | NST_EV_HUP)

/* One intrusive doubly linked list per link field (all, ready). */
static void list_append(struct nst_poll_list *l, struct nst_poll_item *it, size_t off)
{
    struct nst_poll_link *k = (struct nst_poll_link *)((char *)it + off);
    k->next = NULL;
    k->prev = l->tail;
    if (l->tail)
        ((struct nst_poll_link *)((char *)l->tail + off))->next = it;
    else
        l->head = it;
    l->tail = it;
}

static void list_remove(struct nst_poll_list *l, struct nst_poll_item *it, size_t off)
{
    struct nst_poll_link *k = (struct nst_poll_link *)((char *)it + off);
    if (k->prev)
        ((struct nst_poll_link *)((char *)k->prev + off))->next = k->next;
    else
        l->head = k->next;
    if (k->next)
        ((struct nst_poll_link *)((char *)k->next + off))->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = NULL;
}

#define ALL offsetof(struct nst_poll_item, all)
#define READY offsetof(struct nst_poll_item, ready)

static void enqueue(struct nst_poll_item *it)
{
    if (it->queued || it->disarmed)
        return;
    it->queued = 1;
    list_append(&it->set->ready, it, READY);
}

static void dequeue(struct nst_poll_item *it)
{
    if (!it->queued)
        return;
    it->queued = 0;
    list_remove(&it->set->ready, it, READY);
}

void nst_poll_item_notify(struct nst_poll_item *it) { enqueue(it); }

static void item_free(struct nst_poll_item *it)
{
    struct nst_pollset *ps = it->set;
    dequeue(it);
    list_remove(&ps->all, it, ALL);
    ps->count--;
    it->sock->poll = NULL;
    free(it);
}

void nst_poll_item_detach(struct nst_sock *s)
{
    if (s->poll)
        item_free(s->poll);
}

int nst_pollset_new(struct nst_stack *st, struct nst_pollset **out)
{
    *out = NULL;
    if (!st)
        return -EINVAL;
    struct nst_pollset *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return -ENOMEM;
    ps->st = st;
    *out = ps;
    return 0;
}

void nst_pollset_free(struct nst_pollset *ps)
{
    if (!ps)
        return;
    while (ps->all.head)
        item_free(ps->all.head);
    free(ps);
}

unsigned nst_pollset_count(const struct nst_pollset *ps) { return ps->count; }

static int valid_events(uint32_t events)
{
    return (events & ~(uint32_t)(NST_EV_INTEREST | NST_EV_ET | NST_EV_ONESHOT)) == 0;
}

/* (Re)arms an item: it is looked at by the next wait, which reports it if
 * it is ready (as epoll checks a descriptor when it is added or modified). */
static void arm(struct nst_poll_item *it, uint32_t events, nst_poll_data_t data)
{
    it->events = events;
    it->data = data;
    it->disarmed = 0;
    enqueue(it);
}

int nst_pollset_add(struct nst_pollset *ps, int fd, uint32_t events, nst_poll_data_t data)
{
    struct nst_sock *s = nst_sock_get(ps->st, fd);
    if (!s)
        return -EBADF;
    if (!valid_events(events))
        return -EINVAL;
    if (s->poll)
        return s->poll->set == ps ? -EEXIST : -EBUSY;
    struct nst_poll_item *it = calloc(1, sizeof(*it));
    if (!it)
        return -ENOMEM;
    it->set = ps;
    it->sock = s;
    s->poll = it;
    list_append(&ps->all, it, ALL);
    ps->count++;
    arm(it, events, data);
    return 0;
}

static int item_of(struct nst_pollset *ps, int fd, struct nst_poll_item **out)
{
    struct nst_sock *s = nst_sock_get(ps->st, fd);
    if (!s)
        return -EBADF;
    if (!s->poll || s->poll->set != ps)
        return -ENOENT;
    *out = s->poll;
    return 0;
}

int nst_pollset_mod(struct nst_pollset *ps, int fd, uint32_t events, nst_poll_data_t data)
{
    struct nst_poll_item *it;
    int err = item_of(ps, fd, &it);
    if (err)
        return err;
    if (!valid_events(events))
        return -EINVAL;
    arm(it, events, data);
    return 0;
}

int nst_pollset_del(struct nst_pollset *ps, int fd)
{
    struct nst_poll_item *it;
    int err = item_of(ps, fd, &it);
    if (err)
        return err;
    item_free(it);
    return 0;
}

int nst_pollset_wait(struct nst_pollset *ps, struct nst_poll_event *out, int max)
{
    if (!out || max < 1)
        return -EINVAL;
    int n = 0;
    /* Each item queued now is looked at once: those put back at the tail
     * (level-triggered) wait for the next call. */
    struct nst_poll_item *last = ps->ready.tail;
    while (n < max && ps->ready.head) {
        struct nst_poll_item *it = ps->ready.head;
        int end = it == last;
        dequeue(it);
        uint32_t ev = (uint32_t)it->sock->ops->events(ps->st, it->sock) &
                      ((it->events & NST_EV_INTEREST) | NST_EV_ALWAYS);
        if (ev) {
            out[n].events = ev;
            out[n].fd = it->sock->fd;
            out[n].data = it->data;
            n++;
            if (it->events & NST_EV_ONESHOT)
                it->disarmed = 1;
            else if (!(it->events & NST_EV_ET))
                enqueue(it);
        }
        if (end)
            break;
    }
    return n;
}
