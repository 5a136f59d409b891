/* Ethernet (with optional 802.1Q tag) -> IPv6 -> TCP parser.  Looks at
 * 128-bit addresses as 64-bit halves, TCP flag bits and ports; SYN floods
 * to a watched port are counted and dropped. */
#include "corpus.h"
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

struct vlan_hdr {
  __be16 tci;
  __be16 encap_proto;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} syn_count SEC(".maps");

SEC("xdp")
int xdp_ipv6_tcp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  void *cursor = eth + 1;
  if (cursor > data_end)
    return XDP_DROP;

  __u16 proto = eth->h_proto;
  if (proto == bpf_htons(ETH_P_8021Q)) {
    struct vlan_hdr *vh = cursor;
    if ((void *)(vh + 1) > data_end)
      return XDP_DROP;
    proto = vh->encap_proto;
    cursor = vh + 1;
  }
  if (proto != bpf_htons(ETH_P_IPV6))
    return XDP_PASS;

  struct ipv6hdr *ip6 = cursor;
  if ((void *)(ip6 + 1) > data_end)
    return XDP_DROP;
  if (ip6->nexthdr != IPPROTO_TCP)
    return XDP_PASS;
  if (ip6->hop_limit <= 1)
    return XDP_DROP;

  /* link-local source fe80::/10 is always allowed */
  __u64 src_hi = *(__u64 *)&ip6->saddr;
  if ((src_hi & bpf_cpu_to_be64(0xffc0000000000000ull)) ==
      bpf_cpu_to_be64(0xfe80000000000000ull))
    return XDP_PASS;

  struct tcphdr *tcp = (void *)(ip6 + 1);
  if ((void *)(tcp + 1) > data_end)
    return XDP_DROP;
  if (tcp->doff < 5)
    return XDP_DROP;

  if (tcp->syn && !tcp->ack && bpf_ntohs(tcp->dest) == 443) {
    __u32 key = tcp->ece | tcp->cwr;
    __u64 *cnt = bpf_map_lookup_elem(&syn_count, &key);
    if (cnt && ++*cnt > 100000)
      return XDP_DROP;
  }
  if (tcp->rst && tcp->fin)
    return XDP_DROP;
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
