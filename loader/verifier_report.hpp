// Explaining a verifier rejection: which instruction (index and text), what the verifier said
// (an excerpt of its log around that instruction) and, for objects compiled by xdpml, which
// model node produced the instruction (the contract's "provenance").
#pragma once

#include "support/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xdpml::loader {

// The model node instruction `insn` (kernel numbering: ld_imm64 counts two) came from.
// "provenance" lists runs in ascending order, [{"insn": first, "node": name}, ...]; the run
// containing `insn` is the last one starting at or before it. "" when unknown.
std::string model_node_for_instruction(const nlohmann::json& contract, int insn);

// LLVM-syntax text of instruction `index` of `code` (8-byte slots as the kernel numbers them),
// or "" if it is out of range or does not decode.
std::string instruction_text(std::span<const uint8_t> code, int index);

// What to do about a verifier message, for the common rejections.
std::string verifier_hint(const std::string& verifier_message);

struct Rejection {
  std::string program; // function name
  std::string section;
  std::string verifier_log;
  std::vector<uint8_t> code; // the instructions the kernel was given, 8 bytes per slot
  nlohmann::json contract;   // the object's I/O contract, null when it has none
  int error_number = 0;      // errno of the failed load
};

// One error line (program, instruction index, model node, the verifier's words) with a hint,
// then notes: the instruction's text and the log excerpt.
Failure describe_rejection(const Rejection& rejection);

} // namespace xdpml::loader
