/* Two XDP programs in the same "xdp" section plus a DEVMAP and a
 * PERCPU_ARRAY in .maps: MAC rewrite, bpf_redirect_map and a fallback
 * program; tests multiple symbols per code section. */
#include "corpus.h"
#include <linux/if_ether.h>

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 32);
  __type(key, __u32);
  __type(value, __u32);
} tx_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} redirected SEC(".maps");

static const __u8 new_src[ETH_ALEN] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end)
    return XDP_DROP;

  /* swap MACs via 16-bit and 32-bit moves */
  __u8 tmp[ETH_ALEN];
  __builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, new_src, ETH_ALEN);
  (void)tmp;

  __u32 zero = 0;
  __u64 *cnt = bpf_map_lookup_elem(&redirected, &zero);
  if (cnt)
    (*cnt)++;
  return bpf_redirect_map(&tx_ports, ctx->rx_queue_index & 31, XDP_PASS);
}

SEC("xdp")
int xdp_fallback(struct xdp_md *ctx) {
  return ctx->ingress_ifindex == 0 ? XDP_ABORTED : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
