/* 32-bit atomics.  -mcpu=v3 (alu32) is required by LLVM 14 for anything
 * but a plain 32-bit atomic add whose result is unused; the v2 build
 * therefore only keeps that form (CORPUS_MCPU is set by gen.sh). */
#include "corpus.h"

struct counters32 {
  __u32 packets;
  __u32 flags;
  __u32 mask;
  __u32 parity;
  __u32 slot;
  __u32 owner;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct counters32);
} stats32 SEC(".maps");

SEC("xdp")
int xdp_atomics32(struct xdp_md *ctx) {
  __u32 zero = 0;
  struct counters32 *c = bpf_map_lookup_elem(&stats32, &zero);
  if (!c)
    return XDP_PASS;
  __u32 len = ctx->data_end - ctx->data;

  __sync_fetch_and_add(&c->packets, 1);
  __sync_fetch_and_add(&c->packets, len);
#if CORPUS_MCPU >= 3
  __sync_fetch_and_or(&c->flags, len & 0xf0);
  __sync_fetch_and_and(&c->mask, ~len);
  __sync_fetch_and_xor(&c->parity, len);

  __u32 n = __sync_fetch_and_add(&c->packets, 1);
  __u32 f = __sync_fetch_and_or(&c->flags, 0x100);
  __u32 m = __sync_fetch_and_and(&c->mask, 0xff00ff00);
  __u32 p = __sync_fetch_and_xor(&c->parity, n);
  __u32 prev = __sync_lock_test_and_set(&c->slot, n);
  __u32 owner = __sync_val_compare_and_swap(&c->owner, 0, n + 1);
  if ((f ^ m ^ p) == prev)
    return XDP_DROP;
  return owner ? XDP_PASS : XDP_TX;
#else
  return XDP_PASS;
#endif
}

char _license[] SEC("license") = "GPL";
