/* ARP shared among the stacks of one interface: see arp_share.h. */
#include "link/arp_share.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int nst_arp_inbox_init(struct nst_arp_inbox *in)
{
    memset(in, 0, sizeof(*in));
    pthread_mutex_init(&in->mu, NULL);
    in->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return in->efd < 0 ? -errno : 0;
}

void nst_arp_inbox_fini(struct nst_arp_inbox *in)
{
    if (in->efd >= 0)
        close(in->efd);
    in->efd = -1;
    pthread_mutex_destroy(&in->mu);
}

int nst_arp_group_join(struct nst_arp_group *g, unsigned slot, struct nst_arp_inbox *in)
{
    if (slot >= NST_ARP_GROUP_MAX)
        return -EINVAL;
    if (g->members[slot])
        return -EBUSY;
    g->members[slot] = in;
    g->n++;
    return 0;
}

void nst_arp_group_leave(struct nst_arp_group *g, unsigned slot, struct nst_arp_inbox *in)
{
    if (slot < NST_ARP_GROUP_MAX && g->members[slot] == in) {
        g->members[slot] = NULL;
        g->n--;
    }
}

static int is_arp(const uint8_t *frame, size_t len) { return len >= 14 && frame[12] == 0x08 && frame[13] == 0x06; }

static void post(struct nst_arp_inbox *to, const uint8_t *frame, size_t len)
{
    pthread_mutex_lock(&to->mu);
    int room = to->n < NST_ARP_INBOX_MAX;
    if (room) {
        memcpy(to->frame[to->n], frame, len);
        to->len[to->n++] = (uint16_t)len;
    }
    pthread_mutex_unlock(&to->mu);
    if (!room) {
        __atomic_fetch_add(&to->drops, 1, __ATOMIC_RELAXED);
        return;
    }
    uint64_t one = 1;
    if (write(to->efd, &one, sizeof(one)) < 0) {
        /* Only an eventfd at its maximum count refuses: it is readable anyway. */
    }
}

void nst_arp_group_share(struct nst_arp_group *g, struct nst_arp_inbox *self, const uint8_t *frame, size_t len)
{
    if (g->n < 2 || len > NST_ARP_FRAME_MAX || !is_arp(frame, len))
        return;
    for (unsigned q = 0; q < NST_ARP_GROUP_MAX; q++)
        if (g->members[q] && g->members[q] != self)
            post(g->members[q], frame, len);
    self->shared++;
}

void nst_arp_inbox_drain(struct nst_arp_inbox *in, void (*deliver)(void *arg, const uint8_t *frame, size_t len),
                         void *arg)
{
    uint8_t frame[NST_ARP_INBOX_MAX][NST_ARP_FRAME_MAX];
    uint16_t len[NST_ARP_INBOX_MAX];
    /* Copied out under the lock, delivered outside it: the stack may send
     * (and so post ARP to the others) while it takes them. */
    pthread_mutex_lock(&in->mu);
    unsigned n = in->n;
    memcpy(frame, in->frame, (size_t)n * NST_ARP_FRAME_MAX);
    memcpy(len, in->len, (size_t)n * sizeof(len[0]));
    in->n = 0;
    pthread_mutex_unlock(&in->mu);
    uint64_t v;
    if (read(in->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing signalled since the last read */
    }
    for (unsigned i = 0; i < n; i++) {
        in->taken++;
        deliver(arg, frame[i], len[i]);
    }
}
