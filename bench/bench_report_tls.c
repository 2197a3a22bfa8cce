/* nst_bench_report's TLS table (bench_report.h): OpenSSL over nstack (two
 * stacks in memory) against OpenSSL over the kernel's loopback, from
 * nst_bench_tls's rows, with their ratio. The JSON lists the rows already. */
#include "bench_report.h"

#include <string.h>

struct tls_line {
    const char *variant, *metric, *label;
};

static const struct tls_line tls_lines[] = {
    {"handshake-tls1.3", "handshakes", "TLS 1.3 full handshakes (TCP connect to close)"},
    {"bulk-aes-gcm", "goodput", "Bulk through TLS 1.3 AES-256-GCM"},
};

/* A figure, FAILED for a point that failed, "-" for one not measured. */
static void tls_cell(const struct row *r, char *out, size_t cap)
{
    if (rep_failed(r))
        snprintf(out, cap, "FAILED");
    else if (r)
        rep_fmt_value(r->value, out, cap);
}

void tls_write_summary(FILE *f)
{
    int any = 0;
    for (size_t i = 0; i < sizeof(tls_lines) / sizeof(tls_lines[0]); i++) {
        const struct tls_line *l = &tls_lines[i];
        const struct row *n = rep_find("tls", l->variant, "nstack", l->metric);
        const struct row *x = rep_find("tls", l->variant, "linux", l->metric);
        if (!n && !x)
            continue;
        if (!any) {
            fprintf(f, "\nTLS: the same OpenSSL 3 over nstack (in memory) and over Linux loopback (per CPU second):\n\n");
            fprintf(f, "| Benchmark | unit | nstack | Linux | nstack/Linux |\n|---|---|---:|---:|---:|\n");
            any = 1;
        }
        char cn[32] = "-", cx[32] = "-", ratio[32] = "-";
        tls_cell(n, cn, sizeof(cn));
        tls_cell(x, cx, sizeof(cx));
        if (n && x && x->value > 0 && !rep_failed(n) && !rep_failed(x))
            snprintf(ratio, sizeof(ratio), "%.2fx", n->value / x->value);
        fprintf(f, "| %s | %s | %s | %s | %s |\n", l->label, (n ? n : x)->unit, cn, cx, ratio);
    }
}
