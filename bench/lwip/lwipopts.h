/* lwIP 2.1.3 configured for throughput, for the benchmark's own build of
 * lwIP from Debian's source package (scripts/bench-lwip-src.sh fetches it,
 * bench/CMakeLists.txt compiles it with nstack's compiler, flags, -O3 and
 * link-time optimisation, into a static library). The benchmark drives the
 * raw API from one thread (NO_SYS), as bench_lwip.c describes.
 *
 * Sized like nstack's defaults (include/nstack/stack.h): 256 KiB send and
 * receive buffers (window scaling on, as nstack's), TIME_WAIT for 2*MSL
 * with MSL 30 s. docs/PERFORMANCE.md lists every choice below and why. */
#ifndef NST_BENCH_LWIPOPTS_H
#define NST_BENCH_LWIPOPTS_H

/* One thread, no OS layer: timers from sys_check_timeouts(), sys_now()
 * supplied by the benchmark. */
#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define SYS_LIGHTWEIGHT_PROT 0

/* No asserts, no debug output, no statistics: nothing but the protocol. */
#define LWIP_NOASSERT 1
#define LWIP_DEBUG 0
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
#define LWIP_PERF 0

/* What the benchmark uses: IPv4, ARP over Ethernet, TCP. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 0
#define LWIP_RAW 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_TCP 1
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define LWIP_SINGLE_NETIF 0

/* Memory: lwIP's own heap (PBUF_RAM: the segments tcp_write copies into,
 * the link's frame copies) and its fixed pools, sized so that two 256 KiB
 * windows in flight each way never run them dry. */
/* lwIP's heap, not glibc's malloc: measured faster here (bulk ~17 against
 * ~10 Gbit/s per CPU s with MEM_LIBC_MALLOC 1, checksum algorithm 3). */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (32 * 1024 * 1024)
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_TCP_SEG 4096
#define PBUF_POOL_SIZE 64
/* lwIP checks TCP_WND against PBUF_POOL_SIZE, the pool a driver would
 * receive into; the benchmark's link allocates its frames from the heap
 * (PBUF_RAM, MEM_SIZE above), so that check does not apply. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#define MEMP_NUM_SYS_TIMEOUT 16
#define ARP_TABLE_SIZE 4
#define ARP_QUEUEING 0
/* The pcb pool: the listener, the connection(s) under test, and TIME_WAIT
 * pcbs. lwIP keeps a TIME_WAIT pcb for 2*MSL; when the pool is empty it
 * recycles the oldest one (tcp_kill_timewait), so the pool bounds the
 * TIME_WAIT list that every SYN and every port choice walks. 128 is a
 * server's pool, not a benchmark's trick: it keeps the walks short, and
 * lwIP then holds fewer TIME_WAIT records than nstack does (all of them). */
#define MEMP_NUM_TCP_PCB 128
#define MEMP_NUM_TCP_PCB_LISTEN 4

/* TCP sized as nstack's defaults: 256 KiB windows and send buffers with
 * window scaling (lwIP needs TCP_WND <= 0xFFFF << TCP_RCV_SCALE), MSS 1460
 * unless the build asks for jumbo frames (the MTU 9000 benchmark builds a
 * second library with NST_LWIP_MSS 8960). */
#ifndef NST_LWIP_MSS
#define NST_LWIP_MSS 1460
#endif
#define TCP_MSS NST_LWIP_MSS
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS + 8)
/* sent callbacks once 32 KiB are free (lwIP wants it below 0xFFFF - 4 MSS) */
#define TCP_SNDLOWAT (32 * 1024)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_BYTES TCP_WND
#define LWIP_TCP_SACK_OUT 0
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_MSL 30000UL
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 0

/* Checksums in software both ways (as nstack's benchmark does them),
 * computed while tcp_write copies the application's bytes in. Of lwIP's
 * three checksum loops, 2 (its default) is the fastest here: at -O3 GCC
 * vectorises its 16-bit loop. Measured on bulk, MTU 1500: algorithm 1
 * ~31, 2 ~34, 3 ~17 Gbit/s per CPU s. */
#define LWIP_CHECKSUM_ON_COPY 1
#define LWIP_CHKSUM_ALGORITHM 2
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0

/* Frames go out as one pbuf chain; the link copies what it keeps. */
#define LWIP_NETIF_TX_SINGLE_PBUF 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0

#endif
