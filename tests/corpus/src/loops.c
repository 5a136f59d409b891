/* Bounded loops: one that clang fully unrolls (#pragma unroll), one kept
 * as a real back-edge (#pragma nounroll, variable trip count bounded by a
 * constant), and a do/while over packet bytes with a bounds check. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} loop_out SEC(".maps");

SEC("xdp")
int xdp_loops(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 64 > data_end)
    return XDP_PASS;

  /* fully unrolled */
  __u32 sum = 0;
#pragma unroll
  for (int i = 0; i < 8; i++)
    sum += (__u32)data[i] << (i & 3);

  /* kept loop: trip count from the packet, at most 32 */
  __u32 n = data[8] & 31;
  __u64 h = 5381;
#pragma nounroll
  for (__u32 i = 0; i < 32; i++) {
    if (i >= n)
      break;
    h = h * 33 + data[16 + i];
  }

  /* scanning loop with per-iteration bounds check */
  __u8 *p = data + 48;
  __u32 zeros = 0;
#pragma nounroll
  for (int i = 0; i < 64; i++) {
    if (p + 1 > data_end)
      break;
    if (*p == 0)
      zeros++;
    p++;
  }

  __u32 key = 0;
  __u64 *out = bpf_map_lookup_elem(&loop_out, &key);
  if (out)
    *out = h + sum + zeros;
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
