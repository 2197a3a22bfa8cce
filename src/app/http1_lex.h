/* HTTP/1.1 lexical rules shared by the head, trailer and chunk parsers and
 * the writer: character classes (RFC 9110 5.6.2, 5.5), line framing (RFC
 * 9112 2.2), field lines (RFC 9112 5) and comma-separated lists (RFC 9110
 * 5.6.1). Pure. */
#ifndef NST_APP_HTTP1_LEX_H
#define NST_APP_HTTP1_LEX_H

#include "http1_parse.h"

#include <stddef.h>
#include <stdint.h>

/* tchar (RFC 9110 5.6.2): any VCHAR except delimiters. */
int nst_http1_is_tchar(uint8_t c);
/* A character allowed inside a field value (RFC 9110 5.5): VCHAR,
 * obs-text, SP, HTAB. */
int nst_http1_is_field_char(uint8_t c);
/* A HEXDIG's value (RFC 5234 B.1, either case: chunk sizes, RFC 9112
 * 7.1; percent-encoded octets, RFC 3986 2.1), or -1 for another byte. */
int nst_http1_hex_value(uint8_t c);
/* Whether s[0, n) is a non-empty token. */
int nst_http1_is_token(const uint8_t *s, size_t n);
/* Whether s[0, n) equals the NUL-terminated lit, ignoring ASCII case. */
int nst_http1_ci_equal(const uint8_t *s, size_t n, const char *lit);

/* Finds the end of the line starting at `line` in a region of `len`
 * bytes, resuming the search for its LF at *scan. Returns 1 and sets
 * *content (the line's length without its CRLF or LF) and *next (where the
 * next line starts); or 0 if the line is not complete (*scan = len). */
int nst_http1_next_line(const uint8_t *region, size_t len, uint32_t line, uint32_t *scan, uint32_t *content,
                        uint32_t *next);
/* The checks on a complete line's bytes, made after its length is found
 * within limits (so that a too-long line is refused the same way whether
 * or not its end has arrived): a bare CR anywhere, and with reject_bare_lf
 * an LF without CR. */
enum nst_http1_why nst_http1_line_check(const uint8_t *region, uint32_t line, uint32_t content, uint32_t next,
                                        int reject_bare_lf);
/* A lower bound on the length of the incomplete line region[line, len)
 * once complete: a trailing CR may be the start of its CRLF. */
size_t nst_http1_partial_line_len(const uint8_t *region, size_t len, uint32_t line);

/* Parses the field line region[off, off + n) (no line ending) into *f.
 * Returns NST_HTTP1_OK or the rule it breaks. */
enum nst_http1_why nst_http1_field_line(const uint8_t *region, uint32_t off, uint32_t n, struct nst_http1_field *f);

/* Iterates over the non-empty elements of a comma-separated list, OWS
 * trimmed: start with *pos = 0; returns 1 with the element at
 * v[*off, *off + *n), 0 at the end. */
int nst_http1_list_next(const uint8_t *v, size_t len, size_t *pos, size_t *off, size_t *n);

/* Fails the parser: it stays failed, remembering err and why. Returns err. */
int nst_http1_fail(struct nst_http1_parser *p, int err, enum nst_http1_why why);

#define NST_HTTP1_IS_OWS(c) ((c) == ' ' || (c) == '\t')

#endif
