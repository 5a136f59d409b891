/* Ethernet -> IPv4 -> UDP parser with data_end bounds checks.  Counts
 * packets per destination-port bucket in a BTF-defined array map and drops
 * traffic to a blocked port. */
#include "corpus.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#define BLOCKED_PORT 9999

struct port_stats {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, struct port_stats);
} port_counters SEC(".maps");

SEC("xdp")
int xdp_parse_udp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end)
    return XDP_ABORTED;
  if (eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;

  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end)
    return XDP_ABORTED;
  if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
    return XDP_PASS;
  if (ip->frag_off & bpf_htons(0x3fff))
    return XDP_PASS;

  struct udphdr *udp = (void *)(ip + 1);
  if ((void *)(udp + 1) > data_end)
    return XDP_ABORTED;

  __u16 dport = bpf_ntohs(udp->dest);
  if (dport == BLOCKED_PORT)
    return XDP_DROP;

  __u32 key = dport & 63;
  struct port_stats *st = bpf_map_lookup_elem(&port_counters, &key);
  if (!st)
    return XDP_PASS;
  st->packets += 1;
  st->bytes += bpf_ntohs(udp->len);
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
