/* nstack_packetdrill: runs packetdrill-syntax scripts against nstack.
 *
 *   nstack_packetdrill [-v] [--known-failures=FILE] [--NAME=VALUE...] script.pkt...
 *
 * -v prints every outbound packet as it is matched, with its time.
 * --NAME=VALUE are settings (see pd_settings.c) applied on top of each
 * script's own. Each script prints PASS, FAIL (with file:line, the script
 * line, the actual packet and the time), or XFAIL when it is listed in the
 * known-failures file and fails with exactly the listed mismatch.
 *
 * Exit status: 0 when every script passed; 77 (CTest's skip) when every
 * script that did not pass is a known failure reproduced exactly; 1
 * otherwise -- including a listed script that now passes (XPASS: take it
 * off the list) or fails differently. */
#include <stdlib.h>
#include <string.h>

#include "pd.h"

#define MAX_CLI_SETTINGS 32
#define KNOWN_MAX 4096

struct known {
    char (*name)[128];
    char (*why)[512];
    int n;
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

enum outcome { PASS, FAIL, XFAIL };

/* Prints the outcome of a failed script and decides whether it is the
 * known failure. err is the headline, detail the lines after it. */
static enum outcome report_failure(const char *name, const char *err, const char *detail, const char *why)
{
    int expected = why && !strcmp(why, err);
    printf("%s %s:%s\n%s\n", expected ? "XFAIL" : "FAIL", name, err, detail);
    if (why && !expected)
        printf("  (KNOWN_FAILURES expects: %s)\n", why);
    return expected ? XFAIL : FAIL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static enum outcome run_one(const char *path, const struct known *k, char **cli, int ncli, int verbose)
{
    struct pd_script sc;
    char err[PD_ERR_MAX];
    if (pd_script_load(&sc, path, stdout, err, sizeof(err)) < 0) {
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = 0;
        enum outcome o = report_failure(base_name(path), err, nl ? nl + 1 : "", known_reason(k, base_name(path)));
        pd_script_free(&sc);
        return o;
    }
    for (int i = 0; i < ncli; i++) {
        char name[64];
        const char *eq = strchr(cli[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - cli[i] - 2), cli[i] + 2);
        if (pd_setting_apply(&sc.cfg, name, eq + 1, err, sizeof(err)) < 0) {
            printf("FAIL %s: %s\n", sc.name, err);
            pd_script_free(&sc);
            return FAIL;
        }
    }
    sc.cfg.verbose = verbose;
    struct pd_run r;
    int rc = pd_run_script(&sc, &r);
    const char *why = known_reason(k, sc.name);
    enum outcome out = PASS;
    if (rc == 0) {
        if (why) {
            printf("XPASS %s: listed in KNOWN_FAILURES (\"%s\") but passes: take it off the list\n", sc.name, why);
            out = FAIL;
        } else {
            printf("PASS %s (%d events, %.3f s virtual)\n", sc.name, sc.nevents, (double)r.now / 1e9);
        }
    } else {
        out = report_failure(sc.name, r.err, r.detail, why);
    }
    pd_run_free(&r);
    pd_script_free(&sc);
    return out;
}

int main(int argc, char **argv)
{
    struct known k = {0};
    char *cli[MAX_CLI_SETTINGS];
    int ncli = 0, nscripts = 0, verbose = 0, counts[3] = {0, 0, 0};
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--known-failures=", 17)) {
            if (known_load(&k, argv[i] + 17) < 0)
                return 1;
        } else if (!strncmp(argv[i], "--", 2) && strchr(argv[i], '=') && ncli < MAX_CLI_SETTINGS) {
            cli[ncli++] = argv[i];
        } else if (!strcmp(argv[i], "-v")) {
            verbose = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [-v] [--known-failures=FILE] [--NAME=VALUE...] script.pkt...\n", argv[0]);
            return 1;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        counts[run_one(argv[i], &k, cli, ncli, verbose)]++;
        nscripts++;
    }
    free(k.name);
    free(k.why);
    if (!nscripts) {
        fprintf(stderr, "no scripts given\n");
        return 1;
    }
    printf("%d passed, %d failed, %d skipped\n", counts[PASS], counts[FAIL], counts[XFAIL]);
    if (counts[FAIL])
        return 1;
    return counts[XFAIL] ? 77 : 0;
}
