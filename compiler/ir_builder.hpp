// Building IR in front ends with calls that read like the math they build.
#pragma once

#include "compiler/ir.hpp"

#include <initializer_list>
#include <string>

namespace xdpml::compiler {

class IrBuilder {
public:
  explicit IrBuilder(Function& f) : f_(f) {}
  Function& function() { return f_; }
  // Every node built from now on came from this model node.
  void at(const std::string& origin) { origin_ = f_.origin(origin); }
  int c(Int v) { return f_.constant(v, origin_); }
  int node(Opcode op, std::initializer_list<int> args, Int imm0 = 0, Int imm1 = 0) {
    Node n;
    n.op = op;
    int k = 0;
    for (int a : args) n.args[k++] = a;
    n.imm0 = imm0;
    n.imm1 = imm1;
    n.origin = origin_;
    return f_.add(n);
  }
  int load(uint32_t off, uint32_t bytes) { return node(Opcode::PacketLoad, {}, off, bytes); }
  void store(uint32_t off, uint32_t bytes, int value) {
    node(Opcode::PacketStore, {value}, off, bytes);
  }
  int add(int a, int b) { return node(Opcode::Add, {a, b}); }
  int sub(int a, int b) { return node(Opcode::Sub, {a, b}); }
  int mul(int a, int b) { return node(Opcode::Mul, {a, b}); }
  int shl(int a, int k) { return node(Opcode::Shl, {a, c(k)}); }
  int shr(int a, int k) { return node(Opcode::Shr, {a, c(k)}); }
  int sar(int a, int k) { return node(Opcode::Sar, {a, c(k)}); }
  int or_(int a, int b) { return node(Opcode::Or, {a, b}); }
  int min(int a, int b) { return node(Opcode::Min, {a, b}); }
  int max(int a, int b) { return node(Opcode::Max, {a, b}); }
  int sign_extend(int a, int bits) { return node(Opcode::SignExtend, {a}, bits); }
  // cmp(a, b) ? if_true : if_false
  int select(int a, Cmp cmp, int b, int if_true, int if_false) {
    const int n = node(Opcode::Select, {a, b, if_true, if_false});
    f_.nodes[n].cmp = cmp;
    return n;
  }
  int piecewise(int x, PiecewiseTable table) {
    f_.tables.push_back(std::move(table));
    return node(Opcode::Piecewise, {x}, static_cast<Int>(f_.tables.size() - 1));
  }
  int assume(int a, Int lo, Int hi, const std::string& why) {
    const int n = node(Opcode::Assume, {a}, lo, hi);
    f_.nodes[n].comment = why;
    return n;
  }
  void exit_if(int a, Cmp cmp, int b, int exit) {
    const int n = node(Opcode::ExitIf, {a, b});
    f_.nodes[n].cmp = cmp;
    f_.nodes[n].exit = exit;
  }
  void require_length(Int bytes, int exit) {
    const int n = node(Opcode::RequireLength, {}, bytes);
    f_.nodes[n].exit = exit;
  }
  int f64_to_fixed(int raw, uint32_t scale, int exit, bool doubled = false) {
    const int n = node(Opcode::F64ToFixed, {raw}, scale, doubled ? 1 : 0);
    f_.nodes[n].exit = exit;
    return n;
  }
  int cond_add(int acc, int x, int lo, int hi, int inc) {
    return node(Opcode::CondAdd, {acc, x, lo, hi, inc});
  }
  int cond_add_outside(int acc, int x, int c, int width, int inc) {
    return node(Opcode::CondAddOutside, {acc, x, c, width, inc});
  }

private:
  Function& f_;
  int origin_ = -1;
};

} // namespace xdpml::compiler
