/* nstack — how the public headers mark the library's API.
 *
 * The libraries are compiled with -fvisibility=hidden: a function is
 * exported from libnstack.so / libnstack_app.so only if it is declared
 * between NST_API_BEGIN and NST_API_END, which every header in
 * include/nstack/ wraps its declarations in. Internal functions (declared
 * in src/) stay hidden, so a program can only link against what is
 * documented here. The static libraries contain the same objects; hidden
 * visibility changes nothing for a static link. The test
 * install/symbols checks both ways: nothing but the functions declared in
 * include/nstack/ is exported, and every one of them is.
 *
 * NST_API_BEGIN/END also give the declarations C linkage for C++. */
#ifndef NSTACK_API_H
#define NSTACK_API_H

#if defined(__GNUC__) || defined(__clang__)
#define NST_VISIBILITY_PUSH_ _Pragma("GCC visibility push(default)")
#define NST_VISIBILITY_POP_ _Pragma("GCC visibility pop")
#else
#define NST_VISIBILITY_PUSH_
#define NST_VISIBILITY_POP_
#endif

#ifdef __cplusplus
#define NST_API_BEGIN extern "C" { NST_VISIBILITY_PUSH_
#define NST_API_END NST_VISIBILITY_POP_ }
#else
#define NST_API_BEGIN NST_VISIBILITY_PUSH_
#define NST_API_END NST_VISIBILITY_POP_
#endif

#endif
