/* An idle-timeout middlebox in a simulated link (include/nstack/sim.h):
 * the load balancer that resets, or the NAT that forgets, a TCP flow
 * quiet for longer than its timeout.
 *
 * It tracks flows by their 4-tuple in a bounded table, remembers per
 * direction the next sequence number and the Ethernet header (so a RST it
 * makes looks like the flow's own frames), and one world event sweeps the
 * table at the earliest moment a flow can expire. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_world.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct flow {
    int used;
    /* Dir 0's source is end a's address (the link's first end). */
    nst_ip4_t ip[2];
    uint16_t port[2];
    nst_time_t last;
    uint8_t eth[2][14]; /* the last frame's header per direction */
    int seen[2];        /* a frame went that way */
    uint32_t nxt[2];    /* the sequence number after the last byte sent that way */
    int fin[2];
};

struct nst_idle_box {
    struct nst_sim_link *link;
    struct nst_idle_box_config cfg;
    struct flow *flows;
    int sweep_armed;
    struct nst_idle_box_stats stats;
};

struct sweep_event {
    struct nst_sim_event ev;
    struct nst_idle_box *b;
};

void nst_idle_box_config_default(struct nst_idle_box_config *c)
{
    c->idle_timeout = NST_SEC(60);
    c->mode = NST_IDLE_RST;
    c->max_flows = 1024;
}

/* Sequence arithmetic (RFC 9293 3.4). */
static int seq_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static struct flow *find(struct nst_idle_box *b, const nst_ip4_t ip[2], const uint16_t port[2])
{
    for (unsigned i = 0; i < b->cfg.max_flows; i++) {
        struct flow *f = &b->flows[i];
        if (f->used && f->ip[0] == ip[0] && f->ip[1] == ip[1] && f->port[0] == port[0] && f->port[1] == port[1])
            return f;
    }
    return NULL;
}

static struct flow *add(struct nst_idle_box *b)
{
    for (unsigned i = 0; i < b->cfg.max_flows; i++)
        if (!b->flows[i].used) {
            memset(&b->flows[i], 0, sizeof(b->flows[i]));
            b->flows[i].used = 1;
            b->stats.active++;
            return &b->flows[i];
        }
    return NULL;
}

static void forget(struct nst_idle_box *b, struct flow *f)
{
    f->used = 0;
    b->stats.active--;
}

/* A RST travelling in direction dir, from that direction's sender, with
 * the sequence number its receiver expects next. */
static void send_rst(struct nst_idle_box *b, struct flow *f, int dir)
{
    if (!f->seen[dir])
        return;
    uint8_t fr[14 + 20 + 20];
    memset(fr, 0, sizeof(fr));
    memcpy(fr, f->eth[dir], 14);
    uint8_t *ip = fr + 14, *tcp = ip + 20;
    nst_ip4_t src = f->ip[dir], dst = f->ip[1 - dir];
    ip[0] = 0x45;
    nst_put16(ip + 2, 40);
    nst_put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 6;
    nst_put32(ip + 12, src);
    nst_put32(ip + 16, dst);
    nst_put16(ip + 10, nst_inet_checksum(ip, 20));
    nst_put16(tcp, f->port[dir]);
    nst_put16(tcp + 2, f->port[1 - dir]);
    nst_put32(tcp + 4, f->nxt[dir]);
    tcp[12] = 5 << 4;
    tcp[13] = TCP_RST;
    nst_tcp_set_checksum(tcp, 20, src, dst);
    if (nst_sim_link_inject(b->link, dir, fr, sizeof(fr)) == 0)
        b->stats.rsts_sent++;
}

static void arm_sweep(struct nst_idle_box *b, nst_time_t when);

static void sweep_fire(struct nst_world *w, struct nst_sim_event *ev)
{
    struct nst_idle_box *b = ((struct sweep_event *)ev)->b;
    free(ev);
    b->sweep_armed = 0;
    nst_time_t now = nst_world_now(w), next = NST_TIME_NEVER;
    for (unsigned i = 0; i < b->cfg.max_flows; i++) {
        struct flow *f = &b->flows[i];
        if (!f->used)
            continue;
        if (now - f->last < b->cfg.idle_timeout) {
            if (f->last + b->cfg.idle_timeout < next)
                next = f->last + b->cfg.idle_timeout;
            continue;
        }
        if (f->fin[0] && f->fin[1]) { /* closed both ways: only the table entry is left */
            b->stats.flows_closed++;
        } else {
            b->stats.flows_expired++;
            if (b->cfg.mode == NST_IDLE_RST) {
                send_rst(b, f, 0);
                send_rst(b, f, 1);
            }
        }
        forget(b, f);
    }
    if (next != NST_TIME_NEVER)
        arm_sweep(b, next);
}

static void sweep_discard(struct nst_sim_event *ev) { free(ev); }

static const struct nst_sim_event_ops sweep_ops = {.fire = sweep_fire, .discard = sweep_discard};

static void arm_sweep(struct nst_idle_box *b, nst_time_t when)
{
    if (b->sweep_armed)
        return;
    struct sweep_event *e = malloc(sizeof(*e));
    if (!e)
        return;
    e->ev.when = when;
    e->ev.ops = &sweep_ops;
    e->b = b;
    if (nst_sim_events_push(&nst_sim_link_world(b->link)->events, &e->ev) == 0)
        b->sweep_armed = 1;
    else
        free(e);
}

/* The TCP header of an unfragmented IPv4 frame, or NULL. */
static const uint8_t *tcp_of(const uint8_t *fr, size_t len, size_t *seg_len)
{
    if (len < 14 + 20 || nst_get16(fr + 12) != 0x0800)
        return NULL;
    const uint8_t *ip = fr + 14;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = nst_get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || tot < ihl + 20 || tot > len - 14 ||
        (nst_get16(ip + 6) & 0x3fff))
        return NULL;
    *seg_len = tot - ihl;
    return ip + ihl;
}

static int box_pass(void *arg, int dir, nst_time_t now, const uint8_t *fr, size_t len)
{
    struct nst_idle_box *b = arg;
    size_t seg_len;
    const uint8_t *tcp = tcp_of(fr, len, &seg_len);
    if (!tcp)
        return 1; /* not TCP: not this box's business */
    const uint8_t *ip = fr + 14;
    nst_ip4_t src = nst_get32(ip + 12), dst = nst_get32(ip + 16);
    uint16_t sport = nst_get16(tcp), dport = nst_get16(tcp + 2);
    nst_ip4_t ips[2] = {dir ? dst : src, dir ? src : dst};
    uint16_t ports[2] = {dir ? dport : sport, dir ? sport : dport};
    uint8_t flags = tcp[13];
    struct flow *f = find(b, ips, ports);
    if (!f) {
        if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) {
            b->stats.unknown_dropped++;
            return 0;
        }
        if (!(f = add(b))) {
            b->stats.table_full++;
            return 0;
        }
        memcpy(f->ip, ips, sizeof(ips));
        memcpy(f->port, ports, sizeof(ports));
        b->stats.flows_seen++;
    }
    f->last = now;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    uint32_t end = nst_get32(tcp + 4) + (uint32_t)(seg_len > doff ? seg_len - doff : 0) + !!(flags & TCP_SYN) +
                   !!(flags & TCP_FIN);
    if (!f->seen[dir] || seq_after(end, f->nxt[dir]))
        f->nxt[dir] = end;
    f->seen[dir] = 1;
    memcpy(f->eth[dir], fr, 14);
    if (flags & TCP_FIN)
        f->fin[dir] = 1;
    if (flags & TCP_RST) {
        b->stats.flows_closed++;
        forget(b, f);
        return 1;
    }
    arm_sweep(b, now + b->cfg.idle_timeout);
    return 1;
}

static void box_free(void *arg)
{
    struct nst_idle_box *b = arg;
    free(b->flows);
    free(b);
}

static const struct nst_sim_box_ops idle_box_ops = {.pass = box_pass, .free = box_free};

struct nst_idle_box *nst_idle_box_attach(struct nst_sim_link *l, const struct nst_idle_box_config *c)
{
    struct nst_idle_box *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->link = l;
    if (c)
        b->cfg = *c;
    else
        nst_idle_box_config_default(&b->cfg);
    if (!b->cfg.max_flows)
        b->cfg.max_flows = 1024;
    b->flows = calloc(b->cfg.max_flows, sizeof(*b->flows));
    if (!b->flows) {
        free(b);
        return NULL;
    }
    nst_sim_link_set_box(l, &idle_box_ops, b);
    return b;
}

const struct nst_idle_box_stats *nst_idle_box_stats(const struct nst_idle_box *b) { return &b->stats; }
