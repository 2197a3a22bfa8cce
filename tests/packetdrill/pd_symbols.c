/* The names a script may use: the constants of the system-call language
 * (Linux's values: pd_syscall.c translates them to nstack's) and errno
 * names. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "pd.h"

struct sym {
    const char *name;
    long long v;
};

#define S(x) {#x, x}
static const struct sym symbols[] = {
    S(AF_INET), S(AF_INET6), S(PF_INET), S(AF_UNSPEC),
    S(SOCK_STREAM), S(SOCK_DGRAM), S(SOCK_NONBLOCK),
    S(IPPROTO_IP), S(IPPROTO_TCP), S(IPPROTO_UDP), S(IPPROTO_ICMP),
    S(SOL_SOCKET), S(SO_REUSEADDR), S(SO_KEEPALIVE), S(SO_LINGER), S(SO_RCVBUF), S(SO_SNDBUF),
    S(SO_ERROR), S(SO_TYPE),
    S(TCP_NODELAY), S(TCP_MAXSEG), S(TCP_KEEPIDLE), S(TCP_KEEPINTVL), S(TCP_KEEPCNT), S(TCP_CONGESTION),
    S(TCP_INFO), S(IP_TTL),
    S(F_GETFL), S(F_SETFL), S(O_RDWR), S(O_RDONLY), S(O_WRONLY), S(O_NONBLOCK),
    S(SHUT_RD), S(SHUT_WR), S(SHUT_RDWR),
    S(MSG_PEEK), S(MSG_DONTWAIT), S(MSG_OOB), S(MSG_NOSIGNAL),
    S(POLLIN), S(POLLOUT), S(POLLERR), S(POLLHUP), S(POLLRDHUP), S(POLLNVAL), S(POLLPRI),
    S(INADDR_ANY),
};

static const struct sym errnos[] = {
    S(EPERM), S(ENOENT), S(EINTR), S(EIO), S(EBADF), S(EAGAIN), S(ENOMEM), S(EACCES), S(EFAULT),
    S(EBUSY), S(EEXIST), S(EINVAL), S(EMFILE), S(ENOSPC), S(EPIPE), S(ENOTSOCK), S(EDESTADDRREQ),
    S(EMSGSIZE), S(EPROTOTYPE), S(ENOPROTOOPT), S(EPROTONOSUPPORT), S(EOPNOTSUPP), S(EAFNOSUPPORT),
    S(EADDRINUSE), S(EADDRNOTAVAIL), S(ENETDOWN), S(ENETUNREACH), S(ECONNABORTED), S(ECONNRESET),
    S(ENOBUFS), S(EISCONN), S(ENOTCONN), S(ETIMEDOUT), S(ECONNREFUSED), S(EHOSTUNREACH), S(EALREADY),
    S(EINPROGRESS), S(EHOSTDOWN), S(ENOTSUP),
};
#undef S

int pd_symbol(const char *name, long long *out)
{
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
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
