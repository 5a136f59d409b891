/* 32-bit ALU: the BPF_ALU (w-register) forms under -mcpu=v3, plus the
 * zero-extension patterns that show up under -mcpu=v2.  Unsigned mod is
 * expanded by LLVM 14 into div/mul/sub. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u32);
} results32 SEC(".maps");

static __always_inline void put(__u32 idx, __u32 v) {
  __u32 *slot = bpf_map_lookup_elem(&results32, &idx);
  if (slot)
    *slot = v;
}

SEC("xdp")
int xdp_alu32(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 16 > data_end)
    return XDP_PASS;

  __u32 a = *(__u32 *)(data + 0);
  __u32 b = *(__u32 *)(data + 4) | 1;
  __s32 s = *(__s32 *)(data + 8);
  __u32 sh = data[12] & 31;

  put(0, a + b + 77);
  put(1, a - b - 3);
  put(2, a * b * 5);
  put(3, a / b + a / 7);
  put(4, (a ^ 5) % b + a % 100);
  put(5, (a | b) | 0x80000000u);
  put(6, (a & b) & 0xfff);
  put(7, (a ^ b) ^ 0xffff);
  put(8, (a << sh) + (b << 9));
  put(9, (a >> sh) + (b >> 30));
  put(10, (__u32)((s >> sh) + (s >> 4)));
  put(11, -(a + b));
  put(12, ~a);
  put(13, (__u32)ctx->ingress_ifindex * 3 + ctx->rx_queue_index);
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
