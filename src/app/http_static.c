/* Static files for the HTTP server (nstack/http.h): GET and HEAD of the
 * files under a root directory, streamed as the connection drains.
 *
 * No path escape: the target's path is percent-decoded, then refused if it
 * holds a NUL or a ".." segment; what remains is resolved with realpath()
 * (symlinks followed) and must still lie under the root's own real path, so
 * a symlink inside the root that points outside it is refused too. The
 * file is then opened by its resolved name with O_NOFOLLOW. */
#include "http1_lex.h"
#include "http_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nst_http_static {
    char root[PATH_MAX]; /* real path, no trailing slash */
    size_t root_len;
};

struct nst_http_static *nst_http_static_new(const char *root)
{
    struct nst_http_static *s = calloc(1, sizeof *s);
    struct stat sb;
    if (!s)
        return NULL;
    if (!realpath(root, s->root)) { /* errno says why */
        free(s);
        return NULL;
    }
    if (stat(s->root, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        free(s);
        errno = ENOTDIR;
        return NULL;
    }
    s->root_len = strlen(s->root);
    if (s->root_len == 1)
        s->root_len = 0; /* "/": every path is under it */
    return s;
}

void nst_http_static_free(struct nst_http_static *s) { free(s); }

/* The target's path, decoded into out: 0, or -EPERM for a path that
 * tries to leave (".."), -EINVAL for a malformed one. */
static int decode_path(const char *target, char *out, size_t cap)
{
    size_t n = 0;
    if (target[0] != '/')
        return -EINVAL;
    for (const char *p = target; *p && *p != '?' && *p != '#'; p++) {
        char c = *p;
        if (c == '%') {
            int hi = nst_http1_hex_value((uint8_t)p[1]);
            int lo = hi >= 0 ? nst_http1_hex_value((uint8_t)p[2]) : -1;
            if (lo < 0)
                return -EINVAL;
            c = (char)(hi * 16 + lo);
            p += 2;
            if (c == 0)
                return -EPERM;
        }
        if (n + 1 >= cap)
            return -EINVAL;
        out[n++] = c;
    }
    out[n] = 0;
    /* A ".." segment anywhere (decoded: "%2e%2e" too). */
    for (const char *seg = out; seg; seg = strchr(seg + 1, '/')) {
        const char *s = seg[0] == '/' ? seg + 1 : seg;
        if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == 0))
            return -EPERM;
    }
    return 0;
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
                 {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
                 {".js", "text/javascript"},           {".json", "application/json"},
                 {".png", "image/png"},                {".jpg", "image/jpeg"},
                 {".svg", "image/svg+xml"},            {".pcap", "application/vnd.tcpdump.pcap"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

/* Resolves the target to a file under the root: an open fd, or the status to answer. */
static int open_under_root(const struct nst_http_static *s, const char *target, struct stat *sb, int *status,
                           char real[PATH_MAX])
{
    char rel[PATH_MAX], full[PATH_MAX + 16];
    int err = decode_path(target, rel, sizeof rel);
    if (err) {
        *status = err == -EPERM ? 403 : 400;
        return -1;
    }
    if ((size_t)snprintf(full, sizeof full, "%.*s%s", (int)s->root_len, s->root, rel) >= sizeof full ||
        !realpath(full, real)) {
        *status = 404;
        return -1;
    }
    /* Under the root: the root itself, or root + "/" + more. */
    if (strncmp(real, s->root, s->root_len) || (real[s->root_len] != '/' && real[s->root_len] != 0)) {
        *status = 403;
        return -1;
    }
    if (stat(real, sb) == 0 && S_ISDIR(sb->st_mode)) {
        size_t len = strlen(real);
        if (len + sizeof "/index.html" > PATH_MAX) {
            *status = 404;
            return -1;
        }
        memcpy(real + len, "/index.html", sizeof "/index.html");
    }
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
        if (fd >= 0)
            close(fd);
        *status = errno == EACCES ? 403 : 404;
        return -1;
    }
    return fd;
}

struct sending {
    int fd;
    uint64_t off, size;
};

static void send_more(void *arg, struct nst_http_exchange *x)
{
    struct sending *f = arg;
    uint8_t buf[16384];
    while (f->off < f->size) {
        size_t want = f->size - f->off < sizeof buf ? (size_t)(f->size - f->off) : sizeof buf;
        ssize_t r = pread(f->fd, buf, want, (off_t)f->off);
        if (r <= 0) {
            /* The file shrank under us: the length is promised, so pad. */
            memset(buf, 0, want);
            r = (ssize_t)want;
        }
        ssize_t w = nst_http_write(x, buf, (size_t)r);
        if (w < 0)
            return; /* -EAGAIN: on_writable brings us back */
        f->off += (uint64_t)w;
    }
    nst_http_end(x);
    close(f->fd);
    free(f);
}

static void sending_abort(void *arg, struct nst_http_exchange *x)
{
    (void)x;
    struct sending *f = arg;
    close(f->fd);
    free(f);
}

void nst_http_static_handler(void *arg, struct nst_http_exchange *x)
{
    const struct nst_http_static *s = arg;
    const struct nst_http_request *r = nst_http_exchange_request(x);
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        struct nst_http_field allow = {"Allow", 5, "GET, HEAD", 9};
        if (nst_http_respond(x, 405, &allow, 1, 0) == 0)
            nst_http_end(x);
        return;
    }
    struct stat sb;
    int status = 0;
    char real[PATH_MAX];
    int fd = open_under_root(s, r->target, &sb, &status, real);
    if (fd < 0) {
        const char *why = status == 403 ? "forbidden\n" : status == 400 ? "bad path\n" : "not found\n";
        nst_http_reply(x, status, "text/plain", why, strlen(why));
        return;
    }
    struct sending *f = malloc(sizeof *f);
    const char *type = content_type(real);
    struct nst_http_field ct = {"Content-Type", 12, type, strlen(type)};
    if (!f || nst_http_respond(x, 200, &ct, 1, (int64_t)sb.st_size) < 0) {
        free(f);
        close(fd);
        if (!f)
            nst_http_reply(x, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    *f = (struct sending){fd, 0, (uint64_t)sb.st_size};
    if (!strcmp(r->method, "HEAD"))
        f->size = 0; /* the head says the length; no body follows */
    struct nst_http_exchange_cbs cbs = {.on_writable = send_more, .on_abort = sending_abort};
    nst_http_exchange_set_cbs(x, &cbs, f);
    send_more(f, x);
}
