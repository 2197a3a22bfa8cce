/* Bulk byte streams: the generated pattern and the transfer report. */
#include "tools/bulk.h"
#include "tools/digest.h"

/* RFC 864: 72 characters and CR LF per line; 95 printable characters. */
#define CHARGEN_LINE 74
#define CHARGEN_CHARS 95

void bulk_chargen(uint8_t *buf, size_t len, uint64_t off)
{
    uint64_t line = off / CHARGEN_LINE, col = off % CHARGEN_LINE;
    for (size_t i = 0; i < len; i++) {
        if (col == 72)
            buf[i] = '\r';
        else if (col == 73)
            buf[i] = '\n';
        else
            buf[i] = (uint8_t)(' ' + (line + col) % CHARGEN_CHARS);
        if (++col == CHARGEN_LINE) {
            col = 0;
            line++;
        }
    }
}

void bulk_report(FILE *out, const char *what, uint64_t bytes, nst_time_t elapsed, const struct digest *d)
{
    double s = (double)elapsed / 1e9;
    fprintf(out, "%s: %llu bytes in %.3f s, %.1f Mbit/s", what, (unsigned long long)bytes, s,
            s > 0 ? (double)bytes * 8 / s / 1e6 : 0.0);
    if (d) {
        char hex[DIGEST_HEX_LEN];
        digest_hex(d, hex);
        fprintf(out, ", sha256 %s", hex);
    }
    fprintf(out, "\n");
}
