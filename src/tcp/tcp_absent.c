/* Interim: this build of nstack has no TCP yet. A host without TCP behaves
 * as RFC 1122 3.2.2.1 says for any protocol it does not implement: it answers
 * with ICMP Protocol Unreachable, and its socket layer refuses
 * NST_SOCK_STREAM with -EPROTONOSUPPORT. Replaced by src/tcp/tcp_*.c. */
#include <errno.h>

#include "core/stack_impl.h"
#include "tcp/tcp.h"
#include "wire/icmp.h"

int nst_tcp_init(struct nst_stack *st)
{
    (void)st;
    return 0;
}

void nst_tcp_fini(struct nst_stack *st) { (void)st; }

void nst_tcp_input(struct nst_stack *st, const struct nst_ip_rx *rx, const uint8_t *seg, size_t len)
{
    (void)seg;
    (void)len;
    NST_STAT_INC(st, ip, drop_unknown_protocol);
    if (nst_ip_is_local(st, rx->hdr.dst))
        nst_icmp_send_error(st, NST_ICMP_DEST_UNREACH, NST_ICMP_PROTO_UNREACH, 0, 0, rx->ip, rx->ip_len);
}

void nst_tcp_icmp_error(struct nst_stack *st, uint8_t type, uint8_t code, const uint8_t *quoted, size_t len)
{
    (void)st;
    (void)type;
    (void)code;
    (void)quoted;
    (void)len;
}

struct nst_sock *nst_tcp_sock_new(struct nst_stack *st, int *err)
{
    (void)st;
    *err = -EPROTONOSUPPORT;
    return NULL;
}
