/* ss's command line: the options iproute2's ss takes (those that mean
 * something for nstack) and its state filter, `state NAME` / `exclude NAME`
 * with ss's state names and groups (ss(8), "STATE-FILTER"). */
#include <nstack/inspect.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define ST(s) (1u << (s))
#define ST_ALL (ST(NST_TCPS_TIME_WAIT + 1) - 1)
/* ss's groups. */
#define ST_BUCKET (ST(NST_TCPS_SYN_RECEIVED) | ST(NST_TCPS_TIME_WAIT))
#define ST_BIG (ST_ALL & ~ST_BUCKET)
#define ST_CONNECTED (ST_ALL & ~(ST(NST_TCPS_LISTEN) | ST(NST_TCPS_CLOSED)))
#define ST_SYNCHRONIZED (ST_CONNECTED & ~ST(NST_TCPS_SYN_SENT))

struct state_name {
    const char *name;
    unsigned mask;
};

static const struct state_name state_names[] = {
    {"all", ST_ALL},
    {"established", ST(NST_TCPS_ESTABLISHED)},
    {"syn-sent", ST(NST_TCPS_SYN_SENT)},
    {"syn-recv", ST(NST_TCPS_SYN_RECEIVED)},
    {"fin-wait-1", ST(NST_TCPS_FIN_WAIT_1)},
    {"fin-wait-2", ST(NST_TCPS_FIN_WAIT_2)},
    {"time-wait", ST(NST_TCPS_TIME_WAIT)},
    {"closed", ST(NST_TCPS_CLOSED)},
    {"close-wait", ST(NST_TCPS_CLOSE_WAIT)},
    {"last-ack", ST(NST_TCPS_LAST_ACK)},
    {"listening", ST(NST_TCPS_LISTEN)},
    {"listen", ST(NST_TCPS_LISTEN)},
    {"closing", ST(NST_TCPS_CLOSING)},
    {"connected", ST_CONNECTED},
    {"synchronized", ST_SYNCHRONIZED},
    {"bucket", ST_BUCKET},
    {"big", ST_BIG},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int state_mask(const char *name, unsigned *mask)
{
    for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
        if (strcmp(name, state_names[i].name) == 0) {
            *mask = state_names[i].mask;
            return 0;
        }
    return -EINVAL;
}

struct parse {
    struct nst_ss_opts *o;
    int all, listening;
    unsigned include, exclude;
    int have_include;
};

/* One letter of a cluster like -tanio. */
static int short_opt(struct parse *p, char c, char *err, size_t errlen)
{
    struct nst_ss_opts *o = p->o;
    switch (c) {
    case 's': o->summary = 1; return 0;
    case 't': o->protos |= NST_INSPECT_TCP; return 0;
    case 'u': o->protos |= NST_INSPECT_UDP; return 0;
    case 'w': o->protos |= NST_INSPECT_ICMP; return 0; /* ss -w: raw sockets; ours are ICMP echo */
    case 'a': p->all = 1; return 0;
    case 'l': p->listening = 1; return 0;
    case 'i': o->info = 1; return 0;
    case 'o': o->timers = 1; return 0;
    case 'e': o->extended = 1; return 0;
    case 'p': o->processes = 1; return 0;
    case '4': o->families |= NST_SS_INET; return 0;
    case '6': o->families |= NST_SS_INET6; return 0;
    case 'n': case 'r': case 'H': return 0; /* always numeric */
    default: return fail(err, errlen, "unknown option -%c", c);
    }
}

static int filter_word(struct parse *p, const char *kw, const char *name, char *err, size_t errlen)
{
    unsigned m;
    if (!name)
        return fail(err, errlen, "'%s' needs a state name", kw);
    if (state_mask(name, &m) < 0)
        return fail(err, errlen, "unknown state '%s'", name);
    if (strcmp(kw, "state") == 0) {
        p->include |= m;
        p->have_include = 1;
    } else {
        p->exclude |= m;
    }
    return 0;
}

/* ss's rule: a state filter wins; else -a is every state, -l the
 * listening ones (and closed: unconnected datagram sockets), and the
 * default the connected ones without TIME_WAIT and SYN-RECV. */
static unsigned final_states(const struct parse *p)
{
    unsigned m;
    if (p->have_include)
        m = p->include;
    else if (p->all)
        m = ST_ALL;
    else if (p->listening)
        m = ST(NST_TCPS_LISTEN) | ST(NST_TCPS_CLOSED);
    else
        m = ST_CONNECTED & ~(ST(NST_TCPS_TIME_WAIT) | ST(NST_TCPS_SYN_RECEIVED));
    return m & ~p->exclude;
}

int nst_ss_parse(int argc, char *const argv[], struct nst_ss_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    struct parse p = {.o = o};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "state") == 0 || strcmp(a, "exclude") == 0 || strcmp(a, "excl") == 0) {
            const char *kw = a[0] == 's' ? "state" : "exclude";
            if (filter_word(&p, kw, i + 1 < argc ? argv[i + 1] : NULL, err, errlen) < 0)
                return -EINVAL;
            i++;
            continue;
        }
        if (a[0] != '-' || a[1] == 0 || a[1] == '-')
            return fail(err, errlen, "unexpected argument '%s'", a);
        for (const char *c = a + 1; *c; c++)
            if (short_opt(&p, *c, err, errlen) < 0)
                return -EINVAL;
    }
    o->states = final_states(&p);
    if (o->states == 0)
        return fail(err, errlen, "the state filter excludes every state");
    return 0;
}
