/* nstack_packetdrill: runs packetdrill-syntax scripts against nstack.
 *
 *   nstack_packetdrill [-v] [--summary] [--known-failures=FILE] [--defaults=linux|freebsd]
 *                      [--NAME=VALUE...] script.pkt|directory...
 *   nstack_packetdrill --list-unsupported
 *
 * -v prints every outbound packet as it is matched, with its time.
 * --NAME=VALUE are settings (see pd_settings.c) applied on top of each
 * script's own; --defaults=PROFILE sets the stack up as Linux or FreeBSD
 * would be (pd_settings.c) before the script's own settings. A directory
 * stands for every *.pkt below it, in name order. Each script prints PASS,
 * FAIL (with file:line, the script line, the actual packet and the time),
 * SKIP (with what nstack lacks), or XFAIL when it is listed in the
 * known-failures file and fails with exactly the listed mismatch.
 * --summary prints only failures, then the counts with the SKIP reasons
 * and FAIL headlines grouped: one command to read a whole foreign suite.
 *
 * Exit status: 0 when every script passed; 77 (CTest's skip) when every
 * script that did not pass is a known failure reproduced exactly or was
 * skipped; 1 otherwise -- including a listed script that now passes
 * (XPASS: take it off the list) or fails differently. With a
 * known-failures file a SKIP must be listed too ("name.pkt SKIP: reason"),
 * so that a script of ours never stops being run unnoticed. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pd.h"

#define MAX_CLI_SETTINGS 32
#define KNOWN_MAX 4096
#define GROUPS_MAX 256

struct known {
    char (*name)[128];
    char (*why)[512];
    int n;
    int loaded; /* a file was given (it may list nothing) */
};

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
}

/* One line per script: "name.pkt <the runner's headline>"; '#' comments. */
static int known_load(struct known *k, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    k->loaded = 1;
    k->name = calloc(KNOWN_MAX, sizeof(*k->name));
    k->why = calloc(KNOWN_MAX, sizeof(*k->why));
    if (!k->name || !k->why) {
        fclose(f);
        return -1;
    }
    char line[1024];
    while (fgets(line, sizeof(line), f) && k->n < KNOWN_MAX) {
        trim(line);
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *sp = strpbrk(p, " \t");
        if (!sp)
            continue;
        *sp++ = 0;
        while (*sp == ' ' || *sp == '\t')
            sp++;
        snprintf(k->name[k->n], sizeof(k->name[0]), "%.127s", p);
        snprintf(k->why[k->n], sizeof(k->why[0]), "%.511s", sp);
        k->n++;
    }
    fclose(f);
    return 0;
}

static const char *known_reason(const struct known *k, const char *name)
{
    for (int i = 0; i < k->n; i++)
        if (!strcmp(k->name[i], name))
            return k->why[i];
    return NULL;
}

enum outcome { PASS, FAIL, XFAIL, SKIP, NOUTCOMES };

/* Counted reasons (SKIP) or headlines (FAIL), for --summary. */
struct groups {
    char text[GROUPS_MAX][160];
    int count[GROUPS_MAX];
    int n;
};

static void group_add(struct groups *g, const char *text)
{
    for (int i = 0; i < g->n; i++) {
        if (!strcmp(g->text[i], text)) {
            g->count[i]++;
            return;
        }
    }
    int i = g->n < GROUPS_MAX ? g->n++ : GROUPS_MAX - 1;
    snprintf(g->text[i], sizeof(g->text[i]), "%s", text);
    g->count[i]++;
}

static void group_print(const struct groups *g, const char *title)
{
    if (!g->n)
        return;
    printf("%s:\n", title);
    int done[GROUPS_MAX] = {0};
    for (int k = 0; k < g->n; k++) { /* most frequent first */
        int best = -1;
        for (int i = 0; i < g->n; i++)
            if (!done[i] && (best < 0 || g->count[i] > g->count[best]))
                best = i;
        done[best] = 1;
        printf("  %5d  %s\n", g->count[best], g->text[best]);
    }
}

/* A FAIL headline without its line number and values: "outbound TCP
 * packet: win", "parse error: unknown symbol". */
static void fail_kind(const char *err, char *out, size_t cap)
{
    const char *p = strchr(err, ':');
    p = p ? p + 1 : err;
    while (*p == ' ')
        p++;
    size_t n = 0;
    for (; *p && n + 1 < cap; p++) {
        if ((*p == '(' && p[1] != ')') || *p == '\'' || *p == '"' || (*p >= '0' && *p <= '9'))
            break;
        out[n++] = *p;
    }
    while (n && (out[n - 1] == ' ' || out[n - 1] == ','))
        n--;
    out[n] = 0;
}

struct runner {
    struct known k;
    char *cli[MAX_CLI_SETTINGS];
    int ncli, verbose, summary;
    const char *defaults;
    FILE *notes;
    int counts[NOUTCOMES];
    struct groups skips, fails;
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Prints the outcome of a failed script and decides whether it is the
 * known failure. err is the headline, detail the lines after it. */
static enum outcome report_failure(struct runner *u, const char *path, const char *err, const char *detail,
                                   const char *why)
{
    int expected = why && !strcmp(why, err);
    if (!u->summary || !expected) {
        printf("%s %s:%s\n%s\n", expected ? "XFAIL" : "FAIL", u->summary ? path : base_name(path), err, detail);
        if (why && !expected)
            printf("  (KNOWN_FAILURES expects: %s)\n", why);
    }
    if (!expected) {
        char kind[160];
        fail_kind(err, kind, sizeof(kind));
        group_add(&u->fails, kind);
    }
    return expected ? XFAIL : FAIL;
}

/* A script that needs what nstack lacks. Listed in the known-failures
 * file it must be listed with this reason. */
static enum outcome report_skip(struct runner *u, const char *path, int line, const char *reason, const char *why)
{
    char want[200];
    snprintf(want, sizeof(want), "SKIP: %s", reason);
    if (u->k.loaded && (!why || strcmp(why, want))) {
        printf("FAIL %s:%d: skipped (%s), KNOWN_FAILURES %s\n", base_name(path), line, reason,
               why ? "expects another outcome" : "does not list it");
        if (why)
            printf("  (KNOWN_FAILURES expects: %s)\n", why);
        group_add(&u->fails, "unexpected SKIP");
        return FAIL;
    }
    if (!u->summary)
        printf("SKIP %s:%d: %s\n", base_name(path), line, reason);
    group_add(&u->skips, reason);
    return SKIP;
}

static enum outcome run_one(struct runner *u, const char *path)
{
    struct pd_script sc;
    char err[PD_ERR_MAX];
    const char *why = known_reason(&u->k, base_name(path));
    if (pd_script_load(&sc, path, u->notes, u->defaults, err, sizeof(err)) < 0) {
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = 0;
        enum outcome o = report_failure(u, path, err, nl ? nl + 1 : "", why);
        pd_script_free(&sc);
        return o;
    }
    for (int i = 0; i < u->ncli; i++) {
        char name[64];
        const char *eq = strchr(u->cli[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - u->cli[i] - 2), u->cli[i] + 2);
        if (pd_setting_apply(&sc.cfg, name, eq + 1, err, sizeof(err)) < 0) {
            printf("FAIL %s: %s\n", sc.name, err);
            pd_script_free(&sc);
            return FAIL;
        }
    }
    if (sc.skip[0]) {
        enum outcome o = report_skip(u, path, sc.skip_line, sc.skip, why);
        pd_script_free(&sc);
        return o;
    }
    sc.cfg.verbose = u->verbose;
    struct pd_run r;
    int rc = pd_run_script(&sc, &r);
    enum outcome out = PASS;
    if (r.skip[0]) {
        out = report_skip(u, path, r.skip_line, r.skip, why);
    } else if (rc == 0) {
        if (why) {
            printf("XPASS %s: listed in KNOWN_FAILURES (\"%s\") but passes: take it off the list\n", sc.name, why);
            group_add(&u->fails, "XPASS");
            out = FAIL;
        } else if (!u->summary) {
            printf("PASS %s (%d events, %.3f s virtual)\n", sc.name, sc.nevents, (double)r.now / 1e9);
        }
    } else {
        out = report_failure(u, path, r.err, r.detail, why);
    }
    pd_run_free(&r);
    pd_script_free(&sc);
    return out;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Runs every *.pkt below dir, in name order; depth-bounded. */
static void run_tree(struct runner *u, const char *dir, int depth)
{
    DIR *d = depth < 16 ? opendir(dir) : NULL;
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            break;
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
            run_tree(u, names[i], depth + 1);
        else if (has_suffix(names[i], ".pkt"))
            u->counts[run_one(u, names[i])]++;
        free(names[i]);
    }
    free(names);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-v] [--summary] [--known-failures=FILE] [--defaults=linux|freebsd] [--NAME=VALUE...] "
            "script.pkt|dir...\n       %s --list-unsupported\n",
            argv0, argv0);
}

int main(int argc, char **argv)
{
    struct runner *u = calloc(1, sizeof(*u));
    if (!u)
        return 1;
    u->notes = stdout;
    int nargs = 0, rc = 1;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--known-failures=", 17)) {
            if (known_load(&u->k, argv[i] + 17) < 0)
                goto out;
        } else if (!strncmp(argv[i], "--defaults=", 11)) {
            u->defaults = argv[i] + 11;
            if (pd_profile_check(u->defaults) < 0) {
                fprintf(stderr, "unknown profile '%s' (linux, freebsd)\n", u->defaults);
                goto out;
            }
        } else if (!strcmp(argv[i], "--list-unsupported")) {
            pd_list_unsupported(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(argv[i], "--summary")) {
            u->summary = 1;
        } else if (!strncmp(argv[i], "--", 2) && strchr(argv[i], '=') && u->ncli < MAX_CLI_SETTINGS) {
            u->cli[u->ncli++] = argv[i];
        } else if (!strcmp(argv[i], "-v")) {
            u->verbose = 1;
        } else if (argv[i][0] == '-') {
            usage(argv[0]);
            goto out;
        }
    }
    if (u->summary && !(u->notes = fopen("/dev/null", "w")))
        goto out;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        nargs++;
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            run_tree(u, argv[i], 0);
        else
            u->counts[run_one(u, argv[i])]++;
    }
    if (!nargs) {
        fprintf(stderr, "no scripts given\n");
        goto out;
    }
    if (u->summary) {
        group_print(&u->skips, "SKIP by reason");
        group_print(&u->fails, "FAIL by kind");
    }
    /* The closing line CTest and CI read; XFAIL and SKIP both count as skipped. */
    printf("%d passed, %d failed, %d skipped\n", u->counts[PASS], u->counts[FAIL], u->counts[XFAIL] + u->counts[SKIP]);
    rc = u->counts[FAIL] ? 1 : u->counts[XFAIL] + u->counts[SKIP] ? 77 : 0;
out:
    if (u->notes && u->notes != stdout)
        fclose(u->notes);
    free(u->k.name);
    free(u->k.why);
    free(u);
    return rc;
}
