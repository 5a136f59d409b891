/* Load-balancer backend selection with modulo: 64-bit and 32-bit
 * remainders by a runtime value (backend count from a config map) and by
 * constants.  LLVM 14 lowers urem to div/mul/sub, so this is mostly a
 * realistic workout of "/=" with both operand kinds. */
#include "corpus.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

struct lb_config {
  __u32 num_backends;
  __u32 num_queues;
  __u64 hash_seed;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct lb_config);
} lb_cfg SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u64);
} backend_hits SEC(".maps");

SEC("xdp")
int xdp_lb_mod(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  struct udphdr *udp = (void *)(ip + 1);
  if ((void *)(udp + 1) > data_end)
    return XDP_PASS;
  if (ip->protocol != IPPROTO_UDP)
    return XDP_PASS;

  __u32 zero = 0;
  struct lb_config *cfg = bpf_map_lookup_elem(&lb_cfg, &zero);
  if (!cfg || cfg->num_backends == 0 || cfg->num_queues == 0)
    return XDP_PASS;

  __u64 h = ((__u64)ip->saddr << 32 | ip->daddr) ^ cfg->hash_seed;
  h ^= (__u64)udp->source << 16 | udp->dest;

  __u64 backend64 = h % cfg->num_backends;      /* 64-bit, register */
  __u32 queue = (__u32)h % cfg->num_queues;     /* 32-bit, register */
  __u64 bucket = (h >> 8) % 251;                /* 64-bit, immediate */
  __u32 slot = (__u32)(h >> 40) % 13u;          /* 32-bit, immediate */

  __u32 key = (__u32)(backend64 + bucket + slot) & 255;
  __u64 *hits = bpf_map_lookup_elem(&backend_hits, &key);
  if (hits)
    *hits += 1;
  return queue == ctx->rx_queue_index ? XDP_PASS : XDP_TX;
}

char _license[] SEC("license") = "GPL";
