#include "bpf/builder.hpp"

namespace xdpml::bpf {

namespace {
const char* alu_name(AluOp op) {
  static const char* names[] = {"ADD", "SUB", "MUL", "DIV", "OR",  "AND",
                                "SLL", "SRL", "MOD", "XOR", "MOV", "SRA"};
  return names[static_cast<int>(op)];
}
const char* cond_name(Cond c) {
  static const char* names[] = {"JEQ",  "JNE",  "JUGT", "JUGE", "JULT", "JULE",
                                "JSGT", "JSGE", "JSLT", "JSLE", "JSET"};
  return names[static_cast<int>(c)];
}
const char* mem_suffix(MemSize s) {
  switch (s) {
  case MemSize::B:
    return "B";
  case MemSize::H:
    return "H";
  case MemSize::W:
    return "W";
  case MemSize::DW:
    return "DW";
  }
  return "W";
}
} // namespace

Label Builder::new_label() {
  label_pos_.push_back(-1);
  return Label{static_cast<int>(label_pos_.size() - 1)};
}

void Builder::bind(Label label) {
  if (label.id < 0 || label.id >= static_cast<int>(label_pos_.size())) {
    errors_.push_back("bind of a label this builder did not create");
    return;
  }
  if (label_pos_[label.id] >= 0)
    errors_.push_back("label " + std::to_string(label.id) + " bound twice");
  label_pos_[label.id] = static_cast<int>(insns_.size());
}

void Builder::emit(const char* name, Reg dst, Reg src, int16_t off, int64_t imm, int label) {
  const OpcodeInfo* op = find_opcode(name);
  if (!op) {
    errors_.push_back(std::string("no opcode named ") + name);
    return;
  }
  Pending p;
  p.insn = Insn{op, dst.n, src.n, off, imm};
  p.label = label;
  p.origin = origin_;
  insns_.push_back(p);
}

void Builder::alu(AluOp op, Reg dst, Reg src) {
  if (dst.is32 != src.is32) errors_.push_back("ALU operands mix 32- and 64-bit registers");
  emit((std::string(alu_name(op)) + (dst.is32 ? "_rr_32" : "_rr")).c_str(), dst, src, 0, 0);
}

void Builder::alu(AluOp op, Reg dst, int32_t imm) {
  emit((std::string(alu_name(op)) + (dst.is32 ? "_ri_32" : "_ri")).c_str(), dst, {0, false}, 0,
       imm);
}

void Builder::neg(Reg dst) {
  emit(dst.is32 ? "NEG_32" : "NEG_64", dst, {0, false}, 0, 0);
}

void Builder::bswap(Reg dst, int bits, bool to_big_endian) {
  emit(((to_big_endian ? "BE" : "LE") + std::to_string(bits)).c_str(), dst, {0, false}, 0, bits);
}

void Builder::ld_imm64(Reg dst, int64_t value) {
  emit("LD_imm64", dst, {0, false}, 0, value);
}

void Builder::load(MemSize size, Reg dst, Reg base, int16_t off) {
  emit((std::string("LD") + mem_suffix(size)).c_str(), dst, base, off, 0);
}

void Builder::store(MemSize size, Reg base, int16_t off, Reg src) {
  emit((std::string("ST") + mem_suffix(size)).c_str(), base, src, off, 0);
}

void Builder::store_imm(MemSize size, Reg base, int16_t off, int32_t imm) {
  emit((std::string("ST") + mem_suffix(size) + "_imm").c_str(), base, {0, false}, off, imm);
}

void Builder::jmp(Cond cond, Reg a, Reg b, Label target) {
  if (a.is32 != b.is32) errors_.push_back("compare mixes 32- and 64-bit registers");
  emit((std::string(cond_name(cond)) + (a.is32 ? "_rr_32" : "_rr")).c_str(), a, b, 0, 0, target.id);
}

void Builder::jmp(Cond cond, Reg a, int32_t imm, Label target) {
  emit((std::string(cond_name(cond)) + (a.is32 ? "_ri_32" : "_ri")).c_str(), a, {0, false}, 0, imm,
       target.id);
}

void Builder::ja(Label target) {
  emit("JMP", {0, false}, {0, false}, 0, 0, target.id);
}
void Builder::call(int32_t helper) {
  emit("JAL", {0, false}, {0, false}, 0, helper);
}
void Builder::exit() {
  emit("RET", {0, false}, {0, false}, 0, 0);
}

Result<Builder::Output> Builder::finish() const {
  Diagnostics diags;
  for (const auto& e : errors_) diags.add(make_error("builder: " + e));
  // Slot positions: ld_imm64 takes two.
  std::vector<int64_t> slot(insns_.size() + 1, 0);
  for (size_t i = 0; i < insns_.size(); ++i) slot[i + 1] = slot[i] + insns_[i].insn.slots();
  Output out;
  for (size_t i = 0; i < insns_.size(); ++i) {
    Insn insn = insns_[i].insn;
    if (insns_[i].label >= 0) {
      const int pos = label_pos_[insns_[i].label];
      if (pos < 0) {
        diags.add(make_error("builder: jump at instruction " + std::to_string(i) +
                             " targets a label that was never bound"));
        continue;
      }
      const int64_t rel = slot[pos] - slot[i + 1];
      if (rel < INT16_MIN || rel > INT16_MAX) {
        diags.add(make_error("builder: jump at instruction " + std::to_string(i) + " spans " +
                             std::to_string(rel) +
                             " instructions; eBPF jumps reach -32768..32767"));
        continue;
      }
      insn.off = static_cast<int16_t>(rel);
    }
    if (auto msg = validate(insn); !msg.empty())
      diags.add(make_error("builder: instruction " + std::to_string(i) + " (" + format(insn) +
                           "): " + msg));
    out.insns.push_back(insn);
    out.origins.push_back(insns_[i].origin);
  }
  if (diags.has_errors()) return fail(diags);
  return out;
}

} // namespace xdpml::bpf
