/* The kernel's offloads on a TAP opened with IFF_VNET_HDR (virtio-net's
 * header, include/uapi/linux/virtio_net.h): every frame read or written is
 * preceded by a struct virtio_net_hdr. With TUNSETOFFLOAD(TUN_F_CSUM |
 * TUN_F_TSO4 | TUN_F_TSO6) the kernel may hand us
 *   - frames whose transport checksum is only partial (NEEDS_CSUM: the
 *     field holds the pseudo-header sum; the sum from csum_start on is ours
 *     to finish), and
 *   - TCP GSO frames over IPv4 or IPv6 of up to 64 KB: one header and up
 *     to 64 KB of payload, to be cut into segments of gso_size payload
 *     bytes each.
 * This file turns both into ordinary frames, so the stack never sees a
 * datagram larger than the interface MTU nor a partial checksum: a GSO
 * frame is cut in place (each segment's headers are written just in front
 * of its payload, over the tail of the segment delivered before it), with
 * the IPv4 length, ID and checksum (IPv6: the payload length) and the TCP
 * sequence number, flags and checksum of each segment set as the kernel's
 * own GSO would (RFC 9293 3.1; Linux tcp_gso_segment: FIN and PSH on the
 * last segment only, CWR on the first only; IDs counting up from the
 * first).
 * The other way, nst_vnet_hdr_for_frame says what a frame the stack hands
 * over in pieces asks of the kernel: its checksum finished, a TSO frame
 * cut (GSO_TCPV4 or GSO_TCPV6 by its ethertype).
 *
 * Pure functions on buffers: no descriptor, no clock. */
#ifndef NST_LINK_TAP_VNET_H
#define NST_LINK_TAP_VNET_H

#include <stddef.h>
#include <stdint.h>

#include <nstack/stack.h>

/* struct virtio_net_hdr as tun lays it out without TUNSETVNETHDRSZ: 10
 * bytes, 16-bit fields in the host's order (legacy virtio). */
#define NST_VNET_HLEN 10
#define NST_VNET_F_NEEDS_CSUM 1
#define NST_VNET_F_DATA_VALID 2
#define NST_VNET_GSO_NONE 0
#define NST_VNET_GSO_TCPV4 1
#define NST_VNET_GSO_TCPV6 4
#define NST_VNET_GSO_ECN 0x80

struct nst_vnet_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

void nst_vnet_hdr_parse(const uint8_t *p, struct nst_vnet_hdr *h);
void nst_vnet_hdr_emit(const struct nst_vnet_hdr *h, uint8_t *p);

/* Finishes the partial checksum of frame[0..len): the ones'-complement sum
 * of frame[csum_start..len) (which includes the field, already holding the
 * pseudo-header sum) goes, complemented, at csum_start + csum_offset.
 * 0, or -EINVAL if the offsets do not fit the frame. */
int nst_vnet_finish_csum(uint8_t *frame, size_t len, uint16_t csum_start, uint16_t csum_offset);

typedef void (*nst_vnet_out_fn)(void *arg, const uint8_t *frame, size_t len);

/* Cuts the Ethernet + IPv4 + TCP GSO frame frame[0..len) into segments of
 * at most gso_size payload bytes, in place, and passes each (complete,
 * checksums right) to out, in order; out must be done with a segment when
 * it returns. Returns the number of segments, or -EINVAL for a frame that is
 * not Ethernet/IPv4/TCP, a fragment, or inconsistent (lengths, gso_size 0):
 * then nothing was passed to out. */
int nst_vnet_split_tcp4(uint8_t *frame, size_t len, uint16_t gso_size, nst_vnet_out_fn out, void *arg);
/* The same for an Ethernet + IPv6 + TCP frame: TCP right after the fixed
 * header (a frame with extension headers is refused), the payload length
 * set per segment, the checksum over the IPv6 pseudo-header (RFC 8200 8.1). */
int nst_vnet_split_tcp6(uint8_t *frame, size_t len, uint16_t gso_size, nst_vnet_out_fn out, void *arg);
/* One of the two, by the frame's ethertype. */
int nst_vnet_split_tcp(uint8_t *frame, size_t len, uint16_t gso_size, nst_vnet_out_fn out, void *arg);

/* The header to write in front of f: NEEDS_CSUM with f's csum_start and
 * csum_offset when its checksum is partial (the field already holds the
 * pseudo-header sum, as virtio asks); for a TSO frame (gso_size) the GSO
 * type of its ethertype, ECN when its TCP header has CWR, gso_size, and
 * hdr_len the headers' length. 0, or -EINVAL for a TSO frame that is
 * neither IPv4 nor IPv6 (h then asks for no GSO). */
int nst_vnet_hdr_for_frame(const struct nst_frame *f, struct nst_vnet_hdr *h);

#endif
