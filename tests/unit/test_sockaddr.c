/* The text forms of socket addresses (nst_sockaddr_str, nst_sockaddr_parse):
 * "192.0.2.1:80", "[2001:db8::1]:80", "[fe80::1%2]:80" (RFC 5952 6, RFC 4007
 * 11), and everything else refused. */
#include <errno.h>
#include <nstack/nstack.h>
#include <string.h>

#include "support/sockaddr_util.h"
#include "test.h"



/* Parses s, checks the result prints back as `back`. */
static struct nst_sockaddr round_trip(const char *s, const char *back)
{
    struct nst_sockaddr a;
    memset(&a, 0xa5, sizeof(a));
    CHECK_EQ(nst_sockaddr_parse(s, &a), 0);
    CHECK_TEXT(su_addr_str(&a), back);
    return a;
}

static void test_ipv4(void)
{
    struct nst_sockaddr a = round_trip("192.0.2.1:80", "192.0.2.1:80");
    CHECK_EQ(a.family, NST_AF_INET);
    CHECK_EQ(a.addr, NST_IP4(192, 0, 2, 1));
    CHECK_EQ(a.port, 80);
    CHECK_EQ(a.scope_id, 0);
    a = round_trip("10.0.0.2", "10.0.0.2:0");
    CHECK_EQ(a.port, 0);
    round_trip("255.255.255.255:65535", "255.255.255.255:65535");
    /* A zeroed family is IPv4 too (every {.addr, .port} initialiser). */
    struct nst_sockaddr z = {.addr = NST_IP4(10, 1, 2, 3), .port = 443};
    CHECK_TEXT(su_addr_str(&z), "10.1.2.3:443");
}

static void test_ipv6(void)
{
    struct nst_sockaddr a = round_trip("[2001:db8::1]:80", "[2001:db8::1]:80");
    CHECK_EQ(a.family, NST_AF_INET6);
    CHECK_EQ(a.addr6.b[0], 0x20);
    CHECK_EQ(a.addr6.b[1], 0x01);
    CHECK_EQ(a.addr6.b[15], 1);
    CHECK_EQ(a.port, 80);
    CHECK_EQ(a.addr, 0);
    /* RFC 5952: printed in the canonical form whatever the input. */
    round_trip("[2001:0DB8:0:0:0:0:0:0001]:8080", "[2001:db8::1]:8080");
    round_trip("[::]:0", "[::]:0");
    a = round_trip("[::1]", "[::1]:0");
    CHECK_EQ(a.port, 0);
    /* An IPv4 peer of a dual-stack socket. */
    a = round_trip("[::ffff:192.0.2.7]:5000", "[::ffff:192.0.2.7]:5000");
    CHECK_EQ(a.addr6.b[10], 0xff);
    CHECK_EQ(a.addr6.b[15], 7);
}

static void test_scope(void)
{
    /* RFC 4007 11: the zone is the interface index; scope_id is it + 1. */
    struct nst_sockaddr a = round_trip("[fe80::1%2]:22", "[fe80::1%2]:22");
    CHECK_EQ(a.scope_id, 3);
    a = round_trip("[fe80::abcd%0]:1", "[fe80::abcd%0]:1");
    CHECK_EQ(a.scope_id, 1);
    struct nst_sockaddr b;
    CHECK_EQ(nst_sockaddr_parse("[fe80::1%]:22", &b), -EINVAL);
    CHECK_EQ(nst_sockaddr_parse("[fe80::1%eth0]:22", &b), -EINVAL);
    CHECK_EQ(nst_sockaddr_parse("[fe80::1%255]:22", &b), -EINVAL); /* past 254: scope_id would not fit */
}

static void test_refused(void)
{
    static const char *bad[] = {
        "", ":80", "1.2.3:80", "1.2.3.4.5:80", "256.1.1.1:80", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1",
        "1.2.3.4:80x", "1.2.3.4 :80", "2001:db8::1", "2001:db8::1:80", "[2001:db8::1", "[2001:db8::1]80",
        "[2001:db8::1]:", "[]:80", "[2001:db8::g]:80", "[1.2.3.4]:80", "[2001:db8::1]:99999", "[::1]:80:80",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct nst_sockaddr a = {.port = 7};
        if (nst_sockaddr_parse(bad[i], &a) != -EINVAL)
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        CHECK_EQ(nst_sockaddr_parse(bad[i], &a), -EINVAL);
        CHECK_EQ(a.port, 7); /* untouched */
    }
    struct nst_sockaddr a;
    CHECK_EQ(nst_sockaddr_parse(NULL, &a), -EINVAL);
    CHECK_EQ(nst_sockaddr_parse("1.2.3.4:1", NULL), -EINVAL);
}

static void test_str_limits(void)
{
    /* The longest form fits NST_SOCKADDR_STRLEN; a short buffer is cut,
     * NUL-terminated. */
    struct nst_sockaddr a;
    CHECK_EQ(nst_sockaddr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%254]:65535", &a), 0);
    char buf[NST_SOCKADDR_STRLEN];
    nst_sockaddr_str(&a, buf, sizeof(buf));
    CHECK_TEXT(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%254]:65535");
    char small[8];
    memset(small, 'x', sizeof(small));
    CHECK(nst_sockaddr_str(&a, small, sizeof(small)) == small);
    CHECK_TEXT(small, "[ffff:f");
}

int main(void)
{
    RUN(test_ipv4);
    RUN(test_ipv6);
    RUN(test_scope);
    RUN(test_refused);
    RUN(test_str_limits);
    return nst_test_done();
}
