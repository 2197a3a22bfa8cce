/* Where a stack's secrets come from (src/core/stack.c, RFC 6528, RFC 6056).
 * A stack made from nst_stack_config_default() draws them from the OS: two
 * such stacks, asked the same questions at the same virtual time, answer
 * with different ISNs (the keyed part, with both ports fixed), different
 * ephemeral ports and different IP IDs. Two stacks that opt into
 * deterministic seeding with the same seed answer identically, frame for
 * frame; another seed answers differently. */
#include <nstack/nstack.h>
#include <errno.h>
#include <string.h>

#include "support/sim_util.h"
#include "test.h"

#define T0 NST_SEC(3)
#define HOST NST_IP4(10, 0, 0, 1)
#define PEER NST_IP4(10, 0, 0, 2)
#define NDEST 8

/* What an off-path attacker would like to predict. */
struct secrets {
    uint32_t isn_fixed_ports;      /* SYN 10.0.0.1:40000 -> 10.0.0.2:80 */
    uint16_t tcp_port[NDEST];      /* unbound connects to ports 81.. */
    uint16_t udp_port;             /* an unbound UDP socket's first datagram */
    uint16_t ip_id;                /* that datagram's IP ID */
};

static const uint8_t *last_l4(struct su_tap *tap, uint8_t proto, struct su_parsed *p)
{
    CHECK(tap->n > 0);
    CHECK_EQ(su_parse(tap->v[tap->n - 1].data, tap->v[tap->n - 1].len, p), 0);
    CHECK_EQ(p->ip.proto, proto);
    return p->l4;
}

static void ask(const struct nst_stack_config *cfg, struct secrets *out)
{
    memset(out, 0, sizeof(*out));
    struct nst_stack *st = nst_stack_new(cfg);
    CHECK(st != NULL);
    struct su_tap tap;
    struct nst_mac me = su_mac(1), peer = su_mac(2);
    CHECK_EQ(su_tap_attach(st, &tap, &me, HOST, 24, 1500), 0);
    CHECK_EQ(nst_arp_add_static(st, 0, PEER, &peer), 0);
    nst_stack_poll(st, T0);
    struct su_parsed p;

    int fd = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr local = {HOST, 40000}, to = {PEER, 80};
    CHECK_EQ(nst_bind(st, fd, &local), 0);
    CHECK_EQ(nst_connect(st, fd, &to), -EINPROGRESS);
    out->isn_fixed_ports = nst_get32(last_l4(&tap, NST_IP_PROTO_TCP, &p) + 4);
    for (int i = 0; i < NDEST; i++) {
        fd = nst_socket(st, NST_SOCK_STREAM);
        to.port = (uint16_t)(81 + i);
        CHECK_EQ(nst_connect(st, fd, &to), -EINPROGRESS);
        out->tcp_port[i] = nst_get16(last_l4(&tap, NST_IP_PROTO_TCP, &p));
    }
    fd = nst_socket(st, NST_SOCK_DGRAM);
    to.port = 53;
    CHECK_EQ(nst_sendto(st, fd, "q", 1, 0, &to), 1);
    last_l4(&tap, NST_IP_PROTO_UDP, &p);
    CHECK(p.udp_ok);
    out->udp_port = p.udp.src_port;
    out->ip_id = p.ip.id;
    nst_stack_free(st);
    su_tap_free(&tap);
}

static void test_default_stacks_differ(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    CHECK_EQ(c.deterministic, 0);
    struct secrets a, b;
    ask(&c, &a);
    ask(&c, &b);
    /* 32 keyed bits: equal by chance once in 2^32 runs. */
    CHECK(a.isn_fixed_ports != b.isn_fixed_ports);
    /* Eight independent keyed offsets (RFC 6056 3.3.4) all equal by chance:
     * once in 16384^8. */
    CHECK(memcmp(a.tcp_port, b.tcp_port, sizeof(a.tcp_port)) != 0);
    CHECK(a.udp_port != b.udp_port || a.ip_id != b.ip_id);
    /* nst_stack_new(NULL) takes the same defaults. */
    struct nst_stack *st = nst_stack_new(NULL);
    CHECK(st != NULL);
    nst_stack_free(st);
}

static void test_same_seed_same_secrets(void)
{
    struct nst_stack_config c;
    nst_stack_config_default(&c);
    c.deterministic = 1;
    c.seed = 42;
    struct secrets a, b, other;
    ask(&c, &a);
    ask(&c, &b);
    CHECK_EQ(a.isn_fixed_ports, b.isn_fixed_ports);
    CHECK_MEM(a.tcp_port, b.tcp_port, sizeof(a.tcp_port));
    CHECK_EQ(a.udp_port, b.udp_port);
    CHECK_EQ(a.ip_id, b.ip_id);
    for (int i = 0; i < NDEST; i++)
        CHECK(a.tcp_port[i] >= c.ephemeral_lo && a.tcp_port[i] <= c.ephemeral_hi);
    c.seed = 43;
    ask(&c, &other);
    CHECK(other.isn_fixed_ports != a.isn_fixed_ports);
    CHECK(memcmp(other.tcp_port, a.tcp_port, sizeof(a.tcp_port)) != 0);
}

int main(void)
{
    RUN(test_default_stacks_differ);
    RUN(test_same_seed_same_secrets);
    return nst_test_done();
}
