#include "compiler/model/lower.hpp"

#include "compiler/ir_builder.hpp"

namespace xdpml::model {

using compiler::Cmp;
using compiler::IrBuilder;

uint32_t model_frame_bytes(uint32_t features) {
  return kFeatureOffset + 4 * features;
}

std::vector<uint8_t> model_frame(uint32_t features, const std::vector<int64_t>& wire,
                                 uint64_t seq) {
  auto f = compiler::owned_frame(model_frame_bytes(features) + 8);
  for (uint32_t i = 0; i < features && i < wire.size(); ++i)
    for (int k = 0; k < 4; ++k)
      f[kFeatureOffset + 4 * i + k] =
          static_cast<uint8_t>(static_cast<uint64_t>(wire[i]) >> (8 * k));
  for (int k = 0; k < 8; ++k)
    f[model_frame_bytes(features) + k] = static_cast<uint8_t>(seq >> (8 * k));
  return f;
}

namespace {

bool power_of_two(Int v) {
  return v > 0 && (v & (v - 1)) == 0;
}
int log2_exact(Int v) {
  int k = 0;
  while ((Int{1} << k) < v) ++k;
  return k;
}

} // namespace

Lowered lower_model(const QModel& q, const LowerOptions& o) {
  Lowered out;
  compiler::Function& f = out.f;
  f.name = "xdpml_model";
  f.signed32 = true;
  f.tag_offset = compiler::kTagOffset;
  f.tag_bytes = 1;
  const int pass = 0, done = 1;
  f.exits = {{"pass", std::nullopt, 2}, {"done", std::nullopt, 2}};
  f.fallthrough_exit = done;
  f.origin("prologue");
  for (const auto& e : f.exits) f.origin("exit." + e.name);
  IrBuilder b(f);
  compiler::build_match(b, o.match, model_frame_bytes(q.features), pass);

  // Features: 32-bit little-endian, clamped to the range the overflow proof assumes.
  std::vector<int> x(q.features);
  for (uint32_t i = 0; i < q.features; ++i) {
    b.at("input[" + std::to_string(i) + "]");
    int v = b.load(kFeatureOffset + 4 * i, 4);
    const bool i32 = q.encoding == FeatureEncoding::I32;
    if (i32) v = b.sign_extend(v, 32);
    const int64_t type_lo = i32 ? INT32_MIN : 0, type_hi = i32 ? INT32_MAX : UINT32_MAX;
    if (q.input_hi[i] < type_hi) v = b.min(v, b.c(q.input_hi[i]));
    if (q.input_lo[i] > type_lo) v = b.max(v, b.c(q.input_lo[i]));
    x[i] = v;
  }

  auto per = [](const auto& v, uint32_t j) { return v.size() == 1 ? v[0] : v[j]; };
  // One neuron at a time through a dense layer and the element-wise stages after it, so that
  // only the layer's inputs and finished outputs stay live (its accumulators do not pile up).
  auto element = [&](const QOp& op, uint32_t j, int v) -> int {
    switch (op.kind) {
    case QOpKind::Requant: {
      const int pre = per(op.pre, j), post = per(op.post, j);
      if (pre) v = b.sar(v, pre);
      v = b.mul(v, b.c(per(op.mult, j)));
      if (post) v = b.sar(b.add(v, b.c(Int{1} << (post - 1))), post);
      return v;
    }
    case QOpKind::Relu:
      return b.max(v, b.c(0));
    case QOpKind::LeakyRelu:
      return b.max(v, b.sar(b.mul(v, b.c(op.mult[0])), op.post[0]));
    case QOpKind::Clamp:
      return b.max(b.min(v, b.c(op.hi)), b.c(op.lo));
    case QOpKind::Piecewise:
      return b.piecewise(v, op.table);
    case QOpKind::Dense:
      break;
    }
    return v;
  };
  auto dense = [&](const QOp& op, uint32_t j) -> int {
    int acc = -1;
    bool bias_added = false;
    auto add = [&](int term, bool negative) {
      if (acc < 0 && negative) {
        acc = b.sub(b.c(op.b[j]), term); // the bias starts the subtraction
        bias_added = true;
      } else if (acc < 0) {
        acc = term;
      } else {
        acc = negative ? b.sub(acc, term) : b.add(acc, term);
      }
    };
    for (uint32_t i = 0; i < op.in; ++i) {
      const Int w = op.w[static_cast<size_t>(j) * op.in + i];
      if (w == 0) continue; // no code for zero weights
      const Int aw = w < 0 ? -w : w;
      if (power_of_two(aw))
        add(aw == 1 ? x[i] : b.shl(x[i], log2_exact(aw)), w < 0);
      else
        add(b.mul(x[i], b.c(w)), false);
    }
    if (acc < 0) return b.c(op.b[j]);
    if (!bias_added && op.b[j] != 0) acc = b.add(acc, b.c(op.b[j]));
    return acc;
  };
  for (size_t k = 0; k < q.ops.size();) {
    size_t end = k + 1;
    while (end < q.ops.size() && q.ops[end].kind != QOpKind::Dense) ++end;
    const bool has_dense = q.ops[k].kind == QOpKind::Dense;
    const uint32_t width = q.ops[end - 1].width;
    std::vector<int> y(width), accs(width, -1);
    for (uint32_t j = 0; j < width; ++j) {
      int v = has_dense ? -1 : x[j];
      for (size_t s = k; s < end; ++s) {
        const QOp& op = q.ops[s];
        b.at((op.name.empty() ? qop_name(op.kind) : op.name) + "[" + std::to_string(j) + "]");
        if (op.kind == QOpKind::Dense) {
          v = dense(op, j);
          accs[j] = v;
        } else {
          v = element(op, j, v);
        }
      }
      y[j] = v;
    }
    if (has_dense) out.accumulators.push_back(accs);
    x = std::move(y);
    k = end;
  }

  if (q.output == OutputKind::ArgMax) {
    // tag = 1 + index of the first largest score.
    b.at("argmax");
    int best = x[0], tag = b.c(1);
    for (size_t k = 1; k < x.size(); ++k) {
      tag = b.select(x[k], Cmp::Gt, best, b.c(static_cast<Int>(k + 1)), tag);
      if (k + 1 < x.size()) best = b.max(best, x[k]);
    }
    b.store(compiler::kTagOffset, 1, tag);
  } else {
    b.at("output");
    b.store(kResultOffset, 4, x[0]);
    b.store(compiler::kTagOffset, 1, b.c(1));
  }
  return out;
}

} // namespace xdpml::model
