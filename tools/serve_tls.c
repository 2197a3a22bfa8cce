/* TLS for the nstack program's servers: see serve_tls.h. */
#include "tools/serve_tls.h"

#include <errno.h>
#include <string.h>

#include <nstack/socket.h>

#include "tools/cli.h"

const char serve_tls_opts_help[] =
    "TLS (for --tls):\n"
    "  --cert FILE         the server's certificate chain (PEM)\n"
    "  --key FILE          its private key (PEM)\n"
    "  --tls-min V         lowest version: 1.2 or 1.3 (default 1.2)\n"
    "  --tls-max V         highest version: 1.2 or 1.3 (default 1.3)\n"
    "  --alpn LIST         protocols offered by ALPN, e.g. http/1.1 (default: none)\n"
    "  --max-early-data N  accept up to N bytes of TLS 1.3 0-RTT data (default 0: reject it)\n"
    "  --ticket-keys FILE  80 bytes of session ticket keys, shared by servers that resume each\n"
    "                      other's sessions (default: keys of this process)\n"
    "  $SSLKEYLOGFILE      append the session secrets there (NSS key log: Wireshark, tshark)\n";

static int parse_version(const char *cmd, const char *opt, const char *arg, int *v)
{
    if (!strcmp(arg, "1.2"))
        *v = NST_TLS1_2;
    else if (!strcmp(arg, "1.3"))
        *v = NST_TLS1_3;
    else
        return nst_cli_bad_usage(cmd, "%s needs 1.2 or 1.3, not '%s'", opt, arg);
    return 0;
}

int serve_tls_opts_parse(const char *cmd, int c, const char *arg, struct serve_tls_opts *o)
{
    uint64_t v;
    switch (c - SERVE_TLS_OPT_BASE) {
    case 0: o->cert = arg; return 0;
    case 1: o->key = arg; return 0;
    case 2: return parse_version(cmd, "--tls-min", arg, &o->min_version);
    case 3: return parse_version(cmd, "--tls-max", arg, &o->max_version);
    case 4: o->alpn = arg; return 0;
    case 5:
        /* RFC 8446 4.2.10: a 32-bit count; OpenSSL's buffers hold 16 KiB records. */
        if (nst_cli_parse_u64(arg, 0, 1 << 20, &v))
            return nst_cli_bad_usage(cmd, "--max-early-data needs bytes from 0 to 1048576, not '%s'", arg);
        o->max_early_data = (uint32_t)v;
        return 0;
    case 6: o->ticket_keys = arg; return 0;
    default: return -1;
    }
}

int serve_tls_opts_check(const char *cmd, const struct serve_tls_opts *o, int tls_wanted)
{
    int any = o->cert || o->key || o->min_version || o->max_version || o->alpn || o->max_early_data ||
              o->ticket_keys;
    if (!tls_wanted)
        return any ? nst_cli_bad_usage(cmd, "--cert, --key and the TLS options go with --tls PORT") : 0;
    if (!o->cert || !o->key)
        return nst_cli_bad_usage(cmd, "--tls needs --cert FILE and --key FILE");
    if (o->min_version && o->max_version && o->min_version > o->max_version)
        return nst_cli_bad_usage(cmd, "--tls-min is above --tls-max");
    return 0;
}

static int read_ticket_keys(const char *path, uint8_t keys[80], FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        fprintf(err, "cannot open the ticket keys %s: %s\n", path, strerror(e));
        return -e;
    }
    uint8_t extra;
    size_t n = fread(keys, 1, 80, f);
    int more = fread(&extra, 1, 1, f) == 1;
    fclose(f);
    if (n != 80 || more) {
        fprintf(err, "the ticket keys %s must be exactly 80 bytes (16 name, 32 HMAC, 32 AES)\n", path);
        return -EINVAL;
    }
    return 0;
}

int serve_tls_ctx_new(const struct serve_tls_opts *o, struct nst_tls_ctx **out, FILE *err)
{
    struct nst_tls_config c;
    nst_tls_config_default(&c, NST_TLS_SERVER);
    c.cert_file = o->cert;
    c.key_file = o->key;
    if (o->min_version)
        c.min_version = o->min_version;
    if (o->max_version)
        c.max_version = o->max_version;
    c.alpn = o->alpn;
    c.max_early_data = o->max_early_data;
    /* The responder answers only GET/HEAD from early data (425 otherwise,
     * serve_http.c) and asks no client certificate: its answer may go as
     * 0.5-RTT data, a round trip sooner. */
    c.early_answer = 1;
    nst_tls_config_keylog_from_env(&c);
    uint8_t keys[80];
    int rc = o->ticket_keys ? read_ticket_keys(o->ticket_keys, keys, err) : 0;
    if (rc)
        return rc;
    const char *why = "";
    rc = nst_tls_ctx_new(&c, out, &why);
    if (rc) {
        fprintf(err, "TLS: %s\n", why);
        return rc;
    }
    if (o->ticket_keys && (rc = nst_tls_ctx_set_ticket_keys(*out, keys)) < 0) {
        fprintf(err, "TLS: the ticket keys were refused\n");
        nst_tls_ctx_free(*out);
        *out = NULL;
    }
    memset(keys, 0, sizeof(keys));
    return rc;
}

struct nst_stream *serve_tls_accept(struct nst_tls_ctx *ctx, struct nst_stack *st, int fd, nst_stream_cb cb,
                                    void *arg)
{
    struct nst_stream *s = nst_tls_server(ctx, st, fd);
    if (!s) {
        nst_close(st, fd);
        return NULL;
    }
    nst_stream_set_callback(s, cb, arg);
    return s;
}
