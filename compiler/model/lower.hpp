// From the quantized network to the compiler's IR: packet match, feature loads and clamps,
// fully unrolled dense layers with weights as immediates (zero weights skipped, +-2^k as
// shifts), requantization, activations, and the result stores. Every node is tagged with the
// model layer (and neuron) it implements, so listings and verifier errors point back to it.
#pragma once

#include "compiler/ir.hpp"
#include "compiler/match.hpp"
#include "compiler/model/reference.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace xdpml::model {

// Model packets (docs/formats.md): payload = magic u64 | tag u64 | result i32 + 4 reserved |
// features (n x 32-bit LE) | sequence number u64 (the sender's; programs do not read it).
constexpr uint32_t kResultOffset = compiler::kDataOffset;      // frame offset 58
constexpr uint32_t kFeatureOffset = compiler::kDataOffset + 8; // frame offset 66
uint32_t model_frame_bytes(uint32_t features);

// A frame the program owns: Ethernet (broadcast) / IPv4 / UDP 6666, magic, tag 0, result 0, the
// wire features, and an 8-byte sequence number `seq` after them.
std::vector<uint8_t> model_frame(uint32_t features, const std::vector<int64_t>& wire,
                                 uint64_t seq = 0);

struct LowerOptions {
  compiler::MatchSpec match;
};

struct Lowered {
  compiler::Function f;
  // Per dense layer (in QModel order): the IR nodes holding its final accumulators, whose
  // proven ranges the report prints.
  std::vector<std::vector<int>> accumulators;
};

Lowered lower_model(const QModel& q, const LowerOptions& o);

} // namespace xdpml::model
