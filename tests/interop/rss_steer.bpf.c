/* The NIC's receive-side scaling, played on a veth for the multi-queue
 * tests (test_xdp_queues.sh): a tc program on the kernel peer's side (vk,
 * egress) computes, for each packet it sends to nstack, the Toeplitz hash
 * a NIC would compute on receiving it (Microsoft's default key; TCP and UDP
 * over IPv4 by addresses and ports, other IPv4 by addresses, anything else
 * to ARP_QUEUE, as an ethtool ntuple rule would place it, default 0) and picks the queue as Linux's default indirection table
 * does: entry hash % 128, queue entry % NQUEUES. The veth delivers a packet
 * on the peer's receive queue numbered as the transmit queue it left by,
 * and the kernel takes queue_mapping - 1 as that queue when it is set
 * (skb_tx_hash: a "recorded receive queue"). Written independently of
 * src/link/rss.c: it is the oracle nstack's port choice must agree with.
 * Build: clang -O2 -target bpf -DNQUEUES=N -c rss_steer.bpf.c */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef NQUEUES
#define NQUEUES 2
#endif
#ifndef ARP_QUEUE
#define ARP_QUEUE 0
#endif

static const __u8 key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Bit i of the key (from the most significant bit of byte 0). */
static __always_inline __u32 key_bit(__u32 i) { return (key[i / 8] >> (7 - i % 8)) & 1; }

static __always_inline __u32 toeplitz(const __u8 *in, int len)
{
    __u32 hash = 0;
    for (int i = 0; i < len * 8 && i < 96; i++) {
        if (!((in[i / 8] >> (7 - i % 8)) & 1))
            continue;
        __u32 w = 0;
        for (int k = 0; k < 32; k++)
            w = w << 1 | key_bit((__u32)(i + k));
        hash ^= w;
    }
    return hash;
}

SEC("tc")
int rss_steer(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    __u32 queue = ARP_QUEUE;
    if ((void *)(eth + 1) > end)
        goto out;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        goto out;
    queue = 0;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end)
        goto out;
    __u8 in[12];
    __builtin_memcpy(in, &ip->saddr, 4);
    __builtin_memcpy(in + 4, &ip->daddr, 4);
    int len = 8;
    if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
        __u8 *ports = (__u8 *)ip + ip->ihl * 4;
        if ((void *)(ports + 4) > end)
            goto out;
        __builtin_memcpy(in + 8, ports, 4);
        len = 12;
    }
    queue = (toeplitz(in, len) % 128) % NQUEUES;
out:
    skb->queue_mapping = queue + 1;
    return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
