/* nstack ss / netstat over several stacks: see ss_merge.h. */
#include "tools/ss_merge.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nstack/control.h>

#define MERGE_MAX_STACKS 64

struct answer {
    char *text;
    size_t len;
};

/* The line of `text` starting at *pos (its length without the newline);
 * NULL at the end. */
static const char *next_line(const char *text, size_t len, size_t *pos, size_t *line_len)
{
    if (*pos >= len)
        return NULL;
    const char *l = text + *pos;
    const char *nl = memchr(l, '\n', len - *pos);
    *line_len = nl ? (size_t)(nl - l) : len - *pos;
    *pos += *line_len + (nl ? 1 : 0);
    return l;
}

static size_t count_lines(const struct answer *a)
{
    size_t pos = 0, ll, n = 0;
    while (next_line(a->text, a->len, &pos, &ll))
        n++;
    return n;
}

/* A number starts at line[i]: a digit not inside a word ("IPv6" is a name). */
static int number_at(const char *line, size_t i)
{
    return isdigit((unsigned char)line[i]) && (i == 0 || !isalpha((unsigned char)line[i - 1]));
}

/* Two lines have one shape if they differ only in their numbers. */
static int same_shape(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;
    while (i < alen && j < blen) {
        int da = number_at(a, i), db = number_at(b, j);
        if (da != db)
            return 0;
        if (da) {
            while (i < alen && isdigit((unsigned char)a[i]))
                i++;
            while (j < blen && isdigit((unsigned char)b[j]))
                j++;
            continue;
        }
        if (a[i++] != b[j++])
            return 0;
    }
    return i == alen && j == blen;
}

/* Prints line k of every answer as one: its text with each run of digits
 * replaced by the sum of that run across the answers. */
static void print_summed(FILE *out, const char **line, const size_t *len, unsigned n)
{
    size_t pos[MERGE_MAX_STACKS] = {0};
    while (pos[0] < len[0]) {
        if (!number_at(line[0], pos[0])) {
            fputc(line[0][pos[0]], out);
            for (unsigned s = 0; s < n; s++)
                pos[s]++;
            continue;
        }
        uint64_t sum = 0;
        for (unsigned s = 0; s < n; s++) {
            uint64_t v = 0;
            while (pos[s] < len[s] && isdigit((unsigned char)line[s][pos[s]]))
                v = v * 10 + (uint64_t)(line[s][pos[s]++] - '0');
            sum += v;
        }
        fprintf(out, "%" PRIu64, sum);
    }
    fputc('\n', out);
}

/* Counters (netstat -s, ss -s): every answer has the same lines, numbers
 * apart; each number is summed. 0, or -EPROTO if the answers differ in
 * shape (then nothing was printed). */
static int print_sums(FILE *out, const struct answer *a, unsigned n)
{
    size_t lines = count_lines(&a[0]);
    for (unsigned s = 1; s < n; s++)
        if (count_lines(&a[s]) != lines)
            return -EPROTO;
    size_t pos[MERGE_MAX_STACKS] = {0};
    for (int pass = 0; pass < 2; pass++) {
        memset(pos, 0, sizeof(pos));
        for (size_t k = 0; k < lines; k++) {
            const char *l[MERGE_MAX_STACKS];
            size_t len[MERGE_MAX_STACKS];
            for (unsigned s = 0; s < n; s++)
                l[s] = next_line(a[s].text, a[s].len, &pos[s], &len[s]);
            if (pass == 0) {
                for (unsigned s = 1; s < n; s++)
                    if (!same_shape(l[0], len[0], l[s], len[s]))
                        return -EPROTO;
            } else {
                print_summed(out, l, len, n);
            }
        }
    }
    return 0;
}

/* Lists (ss): the first answer's header line once, then every answer's
 * other lines. */
static void print_rows(FILE *out, const struct answer *a, unsigned n)
{
    size_t pos = 0, hlen = 0;
    const char *header = next_line(a[0].text, a[0].len, &pos, &hlen);
    if (!header)
        return;
    fprintf(out, "%.*s\n", (int)hlen, header);
    for (unsigned s = 0; s < n; s++) {
        size_t p = 0, ll;
        const char *l = next_line(a[s].text, a[s].len, &p, &ll);
        while ((l = next_line(a[s].text, a[s].len, &p, &ll)))
            fprintf(out, "%.*s\n", (int)ll, l);
    }
}

static int is_summary(const char *req)
{
    return !strncmp(req, "netstat", 7) || strstr(req, " -s") != NULL;
}

int nst_ss_query_merged(const char *path, unsigned n, const char *req, FILE *out, int timeout_ms)
{
    if (n == 0 || n > MERGE_MAX_STACKS)
        return -EINVAL;
    struct answer a[MERGE_MAX_STACKS];
    memset(a, 0, sizeof(a));
    int rc = 0;
    for (unsigned s = 0; s < n && !rc; s++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s.%u", path, s);
        FILE *m = open_memstream(&a[s].text, &a[s].len);
        if (!m) {
            rc = -ENOMEM;
            break;
        }
        rc = nst_control_query(p, req, m, timeout_ms);
        fclose(m);
    }
    if (rc >= 0) {
        fprintf(out, "# %u stacks (%s.0 to %s.%u), merged\n", n, path, path, n - 1);
        if (!is_summary(req) || print_sums(out, a, n) < 0)
            print_rows(out, a, n);
    }
    for (unsigned s = 0; s < n; s++)
        free(a[s].text);
    return rc;
}

unsigned nst_ss_stack_count(const char *path)
{
    unsigned n = 0;
    char p[4096];
    for (; n < MERGE_MAX_STACKS; n++) {
        snprintf(p, sizeof(p), "%s.%u", path, n);
        if (access(p, F_OK) != 0)
            break;
    }
    return n;
}
