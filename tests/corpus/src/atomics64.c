/* 64-bit atomics on a map value and a global: add/or/and/xor with the
 * result unused (lock *(u64 *) op= ) and used (atomic_fetch_*), xchg and
 * cmpxchg.  All of these are selectable under both -mcpu=v2 and v3. */
#include "corpus.h"

struct counters {
  __u64 packets;
  __u64 flags;
  __u64 mask;
  __u64 parity;
  __u64 last_seen;
  __u64 owner;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct counters);
} stats SEC(".maps");

__u64 global_seq;

SEC("xdp")
int xdp_atomics64(struct xdp_md *ctx) {
  __u32 zero = 0;
  struct counters *c = bpf_map_lookup_elem(&stats, &zero);
  if (!c)
    return XDP_PASS;
  __u64 len = ctx->data_end - ctx->data;

  /* result unused: BPF_ATOMIC without BPF_FETCH */
  __sync_fetch_and_add(&c->packets, 1);
  __sync_fetch_and_or(&c->flags, len & 0xf0);
  __sync_fetch_and_and(&c->mask, ~len);
  __sync_fetch_and_xor(&c->parity, len);
  __sync_fetch_and_sub(&global_seq, 2);

  /* result used: BPF_FETCH variants */
  __u64 seq = __sync_fetch_and_add(&global_seq, 1);
  __u64 old_flags = __sync_fetch_and_or(&c->flags, 0x100);
  __u64 old_mask = __sync_fetch_and_and(&c->mask, 0xffff0000ffff0000ull);
  __u64 old_par = __sync_fetch_and_xor(&c->parity, seq);

  /* exchange and compare-exchange */
  __u64 prev = __sync_lock_test_and_set(&c->last_seen, seq);
  __u64 owner = __sync_val_compare_and_swap(&c->owner, 0, seq + 1);

  if ((old_flags ^ old_mask ^ old_par) == prev)
    return XDP_DROP;
  return owner ? XDP_PASS : XDP_TX;
}

char _license[] SEC("license") = "GPL";
