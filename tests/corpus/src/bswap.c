/* Byte swaps: __builtin_bswap16/32/64 (be16/be32/be64 on bpfel) and the
 * htons/ntohl style macros, on packet fields and stack values, plus
 * writing swapped values back into the packet. */
#include "corpus.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

SEC("xdp")
int xdp_bswap(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end)
    return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;

  __u32 saddr = bpf_ntohl(ip->saddr);
  __u32 daddr = bpf_ntohl(ip->daddr);
  __u16 tot = bpf_ntohs(ip->tot_len);
  __u16 id = __builtin_bswap16(ip->id);

  /* 10.0.0.0/8 check in host order */
  if ((saddr & 0xff000000u) == 0x0a000000u)
    return XDP_DROP;

  __u64 both = ((__u64)saddr << 32) | daddr;
  __u64 swapped = __builtin_bswap64(both);
  __u32 w = __builtin_bswap32((__u32)swapped) ^ tot;

  /* swap addresses in place, rewrite id in network order */
  ip->saddr = bpf_htonl(daddr);
  ip->daddr = bpf_htonl(saddr);
  ip->id = bpf_htons((__u16)(id + 1));
  *(__u64 *)eth->h_dest = bpf_cpu_to_be64(swapped) >> 16 | (*(__u64 *)eth->h_dest & 0xffff000000000000ull);
  return (w & 1) ? XDP_TX : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
