/* Shared by the files of src/inspect/. */
#ifndef NST_INSPECT_INTERNAL_H
#define NST_INSPECT_INTERNAL_H

#include <nstack/inspect.h>

#define NST_SS_STATE(s) (1u << (s))
/* ss with no state option: connected sockets, without TIME-WAIT and SYN-RECV. */
#define NST_SS_DEFAULT_STATES                                                                         \
    (((NST_SS_STATE(NST_TCPS_TIME_WAIT + 1) - 1)) &                                                   \
     ~(NST_SS_STATE(NST_TCPS_LISTEN) | NST_SS_STATE(NST_TCPS_CLOSED) | NST_SS_STATE(NST_TCPS_TIME_WAIT) | \
       NST_SS_STATE(NST_TCPS_SYN_RECEIVED)))

/* ss's name of a state: "ESTAB", "TIME-WAIT", "UNCONN" (closed). */
const char *nst_ss_state_name(int state);
/* A duration the way ss prints timers: "59sec", "1min", "200ms", "1.500ms"
 * style (ss's print_ms_timer rules); negative durations print as 0ms. */
const char *nst_ss_duration(nst_time_t d, char *buf, size_t len);
/* ss -s's last line: the stack-wide TCP memory (Linux shows it in
 * /proc/net/sockstat as "mem"). */
void nst_ss_format_tcp_mem(FILE *out, const struct nst_tcp_mem *m);
/* "10.0.0.1:80", "0.0.0.0:*" (port 0 is "*"), "[2001:db8::1]:80". */
const char *nst_ss_endpoint(const struct nst_sockaddr *a, char *buf, size_t len);

#endif
