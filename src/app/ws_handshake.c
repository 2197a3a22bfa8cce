/* The WebSocket opening handshake (RFC 6455 4.1, 4.2): checks and writes
 * the Upgrade request and the 101 response with the HTTP/1.1 parser and
 * writer; SHA-1 and base64 from OpenSSL's libcrypto. */
#include "app/ws_handshake.h"
#include "app/ws_upgrade.h"
#include "app/http1_write.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* RFC 6455 1.3: the GUID the key is concatenated with. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void nst_ws_accept_for(const char *key, size_t key_len, char out[NST_WS_ACCEPT_LEN + 1])
{
    uint8_t in[128], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    size_t gl = sizeof(ws_guid) - 1;
    if (key_len > sizeof(in) - gl)
        key_len = sizeof(in) - gl; /* a valid key is 24 bytes; a longer one was refused already */
    memcpy(in, key, key_len);
    memcpy(in + key_len, ws_guid, gl);
    EVP_Digest(in, key_len + gl, md, &mdlen, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen); /* 20 bytes: 28 characters and a NUL */
}

void nst_ws_key_from(const uint8_t nonce[16], char out[NST_WS_KEY_LEN + 1])
{
    EVP_EncodeBlock((unsigned char *)out, nonce, 16);
}

/* RFC 6455 4.2.1 item 5: the key "when decoded, is 16 bytes in length":
 * 22 base64 characters and "==". */
static int key_valid(const uint8_t *v, size_t len)
{
    if (len != NST_WS_KEY_LEN || v[22] != '=' || v[23] != '=')
        return 0;
    uint8_t tmp[24];
    return EVP_DecodeBlock(tmp, v, (int)len) == 18; /* counts the padding as bytes */
}

static const uint8_t *val(const struct nst_http1_parser *p, const uint8_t *buf, int i, size_t *len)
{
    *len = p->fields[i].value.len;
    return buf + p->fields[i].value.off;
}

/* Index of the only field `name`: -1 if absent, -2 if repeated. */
static int only(const struct nst_http1_parser *p, const uint8_t *buf, const char *name)
{
    int i = nst_http1_find(p, buf, name, 0);
    if (i >= 0 && nst_http1_find(p, buf, name, i + 1) >= 0)
        return -2;
    return i;
}

/* Whether any field `name` lists token. */
static int any_has(const struct nst_http1_parser *p, const uint8_t *buf, const char *name, const char *token)
{
    for (int i = nst_http1_find(p, buf, name, 0); i >= 0; i = nst_http1_find(p, buf, name, i + 1)) {
        size_t len;
        const uint8_t *v = val(p, buf, i, &len);
        if (nst_http1_list_has(v, len, token))
            return 1;
    }
    return 0;
}

static void copy_text(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
}

static void refuse(struct nst_ws_request *r, int status, const char *why)
{
    r->status = status;
    r->why = why;
}

void nst_ws_check_request(const struct nst_http1_parser *p, const uint8_t *buf, const char *const *protocols,
                          size_t nprotocols, struct nst_ws_request *r)
{
    memset(r, 0, sizeof(*r));
    const struct nst_http1_msg *m = &p->msg;
    copy_text(r->path, sizeof(r->path), buf + m->target.off, m->target.len);
    /* RFC 6455 4.2.1 items 1-4: a GET of HTTP/1.1 or higher with Host,
     * Upgrade: websocket and Connection: Upgrade. */
    if (m->method_id != NST_HTTP1_M_GET)
        return refuse(r, 400, "not a GET");
    if (m->version_minor < 1)
        return refuse(r, 400, "not HTTP/1.1");
    if (m->host < 0)
        return refuse(r, 400, "no Host");
    if (!m->upgrade || !any_has(p, buf, "upgrade", "websocket"))
        return refuse(r, 400, "no Upgrade: websocket with Connection: Upgrade");
    if (m->body != NST_HTTP1_BODY_NONE)
        return refuse(r, 400, "a body in the Upgrade request");
    /* RFC 6455 4.2.2 / 4.4: a version other than 13 gets 426 naming 13. */
    size_t len;
    int i = only(p, buf, "sec-websocket-version");
    const uint8_t *v = i >= 0 ? val(p, buf, i, &len) : NULL;
    if (!v || len != 2 || memcmp(v, "13", 2) != 0)
        return refuse(r, 426, "Sec-WebSocket-Version is not 13");
    i = only(p, buf, "sec-websocket-key");
    v = i >= 0 ? val(p, buf, i, &len) : NULL;
    if (!v || !key_valid(v, len))
        return refuse(r, 400, "Sec-WebSocket-Key is not base64 of 16 bytes");
    nst_ws_accept_for((const char *)v, len, r->accept);
    /* RFC 6455 4.2.2 item 5.4 (/subprotocol/): ours, best first, that the client offers. */
    for (size_t k = 0; k < nprotocols && !r->protocol[0]; k++)
        if (any_has(p, buf, "sec-websocket-protocol", protocols[k]))
            copy_text(r->protocol, sizeof(r->protocol), (const uint8_t *)protocols[k], strlen(protocols[k]));
    /* RFC 6455 9.1: offered extensions, kept for the application; none is
     * accepted (the 101 names none). */
    size_t el = 0;
    for (i = nst_http1_find(p, buf, "sec-websocket-extensions", 0); i >= 0;
         i = nst_http1_find(p, buf, "sec-websocket-extensions", i + 1)) {
        v = val(p, buf, i, &len);
        int n = snprintf(r->extensions + el, sizeof(r->extensions) - el, "%s%.*s", el ? ", " : "", (int)len,
                         (const char *)v);
        if (n < 0 || (size_t)n >= sizeof(r->extensions) - el)
            break;
        el += (size_t)n;
    }
    r->status = 101;
}

int nst_ws_write_response(uint8_t *out, size_t cap, const struct nst_ws_request *r)
{
    struct nst_http1_out_field f[4];
    size_t n = 0;
    struct nst_http1_response_head h = {.status = (uint16_t)r->status, .req_method = NST_HTTP1_M_GET};
    if (r->status == 101) {
        f[n++] = (struct nst_http1_out_field){"Upgrade", "websocket"};
        f[n++] = (struct nst_http1_out_field){"Connection", "Upgrade"};
        f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Accept", r->accept};
        if (r->protocol[0])
            f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Protocol", r->protocol};
    } else {
        if (r->status == 426) { /* RFC 9110 15.5.22; RFC 6455 4.4 */
            h.reason = "Upgrade Required";
            f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Version", "13"};
        }
        h.body = NST_HTTP1_OUT_NONE;
        h.close = 1;
    }
    h.fields = f;
    h.nfields = n;
    int body_follows;
    return nst_http1_write_response(out, cap, &h, &body_follows);
}

int nst_ws_write_request(uint8_t *out, size_t cap, const char *host, const char *path, const char *key,
                         const char *const *protocols, size_t nprotocols, const char *extensions)
{
    char plist[NST_WS_TEXT_MAX];
    size_t pl = 0;
    for (size_t k = 0; k < nprotocols; k++) {
        int n = snprintf(plist + pl, sizeof(plist) - pl, "%s%s", pl ? ", " : "", protocols[k]);
        if (n < 0 || (size_t)n >= sizeof(plist) - pl)
            return -EINVAL;
        pl += (size_t)n;
    }
    struct nst_http1_out_field f[6];
    size_t n = 0;
    f[n++] = (struct nst_http1_out_field){"Upgrade", "websocket"};
    f[n++] = (struct nst_http1_out_field){"Connection", "Upgrade"};
    f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Key", key};
    f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Version", "13"};
    if (pl)
        f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Protocol", plist};
    if (extensions && extensions[0])
        f[n++] = (struct nst_http1_out_field){"Sec-WebSocket-Extensions", extensions};
    struct nst_http1_request_head h = {.method = "GET", .target = path, .host = host, .fields = f, .nfields = n};
    return nst_http1_write_request(out, cap, &h);
}

int nst_ws_check_response(const struct nst_http1_parser *p, const uint8_t *buf, const char *key,
                          const char *const *protocols, size_t nprotocols, char protocol[NST_WS_TEXT_MAX],
                          const char **why)
{
    const struct nst_http1_msg *m = &p->msg;
    protocol[0] = 0;
    /* RFC 6455 4.1, the client's checks 1-6 of the server's handshake. */
    if (m->status != 101)
        return *why = "status is not 101", -EPROTO;
    if (!m->upgrade || !any_has(p, buf, "upgrade", "websocket"))
        return *why = "no Upgrade: websocket with Connection: Upgrade", -EPROTO;
    char want[NST_WS_ACCEPT_LEN + 1];
    nst_ws_accept_for(key, strlen(key), want);
    size_t len;
    int i = only(p, buf, "sec-websocket-accept");
    const uint8_t *v = i >= 0 ? val(p, buf, i, &len) : NULL;
    if (!v || len != NST_WS_ACCEPT_LEN || memcmp(v, want, len) != 0)
        return *why = "Sec-WebSocket-Accept does not match the key", -EPROTO;
    if (nst_http1_find(p, buf, "sec-websocket-extensions", 0) >= 0)
        return *why = "the server chose an extension (none is supported)", -EPROTO;
    i = only(p, buf, "sec-websocket-protocol");
    if (i == -2)
        return *why = "more than one Sec-WebSocket-Protocol", -EPROTO;
    if (i >= 0) {
        v = val(p, buf, i, &len);
        for (size_t k = 0; k < nprotocols; k++)
            if (strlen(protocols[k]) == len && memcmp(protocols[k], v, len) == 0)
                copy_text(protocol, NST_WS_TEXT_MAX, v, len);
        if (!protocol[0])
            return *why = "the server chose a subprotocol not offered", -EPROTO;
    }
    return 0;
}

int nst_ws_is_upgrade(const struct nst_http1_parser *req, const uint8_t *head)
{
    return req->msg.upgrade && any_has(req, head, "upgrade", "websocket");
}
