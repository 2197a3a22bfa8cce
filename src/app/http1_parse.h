/* HTTP/1.1 messages (RFC 9112 syntax, RFC 9110 semantics): an incremental
 * parser of requests and responses. Pure: no I/O, no allocation, no clock.
 *
 * The head. The caller keeps the bytes of a message head contiguous in a
 * buffer of its own and calls nst_http1_parse_head(p, buf, len) each time
 * more arrive (the same bytes at the front, new ones appended). The parser
 * remembers how far it got, so no byte is examined twice. It returns the
 * head's length once the empty line ending it is in, -EAGAIN while it is
 * not, or a negative error. The start line and the fields are stored as
 * offsets into buf (struct nst_http1_span): nothing is copied.
 *
 * The body. nst_http1_parse_body(p, in, len, &data) then consumes the
 * bytes after the head, in pieces of any size: each call returns how many
 * bytes of `in` it consumed and points `data` at the body bytes among them
 * (at most one span per call; chunk framing is consumed silently). It
 * consumes a chunk-size line or the trailer section only when it is
 * complete, so a call may consume nothing: the caller keeps the unconsumed
 * bytes and calls again with more appended. When the message ends,
 * p->state is NST_HTTP1_DONE and the bytes after it belong to the next
 * message (pipelining): nst_http1_parser_next() prepares for it. After a
 * 101 (Switching Protocols) or a tunnel (NST_HTTP1_BODY_TUNNEL) the bytes
 * that follow are not HTTP/1.1 any more: the caller stops parsing.
 *
 * The outcome never depends on how the bytes were cut: a limit is refused
 * as soon as it is certain to be exceeded, and with the same error as if
 * the whole message had arrived at once.
 *
 * Errors are negative errno values whose class gives the status a server
 * answers with (nst_http1_status_of); p->why names the exact rule broken.
 * After an error the parser stays failed: the connection must be closed
 * once the error response is sent. */
#ifndef NST_APP_HTTP1_PARSE_H
#define NST_APP_HTTP1_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Limits, each with the status a server answers when it is exceeded. */
struct nst_http1_limits {
    uint32_t max_start_line;    /* request line: 414; status line: 400 */
    uint32_t max_field_section; /* field lines after the start line, and the trailer section: 431 */
    uint64_t max_body;          /* decoded body bytes: 413 */
    uint32_t max_chunk_line;    /* a chunk-size line with its extensions: 400 */
    uint8_t reject_bare_lf;     /* 1: a line ending in LF alone is an error (RFC 9112 2.2 allows it) */
};

/* Defaults: 8 KiB start line and field section (nginx's and Go's scale),
 * 1 MiB body, 1 KiB chunk lines, LF alone accepted as a line end. */
#define NST_HTTP1_LIMITS_DEFAULT \
    ((struct nst_http1_limits){8192, 8192, 1u << 20, 1024, 0})

/* Bytes at buf[off, off + len) of the buffer the section was parsed from. */
struct nst_http1_span {
    uint32_t off;
    uint32_t len;
};

/* One field line: name as received (compare case-insensitively), value
 * with the optional whitespace around it removed. */
struct nst_http1_field {
    struct nst_http1_span name;
    struct nst_http1_span value;
};

enum nst_http1_kind { NST_HTTP1_REQUEST, NST_HTTP1_RESPONSE };

/* The methods whose semantics the framing rules or servers need; any other
 * token is NST_HTTP1_M_OTHER (the text is in msg.method). */
enum nst_http1_method {
    NST_HTTP1_M_OTHER,
    NST_HTTP1_M_GET,
    NST_HTTP1_M_HEAD,
    NST_HTTP1_M_POST,
    NST_HTTP1_M_PUT,
    NST_HTTP1_M_DELETE,
    NST_HTTP1_M_CONNECT,
    NST_HTTP1_M_OPTIONS,
    NST_HTTP1_M_TRACE,
    NST_HTTP1_M_PATCH,
};

/* RFC 9112 3.2: the four forms of request-target. */
enum nst_http1_target_form {
    NST_HTTP1_ORIGIN_FORM,    /* /path?query */
    NST_HTTP1_ABSOLUTE_FORM,  /* http://host/path */
    NST_HTTP1_AUTHORITY_FORM, /* host:port, CONNECT only */
    NST_HTTP1_ASTERISK_FORM,  /* *, OPTIONS only */
};

/* RFC 9112 6.3: how the body's end is known. */
enum nst_http1_body_kind {
    NST_HTTP1_BODY_NONE,    /* no body: the message ends with its head */
    NST_HTTP1_BODY_LENGTH,  /* Content-Length bytes */
    NST_HTTP1_BODY_CHUNKED, /* chunked transfer coding */
    NST_HTTP1_BODY_CLOSE,   /* a response read until the connection closes */
    NST_HTTP1_BODY_TUNNEL,  /* 2xx to CONNECT: the connection is a tunnel now */
};

/* What the head says. */
struct nst_http1_msg {
    uint8_t version_minor; /* HTTP/1.x; a higher minor is read as 1.1 (RFC 9110 6.2) */
    /* Requests. */
    uint8_t method_id; /* enum nst_http1_method */
    uint8_t target_form; /* enum nst_http1_target_form */
    struct nst_http1_span method;
    struct nst_http1_span target;
    /* Responses. */
    uint16_t status;
    struct nst_http1_span reason;
    /* Framing (RFC 9112 6.3). */
    uint8_t body;            /* enum nst_http1_body_kind */
    uint64_t content_length; /* when body is NST_HTTP1_BODY_LENGTH */
    /* Connection management and the fields servers act on. */
    uint8_t keep_alive;      /* the connection persists after this message (RFC 9112 9.3) */
    uint8_t expect_continue; /* Expect: 100-continue in an HTTP/1.1 request (RFC 9110 10.1.1) */
    uint8_t expect_other;    /* an expectation other than 100-continue: a server may answer 417 */
    uint8_t upgrade;         /* Upgrade with the "upgrade" connection option (RFC 9110 7.8) */
    int32_t host;            /* index of the Host field, or -1 */
    int32_t upgrade_field;   /* index of the Upgrade field, or -1 */
    uint16_t nfields;        /* header fields, then trailer fields */
    uint16_t ntrailers;      /* trailer fields, at fields[nfields...] */
};

enum nst_http1_state {
    NST_HTTP1_HEAD,        /* reading the start line and fields */
    NST_HTTP1_BODY_BYTES,  /* Content-Length or until-close body */
    NST_HTTP1_CHUNK_SIZE,  /* expecting a chunk-size line */
    NST_HTTP1_CHUNK_DATA,  /* inside a chunk's data */
    NST_HTTP1_CHUNK_END,   /* expecting the CRLF after chunk data */
    NST_HTTP1_TRAILERS,    /* expecting the trailer section */
    NST_HTTP1_DONE,        /* the message is complete */
    NST_HTTP1_FAILED,      /* an error was returned; nothing more is parsed */
};

/* Why a message was refused: one value per rule. */
enum nst_http1_why {
    NST_HTTP1_OK,
    NST_HTTP1_BAD_METHOD,         /* method is not a token, or not followed by one SP */
    NST_HTTP1_BAD_TARGET,         /* request-target characters or form (RFC 9112 3.2) */
    NST_HTTP1_BAD_VERSION,        /* not HTTP/DIGIT.DIGIT */
    NST_HTTP1_VERSION_UNSUPPORTED,/* a major version other than 1: 505 */
    NST_HTTP1_BAD_STATUS,         /* status code not 3 digits in 100..999 */
    NST_HTTP1_BAD_REASON,         /* a control character in the reason phrase */
    NST_HTTP1_BARE_CR,            /* CR not followed by LF (RFC 9112 2.2) */
    NST_HTTP1_BARE_LF,            /* LF alone, with reject_bare_lf */
    NST_HTTP1_BAD_NAME,           /* empty field name or a non-token character in it */
    NST_HTTP1_SPACE_BEFORE_COLON, /* RFC 9112 5.1 */
    NST_HTTP1_NO_COLON,
    NST_HTTP1_BAD_VALUE,          /* NUL or another control character in a value */
    NST_HTTP1_OBS_FOLD,           /* a line starting with SP/HTAB (RFC 9112 5.2, 2.2) */
    NST_HTTP1_NO_HOST,            /* HTTP/1.1 request without Host (RFC 9112 3.2) */
    NST_HTTP1_MANY_HOST,
    NST_HTTP1_BAD_HOST,
    NST_HTTP1_BAD_CONTENT_LENGTH, /* not 1*DIGIT, or beyond 2^63 - 1 */
    NST_HTTP1_CONFLICTING_CONTENT_LENGTH, /* differing values (RFC 9110 8.6) */
    NST_HTTP1_CL_AND_TE,          /* a request with both (RFC 9112 6.3 item 3) */
    NST_HTTP1_TE_NOT_CHUNKED,     /* request whose last coding is not chunked (6.3 item 4) */
    NST_HTTP1_TE_CHUNKED_TWICE,   /* RFC 9112 6.1 */
    NST_HTTP1_TE_UNKNOWN,         /* a request coding other than chunked: 501 */
    NST_HTTP1_TE_BAD,             /* empty or malformed Transfer-Encoding */
    NST_HTTP1_TE_HTTP10,          /* Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1) */
    NST_HTTP1_BAD_CHUNK_SIZE,     /* empty or non-hex chunk size */
    NST_HTTP1_CHUNK_SIZE_OVERFLOW,/* beyond 2^64 - 1 */
    NST_HTTP1_BAD_CHUNK_EXT,
    NST_HTTP1_BAD_CHUNK_END,      /* chunk data not followed by CRLF */
    NST_HTTP1_START_LINE_TOO_LONG,
    NST_HTTP1_FIELDS_TOO_LARGE,
    NST_HTTP1_TOO_MANY_FIELDS,
    NST_HTTP1_BODY_TOO_LARGE,
    NST_HTTP1_CHUNK_LINE_TOO_LONG,
    NST_HTTP1_TRUNCATED,          /* the connection closed inside the message */
};

struct nst_http1_parser {
    struct nst_http1_limits lim;
    struct nst_http1_field *fields; /* the caller's array */
    uint16_t max_fields;
    uint8_t kind;           /* enum nst_http1_kind */
    uint8_t req_method;     /* responses: the request's method_id (HEAD and CONNECT matter) */
    uint8_t state;          /* enum nst_http1_state */
    uint8_t why;            /* enum nst_http1_why, after an error */
    int err;                /* the error returned, after an error */
    /* Head progress, offsets into the head buffer. */
    uint32_t line;          /* where the current line starts */
    uint32_t scan;          /* where the search for its LF resumes */
    uint8_t seen_start;     /* the start line has been parsed */
    uint32_t fields_start;  /* where the field section starts */
    /* Body progress. */
    uint64_t remaining;     /* bytes left in the body or the current chunk */
    uint64_t body_total;    /* decoded body bytes so far */
    struct nst_http1_msg msg;
};

/* Starts a parser for one message of `kind` (requests on a server,
 * responses on a client), storing up to max_fields field lines (header
 * and trailer together) in fields[]. req_method is the method of the
 * request a response answers (NST_HTTP1_M_OTHER for requests). */
void nst_http1_parser_init(struct nst_http1_parser *p, enum nst_http1_kind kind, enum nst_http1_method req_method,
                           const struct nst_http1_limits *lim, struct nst_http1_field *fields, uint16_t max_fields);
/* Prepares the same parser for the next message on the connection. */
void nst_http1_parser_next(struct nst_http1_parser *p, enum nst_http1_method req_method);

/* buf/len: the message's bytes so far, from its first byte. Returns the
 * head length (the body starts at buf + length), -EAGAIN for more, or an
 * error (see nst_http1_status_of). Once it returned a length, msg and the
 * fields are final and p->state says what comes next. */
int nst_http1_parse_head(struct nst_http1_parser *p, const uint8_t *buf, size_t len);

/* Consumes body bytes from in/len (at most INT_MAX per call). Returns the
 * number consumed (0: nothing can be consumed until more bytes follow
 * these) and sets *data and *data_len to the body bytes among them (NULL/0 if
 * none); or an error. Trailer fields, once consumed, are at
 * fields[msg.nfields...] with offsets into the `in` of the call that
 * consumed them. */
int nst_http1_parse_body(struct nst_http1_parser *p, const uint8_t *in, size_t len, const uint8_t **data,
                         size_t *data_len);

/* The connection closed (the peer's FIN) after every byte was given to the
 * parser: 0 if that completes the message (a body read until close),
 * otherwise -EBADMSG (NST_HTTP1_TRUNCATED). */
int nst_http1_parse_eof(struct nst_http1_parser *p);

/* The status a server answers an error with: 400, 413, 414, 431, 501 or
 * 505 (0 for -EAGAIN and non-errors). */
int nst_http1_status_of(int err);
/* A short text for a why value (for logs and tests). */
const char *nst_http1_why_str(enum nst_http1_why why);

/* Field access. Index of the first field named `name` (case-insensitive)
 * at or after `from`, among the header fields, or -1. */
int nst_http1_find(const struct nst_http1_parser *p, const uint8_t *buf, const char *name, int from);
/* Whether the comma-separated list in value/len holds `token`
 * (case-insensitive; RFC 9110 5.6.1 empty elements ignored). */
int nst_http1_list_has(const uint8_t *value, size_t len, const char *token);

#endif
