/* The control socket's client side (see <nstack/control.h>): one request,
 * one answer. Every wait is a poll() bounded by the timeout, so a server
 * that hangs cannot hang the client. */
#include <nstack/control.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int wait_for(int fd, short events, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, timeout_ms);
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

static int connect_to(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t len, int timeout_ms)
{
    size_t off = 0;
    while (off < len) {
        int err = wait_for(fd, POLLOUT, timeout_ms);
        if (err)
            return err;
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0)
            return -errno;
        off += (size_t)n;
    }
    return 0;
}

/* Copies the answer to out until the server closes. 1 if it starts with
 * "error:", else 0; or -errno. */
static int receive_all(int fd, FILE *out, int timeout_ms)
{
    char buf[16384], head[6];
    size_t seen = 0;
    for (;;) {
        int err = wait_for(fd, POLLIN, timeout_ms);
        if (err)
            return err;
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n && seen < sizeof(head); i++)
            head[seen++] = buf[i];
        fwrite(buf, 1, (size_t)n, out);
    }
    return seen == sizeof(head) && memcmp(head, "error:", 6) == 0 ? 1 : 0;
}

int nst_control_query(const char *path, const char *request, FILE *out, int timeout_ms)
{
    if (strchr(request, '\n') || strlen(request) + 1 > NST_CONTROL_MAX_REQUEST - 1)
        return -EINVAL;
    int fd = connect_to(path);
    if (fd < 0)
        return fd;
    char line[NST_CONTROL_MAX_REQUEST];
    int len = snprintf(line, sizeof(line), "%s\n", request);
    int rc = send_all(fd, line, (size_t)len, timeout_ms);
    if (rc == 0)
        rc = receive_all(fd, out, timeout_ms);
    close(fd);
    return rc;
}
