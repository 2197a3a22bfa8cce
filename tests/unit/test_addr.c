/* Text forms of addresses: nst_ip4_str, nst_mac_str, nst_ip4_parse. */
#include "test.h"

#include <errno.h>
#include <nstack/types.h>

static void test_format(void)
{
    char buf[18];
    CHECK(strcmp(nst_ip4_str(NST_IP4(192, 0, 2, 1), buf), "192.0.2.1") == 0);
    CHECK(strcmp(nst_ip4_str(NST_IP4(255, 255, 255, 255), buf), "255.255.255.255") == 0);
    CHECK(strcmp(nst_ip4_str(0, buf), "0.0.0.0") == 0);
    CHECK(nst_ip4_str(1, buf) == buf);
    const struct nst_mac m = {{0x02, 0x4e, 0x53, 0x00, 0xab, 0xff}};
    CHECK(strcmp(nst_mac_str(&m, buf), "02:4e:53:00:ab:ff") == 0);
}

static void test_parse_ok(void)
{
    nst_ip4_t a = 0;
    uint8_t plen = 0;
    CHECK_EQ(nst_ip4_parse("192.0.2.1", &a, NULL), 0);
    CHECK_EQ(a, NST_IP4(192, 0, 2, 1));
    CHECK_EQ(nst_ip4_parse("255.255.255.255", &a, NULL), 0);
    CHECK_EQ(a, 0xffffffffu);
    CHECK_EQ(nst_ip4_parse("0.0.0.0", &a, &plen), 0);
    CHECK_EQ(a, 0);
    CHECK_EQ(plen, 32); /* no prefix given: a host */
    CHECK_EQ(nst_ip4_parse("10.1.0.0/16", &a, &plen), 0);
    CHECK_EQ(a, NST_IP4(10, 1, 0, 0));
    CHECK_EQ(plen, 16);
    CHECK_EQ(nst_ip4_parse("0.0.0.0/0", &a, &plen), 0);
    CHECK_EQ(plen, 0);
    CHECK_EQ(nst_ip4_parse("1.2.3.4/32", &a, &plen), 0);
    CHECK_EQ(plen, 32);
    /* Round trip through the formatter. */
    char buf[16];
    CHECK_EQ(nst_ip4_parse(nst_ip4_str(NST_IP4(203, 0, 113, 77), buf), &a, NULL), 0);
    CHECK_EQ(a, NST_IP4(203, 0, 113, 77));
}

static void test_parse_bad(void)
{
    const char *bad[] = {"", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1..2.3", ".1.2.3", "1.2.3.4.",
                         "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "-1.2.3.4", "+1.2.3.4", "01.2.3.4", "1.2.3.04",
                         "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/1x", "1.2.3.4/-1", "1234.1.1.1",
                         "1.2.3.4//8", "0x1.2.3.4"};
    int wrong = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nst_ip4_t a = 0x5a5a5a5a;
        uint8_t plen = 77;
        if (nst_ip4_parse(bad[i], &a, &plen) != -EINVAL || a != 0x5a5a5a5a || plen != 77) {
            fprintf(stderr, "accepted or changed output: \"%s\"\n", bad[i]);
            wrong++;
        }
    }
    CHECK_EQ(wrong, 0);
    nst_ip4_t a;
    /* A prefix where none is asked for is an error. */
    CHECK_EQ(nst_ip4_parse("1.2.3.4/8", &a, NULL), -EINVAL);
    CHECK_EQ(nst_ip4_parse(NULL, &a, NULL), -EINVAL);
}

int main(void)
{
    RUN(test_format);
    RUN(test_parse_ok);
    RUN(test_parse_bad);
    return nst_test_done();
}
