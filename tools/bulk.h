/* Bulk byte streams, shared by nstack connect and nstack serve: RFC 864's
 * character pattern as a generated stream, and the one-line report of a
 * transfer (bytes, wall time, throughput, SHA-256) that tests parse. */
#ifndef NST_TOOLS_BULK_H
#define NST_TOOLS_BULK_H

#include <stdint.h>
#include <stdio.h>

#include <nstack/types.h>

struct digest;

/* Fills buf with the bytes [off, off + len) of RFC 864's pattern: lines of
 * 72 printable characters (from the 95 of ASCII 32..126), each starting one
 * character further, ended by CR LF. */
void bulk_chargen(uint8_t *buf, size_t len, uint64_t off);

/* "WHAT: N bytes in T s, R Mbit/s, sha256 HEX" (the hash only if d). */
void bulk_report(FILE *out, const char *what, uint64_t bytes, nst_time_t elapsed, const struct digest *d);

#endif
