/* Loads and stores of every width (u8/u16/u32/u64) to the packet, the
 * stack and a map value, including store-immediate forms. */
#include "corpus.h"

struct record {
  __u8 b;
  __u8 pad;
  __u16 h;
  __u32 w;
  __u64 d;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct record);
} records SEC(".maps");

static __noinline int fill(struct record *r, __u8 *p) {
  r->b = p[0];
  r->h = *(__u16 *)(p + 2);
  r->w = *(__u32 *)(p + 4);
  r->d = *(__u64 *)(p + 8);
  return r->b + r->h;
}

SEC("xdp")
int xdp_loadstore(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 32 > data_end)
    return XDP_PASS;

  /* stack: volatile forces real stack traffic of each width */
  volatile __u8 s8 = data[1];
  volatile __u16 s16 = *(__u16 *)(data + 2);
  volatile __u32 s32 = *(__u32 *)(data + 4);
  volatile __u64 s64 = *(__u64 *)(data + 8);
  volatile __u8 i8 = 0x11;
  volatile __u16 i16 = 0x2233;
  volatile __u32 i32 = 0x44556677;
  volatile __u64 i64 = 0x1234;

  struct record local;
  int sum = fill(&local, data);

  /* packet stores: register and immediate */
  data[16] = s8 + i8;
  *(__u16 *)(data + 18) = s16 ^ i16;
  *(__u32 *)(data + 20) = s32 + i32;
  *(__u64 *)(data + 24) = s64 - i64 + local.d;
  data[17] = 0xee;
  *(volatile __u16 *)(data + 18) = 0xbeef;
  *(volatile __u32 *)(data + 20) = 0xcafe;
  *(volatile __u64 *)(data + 24) = 42;

  __u32 key = sum & 3;
  struct record *r = bpf_map_lookup_elem(&records, &key);
  if (!r)
    return XDP_PASS;
  r->b = local.b;
  r->h = local.h + 1;
  r->w = local.w - 1;
  r->d = local.d * 2;
  return r->b > 128 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
