/* The packet buffer: one contiguous buffer with headroom, so that each
 * layer on the way out prepends its header in place (push) and each layer
 * on the way in steps over its header (pull) without copying.
 * Buffers of the common size are recycled through a small per-stack cache. */
#ifndef NST_CORE_PKT_H
#define NST_CORE_PKT_H

#include <nstack/stack.h>
#include <nstack/types.h>

struct nst_stack;

/* Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60). */
#define NST_PKT_HEADROOM 136
/* Buffers up to this capacity come from the cache. */
#define NST_PKT_SMALL_CAP 2048

struct nst_pkt {
    struct nst_pkt *next; /* for queues */
    uint32_t cap;         /* bytes in buf[] */
    uint32_t off;         /* start of data */
    uint32_t len;         /* bytes of data */
    uint32_t aux;         /* free for the current owner (e.g. ifindex, source address) */
    uint32_t aux2;        /* likewise (e.g. source port) */
    nst_time_t ts;
    /* A split packet: payload borrowed after the buffer's data (a TCP send
     * ring's bytes, not copied), kept as the frame a link's send_frame()
     * takes: fr.frag[0..1] (fr.frag_len[0] != 0 marks the packet split),
     * the partial checksum's csum_offset and head_sum. Ethernet output
     * fills in the rest (head, lengths, csum_start from csum_at, the buffer
     * index of the TCP header). Kept in place rather than built apart: the
     * link then reads fields stored long before, not just now (reading
     * fresh separate stores as one wide load stalls the CPU). Valid only
     * while the packet goes down the stack in one call; whatever keeps a
     * packet (a queue, fragmentation, the loopback) makes it whole first
     * with nst_pkt_linearize. */
    struct nst_frame fr;
    uint32_t csum_at;
    uint8_t buf[];
};

struct nst_pkt_cache {
    struct nst_pkt *free;
    unsigned count, max;
};


/* The capacity of the buffer nst_pkt_alloc() gives len bytes of data: at
 * least a cached buffer's, so that it can be recycled. */
static inline size_t nst_pkt_cap_for(size_t len)
{
    size_t need = NST_PKT_HEADROOM + len;
    return need <= NST_PKT_SMALL_CAP ? NST_PKT_SMALL_CAP : need;
}

/* The memory a packet of len data bytes really occupies, header and
 * headroom included (Linux's skb truesize): what a queue holding it is
 * charged. */
static inline size_t nst_pkt_truesize(size_t len) { return sizeof(struct nst_pkt) + nst_pkt_cap_for(len); }

/* A packet with `len` bytes of data after NST_PKT_HEADROOM. NULL if out of memory. */
struct nst_pkt *nst_pkt_alloc(struct nst_stack *st, size_t len);
void nst_pkt_free(struct nst_stack *st, struct nst_pkt *p);
void nst_pkt_cache_drain(struct nst_pkt_cache *c);

static inline uint8_t *nst_pkt_data(struct nst_pkt *p) { return p->buf + p->off; }
/* Prepends n bytes; the caller has made sure the headroom is there. */
static inline uint8_t *nst_pkt_push(struct nst_pkt *p, size_t n)
{
    p->off -= (uint32_t)n;
    p->len += (uint32_t)n;
    return p->buf + p->off;
}
static inline void nst_pkt_pull(struct nst_pkt *p, size_t n)
{
    p->off += (uint32_t)n;
    p->len -= (uint32_t)n;
}
static inline size_t nst_pkt_headroom(const struct nst_pkt *p) { return p->off; }
/* Bytes of the whole packet, borrowed payload included. */
static inline size_t nst_pkt_total(const struct nst_pkt *p)
{
    return (size_t)p->len + p->fr.frag_len[0] + p->fr.frag_len[1];
}
static inline int nst_pkt_is_split(const struct nst_pkt *p) { return p->fr.frag_len[0] != 0; }
/* Makes a split packet whole: the borrowed payload copied after the data
 * and the partial TCP checksum finished, in one pass. *pp may be replaced
 * (a larger buffer). 0, or -ENOMEM with *pp freed and NULL. */
int nst_pkt_linearize_split(struct nst_stack *st, struct nst_pkt **pp);
static inline int nst_pkt_linearize(struct nst_stack *st, struct nst_pkt **pp)
{
    return nst_pkt_is_split(*pp) ? nst_pkt_linearize_split(st, pp) : 0;
}
/* Completes p->fr for the packet's data as it is now (its first byte is
 * the frame's) and returns it: the frame a link's send_frame() takes. */
const struct nst_frame *nst_pkt_frame(struct nst_pkt *p);

/* A FIFO of packets with its byte count. */
struct nst_pktq {
    struct nst_pkt *head, *tail;
    unsigned count;
    size_t bytes;
};

static inline void nst_pktq_push(struct nst_pktq *q, struct nst_pkt *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->count++;
    q->bytes += p->len;
}
static inline struct nst_pkt *nst_pktq_pop(struct nst_pktq *q)
{
    struct nst_pkt *p = q->head;
    if (!p)
        return NULL;
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    q->bytes -= p->len;
    p->next = NULL;
    return p;
}
void nst_pktq_clear(struct nst_stack *st, struct nst_pktq *q);

#endif
