/* Applications on simulated hosts, event-driven: each host's stack tells
 * (event callback) which descriptors changed; the callback only marks them,
 * since it runs inside the stack, and the loop below hands the marked ones
 * to the application between two events of the world. Used by the
 * scenarios with many connections (ports, TIME_WAIT, CLOSE_WAIT). */
#include "lab/lab_internal.h"

#include <stdlib.h>
#include <string.h>

static void mark(void *arg, int fd, int events)
{
    (void)events;
    struct nst_lab_app *a = arg;
    if (fd < 0)
        return;
    if ((size_t)fd >= a->marked_cap) {
        size_t cap = a->marked_cap ? a->marked_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        uint8_t *m = realloc(a->marked, cap);
        int *l = realloc(a->list, cap * sizeof(int));
        if (m)
            a->marked = m;
        if (l)
            a->list = l;
        if (!m || !l)
            return; /* out of memory: the descriptor is looked at next time it changes */
        memset(a->marked + a->marked_cap, 0, cap - a->marked_cap);
        a->marked_cap = cap;
    }
    if (a->marked[fd])
        return;
    a->marked[fd] = 1;
    a->list[a->n++] = fd;
}

void nst_lab_app_attach(struct nst_lab_app *a, struct nst_stack *st, nst_lab_app_fn fn, void *arg)
{
    memset(a, 0, sizeof(*a));
    a->st = st;
    a->fn = fn;
    a->arg = arg;
    nst_stack_set_event_cb(st, mark, a);
}

void nst_lab_app_detach(struct nst_lab_app *a)
{
    nst_stack_set_event_cb(a->st, NULL, NULL);
    free(a->marked);
    free(a->list);
    memset(a, 0, sizeof(*a));
}

void nst_lab_app_watch(struct nst_lab_app *a, int fd) { mark(a, fd, 0); }

void nst_lab_app_accept_all(struct nst_lab_app *a, int lfd)
{
    int c;
    while ((c = nst_accept(a->st, lfd, NULL)) >= 0)
        nst_lab_app_watch(a, c);
}

/* Hands every marked descriptor to the application, until none is left
 * (handling one may mark others). */
static void dispatch(struct nst_lab_app *a)
{
    while (a->n) {
        int fd = a->list[--a->n];
        a->marked[fd] = 0;
        int ev = nst_socket_events(a->st, fd);
        if (ev >= 0)
            a->fn(a, fd, ev);
    }
}

struct any_marked {
    struct nst_lab_app **apps;
    int n;
};

static int some_marked(void *arg)
{
    struct any_marked *x = arg;
    for (int i = 0; i < x->n; i++)
        if (x->apps[i]->n)
            return 1;
    return 0;
}

void nst_lab_apps_run(struct nst_world *w, struct nst_lab_app **apps, int n, nst_time_t until)
{
    struct any_marked x = {apps, n};
    for (;;) {
        while (some_marked(&x))
            for (int i = 0; i < n; i++)
                dispatch(apps[i]);
        if (!nst_world_run_until_cond(w, some_marked, &x, until))
            break;
    }
    while (some_marked(&x))
        for (int i = 0; i < n; i++)
            dispatch(apps[i]);
}
