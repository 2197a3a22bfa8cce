/* What the HTTP/1.1 dumpers share (tests/diff/): the case reader and the
 * JSON they print. Each dumper defines dump_case(); dump.c's main reads
 * the cases, one a line: "req|resp METHOD EOF HEX" (METHOD: the request
 * a response answers; EOF: 1 if the peer closes after the bytes). Each
 * case prints one line: {"messages": [{"start", "headers": [[name,
 * value]...], "body", "trailers", "status", "keep_alive"}...], "error":
 * null or a reason}, names lowercased, complete messages only. */
#ifndef NST_DIFF_DUMP_H
#define NST_DIFF_DUMP_H

#include <stddef.h>
#include <stdint.h>

void dump_case(int response, const char *method, int eof, const uint8_t *buf, size_t len);

/* A JSON string of the bytes (each byte one code point). */
void dump_bytes(const uint8_t *s, size_t n);
/* One [name, value] pair, the name lowercased; `first` omits the comma. */
void dump_pair(int first, const uint8_t *name, size_t name_len, const uint8_t *value, size_t value_len);

#endif
