/* nstack ss / nstack netstat / nstack ip: inspect a stack the way
 * iproute2's ss and ip, and netstat -s, inspect Linux's, either
 *   --control PATH      a running process (nstack serve --control PATH), over
 *                       its Unix-domain control socket, or
 *   --scenario NAME     a simulated host of a lab scenario, run silently up
 *                       to its telling moment (--host picks the host).
 * The options after those are ss's own (-s, -tan, -i, -o, state ...), parsed
 * and formatted by the library (<nstack/inspect.h>), on whichever side has
 * the stack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nstack/control.h>
#include <nstack/inspect.h>
#include <nstack/lab.h>

#include "tools/cli.h"
#include "tools/ss_merge.h"

#define CONTROL_TIMEOUT_MS 5000
#define REQUEST_MAX 900

struct target {
    const char *control;  /* --control PATH */
    const char *scenario; /* --scenario NAME */
    const char *host;     /* --host NAME (with --scenario) */
    uint64_t seed;
};

static void ss_usage(const char *cmd)
{
    if (strcmp(cmd, "ip") == 0) {
        printf("usage: nstack ip (--control PATH | --scenario NAME [--host H] [--seed N]) [-4|-6] addr|neigh|route\n\n"
               "The stack's interfaces and addresses (IPv6 ones with their scope, DAD state and\n"
               "lifetimes), its ARP and IPv6 neighbour caches, its routing tables, like iproute2's ip.\n"
               "--scenario path: the IPv6 path after DAD and a ping each way in each family.\n");
        return;
    }
    if (strcmp(cmd, "netstat") == 0) {
        printf("usage: nstack netstat -s (--control PATH | --scenario NAME [--host H] [--seed N])\n\n"
               "Every counter of the stack, grouped like netstat -s.\n");
        return;
    }
    printf("usage: nstack ss (--control PATH | --scenario NAME [--host H] [--seed N]) [SS-OPTIONS]\n\n"
           "Lists the stack's sockets like iproute2's ss.\n"
           "  --control PATH    ask a running 'nstack serve --control PATH' (with --queues N:\n"
           "                    every stack, PATH.0 to PATH.N-1, merged)\n"
           "  --scenario NAME   a simulated host of a lab scenario, at its telling moment:\n");
    for (int i = 0; nst_lab_snapshot_names[i]; i++)
        printf("                      %s\n", nst_lab_snapshot_names[i]);
    printf("  --host H          which host of the scenario (ny, london, r1...; default: the one it is about)\n"
           "  --seed N          the scenario's seed (default 1)\n\n"
           "ss options: -s summary (TIME-WAIT, CLOSE-WAIT and leaks included), -t TCP, -u UDP,\n"
           "-w ICMP echo, -a all, -l listening, -n (always numeric), -i TCP internals, -o timers,\n"
           "-e age and descriptor, -p users:(...); state NAME / exclude NAME (established,\n"
           "time-wait, close-wait, listening, connected, synchronized, bucket, big, all, ...).\n");
}

/* Takes the target options out of argv (in place); what is left is ss's. */
static int take_target(const char *cmd, int *argc, char **argv, struct target *t)
{
    int out = 1;
    uint64_t v;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--control") ? &t->control
                            : !strcmp(a, "--scenario") ? &t->scenario
                            : !strcmp(a, "--host") ? &t->host
                            : NULL;
        if (slot || !strcmp(a, "--seed")) {
            if (i + 1 >= *argc)
                return nst_cli_bad_usage(cmd, "%s needs a value", a);
            if (slot) {
                *slot = argv[++i];
            } else {
                if (nst_cli_parse_u64(argv[++i], 0, UINT64_MAX, &v))
                    return nst_cli_bad_usage(cmd, "--seed needs a non-negative integer, not '%s'", argv[i]);
                t->seed = v;
            }
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    if (!t->control == !t->scenario)
        return nst_cli_bad_usage(cmd, "give either --control PATH or --scenario NAME");
    if (t->host && !t->scenario)
        return nst_cli_bad_usage(cmd, "--host goes with --scenario");
    return 0;
}

/* The request line, checked here first so a mistake is reported before
 * anything is asked of the other side. */
static int build_request(const char *cmd, int argc, char **argv, char *req, size_t cap)
{
    size_t n = (size_t)snprintf(req, cap, "%s", cmd);
    if (!strcmp(cmd, "ss")) {
        struct nst_ss_opts o;
        char err[128];
        if (nst_ss_parse(argc - 1, argv + 1, &o, err, sizeof(err)) < 0)
            return nst_cli_bad_usage(cmd, "%s", err);
    } else if (!strcmp(cmd, "ip")) {
        struct nst_ip_opts o;
        char err[128];
        if (nst_ip_parse(argc - 1, argv + 1, &o, err, sizeof(err)) < 0)
            return nst_cli_bad_usage(cmd, "%s", err);
    } else if (argc != 2 || strcmp(argv[1], "-s") != 0) {
        return nst_cli_bad_usage(cmd, "only 'netstat -s' is supported");
    }
    for (int i = 1; i < argc; i++) {
        if (strpbrk(argv[i], " \t\r\n") || n + strlen(argv[i]) + 2 > cap)
            return nst_cli_bad_usage(cmd, "bad argument '%s'", argv[i]);
        n += (size_t)snprintf(req + n, cap - n, " %s", argv[i]);
    }
    return 0;
}

static int run_control(const char *cmd, const char *path, const char *req)
{
    /* serve --queues N --control PATH: a socket per stack, PATH.0 ... */
    unsigned stacks = access(path, F_OK) != 0 ? nst_ss_stack_count(path) : 0;
    int rc = 0;
    if (stacks && !strcmp(cmd, "ip")) {
        /* Addresses, neighbours and routes are each stack's own: one after the other. */
        for (unsigned i = 0; i < stacks && rc >= 0; i++) {
            char one[4096];
            snprintf(one, sizeof(one), "%s.%u", path, i);
            printf("# stack %u (%s)\n", i, one);
            fflush(stdout);
            rc = nst_control_query(one, req, stdout, CONTROL_TIMEOUT_MS);
        }
    } else {
        rc = stacks ? nst_ss_query_merged(path, stacks, req, stdout, CONTROL_TIMEOUT_MS)
                    : nst_control_query(path, req, stdout, CONTROL_TIMEOUT_MS);
    }
    if (rc < 0) {
        fprintf(stderr, "nstack %s: %s: %s\n", cmd, path, strerror(-rc));
        if (rc == -ENOENT || rc == -ECONNREFUSED)
            fprintf(stderr, "nstack %s: is 'nstack serve --control %s' running?\n", cmd, path);
        return 1;
    }
    return rc == 0 ? 0 : 1;
}

static int run_scenario(const char *cmd, const struct target *t, const char *req)
{
    struct nst_lab_snapshot s;
    int err = nst_lab_snapshot(t->scenario, t->seed, &s);
    if (err == -ENOENT)
        return nst_cli_bad_usage(cmd, "no scenario '%s' to inspect (see 'nstack %s --help')", t->scenario, cmd);
    if (err < 0) {
        fprintf(stderr, "nstack %s: %s\n", cmd, strerror(-err));
        return 1;
    }
    const char *host = t->host ? t->host : s.focus;
    struct nst_stack *st = nst_world_find_host(s.world, host);
    int rc = 0;
    if (!st) {
        rc = nst_cli_bad_usage(cmd, "scenario %s has no host '%s' (ny, r1, r2, r3, london)", t->scenario, host);
    } else {
        printf("# scenario %s, host %s: %s\n", t->scenario, host, s.moment);
        rc = nst_inspect_run(st, req, stdout) < 0 ? 1 : 0;
    }
    nst_lab_snapshot_free(&s);
    return rc;
}

/* nstack ss ... and nstack netstat ... (argv[0] says which). */
int nst_cmd_ss(int argc, char **argv)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            ss_usage(cmd);
            return 0;
        }
    struct target t = {.seed = 1};
    int rc = take_target(cmd, &argc, argv, &t);
    if (rc)
        return rc;
    char req[REQUEST_MAX];
    rc = build_request(cmd, argc, argv, req, sizeof(req));
    if (rc)
        return rc;
    return t.control ? run_control(cmd, t.control, req) : run_scenario(cmd, &t, req);
}
