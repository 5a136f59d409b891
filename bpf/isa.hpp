// The eBPF instruction set: one table (isa.cpp) defines every opcode form — name, class,
// encoding, operand shape and LLVM-syntax text template. The encoder, decoder, validator,
// printer and the assembler's parser all derive from it, the way LLVM's BPFInstrInfo.td
// drives both the MC encoder and the asm printer/parser.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xdpml::bpf {

// ---- Raw encoding (kernel struct bpf_insn) ------------------------------------------------

enum InsnClass : uint8_t {
  kClassLd = 0x00,
  kClassLdx = 0x01,
  kClassSt = 0x02,
  kClassStx = 0x03,
  kClassAlu = 0x04,
  kClassJmp = 0x05,
  kClassJmp32 = 0x06,
  kClassAlu64 = 0x07,
};

constexpr int kInsnBytes = 8;
constexpr int kNumRegs = 11; // r0..r10
constexpr int kFramePointer = 10;

// BPF_PSEUDO_* values carried in src_reg of ld_imm64 and call.
enum PseudoSrc : uint8_t {
  kPseudoNone = 0,
  kPseudoMapFd = 1,
  kPseudoMapValue = 2,
  kPseudoBtfId = 3,
  kPseudoFunc = 4,
  kPseudoMapIdx = 5,
  kPseudoMapIdxValue = 6,
  kPseudoCall = 1,
};

// One 8-byte slot exactly as the kernel sees it.
struct RawInsn {
  uint8_t code = 0;
  uint8_t dst = 0; // 4 bits
  uint8_t src = 0; // 4 bits
  int16_t off = 0;
  int32_t imm = 0;

  std::array<uint8_t, kInsnBytes> bytes() const;
  static RawInsn from_bytes(std::span<const uint8_t, kInsnBytes> b);
  bool operator==(const RawInsn&) const = default;
};

// ---- The opcode table ----------------------------------------------------------------------

// How each register operand is spelled. Narrow: 8/16/32-bit memory operands, printed as w
// (clang -mcpu=v3 style) and accepted as r or w (llvm-mc 14 accepts both).
enum class RegKind : uint8_t { None, R64, W32, Narrow };

enum class Form : uint8_t {
  Alu,         // dst op= src|imm (incl. mov)
  Neg,         // dst = -dst
  Endian,      // dst = be16 dst
  Jump,        // if dst cond src|imm goto target
  Ja,          // goto target
  Call,        // call helper-id
  CallLocal,   // call label (bpf-to-bpf, src_reg = 1)
  Exit,        // exit
  LdImm64,     // dst = imm64 ll (two slots); pseudo kinds keyed by src_reg
  LdAbs,       // r0 = *(u32 *)skb[imm]
  LdInd,       // r0 = *(u32 *)skb[src]
  Load,        // dst = *(size *)(src + off)
  Store,       // *(size *)(dst + off) = src
  StoreImm,    // *(size *)(dst + off) = imm
  Atomic,      // lock *(size *)(dst + off) op= src
  AtomicFetch, // src = atomic_fetch_op((size *)(dst + off), src)
  Xchg,        // src = xchg_64(dst + off, src)
  Cmpxchg,     // r0 = cmpxchg_64(dst + off, r0, src)
};

// Which encoding fields carry operands; all others must be zero (or equal the entry's key).
enum OperandField : uint8_t {
  kFieldDst = 1,
  kFieldSrc = 2,
  kFieldOff = 4,
  kFieldImm = 8,
};

constexpr int32_t kNoKey = INT32_MIN;

struct OpcodeInfo {
  std::string_view name; // LLVM's record name where it has one (ADD_ri_32, LDW, XFADDD …)
  uint8_t code;
  Form form;
  uint8_t fields; // OperandField mask
  RegKind dst_kind;
  RegKind src_kind;
  int32_t imm_key;       // entry applies only when imm == imm_key (endian width, atomic op)
  int src_key;           // entry applies only when src_reg == src_key (-1: any)
  std::string_view text; // template; $dst $src $imm $imm2 $off $target $imm64 are operands
  bool llvm14;           // llvm-mc 14 assembles this spelling
  bool parse_only;       // alternative spelling accepted by the assembler, never printed

  uint8_t insn_class() const { return code & 0x07; }
  int slots() const { return form == Form::LdImm64 ? 2 : 1; }
  // Memory access width in bytes for loads/stores/atomics/ld_abs (0 otherwise).
  int access_bytes() const;
  // True when executing the instruction writes its dst register.
  bool writes_dst() const;
  bool is_alu64() const { return insn_class() == kClassAlu64; }
};

// All entries, printable ones first in table order, then parse-only aliases.
std::span<const OpcodeInfo> opcode_table();
const OpcodeInfo* find_opcode(std::string_view name);

// ---- Typed instruction ---------------------------------------------------------------------

struct Insn {
  const OpcodeInfo* op = nullptr;
  uint8_t dst = 0;
  uint8_t src = 0;
  int16_t off = 0;
  // For ld_imm64 the full 64-bit value (map_value forms: low 32 = fd/index, high 32 = offset);
  // otherwise the sign-extended 32-bit imm field.
  int64_t imm = 0;

  int slots() const { return op ? op->slots() : 1; }
  bool operator==(const Insn& o) const {
    return op == o.op && dst == o.dst && src == o.src && off == o.off && imm == o.imm;
  }
};

// Encodes into one or two raw slots.
std::vector<RawInsn> encode(const Insn& insn);
void append_bytes(const Insn& insn, std::vector<uint8_t>& out);

struct DecodeError {
  size_t byte_offset;
  std::string message;
};
// Decodes the instruction at byte_offset; on success advances by 8 or 16 bytes.
std::optional<Insn> decode(std::span<const uint8_t> bytes, size_t byte_offset, DecodeError* error);

// Checks field values the table alone does not pin down: register numbers, r10 as a written
// destination, immediate and shift ranges, reserved fields. Returns an error message or "".
std::string validate(const Insn& insn);

// ---- Printing ------------------------------------------------------------------------------

struct PrintOptions {
  // Jump/call target: given the target slot index (relative to the section), returns a label
  // name, or nullopt to print the relative offset (+N / -N).
  std::function<std::optional<std::string>(int64_t target_index)> label_for;
  // Overrides $imm64 (e.g. a symbol from a relocation: "r1 = map ll").
  std::optional<std::string> imm64_text;
  // Overrides $target for calls resolved through a relocation.
  std::optional<std::string> call_target_text;
};

// index: the instruction's slot index in its section, used to compute jump targets.
std::string format(const Insn& insn, int64_t index = 0, const PrintOptions& options = {});

std::string register_name(uint8_t reg, RegKind kind);

// Spelling of a jump condition for diagnostics and the builder.
enum class Cond : uint8_t { Eq, Ne, Gt, Ge, Lt, Le, Sgt, Sge, Slt, Sle, Set };

} // namespace xdpml::bpf
