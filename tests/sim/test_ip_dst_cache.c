/* A connection remembers its way out (struct nst_dst: interface, next
 * hop's MAC, MTU) and skips the route lookup and the neighbour search on
 * every segment. It must never send a segment the old way after the way
 * changed: the neighbour's entry replaced, a more specific route through a
 * gateway, that route's removal. (A neighbour answering ARP from another
 * MAC and its entry lapsing: tests/sim/test_tcp_split_tx.c.) */
#include <string.h>

#include "../test.h"
#include "support/tcp_script.h"
#include "wire/eth.h"

#define MS(x) NST_MSEC(x)
#define GW_ADDR NST_IP4(192, 168, 0, 254)

/* Sends one byte on fd at t and returns the Ethernet destination of the
 * data segment that leaves (00.. if none). */
static struct nst_mac next_data_dst(struct ts *s, int fd, nst_time_t t)
{
    struct nst_mac none = {{0}};
    ts_run_until(s, t);
    if (nst_send(s->st, fd, "x", 1, 0) != 1)
        return none;
    struct ts_pkt p;
    while (ts_next(s, t + MS(1), &p))
        if (p.len == 1) {
            struct nst_mac m;
            memcpy(m.b, p.frame, 6);
            return m;
        }
    return none;
}

static void ack_all(struct ts *s, nst_time_t t, uint32_t upto)
{
    struct ts_seg a = {.flags = NST_TCP_ACK, .seq = 1, .ack = upto, .win = 65535};
    ts_inject(s, t, &a);
    ts_flush(s);
}

static void test_way_out_follows_changes(void)
{
    struct ts *s = ts_new(NULL);
    struct nst_tcp_opts o = ts_syn_opts(-1, 0, 0);
    int fd = ts_active_open(s, 0, MS(10), &o, 65535);
    CHECK(fd >= 0);
    struct nst_mac peer = s->peer_mac, moved = {{2, 0, 0, 0, 0, 0x77}}, gw = {{2, 0, 0, 0, 0, 0xfe}};
    uint32_t sent = 1;

    /* The remembered way: the peer's MAC, segment after segment. */
    struct nst_mac m = next_data_dst(s, fd, MS(20));
    CHECK(nst_mac_eq(&m, &peer));
    ack_all(s, MS(21), ++sent);
    m = next_data_dst(s, fd, MS(30));
    CHECK(nst_mac_eq(&m, &peer));
    ack_all(s, MS(31), ++sent);

    /* The peer's entry replaced (`arp -s` again): the next segment goes
     * to the new MAC. */
    CHECK_EQ(nst_arp_add_static(s->st, s->ifindex, TS_PEER_ADDR, &moved), 0);
    CHECK_EQ(nst_arp_add_static(s->st, s->ifindex, GW_ADDR, &gw), 0);
    m = next_data_dst(s, fd, MS(41));
    CHECK(nst_mac_eq(&m, &moved));
    ack_all(s, MS(42), ++sent);

    /* A host route through a gateway (known already): the next segment
     * goes to the gateway. */
    CHECK_EQ(nst_route_add(s->st, TS_PEER_ADDR, 32, GW_ADDR, s->ifindex, 0), 0);
    m = next_data_dst(s, fd, MS(50));
    CHECK(nst_mac_eq(&m, &gw));
    ack_all(s, MS(51), ++sent);
    /* ...and back once it is gone. */
    CHECK_EQ(nst_route_del(s->st, TS_PEER_ADDR, 32), 0);
    m = next_data_dst(s, fd, MS(60));
    CHECK(nst_mac_eq(&m, &moved));
    ack_all(s, MS(61), ++sent);
    ts_free(s);
}

int main(void)
{
    RUN(test_way_out_follows_changes);
    return nst_test_done();
}
