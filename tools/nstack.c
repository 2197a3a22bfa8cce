/* nstack — the command-line program: the lab and its tools.
 *
 *   nstack demo        the article replayed on the simulated network
 *   nstack ping        ping across the New York - London path
 *   nstack traceroute  traceroute across it
 *   nstack serve       an nstack host on a Linux TAP device (ping --tap pings from one)
 *   nstack connect     an nstack TCP client on a Linux TAP device
 *   nstack router      nstack routing IPv4 and IPv6 between Linux TAP devices
 *   nstack get         an HTTP client (the lab's hosts, or --tap a real network)
 *   nstack ss          sockets like iproute2's ss (a running nstack, or a lab host)
 *   nstack netstat -s  every counter
 *   nstack ip          addresses, neighbours, routes like iproute2's ip (both families)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nstack/nstack.h>

#include "tools/cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: nstack <command> [options]\n\n"
               "commands:\n"
               "  demo         replay the article on a simulated network and show what it measures\n"
               "  ping         ping a host of the simulated New York - London path (-6: over IPv6)\n"
               "  traceroute   list the routers between New York and a host of that path\n"
               "  serve        run an nstack host on a Linux TAP device (answers ARP, ping, services)\n"
               "  connect      an nstack TCP client on a Linux TAP device: send or receive a stream\n"
               "  get          fetch a URL over HTTP/HTTPS: from a lab host, or with --tap a real one\n"
               "  ws           a WebSocket client on a Linux TAP device: send lines, print messages\n"
               "  ping --tap   ping from nstack over a TAP device (see 'nstack ping --tap X --help')\n"
               "  router       nstack as an IPv4 and IPv6 router between TAP devices (traceroute through it)\n"
               "  ss           list sockets like iproute2's ss: a running nstack (--control) or a lab host\n"
               "  netstat -s   every counter, like netstat -s\n"
               "  ip           addresses, neighbours and routes of both families, like iproute2's ip\n\n"
               "Run 'nstack <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "demo"))
        return nst_cmd_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "ping") && nst_cli_wants_tap(argc - 1, argv + 1))
        return nst_cmd_tap_ping(argc - 1, argv + 1);
    if (!strcmp(cmd, "ping"))
        return nst_cmd_ping(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return nst_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "connect"))
        return nst_cmd_connect(argc - 1, argv + 1);
    if (!strcmp(cmd, "get"))
        return nst_cmd_get(argc - 1, argv + 1);
    if (!strcmp(cmd, "ws"))
        return nst_cmd_ws(argc - 1, argv + 1);
    if (!strcmp(cmd, "router"))
        return nst_cmd_router(argc - 1, argv + 1);
    if (!strcmp(cmd, "traceroute"))
        return nst_cmd_traceroute(argc - 1, argv + 1);
    if (!strcmp(cmd, "ss") || !strcmp(cmd, "netstat") || !strcmp(cmd, "ip"))
        return nst_cmd_ss(argc - 1, argv + 1);
    fprintf(stderr, "nstack: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
