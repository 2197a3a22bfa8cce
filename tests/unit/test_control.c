/* The control socket (include/nstack/control.h) without a network: a
 * stack with a few sockets, a run loop serving the control socket, and
 * clients in child processes (nst_control_query, or raw bytes). Checks the
 * answers, the errors, the bounds and the socket file's life. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nstack/control.h>
#include <nstack/inspect.h>
#include <nstack/runloop.h>
#include <nstack/socket.h>

#include "test.h"

static char sock_path[100], out_path[256];

static void fill_addr(struct sockaddr_un *a)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path, sock_path, strlen(sock_path) + 1);
}

struct child {
    pid_t pid;
    int status;
    int done;
};

static int child_done(void *arg)
{
    struct child *c = arg;
    if (!c->done && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
        c->done = 1;
    return c->done;
}

/* Runs the loop until the child ends (5 s at most); its exit code. */
static int serve_until_child_ends(struct nst_runloop *rl, pid_t pid)
{
    struct child c = {pid, 0, 0};
    /* In short slices: the child may exit after the loop's last event
     * (its close), and nothing would wake the loop to look again. */
    nst_time_t end = nst_runloop_clock() + NST_SEC(5);
    while (!child_done(&c) && nst_runloop_clock() < end)
        nst_runloop_run(rl, nst_runloop_clock() + NST_MSEC(5), child_done, &c);
    if (!c.done) {
        kill(pid, SIGKILL);
        waitpid(pid, &c.status, 0);
        return -1;
    }
    return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
}

/* A child that asks `request` and writes the answer to out_path; exits
 * with nst_control_query's result + 10. */
static int ask(struct nst_runloop *rl, const char *request)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = fopen(out_path, "w");
        int rc = nst_control_query(sock_path, request, f, 3000);
        fclose(f);
        _exit(rc + 10);
    }
    return serve_until_child_ends(rl, pid) - 10;
}

/* A child that sends raw bytes (no newline added), then half-closes if
 * asked to, and copies the answer. */
static int ask_raw(struct nst_runloop *rl, const char *bytes, size_t len, int half_close)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct sockaddr_un a;
        fill_addr(&a);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            _exit(1);
        if (write(fd, bytes, len) != (ssize_t)len)
            _exit(2);
        if (half_close)
            shutdown(fd, SHUT_WR);
        FILE *f = fopen(out_path, "w");
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            fwrite(buf, 1, (size_t)n, f);
        fclose(f);
        _exit(n == 0 ? 0 : 3);
    }
    return serve_until_child_ends(rl, pid);
}

static char *answer(void)
{
    static char buf[65536];
    FILE *f = fopen(out_path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    return buf;
}

static struct nst_stack *stack_with_sockets(void)
{
    struct nst_stack *st = nst_stack_new(NULL);
    int l = nst_socket(st, NST_SOCK_STREAM);
    struct nst_sockaddr a = {0, 8080}, u = {0, 53};
    nst_bind(st, l, &a);
    nst_listen(st, l, 16);
    int d = nst_socket(st, NST_SOCK_DGRAM);
    nst_bind(st, d, &u);
    return st;
}

static void test_answers(void)
{
    struct nst_stack *st = stack_with_sockets();
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    struct nst_control *ctl;
    CHECK_EQ(nst_control_open(rl, st, sock_path, &ctl), 0);
    struct stat sb;
    CHECK_EQ(stat(sock_path, &sb), 0);
    CHECK(S_ISSOCK(sb.st_mode));
    CHECK_EQ(sb.st_mode & 0777, 0600);

    CHECK_EQ(ask(rl, "ss -tln"), 0);
    CHECK(strcmp(answer(), "State      Recv-Q Send-Q   Local Address:Port     Peer Address:Port \n"
                           "LISTEN     0      16             0.0.0.0:8080          0.0.0.0:*    \n") == 0);
    CHECK_EQ(ask(rl, "ss -s"), 0);
    CHECK(strncmp(answer(), "Total: 2\nTCP:   1 (estab 0, closed 0, orphaned 0, timewait 0)\n", 61) == 0);
    CHECK_EQ(ask(rl, "ss -ua"), 0);
    CHECK(strstr(answer(), "UNCONN     0      0              0.0.0.0:53            0.0.0.0:*") != NULL);
    CHECK_EQ(ask(rl, "netstat -s"), 0);
    CHECK(strncmp(answer(), "Link:\n", 6) == 0);
    CHECK(strstr(answer(), "\nTcp:\n") != NULL);
    /* Errors: an answer starting "error:" (query returns 1). */
    CHECK_EQ(ask(rl, "reboot"), 1);
    CHECK(strcmp(answer(), "error: unknown command 'reboot' (ss [OPTIONS], netstat -s, ip addr|neigh|route)\n") == 0);
    CHECK_EQ(ask(rl, "ss state nowhere"), 1);
    CHECK(strcmp(answer(), "error: ss: unknown state 'nowhere'\n") == 0);
    /* A request without its newline is answered when the client stops
     * sending; one longer than the limit is refused, and the refusal is
     * read whole (the server lingers until the client closes). */
    CHECK_EQ(ask_raw(rl, "ss -tl", 6, 1), 0);
    CHECK(strncmp(answer(), "State", 5) == 0);
    static char big[5000];
    memset(big, 'x', sizeof(big));
    CHECK_EQ(ask_raw(rl, big, sizeof(big), 0), 0);
    CHECK(strcmp(answer(), "error: a request is one line of at most 1023 bytes\n") == 0);
    CHECK_EQ(nst_control_served(ctl), 8);
    /* The client refuses what it cannot send as one line. */
    CHECK_EQ(nst_control_query(sock_path, "ss\n-s", stdout, 100), -EINVAL);
    nst_control_close(ctl);
    CHECK(access(sock_path, F_OK) != 0);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

static void test_bounded_clients(void)
{
    struct nst_stack *st = stack_with_sockets();
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    struct nst_control *ctl;
    CHECK_EQ(nst_control_open(rl, st, sock_path, &ctl), 0);
    /* Ten clients connect and say nothing; the eleventh is answered. */
    int silent[10];
    for (int i = 0; i < 10; i++) {
        struct sockaddr_un a;
        fill_addr(&a);
        silent[i] = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_EQ(connect(silent[i], (struct sockaddr *)&a, sizeof(a)), 0);
        nst_runloop_run(rl, nst_runloop_clock() + NST_MSEC(10), NULL, NULL); /* accepted */
    }
    CHECK_EQ(ask(rl, "ss -s"), 0);
    CHECK(strncmp(answer(), "Total: 2\n", 9) == 0);
    /* The evicted ones were closed by the server: they read EOF. */
    int eof = 0;
    for (int i = 0; i < 10; i++) {
        char b;
        fcntl(silent[i], F_SETFL, O_NONBLOCK);
        eof += read(silent[i], &b, 1) == 0;
        close(silent[i]);
    }
    CHECK(eof >= 10 - NST_CONTROL_MAX_CLIENTS + 1);
    nst_control_close(ctl);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

static void test_paths(void)
{
    struct nst_stack *st = nst_stack_new(NULL);
    struct nst_runloop *rl;
    CHECK_EQ(nst_runloop_new(st, &rl), 0);
    struct nst_control *ctl;
    /* A stale socket file (a process that died) is replaced. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a;
    fill_addr(&a);
    CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    close(fd);
    CHECK_EQ(nst_control_open(rl, st, sock_path, &ctl), 0);
    nst_control_close(ctl);
    /* Anything else is not ours to remove. */
    FILE *f = fopen(sock_path, "w");
    fclose(f);
    CHECK_EQ(nst_control_open(rl, st, sock_path, &ctl), -EEXIST);
    unlink(sock_path);
    char longp[200];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = 0;
    CHECK_EQ(nst_control_open(rl, st, longp, &ctl), -ENAMETOOLONG);
    CHECK_EQ(nst_control_query("/nonexistent/ctl.sock", "ss", stdout, 100), -ENOENT);
    /* A listener nobody serves: the client gives up after its timeout. */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    CHECK_EQ(listen(fd, 1), 0);
    CHECK_EQ(nst_control_query(sock_path, "ss -s", stdout, 200), -ETIMEDOUT);
    close(fd);
    unlink(sock_path);
    nst_runloop_free(rl);
    nst_stack_free(st);
}

int main(void)
{
    const char *dir = nst_test_out_dir();
    char want[256];
    snprintf(want, sizeof(want), "%s/ctl-%d.sock", dir, (int)getpid());
    if (strlen(want) < sizeof(sock_path))
        memcpy(sock_path, want, strlen(want) + 1);
    else /* a socket path has at most 107 bytes */
        snprintf(sock_path, sizeof(sock_path), "/tmp/nst-ctl-%d.sock", (int)getpid());
    snprintf(out_path, sizeof(out_path), "%s/ctl-%d.out", dir, (int)getpid());
    unlink(sock_path);
    RUN(test_answers);
    RUN(test_bounded_clients);
    RUN(test_paths);
    unlink(out_path);
    return nst_test_done();
}
