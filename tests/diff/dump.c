/* The case reader and JSON writer the HTTP/1.1 dumpers share (dump.h). */
#include "dump.h"

#include <stdio.h>
#include <string.h>

void dump_bytes(const uint8_t *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            printf("\\%c", s[i]);
        else if (s[i] >= 0x20 && s[i] < 0x7f)
            putchar(s[i]);
        else
            printf("\\u%04x", s[i]);
    }
    putchar('"');
}

void dump_pair(int first, const uint8_t *name, size_t name_len, const uint8_t *value, size_t value_len)
{
    uint8_t lower[256];
    size_t n = name_len < sizeof lower ? name_len : sizeof lower;
    for (size_t k = 0; k < n; k++)
        lower[k] = (name[k] >= 'A' && name[k] <= 'Z') ? (uint8_t)(name[k] + 32) : name[k];
    printf(first ? "[" : ",[");
    dump_bytes(lower, n);
    putchar(',');
    dump_bytes(value, value_len);
    putchar(']');
}

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

int main(void)
{
    static char line[1 << 21];
    static uint8_t buf[1 << 20];
    while (fgets(line, sizeof line, stdin)) {
        char kind[8], method[16];
        int eof, off;
        if (sscanf(line, "%7s %15s %d %n", kind, method, &eof, &off) != 3)
            return 2;
        size_t n = 0;
        for (const char *h = line + off; h[0] && h[1] && h[0] != '\n' && n < sizeof buf; h += 2)
            buf[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
        dump_case(strcmp(kind, "resp") == 0, method, eof, buf, n);
        fflush(stdout);
    }
    return 0;
}
