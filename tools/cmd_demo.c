/* nstack demo */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nstack/lab.h>

#include "tools/cli.h"

/* One line a scenario, descriptions in one column after the longest name. */
static void list_scenarios(const struct nst_demo_scenario *more)
{
    int w = 0;
    for (int i = 0; nst_demo_scenarios[i][0]; i++)
        w = (int)strlen(nst_demo_scenarios[i][0]) > w ? (int)strlen(nst_demo_scenarios[i][0]) : w;
    for (const struct nst_demo_scenario *sc = more; sc->name; sc++)
        w = (int)strlen(sc->name) > w ? (int)strlen(sc->name) : w;
    for (int i = 0; nst_demo_scenarios[i][0]; i++)
        printf("%-*s  %s\n", w, nst_demo_scenarios[i][0], nst_demo_scenarios[i][1]);
    for (const struct nst_demo_scenario *sc = more; sc->name; sc++)
        printf("%-*s  %s\n", w, sc->name, sc->what);
}

static void demo_usage(void)
{
    printf("usage: nstack demo [--seed N] [--out DIR | --no-pcap] [--only SCENARIO] [--report DIR] [--list]\n\n"
           "Replays the article on a simulated network in virtual time and prints what\n"
           "each scenario measures. Packet captures go to DIR (default ./nstack-demo).\n\n"
           "  --seed N        seed of the simulated network (default 1)\n"
           "  --out DIR       where to write the pcap files\n"
           "  --no-pcap       write no capture\n"
           "  --only NAME     run one scenario\n"
           "  --report DIR    write an HTML report of the run into DIR (DIR/index.html)\n"
           "  --list          list the scenarios\n");
}

/* The progress line: on a terminal only, redrawn at most 10 times a
 * second of wall clock, erased before the demo prints anything. */
struct progress {
    int shown;
    struct timespec last;
};

static void progress(void *arg, const char *scenario, double now_s, double total_s)
{
    struct progress *p = arg;
    if (!scenario) {
        if (p->shown)
            fputs("\r\033[K", stdout);
        p->shown = 0;
        return;
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double since = (double)(t.tv_sec - p->last.tv_sec) + (double)(t.tv_nsec - p->last.tv_nsec) / 1e9;
    if (p->shown && since < 0.1)
        return;
    p->last = t;
    p->shown = 1;
    if (total_s > 0)
        printf("\r\033[K  %s: %.0f s of %.0f s virtual", scenario, now_s, total_s);
    else
        printf("\r\033[K  %s: %.1f s virtual", scenario, now_s);
    fflush(stdout);
}

int nst_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"seed", required_argument, 0, 's'}, {"out", required_argument, 0, 'o'},
                                         {"no-pcap", no_argument, 0, 'n'},    {"only", required_argument, 0, 'x'},
                                         {"list", no_argument, 0, 'l'},       {"help", no_argument, 0, 'h'},
                                         {"report", required_argument, 0, 'r'}, {0, 0, 0, 0}};
    struct nst_demo_opts o;
    nst_demo_opts_default(&o);
    o.more = nst_demo_app_scenarios;
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nst_cli_parse_u64(optarg, 0, UINT64_MAX, &v))
                return nst_cli_bad_usage("demo", "--seed needs a non-negative integer, not '%s'", optarg);
            o.seed = v;
            break;
        case 'o': o.out_dir = optarg; break;
        case 'n': o.out_dir = NULL; break;
        case 'x': o.only = optarg; break;
        case 'r': o.report_dir = optarg; break;
        case 'l': list_scenarios(o.more); return 0;
        case 'h': demo_usage(); return 0;
        default: return nst_cli_bad_usage("demo", "unknown option");
        }
    }
    if (optind < argc)
        return nst_cli_bad_usage("demo", "unexpected argument '%s'", argv[optind]);
    struct progress pr = {0};
    if (isatty(STDOUT_FILENO)) {
        o.progress = progress;
        o.progress_arg = &pr;
    }
    int rc = nst_lab_demo(&o, stdout);
    progress(&pr, NULL, -1, 0);
    return rc;
}
