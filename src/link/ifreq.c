/* Interface queries by name: see ifreq.h. */
#include "link/ifreq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int nst_ifreq_get(const char *name, unsigned long request, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
    int rc = ioctl(s, request, ifr) < 0 ? -errno : 0;
    close(s);
    return rc;
}
