/* nstack — a pcap file writer (nanosecond timestamps, Ethernet link type).
 * Any link can write its frames through it; tshark and Wireshark read it. */
#ifndef NSTACK_PCAP_H
#define NSTACK_PCAP_H

#include "types.h"
#include "api.h"

NST_API_BEGIN

struct nst_pcap;

/* Creates or truncates `path`. NULL on error (errno set). */
struct nst_pcap *nst_pcap_open(const char *path);
/* Appends one frame captured at time ts (ns since an arbitrary epoch). */
int nst_pcap_write(struct nst_pcap *p, nst_time_t ts, const uint8_t *frame, size_t len);
/* Flushes and closes; NULL is accepted. */
void nst_pcap_close(struct nst_pcap *p);

NST_API_END

#endif
