/* nstack's packetdrill-syntax conformance runner: shared types.
 *
 * A script (packetdrill's syntax, see docs/TESTING.md) is parsed whole into
 * a list of events (pd_parse.c), then run against one nst_stack in virtual
 * time (pd_run.c): inbound packets are built and injected (pd_packet.c),
 * outbound ones are captured from the interface's link and matched
 * (pd_packet.c), system calls go to nstack's socket API (pd_syscall.c).
 * Settings that shape the stack come from `--name=value` lines and
 * `%{ nstack: ... }%` blocks at the top of the script (pd_settings.c).
 *
 * The simulated world follows packetdrill's defaults: the stack is
 * 192.168.0.1/24 behind gateway 192.168.0.2, the remote end is 192.0.2.1.
 * None of it leaves the process. */
#ifndef NST_PD_H
#define NST_PD_H

#include <stdio.h>

#include <nstack/nstack.h>

#define PD_LOCAL_IP NST_IP4(192, 168, 0, 1)
#define PD_GATEWAY_IP NST_IP4(192, 168, 0, 2)
#define PD_REMOTE_IP NST_IP4(192, 0, 2, 1)
/* bind(fd, ..., ...) binds this port; connect(fd, ..., ...) goes to the
 * remote's PD_CONNECT_PORT. Inbound packets of a passive connection come
 * from PD_PEER_PORT unless the line names another (`<:40001 S ...`). */
#define PD_BIND_PORT 8080
#define PD_CONNECT_PORT 8080
#define PD_PEER_PORT 40000

#define PD_MAX_OPTS 16
#define PD_MAX_SACK 4
#define PD_MAX_CONNS 64
#define PD_MAX_FDS 1024
#define PD_ERR_MAX 2048

/* ---- time ------------------------------------------------------------------ */

enum pd_time_kind {
    PD_T_ABS,  /* 0.2 (or a range 0.2~0.3) from the script's start */
    PD_T_REL,  /* +0.2 (or +0.2~+0.3) after the previous event */
    PD_T_ANY,  /* * : whenever */
};

struct pd_time {
    enum pd_time_kind kind;
    nst_time_t lo, hi; /* hi == lo unless a range */
};

/* ---- packets --------------------------------------------------------------- */

enum pd_opt_kind {
    PD_OPT_EOL,
    PD_OPT_NOP,
    PD_OPT_MSS,
    PD_OPT_WSCALE,
    PD_OPT_SACKOK,
    PD_OPT_SACK,
    PD_OPT_TS,
    PD_OPT_FO,      /* FO [cookie]: TCP Fast Open, kind 34 (RFC 7413) */
    PD_OPT_FOEXP,   /* FOEXP [cookie]: the experimental form, kind 254 magic 0xF989 */
    PD_OPT_MD5,     /* md5 [digest]: TCP-MD5 signature, kind 19 (RFC 2385) */
    PD_OPT_RAW,     /* kind N [hex]: any other kind, bytes as written (nstack extension) */
};

#define PD_OPT_BYTES_MAX 38

struct pd_opt {
    enum pd_opt_kind kind;
    uint32_t v;                  /* mss, wscale */
    uint32_t val, ecr;           /* TS */
    int val_any, ecr_any;        /* TS val * ecr *: not checked (outbound) */
    unsigned nsack;
    uint32_t sack[PD_MAX_SACK][2];
    uint8_t kind_raw;            /* RAW: the kind byte */
    unsigned nbytes;             /* FO, FOEXP, MD5, RAW: the cookie, digest or data */
    uint8_t bytes[PD_OPT_BYTES_MAX];
};

/* The IP fields a packet line may give: `[ect0]`, `(tos 0x2, ttl 64)`... */
enum pd_ecn { PD_ECN_UNSET = -1, PD_ECN_NOT = 0, PD_ECN_ECT1 = 1, PD_ECN_ECT0 = 2, PD_ECN_CE = 3 };

struct pd_ip_info {
    int ecn;                     /* enum pd_ecn: the ECN field checked / sent */
    int ect01;                   /* [ect01]: outbound, ECT(0) or ECT(1) */
    int has_tos, has_ttl, has_id;
    uint8_t tos, ttl;            /* tos: the whole byte (DSCP and ECN) */
    uint16_t id;
    uint32_t flowlabel;          /* IPv6 only: accepted, never used */
};

enum pd_proto { PD_TCP, PD_UDP, PD_ICMP, PD_RAW /* only quoted by ICMP: [raw (N)] */ };

struct pd_packet {
    char dir;                    /* '<' inbound, '>' outbound */
    enum pd_proto proto;
    uint16_t rport;              /* the remote port the line names, 0: the current connection */
    uint16_t lport;              /* `src>dst` ports: the local one, 0: the connection's */
    struct pd_ip_info ip;
    /* TCP */
    uint8_t flags;
    uint32_t seq, len;
    int has_ack, has_win, has_urg;
    uint32_t ack, win, urg;
    int opts_any;                /* <...>: options are not checked */
    int nopts;
    struct pd_opt opts[PD_MAX_OPTS];
    /* ICMP */
    uint8_t icmp_type, icmp_code;
    int has_mtu;
    uint32_t mtu;
    int has_echo_id;
    uint16_t echo_id;            /* icmp ... id N */
    int quote;                   /* quotes one of our segments: [seq:end(len)] or [udp (len)] */
    enum pd_proto quote_proto;
    uint32_t quote_seq, quote_len;
};

/* ---- system calls ------------------------------------------------------------ */

enum pd_val_kind {
    PD_V_ELLIPSIS, /* ... */
    PD_V_INT,      /* 3, 0x2, AF_INET, O_RDWR|O_NONBLOCK, htons(8080), inet_addr("1.2.3.4") */
    PD_V_STR,      /* "cubic" */
    PD_V_LIST,     /* [1], [{fd=4, events=POLLIN}] */
    PD_V_STRUCT,   /* {sa_family=AF_INET, sin_port=htons(8080), ...} */
};

struct pd_val {
    enum pd_val_kind kind;
    long long i;
    char *s;                     /* STR */
    int str_prefix;              /* STR written "abc"...: the start of a longer buffer */
    char *name;                  /* a field's name inside a STRUCT */
    int n;                       /* LIST, STRUCT: items */
    struct pd_val *items;
};

struct pd_syscall {
    char name[32];
    int nargs;
    struct pd_val args[8];
    int has_end;                 /* t1...t2: a blocking call expected to return at t2 */
    struct pd_time end;
    int ret_any;                 /* = ... */
    long long ret;
    int err;                     /* expected errno (positive), 0: none named */
};

/* ---- events -------------------------------------------------------------------- */

enum pd_event_kind { PD_EV_PACKET, PD_EV_SYSCALL, PD_EV_CODE /* a %{ }% block: assertions */ };

struct pd_event {
    enum pd_event_kind kind;
    int line;
    char *text;                  /* the script line, for messages */
    struct pd_time time;
    struct pd_packet pkt;
    struct pd_syscall call;
    char *code;                  /* CODE: the block's body, newlines kept */
};

/* Everything a script may set, with the defaults of pd_config_default. */
struct pd_config {
    nst_time_t tolerance;        /* --tolerance_usecs: packetdrill's 4 ms */
    unsigned ts_tick_usecs;      /* --tcp_ts_tick_usecs: 0 = outbound TSval not checked */
    uint32_t remote_isn;         /* --nstack_remote_isn: the script's ISN offset on the wire */
    uint32_t mtu;                /* --nstack_mtu */
    nst_time_t wait_max;         /* --nstack_wait_max: how far a blocking call may run time */
    int verbose;                 /* command line -v: print every packet matched */
    int gso_merge;               /* --nstack_gso_merge: join segments as Linux's TSO (pd_gso_merge) */
    uint16_t bind_port;          /* --bind_port: bind(fd, ..., ...) takes it (8080) */
    uint16_t connect_port;       /* --connect_port: connect(fd, ..., ...) goes there (8080) */
    struct nst_stack_config stack;
};

struct pd_script {
    char *path;
    const char *name;            /* base name */
    struct pd_config cfg;
    int nevents, cap;
    struct pd_event *events;
    int notes;                   /* lines skipped with a printed note */
    /* Set when the script needs what nstack does not have ("nstack has no
     * IPv6"): the script is not run and reports SKIP with this reason. */
    char skip[160];
    int skip_line;
};

/* Records that a script needs what nstack lacks (the first reason wins).
 * The reasons are the names --list-unsupported prints. */
void pd_script_skip(struct pd_script *sc, int line, const char *reason);

/* ---- pd_settings.c ------------------------------------------------------------ */
void pd_config_default(struct pd_config *c);
/* Applies one setting "name=value" (name without the leading --). 0 or -1
 * with a message in err. */
int pd_setting_apply(struct pd_config *c, const char *name, const char *value, char *err, size_t errlen);
/* --defaults=linux|freebsd: the stack set up as that one is by default. */
int pd_profile_check(const char *name);
int pd_profile_apply(struct pd_config *c, const char *name, char *err, size_t errlen);
/* Parses a time with an optional unit (ns, us, ms, s; none: seconds). */
int pd_parse_duration(const char *s, nst_time_t *out);

/* ---- pd_parse.c ---------------------------------------------------------------- */
/* Reads and parses a script. 0, or -1 with "line: message" (then more
 * lines of detail) in err. */
int pd_script_load(struct pd_script *sc, const char *path, FILE *notes, const char *defaults, char *err,
                   size_t errlen);
void pd_script_free(struct pd_script *sc);
/* Symbolic constants of the syscall language (AF_INET, SO_LINGER, POLLIN...). */
int pd_symbol(const char *name, long long *out);
const char *pd_errno_name(int e);
/* The name of socket option (level, name), or NULL. */
const char *pd_option_name(long long level, long long name);
int pd_errno_value(const char *name);

/* ---- pd_run.c ------------------------------------------------------------------- */
struct pd_frame {
    nst_time_t at;
    uint8_t *data;
    size_t len;
};

/* What the script knows about one connection (or UDP flow), by remote port. */
struct pd_conn {
    uint16_t rport, lport;
    int lport_known;
    uint32_t local_isn;          /* the stack's ISN, learned from its SYN or SYN-ACK */
    int isn_known;
    uint32_t ts_offset;          /* stack TSval - script TSval */
    int ts_known;
};

/* An epoll instance (pd_syscall.c). */
#define PD_MAX_EPOLL 8
#define PD_EPOLL_FDS 64
struct pd_epoll {
    int used, fd;
    int n;
    int fds[PD_EPOLL_FDS];
    uint32_t events[PD_EPOLL_FDS];
};

/* A blocking call in progress (packetdrill's syscall thread). */
struct pd_pending {
    int active;
    struct pd_event *ev;
    nst_time_t start;
    nst_time_t end_lo, end_hi;   /* when it is expected to return (t1...t2) */
    nst_time_t wake;             /* poll(): when its timeout expires (NST_TIME_NEVER: none) */
    int stage;                   /* connect: 1 once the SYN is out */
    long long done;              /* write: bytes written so far */
    long long result;            /* when finished */
    int finished;
    nst_time_t finished_at;
};

struct pd_run {
    struct pd_script *sc;
    struct nst_stack *st;
    int ifindex;
    struct nst_mac local_mac, gw_mac;
    nst_time_t now;
    nst_time_t last_time;        /* the time relative events count from */
    /* Frames the stack sent, oldest first; consumed by outbound events. */
    struct pd_frame *q;
    size_t q_head, q_len, q_cap;
    struct pd_conn conns[PD_MAX_CONNS];
    int nconns;
    uint16_t cur_rport;          /* the connection lines without a port refer to */
    uint16_t bind_port;          /* local port of passive connections */
    uint8_t nonblock[PD_MAX_FDS];
    uint16_t ip_id;
    struct pd_pending pend;
    struct pd_epoll epolls[PD_MAX_EPOLL];
    int info_fd;                 /* the socket %{ }% blocks read tcpi_* of: the latest one used */
    int line;                    /* the event being run */
    char err[PD_ERR_MAX];        /* first failure: headline "LINE: what" */
    char detail[PD_ERR_MAX];     /* further lines: script line, actual packet, times */
    int failed;
    char skip[160];              /* set with pd_skip: the run stopped on what nstack lacks */
    int skip_line;
};

/* Runs the script; 0 if every event matched, -1 with r->err/detail. */
int pd_run_script(struct pd_script *sc, struct pd_run *r);
void pd_run_free(struct pd_run *r);
/* Records the first failure: headline and (optional) detail. Returns -1. */
int pd_fail(struct pd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pd_detail(struct pd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Stops the run: the script needs what nstack does not have ("nstack has
 * no X"). Returns -1. */
int pd_skip(struct pd_run *r, const char *reason);
/* Prints every reason a script may be skipped for: nstack's to-do list. */
void pd_list_unsupported(FILE *out);
/* Advances virtual time to t, running timers in order (and retrying a
 * blocked call after each). */
void pd_run_until(struct pd_run *r, nst_time_t t);
struct pd_conn *pd_conn_get(struct pd_run *r, uint16_t rport);
/* When a blocking call `t1...t2` started at start is expected to return. */
nst_time_t pd_call_end(const struct pd_run *r, const struct pd_event *ev, nst_time_t start);

/* ---- pd_packet.c ------------------------------------------------------------------ */
/* Builds the frame for an inbound line and hands it to the stack. 0 or -1. */
int pd_inject(struct pd_run *r, const struct pd_event *ev);
/* Compares a captured frame with an outbound line. 0 or -1 (pd_fail). */
int pd_match(struct pd_run *r, const struct pd_event *ev, const struct pd_frame *f);
/* Joins the TSO-like run of segments at the head of the capture queue
 * that pk expects as one (only with --nstack_gso_merge=1). */
void pd_gso_merge(struct pd_run *r, const struct pd_packet *pk);
/* One line describing a captured frame, in the script's terms. */
void pd_format_frame(struct pd_run *r, const struct pd_frame *f, char *buf, size_t cap);

/* ---- pd_tcpi.c ------------------------------------------------------------------------------ */
/* Linux's tcp_info field `name` (tcpi_state, tcpi_snd_cwnd...) from
 * nstack's, in Linux's units. 0, or -1 after pd_skip when nstack has no
 * counterpart, or pd_fail when the name is unknown. */
struct nst_tcp_info;
int pd_tcpi_field(struct pd_run *r, const struct nst_tcp_info *ti, const char *name, long long *out);
/* Runs a %{ }% block's assertions over the tcp_info of r->info_fd. 0 or -1. */
int pd_python_run(struct pd_run *r, const struct pd_event *ev);

/* ---- pd_syscall.c ----------------------------------------------------------------- */
/* Starts the call of ev. Returns 1 if it finished (checked), 0 if it
 * blocks (r->pend is set), -1 on failure. */
int pd_syscall_start(struct pd_run *r, struct pd_event *ev);
/* Retries a blocked call; sets pend.finished when it returns. */
void pd_syscall_retry(struct pd_run *r);
/* Whether setsockopt/getsockopt (Linux level and name) maps onto nstack. */
int pd_option_supported(long long level, long long name);
/* Prints the tcpi_* fields nstack's tcp_info has no counterpart for. */
void pd_list_unsupported_tcpi(FILE *out);
/* Checks a finished call's result against the script. 0 or -1. */
int pd_syscall_check(struct pd_run *r, struct pd_event *ev, long long result);

#endif
