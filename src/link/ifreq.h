/* The kernel's view of a network interface, asked by name with an ioctl
 * (SIOCGIFMTU, SIOCGIFFLAGS, SIOCGIFHWADDR): shared by the TAP and AF_XDP
 * drivers. */
#ifndef NST_LINK_IFREQ_H
#define NST_LINK_IFREQ_H

#include <net/if.h>
#include <sys/ioctl.h> /* the SIOCGIF* requests */

/* Fills ifr (its name set from `name`) with the answer to `request`, asked
 * on a throwaway datagram socket. 0 or -errno. */
int nst_ifreq_get(const char *name, unsigned long request, struct ifreq *ifr);

#endif
