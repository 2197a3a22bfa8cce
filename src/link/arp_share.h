/* ARP shared among the stacks of one interface, one stack per queue
 * (AF_XDP sockets, or TAP queues). The NIC (or the TAP's flow steering)
 * gives a TCP or UDP flow to one queue, so to one stack; but an ARP packet
 * lands on one queue only, while every stack needs the neighbours it names:
 * a stack answering a SYN must resolve the sender, and the ARP reply to its
 * request may reach another stack. So a driver that receives an ARP packet
 * posts a copy to each other member's inbox (F-Stack clones ARP to every
 * process alike). An inbox is bounded (a full one drops and counts), locked
 * (its owner drains it from its own thread), and wakes its owner's run loop
 * through an eventfd. Members join before their threads run and leave after. */
#ifndef NST_LINK_ARP_SHARE_H
#define NST_LINK_ARP_SHARE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define NST_ARP_INBOX_MAX 64
#define NST_ARP_FRAME_MAX 128 /* ARP over Ethernet is 42 bytes (60 padded) */
#define NST_ARP_GROUP_MAX 64

struct nst_arp_inbox {
    pthread_mutex_t mu;
    unsigned n;
    uint16_t len[NST_ARP_INBOX_MAX];
    uint8_t frame[NST_ARP_INBOX_MAX][NST_ARP_FRAME_MAX];
    int efd;                    /* readable while posts wait; -1 before init */
    uint64_t shared;            /* ARP packets received here and posted to the others */
    uint64_t taken;             /* posts from the others handed to this stack */
    uint64_t drops;             /* posts lost, the inbox full (written by the posters) */
};

struct nst_arp_group {
    struct nst_arp_inbox *members[NST_ARP_GROUP_MAX];
    unsigned n;
};

/* 0 or -errno (no eventfd). */
int nst_arp_inbox_init(struct nst_arp_inbox *in);
void nst_arp_inbox_fini(struct nst_arp_inbox *in);
/* Enters `in` as member `slot` (a queue number). 0, -EBUSY or -EINVAL. */
int nst_arp_group_join(struct nst_arp_group *g, unsigned slot, struct nst_arp_inbox *in);
void nst_arp_group_leave(struct nst_arp_group *g, unsigned slot, struct nst_arp_inbox *in);
/* If frame is an ARP packet and others share the group: a copy to each. */
void nst_arp_group_share(struct nst_arp_group *g, struct nst_arp_inbox *self, const uint8_t *frame, size_t len);
/* Hands every post waiting in `in` to deliver(arg, frame, len). */
void nst_arp_inbox_drain(struct nst_arp_inbox *in, void (*deliver)(void *arg, const uint8_t *frame, size_t len),
                         void *arg);

#endif
