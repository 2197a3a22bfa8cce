/* lwIP's platform header for the benchmark's own build of lwIP (see
 * lwipopts.h beside this file): Linux, glibc, a 64-bit little-endian CPU.
 * Only what lwIP's arch.h does not already default sensibly. */
#ifndef NST_BENCH_LWIP_ARCH_CC_H
#define NST_BENCH_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

/* glibc's errno values, as lwIP's sockets would expect (unused here:
 * the benchmark drives the raw API). */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_ERRNO_INCLUDE <errno.h>

/* Initial sequence numbers and ephemeral ports. */
#define LWIP_RAND() ((u32_t)rand())

/* Byte order through the compiler's builtins (one instruction each)
 * instead of def.c's portable shifts. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* Asserts are compiled out (LWIP_NOASSERT in lwipopts.h); diagnostics, if
 * any were enabled, would go to stderr. */
#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        printf x;             \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                   \
    do {                                                                          \
        fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); \
        abort();                                                                  \
    } while (0)

#endif
