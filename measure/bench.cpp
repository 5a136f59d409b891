#include "measure/bench.hpp"

#include "bpf/kernel.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <memory>

namespace xdpml::measure {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

constexpr uint32_t kXdpPass = 2;

uint64_t read_tag(const std::vector<uint8_t>& packet, uint32_t offset, uint32_t bytes) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < bytes && offset + i < packet.size(); ++i)
    v |= static_cast<uint64_t>(packet[offset + i]) << (8 * i);
  return v;
}

struct RunOutput {
  uint32_t retval = 0;
  uint32_t duration = 0; // the kernel's test timer: ns per repeat, truncated
  std::vector<uint8_t> data;
};

// One BPF_PROG_TEST_RUN; `out` keeps its buffer between calls.
Status test_run(int fd, const std::vector<uint8_t>& packet, uint32_t repeat, RunOutput& out) {
  out.data.resize(packet.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = packet.data();
  opts.data_size_in = static_cast<uint32_t>(packet.size());
  opts.data_out = out.data.data();
  opts.data_size_out = static_cast<uint32_t>(out.data.size());
  opts.repeat = repeat;
  const int err = bpf_prog_test_run_opts(fd, &opts);
  if (err < 0)
    return fail("BPF_PROG_TEST_RUN failed: " + std::string(strerror(-err)),
                {"<kernel>", 0, 0, 1, "test run"});
  out.retval = opts.retval;
  out.duration = opts.duration;
  out.data.resize(opts.data_size_out);
  return ok_status();
}

struct BtfCloser {
  void operator()(btf* b) const { btf__free(b); }
};

// The wrapper, the empty program and their program array for one expected_attach_type: since
// Linux 6.17 a program array only takes programs with the expected_attach_type of its owner
// (the wrapper); libbpf loads SEC("xdp") with BPF_XDP, bare BPF_PROG_LOAD callers leave 0. The
// variants' JIT code is identical, so the floor of either serves every target.
struct Variant {
  bpf::Fd map;
  std::vector<bpf::Fd> empty; // separately loaded copies
  bpf::Fd wrapper;
  std::unique_ptr<btf, BtfCloser> btf_info; // keeps the wrapper's BTF fd open
  uint32_t wrapper_insns = 0;
  bool set_target(int prog_fd) const {
    const uint32_t key = 0;
    const auto value = static_cast<uint32_t>(prog_fd);
    return bpf_map_update_elem(map.get(), &key, &value, BPF_ANY) == 0;
  }
};

Result<bpf::Fd> load_raw(const std::vector<uint8_t>& code, const char* name, uint32_t eat,
                         int btf_fd = -1, const std::vector<bpf_func_info>& func_info = {}) {
  std::vector<bpf_insn> insns(code.size() / sizeof(bpf_insn));
  std::memcpy(insns.data(), code.data(), code.size());
  std::vector<char> log(1 << 20);
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.expected_attach_type = static_cast<bpf_attach_type>(eat);
  opts.log_buf = log.data();
  opts.log_size = static_cast<uint32_t>(log.size());
  opts.log_level = 1;
  if (btf_fd >= 0) {
    opts.prog_btf_fd = static_cast<uint32_t>(btf_fd);
    opts.func_info = func_info.data();
    opts.func_info_cnt = static_cast<uint32_t>(func_info.size());
    opts.func_info_rec_size = sizeof(bpf_func_info);
  }
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns.data(), insns.size(), &opts);
  if (fd < 0) {
    const auto v = bpf::summarize_verifier_log(log.data());
    return fail(std::string("cannot load the bench's ") + name + ": " +
                    (v.message.empty() ? std::string(strerror(-fd)) : v.message),
                {"<kernel>", 0, 0, 1, "bench"},
                -fd == EPERM ? "needs root (CAP_BPF and CAP_SYS_ADMIN)"
                             : "tail calls from subprograms need an x86-64 or arm64 JIT");
  }
  return bpf::Fd(fd);
}

Result<Variant> make_variant(uint32_t eat, const BenchOptions& o) {
  Variant v;
  const int map = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "xdpml_bench", 4, 4, 1, nullptr);
  if (map < 0)
    return fail("cannot create the program array for the bench wrapper: " +
                    std::string(strerror(-map)),
                {"<kernel>", 0, 0, 1, "bench"}, "needs root (CAP_BPF and CAP_SYS_ADMIN)");
  v.map = bpf::Fd(map);
  const std::vector<uint8_t> empty_code = {0xb7, 0, 0, 0, kXdpPass, 0, 0, 0,
                                           0x95, 0, 0, 0, 0,        0, 0, 0};
  for (int k = 0; k < std::max(1, o.floor_loads); ++k) {
    auto empty = load_raw(empty_code, "xdpml_empty", eat);
    if (!empty) return empty.failure();
    v.empty.push_back(std::move(*empty));
  }

  // The verifier allows tail calls in subprograms only with BTF describing the functions.
  v.btf_info.reset(btf__new_empty());
  btf* b = v.btf_info.get();
  if (!b) return fail("cannot create BTF for the bench wrapper");
  const int t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  const int t_ptr = btf__add_ptr(b, 0);
  const int proto = btf__add_func_proto(b, t_int);
  btf__add_func_param(b, "ctx", t_ptr);
  const int f_main = btf__add_func(b, "xdpml_wrapper", BTF_FUNC_GLOBAL, proto);
  const int f_run = btf__add_func(b, "xdpml_run", BTF_FUNC_STATIC, proto);
  if (t_int < 0 || t_ptr < 0 || proto < 0 || f_main < 0 || f_run < 0)
    return fail("cannot build BTF for the bench wrapper");
  if (const int err = btf__load_into_kernel(b); err < 0)
    return fail("cannot load BTF for the bench wrapper: " + std::string(strerror(-err)),
                {"<kernel>", 0, 0, 1, "bench"});
  const auto w = wrapper_code(v.map.get(), o.tag_offset, o.tag_bytes);
  const std::vector<bpf_func_info> fi = {{0, static_cast<uint32_t>(f_main)},
                                         {w.subprog_insn, static_cast<uint32_t>(f_run)}};
  auto wrapper = load_raw(w.code, "xdpml_wrapper", eat, btf__fd(b), fi);
  if (!wrapper) return wrapper.failure();
  v.wrapper = std::move(*wrapper);
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(v.wrapper.get(), &info, &len) == 0)
    v.wrapper_insns = info.xlated_prog_len / 8;
  return v;
}

} // namespace

bool BenchResult::tags_ok() const {
  for (const auto& t : targets)
    if (t.tags_ok != t.checked || !t.mismatches.empty()) return false;
  return true;
}

WrapperCode wrapper_code(int map_fd, uint32_t tag_offset, uint32_t tag_bytes, int calls) {
  std::vector<bpf_insn> w;
  // Main: r6 = ctx; `calls` times { r1 = r6; call run; if r0 == FAILED goto out }; out: exit.
  w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));
  std::vector<size_t> call_at;
  for (int k = 0; k < calls; ++k) {
    w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0));
    call_at.push_back(w.size());
    w.push_back(insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
    w.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, kTailCallFailed));
  }
  const size_t out = w.size();
  w.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  // run(ctx): reset the tag, tail-call the program; falls through only if the call failed.
  const size_t run = w.size();
  const auto end = static_cast<int32_t>(tag_offset + tag_bytes);
  w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));   // r6 = ctx
  w.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));     // w2 = ctx->data
  w.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 4, 0));     // w3 = ctx->data_end
  w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0));   // r4 = r2
  w.push_back(insn(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, end)); // r4 += end of the tag
  std::vector<bpf_insn> stores;                                 // widest stores first
  uint32_t off = tag_offset, left = tag_bytes;
  for (uint32_t size : {8u, 4u, 2u, 1u}) {
    while (left >= size) {
      const uint8_t sz = size == 8 ? BPF_DW : size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
      stores.push_back(insn(BPF_ST | BPF_MEM | sz, 2, 0, static_cast<int16_t>(off), 0));
      off += size;
      left -= size;
    }
  }
  // A frame too short to hold the tag is left alone (the program will pass it anyway).
  w.push_back(insn(BPF_JMP | BPF_JGT | BPF_X, 4, 3, static_cast<int16_t>(stores.size()), 0));
  w.insert(w.end(), stores.begin(), stores.end());
  w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0));                    // r1 = ctx
  w.push_back(insn(BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0, map_fd)); // r2 = map
  w.push_back(insn(0, 0, 0, 0, 0));
  w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0));         // r3 = slot 0
  w.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call)); // bpf_tail_call
  w.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, kTailCallFailed));
  w.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  for (size_t c : call_at) {
    w[c].imm = static_cast<int32_t>(run - c - 1);
    w[c + 1].off = static_cast<int16_t>(out - (c + 1) - 1);
  }
  WrapperCode wc;
  wc.subprog_insn = static_cast<uint32_t>(run);
  wc.code.resize(w.size() * sizeof(bpf_insn));
  std::memcpy(wc.code.data(), w.data(), wc.code.size());
  return wc;
}

Result<BenchResult> run_bench(const std::vector<BenchTarget>& targets, const BenchOptions& o) {
  if (targets.empty()) return fail("nothing to measure");
  for (const auto& t : targets) {
    if (t.packets.empty()) return fail("no packets to run '" + t.name + "' on");
    if (t.fds.empty()) return fail("'" + t.name + "' is not loaded");
  }
  if (o.runs < 1) return fail("--runs must be at least 1");
  if (o.tag_bytes < 1 || o.tag_bytes > 8) return fail("the tag must be 1 to 8 bytes");

  std::vector<Variant> variants;
  for (const uint32_t eat : {static_cast<uint32_t>(BPF_XDP), 0u}) {
    auto v = make_variant(eat, o);
    if (!v) return v.failure();
    variants.push_back(std::move(*v));
  }
  // Which variant takes each target: the one whose program array accepts it.
  std::vector<size_t> variant_of(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    size_t k = 0;
    while (k < variants.size() && !variants[k].set_target(targets[i].fds[0])) ++k;
    if (k == variants.size())
      return fail("cannot put '" + targets[i].name +
                      "' into the bench's program array: " + std::string(strerror(errno)),
                  {"<kernel>", 0, 0, 1, "bench"},
                  "tail calls need an XDP program the JIT accepts; an offloaded or device-bound "
                  "program cannot be benched");
    variant_of[i] = k;
  }
  const size_t floor_variant = variant_of[0];

  BenchResult res;
  res.runs = o.runs;
  res.wrapper_insns = variants[floor_variant].wrapper_insns;
  RunOutput out;

  // What each packet must look like after one plain run of each program on a fresh copy.
  struct Reference {
    uint32_t retval;
    std::vector<uint8_t> data;
  };
  std::vector<std::vector<Reference>> refs(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    TargetResult tr;
    tr.name = t.name;
    tr.xlated_insns = t.xlated_insns;
    tr.jited_bytes = t.jited_bytes;
    for (const auto& p : t.packets) {
      if (auto st = test_run(t.fds[0], p, 1, out); !st) return st.failure();
      refs[i].push_back({out.retval, out.data});
    }
    res.targets.push_back(std::move(tr));
  }

  auto set_target = [&](size_t variant, int prog_fd) -> Status {
    if (variants[variant].set_target(prog_fd)) return ok_status();
    return fail("cannot update the bench's program array: " + std::string(strerror(errno)),
                {"<kernel>", 0, 0, 1, "bench"});
  };
  // One timed run: ns per packet from the kernel's timer.
  auto timed = [&](size_t variant, int prog_fd, const std::vector<uint8_t>& packet,
                   uint32_t repeat) -> Result<double> {
    if (auto st = set_target(variant, prog_fd); !st) return st.failure();
    if (auto st = test_run(variants[variant].wrapper.get(), packet, repeat, out); !st)
      return st.failure();
    if (out.retval == static_cast<uint32_t>(kTailCallFailed))
      return fail("the bench wrapper's tail call failed", {"<kernel>", 0, 0, 1, "bench"},
                  "the program under test must be an XDP program the JIT accepts");
    return static_cast<double>(out.duration) / kRunsPerRepeat;
  };
  // Repeat counts: a short run estimates the cost of one repeat (32 runs of the program).
  auto calibrate = [&](size_t variant, int prog_fd,
                       const std::vector<uint8_t>& packet) -> Result<uint32_t> {
    auto per_packet = timed(variant, prog_fd, packet, 1000);
    if (!per_packet) return per_packet.failure();
    const double per_repeat = std::max(*per_packet * kRunsPerRepeat, 1.0);
    return static_cast<uint32_t>(std::clamp(o.run_ms * 1e6 / per_repeat, 100.0, 10e6));
  };
  {
    auto r =
        calibrate(floor_variant, variants[floor_variant].empty[0].get(), targets[0].packets[0]);
    if (!r) return r.failure();
    res.floor_repeat = *r;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    auto r = calibrate(variant_of[i], targets[i].fds[0], targets[i].packets[0]);
    if (!r) return r.failure();
    res.targets[i].repeat = *r;
  }

  const size_t items = targets.size() + 1; // 0 = floor, 1.. = targets
  for (int r = 0; r < o.runs; ++r) {
    if (o.progress) std::cerr << "\rbench: round " << (r + 1) << "/" << o.runs << std::flush;
    for (size_t k = 0; k < items; ++k) {
      const size_t item = (k + static_cast<size_t>(r)) % items;
      if (item == 0) {
        const auto& p = targets[0].packets[static_cast<size_t>(r) % targets[0].packets.size()];
        const auto& empties = variants[floor_variant].empty;
        const int fd = empties[static_cast<size_t>(r) % empties.size()].get();
        auto ns = timed(floor_variant, fd, p, res.floor_repeat);
        if (!ns) return ns.failure();
        res.floor_ns.push_back(*ns);
        continue;
      }
      const size_t i = item - 1;
      const auto& t = targets[i];
      auto& tr = res.targets[i];
      const size_t pi = static_cast<size_t>(r) % t.packets.size();
      const int fd = t.fds[static_cast<size_t>(r) % t.fds.size()];
      auto ns = timed(variant_of[i], fd, t.packets[pi], tr.repeat);
      if (!ns) return ns.failure();
      tr.ns.push_back(*ns);
      // Did the timed path do the full work? Same output as one run on a fresh packet, and the
      // expected tag.
      ++tr.checked;
      const uint64_t tag = read_tag(out.data, o.tag_offset, o.tag_bytes);
      ++tr.tag_counts[std::min<uint64_t>(tag, 4)];
      std::string problem;
      if (out.retval != refs[i][pi].retval || out.data != refs[i][pi].data)
        problem = "the repeated run's output differs from a single run on a fresh packet";
      else if (t.expected_tag[pi] && tag != *t.expected_tag[pi])
        problem =
            "tag " + std::to_string(tag) + ", expected " + std::to_string(*t.expected_tag[pi]);
      else if (pi < t.expected_result.size() && t.expected_result[pi]) {
        const auto got =
            static_cast<int64_t>(static_cast<int32_t>(read_tag(out.data, o.result_offset, 4)));
        if (got != *t.expected_result[pi])
          problem = "result " + std::to_string(got) + ", expected " +
                    std::to_string(*t.expected_result[pi]);
      }
      if (problem.empty()) {
        ++tr.tags_ok;
      } else if (tr.mismatches.size() < 5) {
        const auto w = pi < t.windows.size() ? t.windows[pi] : pi;
        tr.mismatches.push_back("window " + std::to_string(w) + ": " + problem);
      }
    }
  }
  if (o.progress) std::cerr << "\r\033[K" << std::flush;

  // What a naive repeated run of the program alone reports (informational): the early exit.
  for (size_t i = 0; i < targets.size(); ++i) {
    std::vector<double> v;
    for (int k = 0; k < 3; ++k) {
      if (auto st = test_run(targets[i].fds[0], targets[i].packets[0], 100000, out); !st)
        return st.failure();
      v.push_back(out.duration);
    }
    res.targets[i].naive_ns = median(v);
  }

  res.floor_median = median(res.floor_ns);
  res.floor_ci = median_ci(res.floor_ns, o.confidence);
  for (auto& tr : res.targets) {
    for (size_t r = 0; r < tr.ns.size(); ++r) tr.net.push_back(tr.ns[r] - res.floor_ns[r]);
    tr.median = median(tr.ns);
    tr.ci = median_ci(tr.ns, o.confidence);
    tr.net_median = median(tr.net);
    tr.net_ci = median_ci(tr.net, o.confidence);
  }
  const auto& base = res.targets[0];
  for (size_t i = 1; i < res.targets.size(); ++i) {
    auto& tr = res.targets[i];
    if (!(base.net_median > 0)) continue; // a ratio against nothing means nothing
    tr.ratio = tr.net_median / base.net_median;
    tr.ratio_ci = bootstrap_ci(
        tr.net.size(),
        [&](std::span<const size_t> idx) {
          std::vector<double> a, b;
          for (size_t k : idx) {
            a.push_back(tr.net[k]);
            b.push_back(base.net[k]);
          }
          const double mb = median(b);
          return mb > 0 ? median(a) / mb : std::nan("");
        },
        o.confidence);
  }
  return res;
}

} // namespace xdpml::measure
