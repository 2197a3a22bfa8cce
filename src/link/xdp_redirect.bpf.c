/* The XDP program of the AF_XDP link driver (src/link/xdp.c), compiled with
 * clang -target bpf at build time and carried inside libnstack.
 *
 * It runs on every frame the interface receives, before the kernel's stack
 * sees it, and sends to nstack's AF_XDP socket of the frame's receive queue
 * only what is nstack's: IPv4 packets to nstack's address, and ARP packets
 * asking for or answering about that address. Everything else passes to
 * the kernel (XDP_PASS), so the interface stays the kernel's for the rest
 * of its traffic (its own address, SSH, IPv6, ...).
 *
 * nstack's address is in nst_addr[0] (network byte order), written by the
 * driver after loading; 0 (never written) redirects nothing. A queue with
 * no socket in xsks_map passes its frames to the kernel too
 * (bpf_redirect_map's fallback action). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define NST_XDP_MAX_QUEUES 64

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, NST_XDP_MAX_QUEUES);
    __type(key, __u32);
    __type(value, __u32);
} xsks_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} nst_addr SEC(".maps");

/* RFC 826 for Ethernet and IPv4: after the 8 fixed bytes come the sender's
 * MAC and address, then the target's MAC and address. */
struct arp_ip4 {
    __be16 htype, ptype;
    __u8 hlen, plen;
    __be16 op;
    __u8 sha[ETH_ALEN];
    __u8 spa[4];
    __u8 tha[ETH_ALEN];
    __u8 tpa[4];
} __attribute__((packed));

static __always_inline int is_ours(void *data, void *end, __u32 addr)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return 0;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        return (void *)(ip + 1) <= end && ip->daddr == addr;
    }
    if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
        struct arp_ip4 *arp = (void *)(eth + 1);
        /* A request for nstack's address, or a reply sent to it. */
        return (void *)(arp + 1) <= end && __builtin_memcmp(arp->tpa, &addr, 4) == 0;
    }
    return 0;
}

SEC("xdp")
int nst_xdp_redirect(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u32 *addr = bpf_map_lookup_elem(&nst_addr, &key);
    if (!addr || !*addr)
        return XDP_PASS;
    if (!is_ours((void *)(long)ctx->data, (void *)(long)ctx->data_end, *addr))
        return XDP_PASS;
    return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
