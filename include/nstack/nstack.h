/* nstack — a userspace TCP/IP stack and a network lab. Umbrella header. */
#ifndef NSTACK_NSTACK_H
#define NSTACK_NSTACK_H

#include "types.h"
#include "stats.h"
#include "stack.h"
#include "socket.h"
#include "timer.h"
#include "tcp_info.h"
#include "inspect.h"
#include "sim.h"
#include "ip6_router.h"
#include "pcap.h"
#include "lab.h"
#include <nstack/version.h> /* generated: the build tree's include/ */

#endif
