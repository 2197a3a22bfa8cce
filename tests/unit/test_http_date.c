/* The Date field's text (nst_http_date, RFC 9110 5.6.7 IMF-fixdate): known
 * dates (the RFC's example, leap days, century rules, before 1970, 2255:
 * nanoseconds since 1970 end in 2262; the expected strings from Python's email.utils.formatdate), a
 * calendar walk against gmtime_r/strftime, and the cache: formatted
 * again exactly when the second changes in the time passed in. */
#include <nstack/http.h>

#include "test.h"

#include <time.h>

static void check_date(int64_t sec, const char *want)
{
    struct nst_http_date d = {0};
    size_t len = 0;
    const char *got = nst_http_date(&d, sec * NST_SEC(1), &len);
    CHECK_EQ(len, strlen(want));
    if (strcmp(got, want))
        fprintf(stderr, "%lld: got %s, want %s\n", (long long)sec, got, want);
    CHECK(!strcmp(got, want));
}

static void test_known_dates(void)
{
    check_date(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    check_date(784111777, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110 5.6.7's example */
    check_date(951782400, "Tue, 29 Feb 2000 00:00:00 GMT"); /* 2000: divisible by 400, leap */
    check_date(1709164800, "Thu, 29 Feb 2024 00:00:00 GMT");
    check_date(4102444799, "Thu, 31 Dec 2099 23:59:59 GMT");
    check_date(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
    check_date(-2208988800, "Mon, 01 Jan 1900 00:00:00 GMT"); /* 1900: not leap */
    check_date(9000000000, "Wed, 14 Mar 2255 16:00:00 GMT");
}

/* Noon of every day from 1900 to 2200 against the C library's own
 * formatting (the C locale's names are RFC 9110's). */
static void test_against_strftime(void)
{
    int wrong = 0;
    for (int64_t day = -25567; day < 84000; day++) {
        int64_t sec = day * 86400 + 43200 + day % 3600;
        time_t t = (time_t)sec;
        struct tm tm;
        char want[64];
        gmtime_r(&t, &tm);
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        struct nst_http_date d = {0};
        wrong += strcmp(nst_http_date(&d, sec * NST_SEC(1), NULL), want) != 0;
    }
    CHECK_EQ(wrong, 0);
}

/* Virtual time: one text per second, the new one at the boundary's first
 * nanosecond, none between. */
static void test_cache_changes_at_the_second(void)
{
    struct nst_http_date d = {0};
    const nst_time_t t0 = (nst_time_t)1796644799 * NST_SEC(1); /* Mon, 07 Dec 2026 11:59:59 GMT */
    CHECK(!strcmp(nst_http_date(&d, t0, NULL), "Mon, 07 Dec 2026 11:59:59 GMT"));
    CHECK_EQ(d.formatted, 1u);
    for (nst_time_t t = t0; t < t0 + NST_SEC(1); t += NST_MSEC(1))
        CHECK(!strcmp(nst_http_date(&d, t, NULL), "Mon, 07 Dec 2026 11:59:59 GMT"));
    CHECK(!strcmp(nst_http_date(&d, t0 + NST_SEC(1) - 1, NULL), "Mon, 07 Dec 2026 11:59:59 GMT"));
    CHECK_EQ(d.formatted, 1u); /* 1,001 calls within the second: formatted once */
    size_t len;
    CHECK(!strcmp(nst_http_date(&d, t0 + NST_SEC(1), &len), "Mon, 07 Dec 2026 12:00:00 GMT"));
    CHECK_EQ(len, 29u);
    CHECK_EQ(d.formatted, 2u);
    /* Time passed in may step back (a caller's clock): the text follows. */
    CHECK(!strcmp(nst_http_date(&d, t0 + NST_SEC(1) - 1, NULL), "Mon, 07 Dec 2026 11:59:59 GMT"));
    CHECK_EQ(d.formatted, 3u);
}

int main(void)
{
    RUN(test_known_dates);
    RUN(test_against_strftime);
    RUN(test_cache_changes_at_the_second);
    return nst_test_done();
}
