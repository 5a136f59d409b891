/* IPv4 TTL decrement with incremental checksum update (RFC 1624) and a
 * full header checksum recomputation (fold loop), writing 16-bit values
 * back into the packet. */
#include "corpus.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

static __always_inline __u16 csum_fold(__u32 csum) {
  csum = (csum & 0xffff) + (csum >> 16);
  csum = (csum & 0xffff) + (csum >> 16);
  return (__u16)~csum;
}

static __noinline __u16 ip_csum(struct iphdr *ip) {
  __u32 sum = 0;
  __u16 *w = (__u16 *)ip;
#pragma unroll
  for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
    if (i != 5)
      sum += w[i];
  return csum_fold(sum);
}

SEC("xdp")
int xdp_csum(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end)
    return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
    return XDP_PASS;
  if (ip->ttl <= 1)
    return XDP_DROP;

  if (ip->check != ip_csum(ip))
    return XDP_DROP;

  /* incremental update: HC' = ~(~HC + ~m + m') */
  __u16 old = *(__u16 *)&ip->ttl;
  ip->ttl--;
  __u16 new = *(__u16 *)&ip->ttl;
  __u32 c = (__u16)~ip->check;
  c += (__u16)~old;
  c += new;
  ip->check = csum_fold(c);
  return XDP_TX;
}

char _license[] SEC("license") = "GPL";
