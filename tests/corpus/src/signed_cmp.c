/* Signed compares (s<, s<=, s>, s>=) against registers and immediates,
 * 64-bit and 32-bit.  Under -mcpu=v3 the 32-bit ones become JMP32. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

static __always_inline void bump(__u32 idx) {
  __u64 *c = bpf_map_lookup_elem(&hits, &idx);
  if (c)
    *c += 1;
}

SEC("xdp")
int xdp_signed_cmp(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 24 > data_end)
    return XDP_PASS;

  __s64 a = *(__s64 *)(data + 0);
  __s64 b = *(__s64 *)(data + 8);
  __s32 c = *(__s32 *)(data + 16);
  __s32 d = *(__s32 *)(data + 20);

  if (a < b)
    bump(0);
  if (a <= -5)
    bump(1);
  if (b > 1000)
    bump(2);
  if (a >= b)
    bump(3);
  if (c < d)
    bump(4);
  if (c > -100)
    bump(5);
  if (d <= c)
    bump(6);
  if (d >= 7)
    bump(7);
  if (c < 0 && a > 0)
    return XDP_DROP;
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
