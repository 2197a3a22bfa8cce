/* The AF_XDP driver's XDP program (xdp_redirect.bpf.c) as an ELF object,
 * compiled by clang -target bpf and embedded at build time
 * (cmake/nst_embed.cmake writes the array). */
#ifndef NST_LINK_XDP_PROG_H
#define NST_LINK_XDP_PROG_H

#include <stddef.h>

extern const unsigned char nst_xdp_redirect_obj[];
extern const size_t nst_xdp_redirect_obj_len;

#endif
