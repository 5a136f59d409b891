/* Helper calls with 0..5 arguments: ktime, prandom, smp_processor_id,
 * map update/delete, trace_printk with a .rodata string, adjust_head,
 * adjust_tail and redirect. */
#include "corpus.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 128);
  __type(key, __u32);
  __type(value, __u64);
} last_ts SEC(".maps");

SEC("xdp")
int xdp_helpers(struct xdp_md *ctx) {
  __u64 now = bpf_ktime_get_ns();
  __u32 cpu = bpf_get_smp_processor_id() & 127;
  __u32 rnd = bpf_get_prandom_u32();

  if (bpf_map_update_elem(&last_ts, &cpu, &now, BPF_ANY) != 0)
    return XDP_ABORTED;
  if ((rnd & 0xff) == 0) {
    char fmt[] = "cpu %u ts %llu\n";
    bpf_trace_printk(fmt, sizeof(fmt), cpu, now);
    bpf_map_delete_elem(&last_ts, &cpu);
  }
  if ((rnd & 0x300) == 0x100) {
    if (bpf_xdp_adjust_head(ctx, 14) < 0)
      return XDP_ABORTED;
    return XDP_PASS;
  }
  if ((rnd & 0x300) == 0x200) {
    if (bpf_xdp_adjust_tail(ctx, -4) < 0)
      return XDP_ABORTED;
    return XDP_PASS;
  }
  if (rnd & 0x400)
    return bpf_redirect(ctx->ingress_ifindex + 1, 0);
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
