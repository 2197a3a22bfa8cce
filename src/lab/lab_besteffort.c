/* The article's claim about IP: "Packets can arrive out of order, be
 * duplicated, or be dropped. IP does not retransmit lost packets."
 * Shown with UDP (which adds nothing to IP's delivery): New York sends
 * numbered datagrams to London across a transatlantic link that loses,
 * duplicates and reorders; London counts what it sees; the counters show
 * that nothing along the way sent anything twice. */
#include "lab/lab_internal.h"

#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"

#define BE_COUNT 1000
#define BE_PORT 9000
#define BE_PAYLOAD 100

struct be_tally {
    unsigned arrivals, unique, duplicates, reordered;
    uint32_t highest;
    uint8_t seen[BE_COUNT];
};

static void be_receive(struct nst_stack *st, int fd, struct be_tally *t)
{
    uint8_t buf[BE_PAYLOAD];
    while (nst_recv(st, fd, buf, sizeof(buf), 0) == BE_PAYLOAD) {
        uint32_t seq = nst_get32(buf);
        if (seq >= BE_COUNT)
            continue;
        t->arrivals++;
        if (t->seen[seq]++) {
            t->duplicates++;
            continue;
        }
        t->unique++;
        if (t->unique > 1 && seq < t->highest)
            t->reordered++; /* overtaken by a later datagram */
        if (seq > t->highest)
            t->highest = seq;
    }
}

int nst_demo_best_effort(const struct nst_demo_opts *o, FILE *out)
{
    static const struct nst_demo_impair bad_link = {.loss = 0.05, .duplicate = 0.03, .reorder = 0.05};
    struct nst_lab_path p;
    if (nst_demo_build_path(o, &p, &bad_link, 2, "best-effort.pcap", out) < 0)
        return 1;
    int tx = nst_socket(p.ny, NST_SOCK_DGRAM), rx = nst_socket(p.london, NST_SOCK_DGRAM);
    struct nst_sockaddr bind_addr = {0, BE_PORT}, to = {NST_LAB_LONDON_ADDR, BE_PORT};
    nst_bind(p.london, rx, &bind_addr);
    struct be_tally *t = calloc(1, sizeof(*t));
    uint8_t msg[BE_PAYLOAD] = {0};
    for (uint32_t i = 0; i < BE_COUNT; i++) {
        nst_world_run_until(p.world, NST_MSEC(1) * i);
        be_receive(p.london, rx, t);
        nst_put32(msg, i);
        nst_sendto(p.ny, tx, msg, sizeof(msg), 0, &to);
    }
    nst_world_run_for(p.world, NST_SEC(1));
    be_receive(p.london, rx, t);

    const struct nst_sim_link_stats *ls = nst_sim_link_stats(p.links[2], 0);
    const struct nst_stats *ny = nst_stack_stats(p.ny);
    unsigned lost = BE_COUNT - t->unique;
    fprintf(out, "New York sent %u numbered UDP datagrams to London, one per millisecond, across a\n"
                 "transatlantic link that drops 5%%, duplicates 3%% and delays 5%% of frames.\n\n",
            BE_COUNT);
    fprintf(out, "  London received     %5u datagrams (%u distinct)\n", t->arrivals, t->unique);
    fprintf(out, "  lost                %5u   (the link dropped %llu)\n", lost,
            (unsigned long long)ls->lost);
    fprintf(out, "  duplicated          %5u   (the link duplicated %llu)\n", t->duplicates,
            (unsigned long long)ls->duplicated);
    fprintf(out, "  out of order        %5u   (the link held back %llu)\n", t->reordered,
            (unsigned long long)ls->reordered);
    fprintf(out, "  New York's IP sent  %5llu datagrams for %llu UDP sends: nothing was retransmitted\n",
            (unsigned long long)ny->ip_tx_packets, (unsigned long long)ny->udp_tx_datagrams);
    nst_lab_figure(o, "datagrams lost", "as many as the link dropped", lost == ls->lost, "", "%u", lost);
    nst_lab_figure(o, "datagrams duplicated", "as many as the link duplicated", t->duplicates == ls->duplicated, "",
                   "%u", t->duplicates);
    nst_lab_figure(o, "datagrams out of order", "more than 0", t->reordered > 0, "", "%u", t->reordered);
    nst_lab_figure(o, "IP datagrams New York sent", "1000: one per send, none again",
                   ny->ip_tx_packets == BE_COUNT, "", "%llu", (unsigned long long)ny->ip_tx_packets);
    int ok = 1;
    ok &= nst_lab_check(out, lost == ls->lost, "every loss at the link is a datagram London never got");
    ok &= nst_lab_check(out, t->duplicates == ls->duplicated, "every duplicate is one the link made");
    ok &= nst_lab_check(out, t->reordered > 0 && lost > 0 && t->duplicates > 0,
                        "loss, duplication and reordering all reached the application");
    ok &= nst_lab_check(out, ny->ip_tx_packets == BE_COUNT && ny->udp_tx_datagrams == BE_COUNT,
                        "IP sent each datagram exactly once: no retransmission below TCP");
    free(t);
    nst_lab_path_free(&p);
    return ok ? 0 : 1;
}
