/* A switch over the IP protocol and one over a small dense range: BPF has
 * no jump tables, so clang lowers these to compare-and-branch chains. */
#include "corpus.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} proto_count SEC(".maps");

SEC("xdp")
int xdp_switch(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end)
    return XDP_PASS;

  __u32 idx;
  switch (ip->protocol) {
  case IPPROTO_ICMP: idx = 0; break;
  case IPPROTO_IGMP: idx = 1; break;
  case IPPROTO_TCP: idx = 2; break;
  case IPPROTO_UDP: idx = 3; break;
  case IPPROTO_GRE: idx = 4; break;
  case IPPROTO_ESP: idx = 5; break;
  case IPPROTO_SCTP: idx = 6; break;
  default: idx = 7; break;
  }
  __u64 *c = bpf_map_lookup_elem(&proto_count, &idx);
  if (c)
    *c += 1;

  int verdict;
  switch (ip->tos >> 5) {
  case 0: verdict = XDP_PASS; break;
  case 1: verdict = XDP_DROP; break;
  case 2: return XDP_TX;
  case 3: verdict = ip->ttl > 1 ? XDP_PASS : XDP_DROP; break;
  case 5: ip->tos = 0; verdict = XDP_PASS; break;
  default: verdict = XDP_ABORTED; break;
  }
  return verdict;
}

char _license[] SEC("license") = "GPL";
