/* Unsigned 32-bit compares (==, !=, <, <=, >, >=, &) on ctx fields and
 * packet words: JMP32 under -mcpu=v3, 64-bit jumps after zero-extension
 * under -mcpu=v2.  Also exercises jset via bit tests. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} verdicts SEC(".maps");

SEC("xdp")
int xdp_jmp32(struct xdp_md *ctx) {
  __u32 ifindex = ctx->ingress_ifindex;
  __u32 queue = ctx->rx_queue_index;
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  __u32 len = (__u32)(data_end - data);
  __u32 k = 0;

  if (ifindex == 1)
    return XDP_PASS;
  if (queue != 0 && queue < 4)
    k = 1;
  else if (queue >= 16)
    k = 2;
  if (len > 1500)
    k += 3;
  if (len <= 60)
    return XDP_DROP;
  if (data + 8 > data_end)
    return XDP_PASS;

  __u32 w = *(__u32 *)data;
  __u32 v = *(__u32 *)(data + 4);
  if (w & 0x80)
    k ^= 4;
  if (w < v)
    k |= 1;
  if (w >= v + 10)
    k &= 5;
  if (v == w)
    return XDP_TX;

  __u32 *slot = bpf_map_lookup_elem(&verdicts, &k);
  if (!slot)
    return XDP_ABORTED;
  if (*slot > 3)
    return XDP_DROP;
  return (int)*slot;
}

char _license[] SEC("license") = "GPL";
