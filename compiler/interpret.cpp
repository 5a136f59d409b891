#include "compiler/interpret.hpp"

#include <algorithm>

namespace xdpml::compiler {

namespace {
bool holds(Cmp c, Int a, Int b) {
  switch (c) {
  case Cmp::Eq:
    return a == b;
  case Cmp::Ne:
    return a != b;
  case Cmp::Lt:
    return a < b;
  case Cmp::Le:
    return a <= b;
  case Cmp::Gt:
    return a > b;
  case Cmp::Ge:
    return a >= b;
  }
  return false;
}
} // namespace

Interpretation interpret(const Function& f, std::vector<uint8_t> packet) {
  Interpretation out;
  out.values.assign(f.nodes.size(), 0);
  auto& v = out.values;
  auto leave = [&](int exit) {
    out.exit = exit;
    const ExitBlock& e = f.exits[static_cast<size_t>(exit)];
    if (e.tag)
      for (uint32_t k = 0; k < f.tag_bytes && f.tag_offset + k < packet.size(); ++k)
        packet[f.tag_offset + k] = static_cast<uint8_t>(*e.tag >> (8 * k));
    out.packet = std::move(packet);
    return out;
  };
  for (size_t i = 0; i < f.nodes.size(); ++i) {
    const Node& n = f.nodes[i];
    if (n.dead) continue;
    auto arg = [&](int k) { return v[static_cast<size_t>(n.args[k])]; };
    switch (n.op) {
    case Opcode::Const:
      v[i] = n.imm0;
      break;
    case Opcode::PacketLoad: {
      Int x = 0;
      const auto off = static_cast<size_t>(n.imm0);
      for (int k = static_cast<int>(n.imm1) - 1; k >= 0; --k)
        x = (x << 8) |
            (off + static_cast<size_t>(k) < packet.size() ? packet[off + static_cast<size_t>(k)]
                                                          : 0);
      v[i] = x;
      break;
    }
    case Opcode::Add:
      v[i] = arg(0) + arg(1);
      break;
    case Opcode::Sub:
      v[i] = arg(0) - arg(1);
      break;
    case Opcode::Mul:
      v[i] = arg(0) * arg(1);
      break;
    case Opcode::And:
      v[i] = arg(0) & arg(1);
      break;
    case Opcode::Or:
      v[i] = arg(0) | arg(1);
      break;
    case Opcode::Xor:
      v[i] = arg(0) ^ arg(1);
      break;
    case Opcode::Shl:
      v[i] = arg(0) << static_cast<int>(arg(1));
      break;
    case Opcode::Shr:
    case Opcode::Sar:
      v[i] = arg(0) >> static_cast<int>(arg(1));
      break;
    case Opcode::Assume:
      v[i] = arg(0);
      break;
    case Opcode::CondAdd:
      v[i] = arg(0) + ((arg(1) >= arg(3) || arg(1) <= arg(2)) ? arg(4) : 0);
      break;
    case Opcode::CondAddOutside:
      v[i] = arg(0) + ((arg(1) < arg(2) || arg(1) >= arg(2) + arg(3)) ? arg(4) : 0);
      break;
    case Opcode::F64ToFixed:
      return leave(n.exit); // not modelled here: the ANOVA references cover it
    case Opcode::ExitIf:
      if (holds(n.cmp, arg(0), arg(1))) return leave(n.exit);
      break;
    case Opcode::PacketStore:
      for (int k = 0; k < static_cast<int>(n.imm1); ++k) {
        const auto at = static_cast<size_t>(n.imm0) + static_cast<size_t>(k);
        if (at < packet.size()) packet[at] = static_cast<uint8_t>(arg(0) >> (8 * k));
      }
      break;
    case Opcode::RequireLength:
      if (packet.size() < static_cast<size_t>(n.imm0)) return leave(n.exit);
      break;
    case Opcode::SignExtend: {
      const Int half = Int{1} << (n.imm0 - 1);
      v[i] = arg(0) >= half ? arg(0) - 2 * half : arg(0);
      break;
    }
    case Opcode::Min:
      v[i] = std::min(arg(0), arg(1));
      break;
    case Opcode::Max:
      v[i] = std::max(arg(0), arg(1));
      break;
    case Opcode::Select:
      v[i] = holds(n.cmp, arg(0), arg(1)) ? arg(2) : arg(3);
      break;
    case Opcode::Piecewise:
      v[i] = f.tables[static_cast<size_t>(n.imm0)].eval(arg(0));
      break;
    }
  }
  return leave(f.fallthrough_exit);
}

} // namespace xdpml::compiler
