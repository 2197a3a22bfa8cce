/* The names a script may use: the constants of packetdrill's symbol table
 * (Linux's values: pd_syscall.c translates them to nstack's) and errno
 * names. Values are Linux's ABI, written out so the table reads the same on
 * any build host. Socket options carry their level: setsockopt and
 * getsockopt know which of them nstack has (pd_syscall.c), and
 * --list-unsupported prints the others. */
#include <errno.h>
#include <string.h>

#include "pd.h"

struct sym {
    const char *name;
    long long v;
    int level; /* a socket option's level, -1: not an option */
};

#define SO_(n, v) {#n, v, 1}
#define TCP_(n, v) {#n, v, 6}
#define IP_(n, v) {#n, v, 0}
#define IP6_(n, v) {#n, v, 41}
#define K(n, v) {#n, v, -1}
static const struct sym symbols[] = {
    /* families, types, protocols, levels */
    K(AF_UNSPEC, 0), K(AF_UNIX, 1), K(AF_INET, 2), K(AF_INET6, 10), K(AF_PACKET, 17), K(PF_INET, 2),
    K(PF_INET6, 10), K(SOCK_STREAM, 1), K(SOCK_DGRAM, 2), K(SOCK_RAW, 3), K(SOCK_SEQPACKET, 5),
    K(SOCK_NONBLOCK, 04000), K(SOCK_CLOEXEC, 02000000), K(IPPROTO_IP, 0), K(IPPROTO_ICMP, 1), K(IPPROTO_TCP, 6),
    K(IPPROTO_UDP, 17), K(IPPROTO_IPV6, 41), K(IPPROTO_GRE, 47), K(IPPROTO_ICMPV6, 58), K(IPPROTO_SCTP, 132),
    K(IPPROTO_UDPLITE, 136), K(IPPROTO_RAW, 255), K(IPPROTO_MPTCP, 262), K(SOL_IP, 0), K(SOL_SOCKET, 1),
    K(SOL_TCP, 6), K(SOL_UDP, 17), K(SOL_IPV6, 41), K(INADDR_ANY, 0),
    /* SOL_SOCKET options */
    SO_(SO_DEBUG, 1), SO_(SO_REUSEADDR, 2), SO_(SO_TYPE, 3), SO_(SO_ERROR, 4), SO_(SO_DONTROUTE, 5),
    SO_(SO_BROADCAST, 6), SO_(SO_SNDBUF, 7), SO_(SO_RCVBUF, 8), SO_(SO_KEEPALIVE, 9), SO_(SO_OOBINLINE, 10),
    SO_(SO_NO_CHECK, 11), SO_(SO_PRIORITY, 12), SO_(SO_LINGER, 13), SO_(SO_REUSEPORT, 15), SO_(SO_PASSCRED, 16),
    SO_(SO_RCVLOWAT, 18), SO_(SO_SNDLOWAT, 19), SO_(SO_RCVTIMEO, 20), SO_(SO_SNDTIMEO, 21),
    SO_(SO_BINDTODEVICE, 25), SO_(SO_ATTACH_FILTER, 26), SO_(SO_TIMESTAMP, 29), SO_(SO_ACCEPTCONN, 30),
    SO_(SO_SNDBUFFORCE, 32), SO_(SO_RCVBUFFORCE, 33), SO_(SO_TIMESTAMPNS, 35), SO_(SO_MARK, 36),
    SO_(SO_TIMESTAMPING, 37), SO_(SO_PROTOCOL, 38), SO_(SO_DOMAIN, 39), SO_(SO_RXQ_OVFL, 40),
    SO_(SO_PEEK_OFF, 42), SO_(SO_BUSY_POLL, 46), SO_(SO_MAX_PACING_RATE, 47), SO_(SO_INCOMING_CPU, 49),
    SO_(SO_INCOMING_NAPI_ID, 56), SO_(SO_ZEROCOPY, 60), SO_(SO_TXTIME, 61),
    /* IPPROTO_TCP options */
    TCP_(TCP_NODELAY, 1), TCP_(TCP_MAXSEG, 2), TCP_(TCP_CORK, 3), TCP_(TCP_KEEPIDLE, 4), TCP_(TCP_KEEPINTVL, 5),
    TCP_(TCP_KEEPCNT, 6), TCP_(TCP_SYNCNT, 7), TCP_(TCP_LINGER2, 8), TCP_(TCP_DEFER_ACCEPT, 9),
    TCP_(TCP_WINDOW_CLAMP, 10), TCP_(TCP_INFO, 11), TCP_(TCP_QUICKACK, 12), TCP_(TCP_CONGESTION, 13),
    TCP_(TCP_MD5SIG, 14), TCP_(TCP_THIN_LINEAR_TIMEOUTS, 16), TCP_(TCP_THIN_DUPACK, 17),
    TCP_(TCP_USER_TIMEOUT, 18), TCP_(TCP_REPAIR, 19), TCP_(TCP_REPAIR_QUEUE, 20), TCP_(TCP_QUEUE_SEQ, 21),
    TCP_(TCP_REPAIR_OPTIONS, 22), TCP_(TCP_FASTOPEN, 23), TCP_(TCP_TIMESTAMP, 24), TCP_(TCP_NOTSENT_LOWAT, 25),
    TCP_(TCP_CC_INFO, 26), TCP_(TCP_SAVE_SYN, 27), TCP_(TCP_SAVED_SYN, 28), TCP_(TCP_REPAIR_WINDOW, 29),
    TCP_(TCP_FASTOPEN_CONNECT, 30), TCP_(TCP_ULP, 31), TCP_(TCP_MD5SIG_EXT, 32), TCP_(TCP_FASTOPEN_KEY, 33),
    TCP_(TCP_FASTOPEN_NO_COOKIE, 34), TCP_(TCP_ZEROCOPY_RECEIVE, 35), TCP_(TCP_INQ, 36), TCP_(TCP_CM_INQ, 36),
    TCP_(TCP_TX_DELAY, 37), TCP_(TCP_AO_ADD_KEY, 38), TCP_(TCP_AO_DEL_KEY, 39), TCP_(TCP_AO_INFO, 40),
    TCP_(TCP_AO_GET_KEYS, 41), TCP_(TCP_AO_REPAIR, 42), TCP_(TCP_IS_MPTCP, 43), TCP_(TCP_RTO_MAX_MS, 44),
    TCP_(TCP_RTO_MIN_US, 45), TCP_(TCP_DELACK_MAX_US, 46),
    /* IPPROTO_IP and IPPROTO_IPV6 options */
    IP_(IP_TOS, 1), IP_(IP_TTL, 2), IP_(IP_HDRINCL, 3), IP_(IP_OPTIONS, 4), IP_(IP_RECVOPTS, 6),
    IP_(IP_MTU_DISCOVER, 10), IP_(IP_RECVERR, 11), IP_(IP_RECVTTL, 12), IP_(IP_RECVTOS, 13), IP_(IP_MTU, 14),
    IP_(IP_FREEBIND, 15), IP_(IP_PKTINFO, 8), IP_(IP_TRANSPARENT, 19), IP_(IP_RECVORIGDSTADDR, 20),
    IP_(IP_BIND_ADDRESS_NO_PORT, 24), IP_(IP_LOCAL_PORT_RANGE, 51), IP6_(IPV6_MTU_DISCOVER, 23), IP6_(IPV6_RECVERR, 25),
    IP6_(IPV6_V6ONLY, 26), IP6_(IPV6_TCLASS, 67),
    K(IP_PMTUDISC_DONT, 0), K(IP_PMTUDISC_WANT, 1), K(IP_PMTUDISC_DO, 2), K(IP_PMTUDISC_PROBE, 3),
    /* message flags */
    K(MSG_OOB, 0x1), K(MSG_PEEK, 0x2), K(MSG_DONTROUTE, 0x4), K(MSG_CTRUNC, 0x8), K(MSG_TRUNC, 0x20),
    K(MSG_DONTWAIT, 0x40), K(MSG_EOR, 0x80), K(MSG_WAITALL, 0x100), K(MSG_CONFIRM, 0x800),
    K(MSG_ERRQUEUE, 0x2000), K(MSG_NOSIGNAL, 0x4000), K(MSG_MORE, 0x8000), K(MSG_ZEROCOPY, 0x4000000),
    K(MSG_FASTOPEN, 0x20000000), K(MSG_CMSG_CLOEXEC, 0x40000000),
    /* fcntl, ioctl */
    K(F_DUPFD, 0), K(F_GETFD, 1), K(F_SETFD, 2), K(F_GETFL, 3), K(F_SETFL, 4), K(F_SETOWN, 8), K(F_GETOWN, 9),
    K(FD_CLOEXEC, 1), K(O_RDONLY, 0), K(O_WRONLY, 1), K(O_RDWR, 2), K(O_NONBLOCK, 04000),
    K(O_CLOEXEC, 02000000), K(SIOCINQ, 0x541B), K(FIONREAD, 0x541B), K(SIOCOUTQ, 0x5411),
    K(TIOCOUTQ, 0x5411), K(SIOCOUTQNSD, 0x894B), K(FIONBIO, 0x5421), K(SIOCATMARK, 0x8905),
    K(SHUT_RD, 0), K(SHUT_WR, 1), K(SHUT_RDWR, 2),
    /* poll, epoll */
    K(POLLIN, 0x1), K(POLLPRI, 0x2), K(POLLOUT, 0x4), K(POLLERR, 0x8), K(POLLHUP, 0x10), K(POLLNVAL, 0x20),
    K(POLLRDNORM, 0x40), K(POLLRDBAND, 0x80), K(POLLWRNORM, 0x100), K(POLLWRBAND, 0x200),
    K(POLLRDHUP, 0x2000), K(EPOLLIN, 0x1), K(EPOLLPRI, 0x2), K(EPOLLOUT, 0x4), K(EPOLLERR, 0x8),
    K(EPOLLHUP, 0x10), K(EPOLLRDNORM, 0x40), K(EPOLLRDBAND, 0x80), K(EPOLLWRNORM, 0x100),
    K(EPOLLWRBAND, 0x200), K(EPOLLMSG, 0x400), K(EPOLLRDHUP, 0x2000), K(EPOLLEXCLUSIVE, 1LL << 28),
    K(EPOLLWAKEUP, 1LL << 29), K(EPOLLONESHOT, 1LL << 30), K(EPOLLET, 1LL << 31), K(EPOLL_CTL_ADD, 1),
    K(EPOLL_CTL_DEL, 2), K(EPOLL_CTL_MOD, 3), K(EPOLL_CLOEXEC, 02000000),
    /* tcp_info values (struct expectations and %{ }% assertions) */
    K(TCP_ESTABLISHED, 1), K(TCP_SYN_SENT, 2), K(TCP_SYN_RECV, 3), K(TCP_FIN_WAIT1, 4), K(TCP_FIN_WAIT2, 5),
    K(TCP_TIME_WAIT, 6), K(TCP_CLOSE, 7), K(TCP_CLOSE_WAIT, 8), K(TCP_LAST_ACK, 9), K(TCP_LISTEN, 10),
    K(TCP_CLOSING, 11), K(TCP_CA_Open, 0), K(TCP_CA_Disorder, 1), K(TCP_CA_CWR, 2), K(TCP_CA_Recovery, 3),
    K(TCP_CA_Loss, 4), K(TCPI_OPT_TIMESTAMPS, 1), K(TCPI_OPT_SACK, 2), K(TCPI_OPT_WSCALE, 4),
    K(TCPI_OPT_ECN, 8), K(TCPI_OPT_ECN_SEEN, 16), K(TCPI_OPT_SYN_DATA, 32),
    /* control messages */
    K(SCM_TIMESTAMP, 29), K(SCM_TIMESTAMPNS, 35), K(SCM_TIMESTAMPING, 37), K(SCM_TSTAMP_SND, 0),
    K(SCM_TSTAMP_SCHED, 1), K(SCM_TSTAMP_ACK, 2), K(SO_EE_ORIGIN_NONE, 0), K(SO_EE_ORIGIN_LOCAL, 1),
    K(SO_EE_ORIGIN_ICMP, 2), K(SO_EE_ORIGIN_TIMESTAMPING, 4), K(SO_EE_ORIGIN_ZEROCOPY, 5),
    K(SOF_TIMESTAMPING_TX_SOFTWARE, 1 << 1), K(SOF_TIMESTAMPING_SOFTWARE, 1 << 4),
    K(SOF_TIMESTAMPING_OPT_ID, 1 << 7), K(SOF_TIMESTAMPING_TX_SCHED, 1 << 8), K(SOF_TIMESTAMPING_TX_ACK, 1 << 9),
    K(SOF_TIMESTAMPING_OPT_TSONLY, 1 << 11), K(SOF_TIMESTAMPING_OPT_STATS, 1 << 12),
};
#undef SO_
#undef TCP_
#undef IP_
#undef IP6_
#undef K

#define E(x) {#x, x, -1}
static const struct sym errnos[] = {
    E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT),
    E(EBUSY), E(EEXIST), E(EINVAL), E(EMFILE), E(ENOSPC), E(EPIPE), E(ENOTSOCK), E(EDESTADDRREQ),
    E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(EAFNOSUPPORT),
    E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ECONNABORTED), E(ECONNRESET),
    E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTUNREACH), E(EALREADY),
    E(EINPROGRESS), E(EHOSTDOWN), E(ENOTSUP), E(ENOTTY), E(ENODATA), E(EPROTO), E(ESHUTDOWN),
};
#undef E

#define NSYMS (sizeof(symbols) / sizeof(symbols[0]))

int pd_symbol(const char *name, long long *out)
{
    for (size_t i = 0; i < NSYMS; i++) {
        if (!strcmp(symbols[i].name, name)) {
            *out = symbols[i].v;
            return 0;
        }
    }
    if (!strcmp(name, "EWOULDBLOCK")) {
        *out = EAGAIN;
        return 0;
    }
    return -1;
}

const char *pd_option_name(long long level, long long name)
{
    for (size_t i = 0; i < NSYMS; i++)
        if (symbols[i].level == level && symbols[i].v == name)
            return symbols[i].name;
    return NULL;
}

void pd_list_unsupported(FILE *out)
{
    fprintf(out, "# What scripts are SKIPped for: what nstack (or the runner) does not have.\n");
    static const char *const fixed[] = {
        "nstack has no IPv6",
        "nstack has no TCP Fast Open (RFC 7413)",
        "nstack has no TCP-MD5 signatures (RFC 2385)",
        "nstack has no IP-in-IP, GRE or MPLS encapsulation",
        "nstack has no control messages (cmsg) or error queue",
        "nstack has no message flag MSG_EOR / MSG_MORE / MSG_ZEROCOPY / MSG_TRUNC",
        "nstack has no system call open() / sendfile() / pipe() / splice() / socketpair() / cap_set()",
        "nstack has no socket type SOCK_RAW / AF_PACKET",
        "nstack has no ioctl request 0x... (other than SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO)",
        "runner: only packetdrill's default addresses (--local_ip...)",
        "runner: a %{ }% block beyond the expression evaluator",
        "runner: unknown symbol NAME (a constant the symbol table lacks)",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fprintf(out, "%s\n", fixed[i]);
    for (size_t i = 0; i < NSYMS; i++)
        if (symbols[i].level >= 0 && !pd_option_supported(symbols[i].level, symbols[i].v))
            fprintf(out, "nstack has no socket option %s\n", symbols[i].name);
    pd_list_unsupported_tcpi(out);
}

const char *pd_errno_name(int e)
{
    for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (errnos[i].v == e)
            return errnos[i].name;
    return "E?";
}

int pd_errno_value(const char *name)
{
    if (!strcmp(name, "EWOULDBLOCK"))
        return EAGAIN;
    for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (!strcmp(errnos[i].name, name))
            return (int)errnos[i].v;
    return 0;
}
