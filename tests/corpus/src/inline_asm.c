/* Inline assembly for instruction spellings that LLVM 14 accepts but its
 * code generator never emits: le16/le32/le64, "-=" with an immediate,
 * ">=", "<=", "s>=", "s<=" against immediates, and numeric branch offsets
 * ("goto +N").  Parses a little-endian length/type/value record at the
 * start of the packet.  The JMP32 block is only built for -mcpu=v3. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} tlv_stats SEC(".maps");

SEC("xdp")
int xdp_inline_asm(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 16 > data_end)
    return XDP_PASS;

  __u64 len = *(__u16 *)(data + 0);
  __u64 type = *(__u32 *)(data + 2);
  __u64 value = *(__u64 *)(data + 8);
  /* no-ops on bpfel, but real instructions */
  asm volatile("%0 = le16 %0" : "+r"(len));
  asm volatile("%0 = le32 %0" : "+r"(type));
  asm volatile("%0 = le64 %0" : "+r"(value));

  __u64 verdict;
  asm volatile("%[v] = 2\n\t"                /* XDP_PASS */
               "if %[l] >= 1501 goto +3\n\t"
               "if %[l] <= 3 goto +2\n\t"
               "if %[t] s<= -1 goto +1\n\t"
               "goto +1\n\t"
               "%[v] = 1\n\t"                /* XDP_DROP */
               "%[l] -= 4\n\t"
               "if %[l] s>= 4096 goto +1\n\t"
               "%[l] += 4"
               : [v] "=&r"(verdict), [l] "+r"(len)
               : [t] "r"(type));

#if CORPUS_MCPU >= 3
  __u32 t32 = (__u32)type;
  asm volatile("if %[t] >= 16 goto +3\n\t"
               "if %[t] <= 1 goto +2\n\t"
               "if %[t] s>= 8 goto +1\n\t"
               "%[t] -= 1\n\t"
               "if %[t] s<= 0 goto +0"
               : [t] "+w"(t32));
  type = t32;
#endif

  __u32 key = (__u32)(type & 3);
  __u64 *st = bpf_map_lookup_elem(&tlv_stats, &key);
  if (st)
    *st += len + (value & 1);
  return (int)verdict;
}

char _license[] SEC("license") = "GPL";
