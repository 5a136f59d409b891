#include "compiler/ir.hpp"

#include <sstream>

namespace xdpml::compiler {

std::string cmp_name(Cmp c) {
  switch (c) {
  case Cmp::Eq:
    return "==";
  case Cmp::Ne:
    return "!=";
  case Cmp::Lt:
    return "<";
  case Cmp::Le:
    return "<=";
  case Cmp::Gt:
    return ">";
  case Cmp::Ge:
    return ">=";
  }
  return "?";
}

int Node::num_args() const {
  switch (op) {
  case Opcode::Const:
  case Opcode::PacketLoad:
  case Opcode::RequireLength:
    return 0;
  case Opcode::Assume:
  case Opcode::F64ToFixed:
  case Opcode::PacketStore:
    return 1;
  case Opcode::SignExtend:
  case Opcode::Piecewise:
    return 1;
  case Opcode::Select:
    return 4;
  case Opcode::CondAdd:
  case Opcode::CondAddOutside:
    return 5;
  default:
    return 2;
  }
}

bool Node::has_value() const {
  return op != Opcode::ExitIf && op != Opcode::PacketStore && op != Opcode::RequireLength;
}

int Function::add(Node n) {
  nodes.push_back(std::move(n));
  return static_cast<int>(nodes.size() - 1);
}

int Function::origin(const std::string& name) {
  for (size_t i = 0; i < origins.size(); ++i)
    if (origins[i] == name) return static_cast<int>(i);
  origins.push_back(name);
  return static_cast<int>(origins.size() - 1);
}

int Function::constant(Int value, int origin_index) {
  Node n;
  n.op = Opcode::Const;
  n.imm0 = value;
  n.origin = origin_index;
  return add(n);
}

size_t PiecewiseTable::segment(Int x) const {
  size_t k = 0;
  while (k + 1 < start.size() && x >= start[k + 1]) ++k;
  return k;
}

Int PiecewiseTable::eval(Int x) const {
  const size_t k = segment(x);
  return (slope[k] * x + offset[k]) >> shift; // >> on a negative __int128 is floor
}

std::string to_string(Int v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  unsigned __int128 u =
      neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  std::string s;
  while (u) {
    s += static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  if (neg) s += '-';
  return {s.rbegin(), s.rend()};
}

namespace {
const char* op_name(Opcode op) {
  switch (op) {
  case Opcode::Const:
    return "const";
  case Opcode::PacketLoad:
    return "load";
  case Opcode::Add:
    return "add";
  case Opcode::Sub:
    return "sub";
  case Opcode::Mul:
    return "mul";
  case Opcode::And:
    return "and";
  case Opcode::Or:
    return "or";
  case Opcode::Xor:
    return "xor";
  case Opcode::Shl:
    return "shl";
  case Opcode::Shr:
    return "shr";
  case Opcode::Sar:
    return "sar";
  case Opcode::Assume:
    return "assume";
  case Opcode::CondAdd:
    return "condadd";
  case Opcode::CondAddOutside:
    return "condadd_outside";
  case Opcode::F64ToFixed:
    return "f64tofixed";
  case Opcode::ExitIf:
    return "exitif";
  case Opcode::PacketStore:
    return "store";
  case Opcode::RequireLength:
    return "require_len";
  case Opcode::SignExtend:
    return "sext";
  case Opcode::Min:
    return "min";
  case Opcode::Max:
    return "max";
  case Opcode::Select:
    return "select";
  case Opcode::Piecewise:
    return "piecewise";
  }
  return "?";
}
} // namespace

std::string describe(const Function& f, int i) {
  const Node& n = f.nodes[i];
  std::ostringstream out;
  if (n.has_value()) out << "%" << i << " = ";
  out << op_name(n.op);
  switch (n.op) {
  case Opcode::Const:
    out << ' ' << to_string(n.imm0);
    break;
  case Opcode::PacketLoad:
    out << " u" << to_string(n.imm1 * 8) << " [" << to_string(n.imm0) << "]";
    break;
  case Opcode::PacketStore:
    out << " u" << to_string(n.imm1 * 8) << " [" << to_string(n.imm0) << "], %" << n.args[0];
    break;
  case Opcode::RequireLength:
    out << ' ' << to_string(n.imm0) << " else " << f.exits[n.exit].name;
    break;
  case Opcode::Assume:
    out << " %" << n.args[0] << " in [" << to_string(n.imm0) << ", " << to_string(n.imm1) << "]";
    break;
  case Opcode::F64ToFixed:
    out << " %" << n.args[0] << " * " << to_string(n.imm0) << (n.imm1 ? " doubled" : "") << " else "
        << f.exits[n.exit].name;
    break;
  case Opcode::ExitIf:
    out << " %" << n.args[0] << ' ' << cmp_name(n.cmp) << " %" << n.args[1] << " -> "
        << f.exits[n.exit].name;
    break;
  case Opcode::SignExtend:
    out << " i" << to_string(n.imm0) << " %" << n.args[0];
    break;
  case Opcode::Select:
    out << " %" << n.args[0] << ' ' << cmp_name(n.cmp) << " %" << n.args[1] << " ? %" << n.args[2]
        << " : %" << n.args[3];
    break;
  case Opcode::Piecewise: {
    const auto& t = f.tables[static_cast<size_t>(n.imm0)];
    out << " %" << n.args[0] << " (" << t.start.size() << " segments >> " << t.shift << ")";
    break;
  }
  default:
    for (int a = 0; a < n.num_args(); ++a) out << (a ? ", %" : " %") << n.args[a];
  }
  if (!f.info.empty() && n.has_value())
    out << "    ; [" << to_string(f.info[i].lo) << ", " << to_string(f.info[i].hi) << "]"
        << (f.info[i].alu32 ? " alu32" : "");
  if (n.origin >= 0) out << "    ; " << f.origins[n.origin];
  if (!n.comment.empty()) out << " (" << n.comment << ")";
  return out.str();
}

std::string print(const Function& f) {
  std::ostringstream out;
  for (size_t i = 0; i < f.nodes.size(); ++i)
    if (!f.nodes[i].dead) out << describe(f, static_cast<int>(i)) << '\n';
  return out.str();
}

} // namespace xdpml::compiler
