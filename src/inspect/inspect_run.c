/* One inspection command, as text: what the control socket receives
 * ("ss -tan", "netstat -s") and what `nstack ss --scenario` runs. */
#include <nstack/inspect.h>

#include <errno.h>
#include <string.h>

#define MAX_WORDS 32
#define MAX_LINE 1024

/* Splits line (copied into buf) at blanks. Returns the word count or -1 if
 * there are too many. */
static int split(const char *line, char *buf, size_t cap, char *words[], int max)
{
    snprintf(buf, cap, "%s", line);
    int n = 0;
    for (char *save = NULL, *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == max)
            return -1;
        words[n++] = w;
    }
    return n;
}

static int run_ss(struct nst_stack *st, int argc, char *argv[], FILE *out)
{
    struct nst_ss_opts o;
    char err[128];
    if (nst_ss_parse(argc, argv, &o, err, sizeof(err)) < 0) {
        fprintf(out, "error: ss: %s\n", err);
        return -EINVAL;
    }
    int rc = nst_ss_print(st, &o, out);
    if (rc < 0)
        fprintf(out, "error: ss: %s\n", strerror(-rc));
    return rc;
}

static int run_ip(struct nst_stack *st, int argc, char *argv[], FILE *out)
{
    struct nst_ip_opts o;
    char err[128];
    if (nst_ip_parse(argc, argv, &o, err, sizeof(err)) < 0) {
        fprintf(out, "error: ip: %s\n", err);
        return -EINVAL;
    }
    int rc = nst_ip_print(st, &o, out);
    if (rc < 0)
        fprintf(out, "error: ip: %s\n", strerror(-rc));
    return rc;
}

int nst_inspect_run(struct nst_stack *st, const char *line, FILE *out)
{
    char buf[MAX_LINE];
    char *words[MAX_WORDS];
    if (strlen(line) >= sizeof(buf)) {
        fprintf(out, "error: command too long\n");
        return -EINVAL;
    }
    int n = split(line, buf, sizeof(buf), words, MAX_WORDS);
    if (n <= 0) {
        fprintf(out, "error: %s\n", n < 0 ? "too many words" : "empty command (try 'ss -s')");
        return -EINVAL;
    }
    if (strcmp(words[0], "ss") == 0)
        return run_ss(st, n - 1, words + 1, out);
    if (strcmp(words[0], "netstat") == 0 && n == 2 && strcmp(words[1], "-s") == 0) {
        nst_netstat_print(st, out);
        return 0;
    }
    if (strcmp(words[0], "ip") == 0)
        return run_ip(st, n - 1, words + 1, out);
    fprintf(out, "error: unknown command '%s' (ss [OPTIONS], netstat -s, ip addr|neigh|route)\n", words[0]);
    return -EINVAL;
}
