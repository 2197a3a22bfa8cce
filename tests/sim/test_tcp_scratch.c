#include "test.h"
#include "support/tcp_script.h"
#include <errno.h>

int main(void)
{
    struct ts *s = ts_new(NULL);
    CHECK(s != NULL);
    int lfd = ts_listen(s, 8);
    CHECK(lfd >= 0);
    struct nst_tcp_opts o = ts_syn_opts(7, 1, 1);
    int fd = ts_passive_open(s, lfd, 0, NST_MSEC(10), &o, 65535);
    char line[300];
    fprintf(stderr, "synack: %s\n", ts_format(s, &s->last, line, sizeof line));
    CHECK(fd >= 0);
    struct ts_seg d = {.flags = NST_TCP_ACK | NST_TCP_PSH, .seq = 1, .ack = 1, .win = 512, .len = 100};
    d.opts.has_ts = 1; d.opts.ts_val = 1020; d.ecr_auto = 1;
    ts_inject(s, NST_MSEC(20), &d);
    struct ts_pkt p;
    while (ts_next(s, NST_SEC(1), &p))
        fprintf(stderr, "got: %s\n", ts_format(s, &p, line, sizeof line));
    char buf[200];
    fprintf(stderr, "recv %zd\n", nst_recv(s->st, fd, buf, sizeof buf, 0));
    fprintf(stderr, "send %zd\n", nst_send(s->st, fd, "hello", 5, 0));
    while (ts_next(s, NST_SEC(2), &p))
        fprintf(stderr, "got: %s\n", ts_format(s, &p, line, sizeof line));
    nst_close(s->st, fd);
    while (ts_next(s, NST_SEC(3), &p))
        fprintf(stderr, "got: %s\n", ts_format(s, &p, line, sizeof line));
    ts_free(s);
    return nst_test_done();
}
