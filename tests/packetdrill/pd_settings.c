/* The settings layer: what a script may set before its first event.
 *
 *   --tolerance_usecs=4000        packetdrill's timing tolerance
 *   --tcp_ts_tick_usecs=1000      check outbound TSvals against this clock
 *   --nstack_tcp_rto_min=200ms    any field of struct nst_tcp_config
 *   --nstack_mtu=1500, --nstack_seed=N, --nstack_remote_isn=N,
 *   --nstack_wait_max=600s        (how far a blocking call may run time)
 *   %{ nstack: tcp_rto_min=200ms tcp_delack=40ms }%   the same, in a block
 *
 * Durations take a unit (ns, us, ms, s; none means seconds). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"

void pd_config_default(struct pd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->tolerance = NST_USEC(4000); /* packetdrill's default --tolerance_usecs */
    c->mtu = 1500;
    c->wait_max = NST_SEC(3600);
    c->bind_port = PD_BIND_PORT;
    c->connect_port = PD_CONNECT_PORT;
    nst_stack_config_default(&c->stack);
    c->stack.name = "pd";
    c->stack.deterministic = 1; /* scripts replay exactly */
    c->stack.seed = 1;
}

int pd_parse_duration(const char *s, nst_time_t *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult = 1e9;
    if (!strcmp(end, "ns"))
        mult = 1;
    else if (!strcmp(end, "us"))
        mult = 1e3;
    else if (!strcmp(end, "ms"))
        mult = 1e6;
    else if (!strcmp(end, "s") || !*end)
        mult = 1e9;
    else
        return -1;
    *out = (nst_time_t)(v * mult + 0.5);
    return 0;
}

static int parse_uint(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || errno)
        return -1;
    if (*end == 'k' || *end == 'K') {
        v <<= 10;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        v <<= 20;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

enum field_kind { F_TIME, F_UINT, F_SIZE, F_BOOL, F_STR };

struct tcp_field {
    const char *name;
    enum field_kind kind;
    size_t off;
};

#define TF(n, k) {#n, k, offsetof(struct nst_tcp_config, n)}
static const struct tcp_field tcp_fields[] = {
    TF(msl, F_TIME),
    TF(rto_initial, F_TIME),
    TF(rto_min, F_TIME),
    TF(rto_max, F_TIME),
    TF(delack, F_TIME),
    TF(persist_min, F_TIME),
    TF(persist_max, F_TIME),
    TF(fin_wait2_timeout, F_TIME),
    TF(keepidle, F_TIME),
    TF(keepintvl, F_TIME),
    TF(keepcnt, F_UINT),
    TF(syn_retries, F_UINT),
    TF(synack_retries, F_UINT),
    TF(data_retries, F_UINT),
    TF(initial_window, F_UINT),
    TF(sndbuf, F_SIZE),
    TF(rcvbuf, F_SIZE),
    TF(buf_max, F_SIZE),
    TF(wscale_space, F_SIZE),
    TF(max_backlog, F_UINT),
    TF(max_timewait, F_UINT),
    TF(challenge_ack_limit, F_UINT),
    TF(syncookies, F_BOOL),
    TF(timestamps, F_BOOL),
    TF(window_scaling, F_BOOL),
    TF(sack, F_BOOL),
    TF(frto, F_BOOL), /* RFC 5682 F-RTO, 1 (Linux's tcp_frto) */
    TF(rack, F_BOOL), /* RFC 8985 RACK-TLP, 1 (Linux's tcp_recovery = 1) */
    TF(fastopen, F_UINT), /* RFC 7413: 1 client, 2 server (Linux's tcp_fastopen) */
    TF(ecn, F_UINT), /* RFC 3168: 0 off, 1 ask and accept, 2 accept (Linux's tcp_ecn) */
    TF(congestion, F_STR),
    TF(tw_reuse, F_BOOL), /* Linux's tcp_tw_reuse */
    TF(pmtu_min, F_UINT),
    TF(hystart, F_BOOL), /* RFC 9406 HyStart++ in CUBIC, 1 */
};
#undef TF

static int set_tcp_field(struct nst_tcp_config *t, const char *name, const char *value, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(tcp_fields) / sizeof(tcp_fields[0]); i++) {
        const struct tcp_field *f = &tcp_fields[i];
        if (strcmp(f->name, name))
            continue;
        char *p = (char *)t + f->off;
        unsigned long long u = 0;
        nst_time_t d = 0;
        switch (f->kind) {
        case F_TIME:
            if (pd_parse_duration(value, &d) < 0)
                break;
            memcpy(p, &d, sizeof(d));
            return 0;
        case F_UINT:
        case F_BOOL:
            if (parse_uint(value, &u) < 0 || u > 0xffffffffull || (f->kind == F_BOOL && u > 1))
                break;
            if (f->kind == F_BOOL) {
                int b = (int)u;
                memcpy(p, &b, sizeof(b));
            } else {
                unsigned v = (unsigned)u;
                memcpy(p, &v, sizeof(v));
            }
            return 0;
        case F_SIZE: {
            if (parse_uint(value, &u) < 0)
                break;
            size_t v = (size_t)u;
            memcpy(p, &v, sizeof(v));
            return 0;
        }
        case F_STR:
            if (strlen(value) >= sizeof(t->congestion))
                break;
            strcpy(t->congestion, value);
            return 0;
        }
        snprintf(err, errlen, "bad value '%s' for tcp_%s", value, name);
        return -1;
    }
    snprintf(err, errlen, "unknown nstack TCP setting 'tcp_%s'", name);
    return -1;
}

static int uint_setting(const char *name, const char *value, unsigned long long max, unsigned long long *out,
                        char *err, size_t errlen)
{
    if (parse_uint(value, out) < 0 || *out > max) {
        snprintf(err, errlen, "bad value '%s' for %s", value, name);
        return -1;
    }
    return 0;
}

int pd_profile_apply(struct pd_config *c, const char *name, char *err, size_t errlen);

int pd_setting_apply(struct pd_config *c, const char *name, const char *value, char *err, size_t errlen)
{
    unsigned long long u;
    if (!strcmp(name, "tolerance_usecs")) {
        if (uint_setting(name, value, 1000000000ull, &u, err, errlen) < 0)
            return -1;
        c->tolerance = NST_USEC(u);
        return 0;
    }
    if (!strcmp(name, "tcp_ts_tick_usecs")) {
        if (uint_setting(name, value, 1000000ull, &u, err, errlen) < 0)
            return -1;
        c->ts_tick_usecs = (unsigned)u;
        return 0;
    }
    if (!strcmp(name, "defaults"))
        return pd_profile_apply(c, value, err, errlen);
    if (strncmp(name, "nstack_", 7)) {
        snprintf(err, errlen, "unknown setting '--%s'", name);
        return -1;
    }
    name += 7;
    if (!strncmp(name, "tcp_", 4))
        return set_tcp_field(&c->stack.tcp, name + 4, value, err, errlen);
    if (!strcmp(name, "mtu")) {
        if (uint_setting(name, value, 65535, &u, err, errlen) < 0 || u < 576)
            return -1;
        c->mtu = (uint32_t)u;
        return 0;
    }
    if (!strcmp(name, "seed")) {
        if (uint_setting(name, value, ~0ull, &u, err, errlen) < 0)
            return -1;
        c->stack.seed = u;
        return 0;
    }
    if (!strcmp(name, "remote_isn")) {
        if (uint_setting(name, value, 0xffffffffull, &u, err, errlen) < 0)
            return -1;
        c->remote_isn = (uint32_t)u;
        return 0;
    }
    if (!strcmp(name, "gso_merge")) {
        if (uint_setting(name, value, 1, &u, err, errlen) < 0)
            return -1;
        c->gso_merge = (int)u;
        return 0;
    }
    if (!strcmp(name, "bind_port") || !strcmp(name, "connect_port")) {
        if (uint_setting(name, value, 65535, &u, err, errlen) < 0 || !u)
            return -1;
        *(name[0] == 'b' ? &c->bind_port : &c->connect_port) = (uint16_t)u;
        return 0;
    }
    if (!strcmp(name, "wait_max")) {
        if (pd_parse_duration(value, &c->wait_max) < 0) {
            snprintf(err, errlen, "bad duration '%s'", value);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown setting '--nstack_%s'", name);
    return -1;
}

/* ---- profiles ---------------------------------------------------------------------------------- */

/* --defaults=linux / --defaults=freebsd: the choices RFCs leave to the
 * implementation, set as those stacks make them out of the box, so that a
 * script written against one of them tests only what the RFCs define.
 * Values: Linux's include/net/tcp.h and sysctl defaults (TCP_RTO_MIN,
 * TCP_DELACK_MIN, TCP_TIMEWAIT_LEN, tcp_synack_retries...); FreeBSD's
 * tcp_timer.h and net.inet.tcp sysctls (rexmit_min, delacktime, msl,
 * syncache rexmtlimit...). What nstack cannot be set to is listed in
 * docs/TESTING.md. */
struct profile_setting {
    const char *name, *value;
};

/* Linux as packetdrill's own suite sets it up (gtests/net/common/
 * defaults.sh): tcp_rmem "4096 540000 15 MiB" (the shift is sized for the
 * maximum: window scale 8, as its scripts expect), tcp_wmem 256 KiB, 5 SYN
 * and SYN-ACK retries, ECN off. */
static const struct profile_setting linux_profile[] = {
    {"nstack_gso_merge", "1"},           /* its scripts expect TSO super-segments */
    {"nstack_tcp_rcvbuf", "540000"},
    {"nstack_tcp_wscale_space", "15728640"},
    {"nstack_tcp_sndbuf", "262144"},
    {"nstack_tcp_rto_initial", "1s"},    /* TCP_TIMEOUT_INIT */
    {"nstack_tcp_rto_min", "200ms"},     /* TCP_RTO_MIN */
    {"nstack_tcp_rto_max", "120s"},      /* TCP_RTO_MAX */
    {"nstack_tcp_delack", "40ms"},       /* TCP_DELACK_MIN */
    {"nstack_tcp_msl", "30s"},           /* TCP_TIMEWAIT_LEN 60 s = 2 MSL */
    {"nstack_tcp_fin_wait2_timeout", "60s"}, /* tcp_fin_timeout */
    {"nstack_tcp_initial_window", "10"}, /* TCP_INIT_CWND */
    {"nstack_tcp_syn_retries", "5"},
    {"nstack_tcp_synack_retries", "5"},
    {"nstack_tcp_data_retries", "15"},   /* tcp_retries2 */
    {"nstack_tcp_keepidle", "7200s"},
    {"nstack_tcp_keepintvl", "75s"},
    {"nstack_tcp_keepcnt", "9"},
    {"nstack_tcp_timestamps", "1"},
    {"nstack_tcp_sack", "1"},
    {"nstack_tcp_window_scaling", "1"},
    {"nstack_tcp_syncookies", "1"},
    {"nstack_tcp_frto", "1"},
    {"nstack_tcp_rack", "1"},            /* tcp_recovery = 1: RACK-TLP */
    {"nstack_tcp_ecn", "0"},             /* defaults.sh: tcp_ecn=0 */
    {"nstack_tcp_congestion", "cubic"},
    {NULL, NULL},
};

static const struct profile_setting freebsd_profile[] = {
    {"nstack_tcp_rcvbuf", "65536"},      /* net.inet.tcp.recvspace */
    {"nstack_tcp_sndbuf", "32768"},      /* net.inet.tcp.sendspace */
    {"nstack_tcp_wscale_space", "2097152"}, /* kern.ipc.maxsockbuf: window scale 6 */
    {"nstack_tcp_rto_initial", "1s"},    /* net.inet.tcp.rexmit_initial */
    {"nstack_tcp_rto_min", "30ms"},      /* net.inet.tcp.rexmit_min */
    {"nstack_tcp_rto_max", "64s"},       /* TCPTV_REXMTMAX */
    {"nstack_tcp_delack", "100ms"},      /* net.inet.tcp.delacktime */
    {"nstack_tcp_msl", "30s"},           /* net.inet.tcp.msl */
    {"nstack_tcp_fin_wait2_timeout", "60s"}, /* net.inet.tcp.finwait2_timeout */
    {"nstack_tcp_initial_window", "10"}, /* net.inet.tcp.initcwnd_segments */
    {"nstack_tcp_syn_retries", "12"},    /* TCP_MAXRXTSHIFT */
    {"nstack_tcp_synack_retries", "3"},  /* net.inet.tcp.syncache.rexmtlimit */
    {"nstack_tcp_data_retries", "12"},   /* TCP_MAXRXTSHIFT */
    {"nstack_tcp_keepidle", "7200s"},
    {"nstack_tcp_keepintvl", "75s"},
    {"nstack_tcp_keepcnt", "8"},         /* TCPTV_KEEPCNT */
    {"nstack_tcp_timestamps", "1"},      /* net.inet.tcp.rfc1323 */
    {"nstack_tcp_sack", "1"},
    {"nstack_tcp_window_scaling", "1"},
    {"nstack_tcp_syncookies", "1"},
    {"nstack_tcp_frto", "0"},            /* no F-RTO by default (net.inet.tcp.rfc6675_pipe aside) */
    {"nstack_tcp_ecn", "2"},             /* net.inet.tcp.ecn.enable */
    {"nstack_tcp_congestion", "newreno"},
    {NULL, NULL},
};

static const struct profile_setting *profile_find(const char *name)
{
    if (!strcmp(name, "linux"))
        return linux_profile;
    if (!strcmp(name, "freebsd"))
        return freebsd_profile;
    return NULL;
}

int pd_profile_check(const char *name) { return profile_find(name) ? 0 : -1; }

int pd_profile_apply(struct pd_config *c, const char *name, char *err, size_t errlen)
{
    const struct profile_setting *p = profile_find(name);
    if (!p) {
        snprintf(err, errlen, "unknown profile '%s' (linux, freebsd)", name);
        return -1;
    }
    for (; p->name; p++)
        if (pd_setting_apply(c, p->name, p->value, err, errlen) < 0)
            return -1;
    return 0;
}
