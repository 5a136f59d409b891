// Abstract interpretation of one linked program over its CFG, modelled on the kernel verifier:
// every register has a kind (scalar or a pointer kind with an offset) and a Scalar (the value,
// or the pointer's offset); stack slots keep spilled registers and known-zero bytes. Paths are
// joined at merge points, which is what the NFP hook does anyway: it keeps one record per
// instruction and unions every verifier visit into it. Loops are widened.
#pragma once

#include "compiler/nfp/program.hpp"
#include "compiler/nfp/scalar.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xdpml::nfp {

enum class Kind : uint8_t {
  Uninit,
  Scalar,
  Ctx,
  Stack,
  Packet,
  PacketEnd,
  PacketMeta,
  MapValue,
  MapValueOrNull,
  MapPtr,
  GlobalData, // ld_imm64 of .data/.bss/.rodata (BPF_PSEUDO_MAP_VALUE after libbpf)
  OtherPtr,   // BTF ids, callbacks, helper results the NFP does not know
  Mixed,      // different kinds on different paths (see Value::kinds)
};
const char* kind_name(Kind k);

constexpr int kMapUnknown = -1, kMapSeveral = -2;

struct Value {
  Kind kind = Kind::Uninit;
  Scalar s;              // the scalar, or the pointer's offset from its base
  int map = kMapUnknown; // MapPtr / MapValue(OrNull): index into ObjectModel::maps
  int frame = -1;        // Stack: the function whose frame it points into
  uint32_t id = 0;       // equal scalars (kernel find_equal_scalars) / null-check propagation
  uint32_t kinds = 0;    // Mixed: one bit per Kind seen
  int def = -1;          // image index of the instruction that produced it, for messages
  int lost = -1;         // scalars above u32: where the bound was lost (explains R-ALU-*)

  bool is_pointer() const {
    return kind != Kind::Uninit && kind != Kind::Scalar && kind != Kind::Mixed;
  }
  uint32_t kind_bits() const { return kind == Kind::Mixed ? kinds : 1u << unsigned(kind); }
  std::string describe_kind() const; // "packet", "stack or packet", ...
  bool operator==(const Value&) const = default;
};

enum ByteType : uint8_t { kByteInvalid, kByteMisc, kByteZero, kByteSpill };

struct StackSlot {
  std::array<uint8_t, 8> bytes{}; // ByteType per byte, offset 0 = lowest address
  std::optional<Value> spill;
  int spill_size = 0;
  bool operator==(const StackSlot&) const = default;
};

struct State {
  std::array<Value, 11> regs;
  std::map<int64_t, StackSlot> stack; // own frame: key = floor(offset / 8)
  bool operator==(const State&) const = default;
};

struct Analysis {
  std::vector<std::optional<State>> in; // state before each image instruction (nullopt: never)
  std::vector<std::pair<size_t, size_t>> back_edges; // (from, to) image indexes
  std::vector<size_t> recursive_calls;
};

Analysis analyze(const Program& program, const ObjectModel& model, const bpf::ObjectFile& object);

// Reads `size` bytes at `off` (relative to R10) of the state's own frame; for the rules.
bool stack_bytes_zero(const State& st, int64_t off, uint32_t size);

// True when the helper may move packet data (kernel bpf_helper_changes_pkt_data).
bool helper_changes_packet(int id);

} // namespace xdpml::nfp
