/* The world of the TIME_WAIT and CLOSE_WAIT scenarios: the lab's path, an
 * HTTP-like client application on New York and a server application on
 * London:80, both event-driven (lab_apps.c). One request, one response per
 * connection; when each side closes is the scenario's. */
#include "lab/lab_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HTTP 80
#define LISTEN_BACKLOG 128

/* London: accepts, answers each request, then hands the connection to the
 * scenario (close now, or later); closes when the client does. */
static void server_app(struct nst_lab_app *a, int fd, int ev)
{
    struct nst_lab_http *h = a->arg;
    if (fd == h->lfd) {
        nst_lab_app_accept_all(a, fd);
        return;
    }
    char buf[256];
    ssize_t n = nst_recv(a->st, fd, buf, sizeof(buf), 0);
    /* The request is one small segment: it arrives whole. */
    if (n > 0) {
        nst_send(a->st, fd, h->response, strlen(h->response), 0);
        h->answered(h, fd);
    } else if (n == 0 || (ev & NST_EV_ERR)) {
        nst_close(a->st, fd);
    }
}

/* New York: sends the request once connected, reads the answer, and at
 * EOF or error closes as h->client_closes says. */
static void client_app(struct nst_lab_app *a, int fd, int ev)
{
    struct nst_lab_http *h = a->arg;
    if (fd < 0 || fd >= NST_LAB_HTTP_MAX_FD)
        return;
    if (!h->sent[fd] && (ev & NST_EV_OUT)) {
        nst_send(a->st, fd, h->request, strlen(h->request), 0);
        h->sent[fd] = 1;
        h->requests++;
    }
    char buf[256];
    ssize_t n;
    while ((n = nst_recv(a->st, fd, buf, sizeof(buf), 0)) > 0)
        ;
    int eof = n == 0 && (h->client_closes & NST_LAB_CLOSE_ON_EOF);
    int err = (ev & NST_EV_ERR) && (h->client_closes & NST_LAB_CLOSE_ON_ERR);
    if (eof || err) {
        h->responses += n == 0;
        h->sent[fd] = 0;
        nst_close(a->st, fd);
    }
}

void *nst_lab_http_new(size_t size, const struct nst_demo_opts *o, const struct nst_lab_http_opts *ho, FILE *out)
{
    struct nst_lab_http *h = calloc(1, size);
    if (!h)
        return NULL;
    h->request = ho->request;
    h->response = ho->response;
    h->answered = ho->answered;
    h->client_closes = ho->client_closes;
    h->progress = o->progress ? o : NULL;
    if (nst_demo_build_path(o, &h->p, NULL, ho->cap_link, ho->cap_name, out) < 0) {
        free(h);
        return NULL;
    }
    h->lfd = nst_lab_listen(h->p.london, HTTP, LISTEN_BACKLOG);
    if (h->lfd < 0) {
        nst_lab_http_delete(h);
        return NULL;
    }
    nst_lab_app_attach(&h->ny, h->p.ny, client_app, h);
    nst_lab_app_attach(&h->london, h->p.london, server_app, h);
    return h;
}

void nst_lab_http_delete(void *x)
{
    struct nst_lab_http *h = x;
    if (h->ny.st)
        nst_lab_app_detach(&h->ny);
    if (h->london.st)
        nst_lab_app_detach(&h->london);
    nst_lab_path_free(&h->p);
    free(h);
}

void nst_lab_http_run(struct nst_lab_http *h, nst_time_t until)
{
    struct nst_lab_app *apps[2] = {&h->ny, &h->london};
    nst_lab_apps_run(h->p.world, apps, 2, until);
    if (h->progress)
        nst_lab_progress(h->progress, nst_world_now(h->p.world), h->progress_total);
}

int nst_lab_http_connect(struct nst_lab_http *h)
{
    int fd = nst_socket(h->p.ny, NST_SOCK_STREAM);
    struct nst_sockaddr dst = {NST_LAB_LONDON_ADDR, HTTP};
    if (fd < 0 || nst_connect(h->p.ny, fd, &dst) != -EINPROGRESS) {
        if (fd >= 0)
            nst_close(h->p.ny, fd);
        return -1;
    }
    nst_lab_app_watch(&h->ny, fd);
    return fd;
}

int nst_lab_http_snapshot(struct nst_lab_snapshot *s, struct nst_lab_http *h, const char *focus, const char *moment)
{
    *s = (struct nst_lab_snapshot){h->p.world, focus, moment, h, nst_lab_http_delete};
    return 0;
}
