/* bpf-to-bpf calls: noinline static functions in .text called from the
 * xdp section (pseudo calls with relocations), with 1..5 arguments, a
 * nested call, and a global noinline function. */
#include "corpus.h"
#include <linux/if_ether.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} acc SEC(".maps");

static __noinline __u64 mix(__u64 a, __u64 b) {
  return (a ^ (b << 7)) + (b >> 3);
}

static __noinline __u64 mix5(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e) {
  return mix(a, b) * 31 + mix(c, d) - e;
}

static __noinline int account(__u32 idx, __u64 v) {
  __u64 *slot = bpf_map_lookup_elem(&acc, &idx);
  if (!slot)
    return -1;
  *slot += v;
  return 0;
}

__noinline int check_len(__u32 len) {
  if (len < ETH_ZLEN)
    return 0;
  return 1;
}

SEC("xdp")
int xdp_bpf2bpf(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 16 > data_end)
    return XDP_PASS;
  if (!check_len((__u32)(data_end - data)))
    return XDP_DROP;
  __u64 a = *(__u64 *)data;
  __u64 b = *(__u64 *)(data + 8);
  __u64 h = mix5(a, b, ctx->ingress_ifindex, ctx->rx_queue_index, 17);
  if (account(h & 3, h) < 0)
    return XDP_ABORTED;
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
