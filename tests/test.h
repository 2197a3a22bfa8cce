/* A minimal test harness: checks that report the expression, the values
 * and the line, and a summary line that CTest logs show. */
#ifndef NST_TEST_H
#define NST_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int nst_test_failures;
static int nst_test_checks;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        nst_test_checks++;                                                          \
        if (!(cond)) {                                                              \
            nst_test_failures++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                           \
    } while (0)

#define CHECK_EQ(a, b)                                                                       \
    do {                                                                                     \
        long long _a = (long long)(a), _b = (long long)(b);                                  \
        nst_test_checks++;                                                                   \
        if (_a != _b) {                                                                      \
            nst_test_failures++;                                                             \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__, \
                    __LINE__, #a, #b, _a, _b);                                               \
        }                                                                                    \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* Runs one test function and names it in the log. */
#define RUN(fn)                                  \
    do {                                         \
        int _before = nst_test_failures;         \
        fn();                                    \
        fprintf(stderr, "%s %s\n",               \
                nst_test_failures == _before ? "ok  " : "FAIL", #fn); \
    } while (0)

static inline int nst_test_done(void)
{
    fprintf(stderr, "%d checks, %d failed\n", nst_test_checks, nst_test_failures);
    return nst_test_failures ? 1 : 0;
}

/* Where tests write their captures: $NST_TEST_OUT (created), or ".". */
static inline const char *nst_test_out_dir(void)
{
    const char *d = getenv("NST_TEST_OUT");
    if (!d)
        return ".";
    mkdir(d, 0755);
    return d;
}

#endif
