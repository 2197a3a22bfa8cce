/* A simulated point-to-point Ethernet link.
 *
 * Each direction is its own wire: a FIFO in front of a serialiser (the
 * frame's bits at the link's bandwidth, one frame after the other), then
 * propagation delay, jitter and the impairments. The whole fate of a frame
 * is decided the moment it enters the link, and its delivery becomes one
 * event at its arrival time: nothing in the link needs a timer.
 *
 * Per frame, in this fixed order (so the world generator's draws, and so
 * the run, are a function of the seed alone):
 *   1. capture to pcap (if enabled)       5. serialise; lost?
 *   2. too big for the MTU? -> drop       6. corrupt?   (+ which bit)
 *   3. queue full? -> tail drop           7. duplicate?
 *   4. queue at the ECN threshold?        8. reorder?
 *      -> CE-mark an ECT datagram         9. jitter
 * A draw is only taken for an impairment whose probability is > 0, so a
 * clean link consumes no randomness; marking takes none at all. */
#include "sim/sim_world.h"

#include <errno.h>
#include <nstack/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ipv4.h"

#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800

struct sim_dir {
    struct nst_sim_link *link;
    int dir;                  /* 0: a -> b, 1: b -> a */
    nst_time_t wire_free_at;  /* when the serialiser finishes the last accepted frame */
    nst_time_t last_arrival;  /* latest in-order arrival; jitter never goes below it */
    /* Start times of the accepted frames not yet on the wire, oldest first
     * (a ring). They are the queue that queue_limit bounds. */
    nst_time_t *waiting;
    size_t wait_head, wait_n, wait_cap;
    struct nst_sim_link_stats stats;
};

struct nst_sim_link {
    struct nst_world *w;
    struct nst_link_params p;
    struct nst_stack *end[2];
    int ifindex[2];           /* -1 until the interface exists */
    struct sim_dir d[2];
    struct nst_pcap *pcap;
    nst_sim_observer_fn observer;
    void *observer_arg;
    /* A middlebox in the wire (sim_world.h), or NULL. */
    const struct nst_sim_box_ops *box_ops;
    void *box;
};

struct frame_event {
    struct nst_sim_event ev; /* first: the queue hands us this pointer */
    struct nst_sim_link *link;
    int dir;
    size_t len;
    uint8_t data[];
};

void nst_link_params_default(struct nst_link_params *p)
{
    memset(p, 0, sizeof *p);
    p->latency = NST_MSEC(1);
    p->jitter = 0;
    p->bandwidth_bps = 0;
    /* Linux's default txqueuelen: bounded, yet deep enough that a clean
     * link does not drop. */
    p->queue_limit = 1000;
    p->mtu = 1500;
    p->reorder_delay = 0; /* 0: latency / 2 + 1 ms, computed per frame */
}

static double clamp_probability(double x)
{
    /* !(x > 0) also catches NaN. */
    if (!(x > 0))
        return 0;
    return x > 1 ? 1 : x;
}

/* Copies p, mending values that make no sense rather than failing. */
static void params_sanitise(struct nst_link_params *dst, const struct nst_link_params *p)
{
    *dst = *p;
    if (dst->latency < 0)
        dst->latency = 0;
    if (dst->jitter < 0)
        dst->jitter = 0;
    if (dst->reorder_delay < 0)
        dst->reorder_delay = 0;
    if (dst->mtu == 0)
        dst->mtu = 1500;
    dst->loss = clamp_probability(dst->loss);
    dst->duplicate = clamp_probability(dst->duplicate);
    dst->reorder = clamp_probability(dst->reorder);
    dst->corrupt = clamp_probability(dst->corrupt);
}

static nst_time_t reorder_delay(const struct nst_link_params *p)
{
    return p->reorder_delay ? p->reorder_delay : p->latency / 2 + NST_MSEC(1);
}

/* Time to clock len bytes onto the wire, rounded up to whole ns so that
 * back-to-back frames never take zero time. The frame is counted as given
 * (no preamble, FCS or inter-frame gap): bandwidth is what frames get. */
static nst_time_t tx_time(size_t len, uint64_t bps)
{
    if (bps == 0)
        return 0;
    unsigned __int128 bits_ns = (unsigned __int128)len * 8u * 1000000000u;
    unsigned __int128 ns = (bits_ns + bps - 1) / bps;
    return ns > (unsigned __int128)NST_TIME_NEVER ? NST_TIME_NEVER : (nst_time_t)ns;
}

/* ---- the queue in front of the serialiser ------------------------------ */

/* Forgets the frames that have started transmitting by now. */
static void queue_advance(struct sim_dir *d, nst_time_t now)
{
    while (d->wait_n && d->waiting[d->wait_head] <= now) {
        d->wait_head = (d->wait_head + 1) % d->wait_cap;
        d->wait_n--;
    }
}

static int queue_reserve(struct sim_dir *d)
{
    if (d->wait_n < d->wait_cap)
        return 0;
    size_t ncap = d->wait_cap ? d->wait_cap * 2 : 16;
    nst_time_t *v = malloc(ncap * sizeof *v);
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < d->wait_n; i++)
        v[i] = d->waiting[(d->wait_head + i) % d->wait_cap];
    free(d->waiting);
    d->waiting = v;
    d->wait_head = 0;
    d->wait_cap = ncap;
    return 0;
}

static void queue_push(struct sim_dir *d, nst_time_t start)
{
    d->waiting[(d->wait_head + d->wait_n) % d->wait_cap] = start;
    d->wait_n++;
}

/* Accepts a frame of len bytes into the FIFO at `now`. Returns the time its
 * last bit leaves the sender, -ENOBUFS on a tail drop, -ENOMEM. */
static nst_time_t queue_and_serialise(struct sim_dir *d, nst_time_t now, size_t len)
{
    const struct nst_link_params *p = &d->link->p;
    queue_advance(d, now);
    /* The frame on the wire is not waiting; queue_limit counts the rest. */
    if (p->queue_limit && d->wait_n >= p->queue_limit)
        return -ENOBUFS;
    nst_time_t start = d->wire_free_at > now ? d->wire_free_at : now;
    if (start > now) {
        if (queue_reserve(d) < 0)
            return -ENOMEM;
        queue_push(d, start);
    }
    nst_time_t tx = tx_time(len, p->bandwidth_bps);
    d->wire_free_at = tx > NST_TIME_NEVER - start ? NST_TIME_NEVER : start + tx;
    return d->wire_free_at;
}

/* ---- ECN marking (RFC 3168 5) -------------------------------------------- */

/* Frames waiting for the wire that a frame arriving at `now` finds. */
static size_t queue_backlog(struct sim_dir *d, nst_time_t now)
{
    queue_advance(d, now);
    return d->wait_n;
}

/* RFC 3168 5: a congested queue sets CE in an ECN-capable datagram rather
 * than dropping it. Returns a marked copy of the frame (the sender's
 * buffer is not ours), or NULL to send it as it is: not IPv4, Not-ECT,
 * already CE (or no memory: the mark is lost, not the frame). */
static uint8_t *ce_marked_copy(struct sim_dir *d, const uint8_t *frame, size_t len)
{
    if (len < ETH_HDR_LEN + NST_IPV4_HLEN || ((frame[12] << 8) | frame[13]) != ETHERTYPE_IPV4)
        return NULL;
    uint8_t ecn = frame[ETH_HDR_LEN + 1] & NST_ECN_MASK;
    if (ecn == NST_ECN_NOT_ECT || ecn == NST_ECN_CE)
        return NULL;
    uint8_t *m = malloc(len);
    if (!m)
        return NULL;
    memcpy(m, frame, len);
    if (nst_ipv4_mark_ce(m + ETH_HDR_LEN, len - ETH_HDR_LEN) != 1) {
        free(m);
        return NULL;
    }
    d->stats.ce_marked++;
    return m;
}

/* ---- impairments -------------------------------------------------------- */

struct frame_fate {
    int lost;
    long long corrupt_bit; /* -1: intact */
    int duplicate;
    int reorder;
    nst_time_t jitter;
};

static int draw(struct nst_rng *r, double prob)
{
    return prob > 0 && nst_rng_double(r) < prob;
}

/* Which bit to flip. Only bits after the Ethernet header: a real NIC's FCS
 * would have thrown away a frame damaged on the wire, so the corruption
 * worth simulating is the kind that slips past the link layer (a bad
 * router buffer, a middlebox bug) -- exactly what the IPv4 header checksum
 * (RFC 791 3.1) and the UDP/TCP checksums (RFC 768, RFC 9293 3.1) are
 * there to catch. Tiny frames (no payload) get any bit. */
static long long draw_corrupt_bit(struct nst_rng *r, size_t len)
{
    if (len > ETH_HDR_LEN)
        return ETH_HDR_LEN * 8 + (long long)nst_rng_below(r, (uint64_t)(len - ETH_HDR_LEN) * 8);
    return (long long)nst_rng_below(r, (uint64_t)len * 8);
}

static struct frame_fate draw_fate(struct nst_rng *r, const struct nst_link_params *p, size_t len)
{
    struct frame_fate f = {0, -1, 0, 0, 0};
    f.lost = draw(r, p->loss);
    if (f.lost)
        return f;
    if (draw(r, p->corrupt) && len > 0)
        f.corrupt_bit = draw_corrupt_bit(r, len);
    f.duplicate = draw(r, p->duplicate);
    f.reorder = draw(r, p->reorder);
    if (p->jitter > 0)
        f.jitter = (nst_time_t)nst_rng_below(r, (uint64_t)p->jitter + 1);
    return f;
}

/* ---- delivery events ---------------------------------------------------- */

static void frame_event_fire(struct nst_world *w, struct nst_sim_event *ev)
{
    struct frame_event *fe = (struct frame_event *)ev;
    struct nst_sim_link *l = fe->link;
    int to = 1 - fe->dir;
    /* An interface that never came up (nst_world_connect failed half way)
     * swallows the frame. */
    if (l->ifindex[to] >= 0) {
        struct nst_sim_link_stats *s = &l->d[fe->dir].stats;
        s->delivered++;
        s->bytes_delivered += fe->len;
        if (l->observer)
            l->observer(l->observer_arg, NST_SIM_DELIVERED, fe->dir, w->now, fe->data, fe->len);
        nst_stack_input(l->end[to], l->ifindex[to], fe->data, fe->len, w->now);
    }
    free(fe);
}

static void frame_event_discard(struct nst_sim_event *ev) { free(ev); }

static const struct nst_sim_event_ops frame_event_ops = {
    .fire = frame_event_fire,
    .discard = frame_event_discard,
};

static int schedule_frame(struct sim_dir *d, nst_time_t when, const uint8_t *frame, size_t len)
{
    struct frame_event *fe = malloc(sizeof *fe + len);
    if (!fe)
        return -ENOMEM;
    fe->ev.when = when;
    fe->ev.ops = &frame_event_ops;
    fe->link = d->link;
    fe->dir = d->dir;
    fe->len = len;
    memcpy(fe->data, frame, len);
    int err = nst_sim_events_push(&d->link->w->events, &fe->ev);
    if (err)
        free(fe);
    return err;
}

/* Arrival time of a frame whose last bit left at wire_done. Jitter may
 * delay a frame but not past its successor: arrivals of one direction stay
 * in order (only the reorder impairment breaks the order, on purpose). */
static nst_time_t arrival_time(struct sim_dir *d, nst_time_t wire_done, const struct frame_fate *f)
{
    const struct nst_link_params *p = &d->link->p;
    nst_time_t t = wire_done + p->latency + f->jitter;
    if (t < d->last_arrival)
        t = d->last_arrival;
    d->last_arrival = t;
    if (f->reorder)
        t += reorder_delay(p);
    return t;
}

/* Decides the frame's fate and schedules its delivery (and its twin's). */
static int impair_and_schedule(struct sim_dir *d, nst_time_t wire_done, const uint8_t *frame, size_t len)
{
    struct nst_sim_link *l = d->link;
    struct frame_fate f = draw_fate(&l->w->rng, &l->p, len);
    if (f.lost) {
        d->stats.lost++;
        return 0;
    }
    nst_time_t when = arrival_time(d, wire_done, &f);
    const uint8_t *bytes = frame;
    uint8_t *damaged = NULL;
    if (f.corrupt_bit >= 0) {
        /* The sender's buffer is not ours to modify: flip in a copy. */
        damaged = malloc(len);
        if (!damaged)
            return -ENOMEM;
        memcpy(damaged, frame, len);
        damaged[f.corrupt_bit / 8] ^= (uint8_t)(1u << (f.corrupt_bit % 8));
        bytes = damaged;
        d->stats.corrupted++;
    }
    if (f.reorder)
        d->stats.reordered++;
    int err = schedule_frame(d, when, bytes, len);
    /* The twin arrives right after the original (same instant, next in
     * sequence) carrying the same bytes, damage included. */
    if (!err && f.duplicate) {
        err = schedule_frame(d, when, bytes, len);
        if (!err)
            d->stats.duplicated++;
    }
    free(damaged);
    return err;
}

static void capture(struct nst_sim_link *l, nst_time_t now, const uint8_t *frame, size_t len)
{
    if (!l->pcap)
        return;
    /* A failing capture (disk full) must not change the simulation: stop
     * capturing and carry on. */
    if (nst_pcap_write(l->pcap, now, frame, len) < 0) {
        nst_pcap_close(l->pcap);
        l->pcap = NULL;
    }
}

/* nst_link_ops.send of both interfaces; ctx is the sending direction.
 * Drops decided by the network (too big, queue full, loss) are silent, as
 * on a real wire: the sender sees success. */
static int link_carry(struct sim_dir *d, const uint8_t *frame, size_t len, int from_box);

static int sim_link_send(void *ctx, const uint8_t *frame, size_t len) { return link_carry(ctx, frame, len, 0); }

int nst_sim_link_inject(struct nst_sim_link *l, int dir, const uint8_t *frame, size_t len)
{
    return link_carry(&l->d[dir], frame, len, 1);
}

static int link_carry(struct sim_dir *d, const uint8_t *frame, size_t len, int from_box)
{
    struct nst_sim_link *l = d->link;
    nst_time_t now = nst_world_now(l->w);
    d->stats.offered++;
    /* The capture sees every frame offered to the link, when it is offered
     * and as the sender wrote it: before the MTU check, the queue, loss and
     * corruption. A capture is the sender's view of the wire, so tshark can
     * check the sender's checksums; what the link did is in the stats. */
    capture(l, now, frame, len);
    if (l->observer)
        l->observer(l->observer_arg, NST_SIM_OFFERED, d->dir, now, frame, len);
    /* The middlebox sits right after the sender's capture point: the
     * capture shows what the sender sent (a retransmission the box drops
     * too), the box decides what travels on. */
    if (l->box_ops && !from_box && !l->box_ops->pass(l->box, d->dir, now, frame, len)) {
        d->stats.box_drops++;
        return 0;
    }
    if (len > (size_t)l->p.mtu + ETH_HDR_LEN) {
        d->stats.too_big++;
        return 0;
    }
    if (l->p.silent_mtu && len > (size_t)l->p.silent_mtu + ETH_HDR_LEN) {
        d->stats.blackholed++; /* an ICMP black hole: gone, and nobody says so */
        return 0;
    }
    /* The queue the frame finds decides its mark (DCTCP's instantaneous
     * queue length against K), before it joins. */
    unsigned k = l->p.ecn_mark_threshold;
    int congested = k && queue_backlog(d, now) >= k;
    nst_time_t wire_done = queue_and_serialise(d, now, len);
    if (wire_done == -ENOBUFS) {
        d->stats.queue_drops++;
        return 0;
    }
    if (wire_done < 0)
        return (int)wire_done;
    uint8_t *marked = congested ? ce_marked_copy(d, frame, len) : NULL;
    int err = impair_and_schedule(d, wire_done, marked ? marked : frame, len);
    free(marked);
    return err;
}

/* ---- creation and the public accessors ---------------------------------- */

static struct nst_sim_link *link_alloc(struct nst_world *w, const struct nst_link_params *params)
{
    struct nst_sim_link *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->w = w;
    struct nst_link_params def;
    if (!params) {
        nst_link_params_default(&def);
        params = &def;
    }
    params_sanitise(&l->p, params);
    for (int i = 0; i < 2; i++) {
        l->ifindex[i] = -1;
        l->d[i].link = l;
        l->d[i].dir = i;
        l->d[i].wire_free_at = w->now;
        l->d[i].last_arrival = w->now;
    }
    return l;
}

/* Adds the interface of one end; its sends go in direction `side`. */
static int attach_end(struct nst_sim_link *l, int side, struct nst_stack *st, nst_ip4_t addr, uint8_t prefix)
{
    char name[16];
    snprintf(name, sizeof name, "eth%d", nst_iface_count(st));
    struct nst_iface_config ic = {0};
    ic.name = name;
    int err = nst_world_new_mac(l->w, &ic.mac);
    if (err)
        return err;
    ic.addr = addr;
    ic.prefix_len = prefix;
    ic.mtu = l->p.mtu;
    ic.ops.send = sim_link_send;
    ic.ctx = &l->d[side];
    l->end[side] = st;
    int ifindex = nst_iface_add(st, &ic);
    if (ifindex < 0)
        return ifindex;
    l->ifindex[side] = ifindex;
    return 0;
}

struct nst_sim_link *nst_world_connect(struct nst_world *w, struct nst_stack *a, nst_ip4_t a_addr, uint8_t a_prefix,
                                       struct nst_stack *b, nst_ip4_t b_addr, uint8_t b_prefix,
                                       const struct nst_link_params *params)
{
    if (!w || !nst_world_has_host(w, a) || !nst_world_has_host(w, b))
        return NULL;
    struct nst_sim_link *l = link_alloc(w, params);
    if (!l)
        return NULL;
    if (nst_world_adopt_link(w, l) < 0) {
        nst_sim_link_free(l);
        return NULL;
    }
    /* From here the world owns l: a failure leaves a dead link behind
     * (the interface already added to `a` cannot be removed), freed with
     * the world. */
    if (attach_end(l, 0, a, a_addr, a_prefix) < 0 || attach_end(l, 1, b, b_addr, b_prefix) < 0)
        return NULL;
    return l;
}

int nst_sim_link_addr6(struct nst_sim_link *l, int side, const char *addr)
{
    nst_ip6_t a;
    uint8_t len = 128;
    if (!l || (side != 0 && side != 1) || !addr || l->ifindex[side] < 0 || !strchr(addr, '/') ||
        nst_ip6_parse(addr, &a, &len) < 0)
        return -EINVAL;
    return nst_iface_addr6_add(l->end[side], l->ifindex[side], &a, len);
}

struct nst_sim_link *nst_world_connect6(struct nst_world *w, struct nst_stack *a, const char *a_addr,
                                        struct nst_stack *b, const char *b_addr, const struct nst_link_params *params)
{
    struct nst_sim_link *l = nst_world_connect(w, a, 0, 0, b, 0, 0, params);
    if (!l || nst_sim_link_addr6(l, 0, a_addr) < 0 || nst_sim_link_addr6(l, 1, b_addr) < 0)
        return NULL; /* the world owns (and frees) a link that half came up */
    return l;
}

void nst_sim_link_free(struct nst_sim_link *l)
{
    if (!l)
        return;
    nst_pcap_close(l->pcap);
    if (l->box_ops)
        l->box_ops->free(l->box);
    for (int i = 0; i < 2; i++)
        free(l->d[i].waiting);
    free(l);
}

void nst_sim_link_set_params(struct nst_sim_link *l, const struct nst_link_params *p)
{
    if (l && p)
        params_sanitise(&l->p, p);
}

void nst_sim_link_observe(struct nst_sim_link *l, nst_sim_observer_fn fn, void *arg)
{
    l->observer = fn;
    l->observer_arg = arg;
}

int nst_sim_link_pcap(struct nst_sim_link *l, const char *path)
{
    if (!l)
        return -EINVAL;
    nst_pcap_close(l->pcap);
    l->pcap = NULL;
    if (!path) /* NULL: stop capturing */
        return 0;
    l->pcap = nst_pcap_open(path);
    if (!l->pcap)
        return errno ? -errno : -EIO;
    return 0;
}

unsigned nst_sim_link_queue_len(struct nst_sim_link *l, int dir)
{
    if (!l || (dir != 0 && dir != 1))
        return 0;
    return (unsigned)queue_backlog(&l->d[dir], nst_world_now(l->w));
}

const struct nst_sim_link_stats *nst_sim_link_stats(const struct nst_sim_link *l, int dir)
{
    if (!l || (dir != 0 && dir != 1))
        return NULL;
    return &l->d[dir].stats;
}

int nst_sim_link_ifindex(const struct nst_sim_link *l, int side)
{
    if (!l || (side != 0 && side != 1))
        return -EINVAL;
    return l->ifindex[side] >= 0 ? l->ifindex[side] : -ENODEV;
}

void nst_sim_link_set_box(struct nst_sim_link *l, const struct nst_sim_box_ops *ops, void *box)
{
    if (l->box_ops)
        l->box_ops->free(l->box);
    l->box_ops = ops;
    l->box = box;
}

struct nst_world *nst_sim_link_world(const struct nst_sim_link *l) { return l->w; }
