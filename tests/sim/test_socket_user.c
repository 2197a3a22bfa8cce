/* What an application layer attaches to a socket (include/nstack/socket.h):
 * a per-socket callback that runs after the stack-wide one with its own
 * argument, a user pointer, and the note `ss -i` prints; all forgotten when
 * the descriptor closes (a new socket on the same descriptor starts clean). */
#include <nstack/nstack.h>
#include <errno.h>

#include "test.h"

#define A_ADDR NST_IP4(10, 0, 0, 1)
#define B_ADDR NST_IP4(10, 0, 0, 2)

struct seen {
    int calls, last_fd, last_events, order;
};

static int order_counter;

static void stack_wide(void *arg, int fd, int events)
{
    (void)fd;
    (void)events;
    struct seen *s = arg;
    s->calls++;
    s->order = ++order_counter;
}

static void per_socket(void *arg, int fd, int events)
{
    struct seen *s = arg;
    s->calls++;
    s->last_fd = fd;
    s->last_events = events;
    s->order = ++order_counter;
}

static void test_per_socket_callback_data_note(void)
{
    struct nst_world *w = nst_world_new(91);
    struct nst_stack *a = nst_world_add_host(w, "a", NULL), *b = nst_world_add_host(w, "b", NULL);
    CHECK(nst_world_connect(w, a, A_ADDR, 24, b, B_ADDR, 24, NULL) != NULL);
    int lfd = nst_socket(b, NST_SOCK_STREAM);
    struct nst_sockaddr any = {0, 80};
    CHECK_EQ(nst_bind(b, lfd, &any), 0);
    CHECK_EQ(nst_listen(b, lfd, 4), 0);

    int c1 = nst_socket(a, NST_SOCK_STREAM), c2 = nst_socket(a, NST_SOCK_STREAM);
    struct seen wide = {0}, s1 = {0}, s2 = {0};
    int obj1, obj2;
    nst_stack_set_event_cb(a, stack_wide, &wide);
    CHECK_EQ(nst_socket_set_event_cb(a, c1, per_socket, &s1), 0);
    CHECK_EQ(nst_socket_set_data(a, c1, &obj1), 0);
    CHECK_EQ(nst_socket_set_data(a, c2, &obj2), 0);
    CHECK(nst_socket_get_data(a, c1) == &obj1);
    CHECK(nst_socket_get_data(a, c2) == &obj2);
    CHECK(nst_socket_get_data(a, 999) == NULL);
    CHECK_EQ(nst_socket_set_event_cb(a, 999, per_socket, &s2), -EBADF);
    CHECK_EQ(nst_socket_set_data(a, 999, &obj1), -EBADF);
    CHECK_EQ(nst_socket_set_note(a, 999, "x"), -EBADF);
    CHECK_EQ(strcmp(nst_socket_get_note(a, c1), ""), 0);

    struct nst_sockaddr to = {B_ADDR, 80};
    CHECK_EQ(nst_connect(a, c1, &to), -EINPROGRESS);
    CHECK_EQ(nst_connect(a, c2, &to), -EINPROGRESS);
    CHECK(nst_world_run_until_events(w, a, c1, NST_EV_OUT, nst_world_now(w) + NST_SEC(1)));
    nst_world_run_for(w, NST_MSEC(10));
    /* c1's callback saw c1 only, after the stack-wide one; c2 has none. */
    CHECK(s1.calls >= 1);
    CHECK_EQ(s1.last_fd, c1);
    CHECK(s1.last_events & NST_EV_OUT);
    CHECK(s1.order > wide.order - 2); /* the per-socket call follows the wide one for the same event */
    CHECK(wide.calls > s1.calls);     /* the wide one also saw c2 */
    CHECK_EQ(s2.calls, 0);

    /* The note: copied, cut to NST_SOCKET_NOTE_MAX - 1, cleared by NULL. */
    char long_note[200];
    memset(long_note, 'n', sizeof(long_note) - 1);
    long_note[sizeof(long_note) - 1] = 0;
    CHECK_EQ(nst_socket_set_note(a, c1, long_note), 0);
    CHECK_EQ(strlen(nst_socket_get_note(a, c1)), NST_SOCKET_NOTE_MAX - 1);
    CHECK_EQ(nst_socket_set_note(a, c1, "tls:TLSv1.3"), 0);
    CHECK_EQ(strcmp(nst_socket_get_note(a, c1), "tls:TLSv1.3"), 0);
    struct nst_sock_entry e[8];
    int n = nst_sock_list(a, e, 8), found = 0;
    for (int i = 0; i < n && i < 8; i++)
        if (e[i].fd == c1)
            found = strcmp(e[i].note, "tls:TLSv1.3") == 0;
    CHECK_EQ(found, 1);

    /* Closed: forgotten. A new socket takes the same descriptor, clean. */
    int calls = s1.calls;
    CHECK_EQ(nst_close(a, c1), 0);
    int c3 = nst_socket(a, NST_SOCK_STREAM);
    CHECK_EQ(c3, c1);
    CHECK(nst_socket_get_data(a, c3) == NULL);
    CHECK_EQ(strcmp(nst_socket_get_note(a, c3), ""), 0);
    CHECK_EQ(nst_connect(a, c3, &to), -EINPROGRESS);
    nst_world_run_for(w, NST_MSEC(10));
    CHECK_EQ(s1.calls, calls);
    nst_stack_set_event_cb(a, NULL, NULL);
    nst_world_free(w);
}

int main(void)
{
    RUN(test_per_socket_callback_data_note);
    return nst_test_done();
}
