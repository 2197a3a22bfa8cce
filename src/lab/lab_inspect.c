/* `nstack ss` inside the demo's output: the same library formatter the
 * command uses, run on a simulated host. */
#include "lab/lab_internal.h"

#include <stdlib.h>
#include <string.h>

#include <nstack/inspect.h>

void nst_lab_show(FILE *out, struct nst_stack *st, const char *host, const char *cmd, int max_lines)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    nst_inspect_run(st, cmd, f);
    fclose(f);
    /* The block is built whole and written in one piece: the demo's record
     * keeps it as a snapshot (lab_results.c). */
    char *block = NULL;
    size_t block_len = 0;
    FILE *b = open_memstream(&block, &block_len);
    if (!b) {
        free(text);
        return;
    }
    char prompt[96];
    snprintf(prompt, sizeof(prompt), "$ nstack %s", cmd);
    fprintf(b, "\n  %-34s # on %s\n", prompt, host);
    int lines = 0, total = 0;
    for (const char *p = text; *p; p++)
        total += *p == '\n';
    for (char *l = text; *l; lines++) {
        char *nl = strchr(l, '\n');
        char *next = nl ? nl + 1 : l + strlen(l);
        if (max_lines && lines == max_lines) {
            fprintf(b, "  ... (%d more lines)\n", total - lines);
            break;
        }
        /* Trailing blanks of ss's padded columns go. */
        char *end = nl ? nl : next;
        while (end > l && end[-1] == ' ')
            end--;
        fprintf(b, "%s%.*s\n", end > l ? "  " : "", (int)(end - l), l);
        l = next;
    }
    free(text);
    if (fclose(b) == 0)
        fputs(block, out);
    free(block);
}

struct nst_sock_entry *nst_lab_tcp_in_state(struct nst_stack *st, int state, int *n)
{
    int total = nst_sock_list(st, NULL, 0);
    struct nst_sock_entry *v = calloc((size_t)total + 1, sizeof(*v));
    *n = -1;
    if (!v)
        return NULL;
    total = nst_sock_list(st, v, total);
    int k = 0;
    for (int i = 0; i < total; i++)
        if (v[i].proto == NST_INSPECT_TCP && v[i].state == state)
            v[k++] = v[i];
    *n = k;
    return v;
}
