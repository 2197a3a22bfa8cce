/* Socket addresses in tests: their text form (nst_sockaddr_str) from a
 * small ring of buffers, so a few may appear in one expression, and a
 * check that two strings are equal which prints both when they are not. */
#ifndef NST_TEST_SOCKADDR_UTIL_H
#define NST_TEST_SOCKADDR_UTIL_H

#include <nstack/socket.h>
#include <string.h>

#include "test.h"

static inline const char *su_addr_str(const struct nst_sockaddr *a)
{
    static char buf[4][NST_SOCKADDR_STRLEN];
    static int i;
    i = (i + 1) % 4;
    return nst_sockaddr_str(a, buf[i], sizeof(buf[i]));
}

#define CHECK_TEXT(got, want)                                                          \
    do {                                                                               \
        const char *_g = (got), *_w = (want);                                          \
        if (strcmp(_g, _w) != 0)                                                       \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _g, _w);  \
        CHECK(strcmp(_g, _w) == 0);                                                    \
    } while (0)

#endif
