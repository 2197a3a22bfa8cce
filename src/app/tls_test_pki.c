/* A throwaway PKI made at run time for tests and the lab: a self-signed CA
 * and a server certificate it signs. RSA 2048 and SHA-256 throughout, fixed
 * serial numbers and UTCTime validity: every certificate and signature has
 * the same size on every run, so handshake flights, and the virtual times
 * they take, are the same too. Nothing private is ever written to the tree. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/tls_impl.h"

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static X509 *new_cert(EVP_PKEY *key, long serial, const char *cn, int days)
{
    X509 *c = X509_new();
    if (!c)
        return NULL;
    X509_NAME *name = X509_get_subject_name(c);
    int ok = X509_set_version(c, 2) && ASN1_INTEGER_set(X509_get_serialNumber(c), serial) &&
             X509_gmtime_adj(X509_getm_notBefore(c), -86400) &&
             X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400) && X509_set_pubkey(c, key) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"nstack test", -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    if (!ok) {
        X509_free(c);
        return NULL;
    }
    return c;
}

/* "a.lab,10.0.4.2" -> "DNS:a.lab,IP:10.0.4.2" */
static int san_of(const char *names, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = names;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char one[256];
        if (len == 0 || len >= sizeof(one))
            return -EINVAL;
        memcpy(one, p, len);
        one[len] = 0;
        struct in_addr a;
        int n = snprintf(out + o, cap - o, "%s%s:%s", o ? "," : "", inet_pton(AF_INET, one, &a) == 1 ? "IP" : "DNS",
                         one);
        if (n < 0 || (size_t)n >= cap - o)
            return -EINVAL;
        o += (size_t)n;
        p += len + (e ? 1 : 0);
    }
    return o ? 0 : -EINVAL;
}

int nst_tls_make_test_pki(struct nst_tls_test_pki *out, const char *names, int days)
{
    memset(out, 0, sizeof(*out));
    char san[1024], cn[256];
    if (!names || days <= 0 || san_of(names, san, sizeof(san)) < 0)
        return -EINVAL;
    size_t cn_len = strcspn(names, ",");
    snprintf(cn, sizeof(cn), "%.*s", (int)cn_len, names);
    out->ca_key = EVP_RSA_gen(2048);
    out->key = EVP_RSA_gen(2048);
    if (!out->ca_key || !out->key)
        goto fail;
    out->ca_cert = new_cert(out->ca_key, 1, "nstack test CA", days);
    if (!out->ca_cert || !X509_set_issuer_name(out->ca_cert, X509_get_subject_name(out->ca_cert)) ||
        !add_ext(out->ca_cert, out->ca_cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(out->ca_cert, out->ca_cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(out->ca_cert, out->ca_cert, NID_subject_key_identifier, "hash") ||
        !X509_sign(out->ca_cert, out->ca_key, EVP_sha256()))
        goto fail;
    out->cert = new_cert(out->key, 2, cn, days);
    if (!out->cert || !X509_set_issuer_name(out->cert, X509_get_subject_name(out->ca_cert)) ||
        !add_ext(out->cert, out->ca_cert, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(out->cert, out->ca_cert, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
        !add_ext(out->cert, out->ca_cert, NID_ext_key_usage, "serverAuth") ||
        !add_ext(out->cert, out->ca_cert, NID_subject_alt_name, san) ||
        !X509_sign(out->cert, out->ca_key, EVP_sha256()))
        goto fail;
    return 0;
fail:
    nst_tls_test_pki_free(out);
    return -ENOMEM;
}

void nst_tls_test_pki_free(struct nst_tls_test_pki *p)
{
    X509_free(p->ca_cert);
    X509_free(p->cert);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->key);
    memset(p, 0, sizeof(*p));
}

static int write_pem(const char *dir, const char *file, mode_t mode, X509 *cert, EVP_PKEY *key)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, mode) < 0) { /* a file that was there keeps its mode otherwise */
        int e = -errno;
        close(fd);
        return e;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = -errno;
        close(fd);
        return e;
    }
    int ok = cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0 || !ok)
        return -EIO;
    return 0;
}

int nst_tls_test_pki_write(const struct nst_tls_test_pki *p, const char *dir)
{
    int r = write_pem(dir, "ca.pem", 0644, p->ca_cert, NULL);
    if (!r)
        r = write_pem(dir, "cert.pem", 0644, p->cert, NULL);
    if (!r)
        r = write_pem(dir, "key.pem", 0600, NULL, p->key);
    return r;
}
