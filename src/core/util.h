/* Small helpers shared by every layer. */
#ifndef NST_CORE_UTIL_H
#define NST_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define NST_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define NST_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NST_MAX(a, b) ((a) > (b) ? (a) : (b))
#define NST_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline uint32_t nst_prefix_mask(unsigned len)
{
    return len == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - len));
}

#endif
