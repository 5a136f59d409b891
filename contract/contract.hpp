// The I/O contract: the JSON description of its wire format that every object `xdpml compile`
// writes into a non-allocated ELF section (docs/formats.md, "The I/O contract"). The compiler
// writes it; `info`, `load`, `check`, send/recv/verify and bench/measure read it through here,
// so none of them needs the compiler to know what an object's packets look like.
//
// Everything here is about the format: the section, the shape of the fields tools read (so a
// damaged or foreign contract is one error naming the field, not an exception deep inside a
// tool), and typed, range-checked views of the parts that describe packets. The models'
// semantics (the ANOVA parameters' meaning, the quantized network) stay with their front ends.
#pragma once

#include "bpf/object.hpp"
#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xdpml::contract {

// The section that holds the contract: the JSON text in a non-allocated section whose name
// starts with ".debug_". libbpf (and so bpftool, ip and xdp-loader) passes over .debug_*
// sections without a word, where any other unknown section draws "skipping unrecognized data
// section"; objcopy keeps it, and like DWARF it goes with `strip --strip-debug` (docs/formats.md).
// Objects of earlier versions used kLegacySection; both are read.
constexpr const char* kSection = ".debug_xdpml.contract";
constexpr const char* kLegacySection = ".xdpml.contract";
constexpr int kVersion = 1; // the contract's "xdpml_contract" field

// ---- writing

// Stores `contract` as the object's contract section (replacing one that is there).
void store_contract(bpf::ObjectFile& object, const nlohmann::json& contract);

// ---- reading

// The contract in `text` (the section's bytes), checked with shape_error.
Result<nlohmann::json> parse_contract(std::string_view text);
// The contract of an object; an error when it has none (the hint names --format) or when it is
// not valid JSON or malformed.
Result<nlohmann::json> read_contract(const bpf::ObjectFile& object);
// The object has a contract section (whether or not it is readable).
bool has_contract(const bpf::ObjectFile& object);

// The types of every field a tool reads, for both model kinds: nullopt when they are as the
// compiler writes them, else "field layout.tag_offset must be a non-negative integer, not ...".
// Values are not range-checked here (the typed views below do that).
std::optional<std::string> shape_error(const nlohmann::json& contract);

// ---- typed views

enum class ModelKind { Anova, Network, Other };
ModelKind model_kind(const nlohmann::json& contract); // from "model": "anova", "network"

// An error about the contract of `origin` (an object's path): "I/O contract: MESSAGE", located in
// the contract section, with the hint to recompile.
Failure contract_error(const std::string& origin, const std::string& message);

// A numeric field that must be an integer in [0, max]. nlohmann's get<uint32_t>() would convert
// a double (1e20: undefined behaviour) or cut a larger integer to its low bits (2^32 + 42 would
// read as 42) without a word. Throws std::out_of_range naming the field, like json::at, so that
// one catch around a parser can name whatever was wrong.
uint32_t unsigned_field(const nlohmann::json& object, const char* key, uint64_t max = UINT32_MAX);

// "0x216c7174786a7a21" (the form the compiler writes; "0x" optional) as a number; nullopt for
// anything else (empty, signs, blanks, trailing characters, more than 64 bits).
std::optional<uint64_t> parse_magic(const std::string& text);

constexpr uint32_t kPayloadOffset = 42; // Ethernet + IPv4 without options + UDP
constexpr uint32_t kMaxFrame = 1514;    // the largest frame the tools build (1500-byte MTU)
constexpr uint32_t kSeqBytes = 8;       // the sender's sequence number after the last field

// A field of the payload: [begin, end) from the start of the Ethernet header.
struct Field {
  const char* name;
  uint64_t begin, end;
};
// Every field lies in [kPayloadOffset, kMaxFrame - kSeqBytes) and none overlaps another;
// otherwise the first problem, as text ("tag overlaps magic", "data at 30 lies outside the
// payload").
std::optional<std::string> placement_error(const std::vector<Field>& fields);

// The packet of a "network" contract (`xdpml compile model`), checked: layout inside a frame,
// encodings the tools can produce, the output it describes, and per-feature wire ranges.
//
//   payload: magic u64 | tag u64 | result i32 + 4 reserved | features (n x 32-bit LE) |
//            sequence number u64 (the sender's; programs do not read it)
struct NetworkContract {
  uint32_t magic_offset = 0;
  uint64_t magic = 0;
  uint32_t tag_offset = 0;
  uint32_t result_offset = 0; // the i32 result of regressions (argmax models leave it alone)
  uint32_t result_bytes = 0;
  uint32_t data_offset = 0; // the first feature
  uint32_t features = 0;
  bool signed_features = true; // i32le (true) or u32le
  uint32_t frame_bytes = 0;    // the shortest frame the program processes
  uint16_t udp_port = 6666;
  bool argmax = false;  // tag = class index + 1; else regression: tag 1 + result
  uint32_t classes = 0; // argmax: number of classes
  std::vector<std::string> class_names;
  double output_scale = 1;                 // regression: real output = result / output_scale
  std::vector<int64_t> wire_min, wire_max; // per feature: what the program clamps to

  uint32_t data_bytes() const { return 4 * features; }
  uint32_t data_end() const { return data_offset + data_bytes(); }
};
Result<NetworkContract> network_contract(const nlohmann::json& contract, const std::string& origin);

} // namespace xdpml::contract
