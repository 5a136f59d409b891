/* 64-bit immediates (ld_imm64, "ll" suffix): large, negative and
 * sign-boundary constants, plus addresses of global variables in .data,
 * .rodata and .bss (relocations against global symbols) and of static
 * ones (relocations against the section symbol, offset in the imm). */
#include "corpus.h"

__u64 seed = 0x0123456789abcdefull;          /* .data */
const volatile __u64 magic = 0xfeedfacecafef00dull; /* .rodata */
__u64 accumulator;                            /* .bss */
static __u64 local_total;                     /* .bss, local */
static __u32 local_count;                     /* .bss, local */
static __u64 local_state = 7;                 /* .data, local */

SEC("xdp")
int xdp_imm64(struct xdp_md *ctx) {
  __u8 *data = (void *)(long)ctx->data;
  __u8 *data_end = (void *)(long)ctx->data_end;
  if (data + 8 > data_end)
    return XDP_PASS;
  __u64 x = *(__u64 *)data;

  __u64 h = x * 0x9e3779b97f4a7c15ull;       /* needs ll */
  h ^= 0xdeadbeef00000000ull;
  h += 0x100000000ull;
  h &= 0x00ffffffffffffffull;
  h |= 0x8000000000000000ull;
  h -= 0xffffffffull;                         /* fits? no: 4294967295 */
  h ^= (__u64)-0x80000001ll;                  /* just outside s32 */
  h += 0x7fffffff;                            /* fits in imm32 */
  h ^= (__u64)-0x80000000ll;                  /* fits in imm32 */
  h += seed ^ magic;
  accumulator += h;
  seed = h;
  local_total += h >> 3;
  local_count += 1;
  local_state ^= h;
  return (h >> 63) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
