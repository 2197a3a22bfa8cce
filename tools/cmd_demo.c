/* nstack demo */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <nstack/lab.h>

#include "tools/cli.h"

static void demo_usage(void)
{
    printf("usage: nstack demo [--seed N] [--out DIR | --no-pcap] [--only SCENARIO] [--list]\n\n"
           "Replays the article on a simulated network in virtual time and prints what\n"
           "each scenario measures. Packet captures go to DIR (default ./nstack-demo).\n\n"
           "  --seed N        seed of the simulated network (default 1)\n"
           "  --out DIR       where to write the pcap files\n"
           "  --no-pcap       write no capture\n"
           "  --only NAME     run one scenario\n"
           "  --list          list the scenarios\n");
}

int nst_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"seed", required_argument, 0, 's'}, {"out", required_argument, 0, 'o'},
                                         {"no-pcap", no_argument, 0, 'n'},    {"only", required_argument, 0, 'x'},
                                         {"list", no_argument, 0, 'l'},       {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
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
        case 'l':
            for (int i = 0; nst_demo_scenarios[i][0]; i++)
                printf("%-14s %s\n", nst_demo_scenarios[i][0], nst_demo_scenarios[i][1]);
            for (const struct nst_demo_scenario *sc = o.more; sc->name; sc++)
                printf("%-14s %s\n", sc->name, sc->what);
            return 0;
        case 'h': demo_usage(); return 0;
        default: return nst_cli_bad_usage("demo", "unknown option");
        }
    }
    if (optind < argc)
        return nst_cli_bad_usage("demo", "unexpected argument '%s'", argv[optind]);
    return nst_lab_demo(&o, stdout);
}
