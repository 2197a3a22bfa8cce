/* The nstack program's commands and their shared argument helpers. */
#ifndef NST_TOOLS_CLI_H
#define NST_TOOLS_CLI_H

#include <stdint.h>

int nst_cmd_demo(int argc, char **argv);
int nst_cmd_ping(int argc, char **argv);
int nst_cmd_traceroute(int argc, char **argv);
/* nstack on a Linux TAP device (tools/cmd_tap.c, tools/cmd_serve.c, tools/cmd_connect.c). */
int nst_cmd_serve(int argc, char **argv);
int nst_cmd_tap_ping(int argc, char **argv);
int nst_cmd_connect(int argc, char **argv);
int nst_cmd_get(int argc, char **argv);
int nst_cmd_ws(int argc, char **argv);
/* nstack router (tools/cmd_router.c): one stack forwarding between TAPs. */
int nst_cmd_router(int argc, char **argv);
/* nstack ss and nstack netstat -s (tools/cmd_ss.c): argv[0] is "ss" or "netstat". */
int nst_cmd_ss(int argc, char **argv);
/* 1 if the arguments ask for a TAP (--tap): `nstack ping` then pings over it. */
int nst_cli_wants_tap(int argc, char **argv);

/* Strict number parsing: the whole string, within [min, max]. 0 or -EINVAL. */
int nst_cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A byte count: digits, then optionally K, M or G (KiB, MiB, GiB); at most max. */
int nst_cli_parse_size(const char *s, uint64_t max, uint64_t *out);
int nst_cli_parse_double(const char *s, double min, double max, double *out);
/* Prints "nstack CMD: MSG" and returns 2 (the exit code for bad usage). */
int nst_cli_bad_usage(const char *cmd, const char *fmt, ...);

#endif
