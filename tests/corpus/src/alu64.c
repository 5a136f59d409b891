/* 64-bit ALU: add/sub/mul/div/mod/or/and/xor/lsh/rsh/arsh/neg with
 * register and immediate operands, fed from packet bytes so nothing is
 * constant-folded.  LLVM 14 expands unsigned mod into div/mul/sub (it never
 * emits BPF_MOD), and cannot select signed division at all. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} results SEC(".maps");

static __always_inline void put(__u32 idx, __u64 v) {
  __u64 *slot = bpf_map_lookup_elem(&results, &idx);
  if (slot)
    *slot = v;
}

SEC("xdp")
int xdp_alu64(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 32 > data_end)
    return XDP_PASS;

  __u64 a = *(__u64 *)(data + 0);
  __u64 b = *(__u64 *)(data + 8) | 1;       /* never zero */
  __s64 s = *(__s64 *)(data + 16);
  __u64 sh = data[24] & 63;

  __u64 add = a + b + 1000;
  __u64 sub = a - b - 7;
  __u64 mul = a * b * 13;
  __u64 div = a / b;
  __u64 mod = (a + 3) % b;
  __u64 modk = a % 1000;
  __u64 divk = a / 10;
  __u64 or = (a | b) | 0x40;
  __u64 and = (a & b) & 0xff00;
  __u64 xor = (a ^ b) ^ 0x5a5a;
  __u64 lsh = (a << sh) + (b << 3);
  __u64 rsh = (a >> sh) + (b >> 17);
  __s64 arsh = (s >> sh) + (s >> 5);
  __u64 neg = -(a + s);

  put(0, add);
  put(1, sub);
  put(2, mul);
  put(3, div + divk);
  put(4, mod + modk);
  put(5, or);
  put(6, and);
  put(7, xor);
  put(8, lsh);
  put(9, rsh);
  put(10, (__u64)arsh);
  put(11, neg);
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
