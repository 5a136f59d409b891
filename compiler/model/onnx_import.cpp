// ONNX importer: parses a ModelProto with libonnx's protobuf schema and walks the one data path
// from the graph's feature input to its output, turning each node into a model::Layer.
//
// Everything in the file is untrusted: every count, dimension and byte length is checked before
// it is used, the products of dimensions are bounded before anything is allocated, and names
// from the file are made printable before they go into messages or listings.
#include "compiler/model/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xdpml::model {

namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::TensorProto;

constexpr size_t kMaxModelBytes = size_t{64} << 20;
// No tensor of a 64 MiB file holds more (4-byte) elements; checked before anything is allocated.
constexpr uint64_t kMaxElements = uint64_t{1} << 24;
constexpr const char* kSupportedOps = "Gemm, MatMul+Add, Relu, LeakyRelu, Tanh, Sigmoid, Clip, "
                                      "Flatten, Reshape, Identity, Softmax, ArgMax";
// Graph names exporters write when the user gave none: the file name says more.
constexpr std::string_view kGenericGraphNames[] = {"torch_jit", "torch-jit-export", "main_graph"};

// A name from the file as it appears in messages and listings: control characters replaced,
// at most 120 bytes.
std::string printable(std::string_view s) {
  constexpr size_t kMax = 120;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::string in_quotes(std::string_view s) {
  return "'" + printable(s) + "'";
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t k = 0; k < dims.size(); ++k) {
    if (k == 8) {
      out += ", ...";
      break;
    }
    out += (k ? ", " : "") + std::to_string(dims[k]);
  }
  return out + "]";
}

std::string type_name(int32_t t) {
  if (TensorProto::DataType_IsValid(t))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(t));
  return "type " + std::to_string(t);
}

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

uint64_t little_endian(const char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t k = 0; k < bytes; ++k) v |= uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
  return v;
}

// A constant tensor read into doubles (FLOAT, DOUBLE) or integers (INT64, INT32).
struct Tensor {
  std::vector<int64_t> dims;
  std::vector<double> values;
  std::vector<int64_t> ints;
};

enum class Want { Real, Integer };

// `what` names the tensor in messages ("initializer 'fc.weight'").
Result<Tensor> read_tensor(const TensorProto& t, const std::string& what, Want want,
                           const SourceLocation& loc) {
  if (t.data_location() == TensorProto::EXTERNAL)
    return fail(what + " keeps its values in an external file; xdpml reads self-contained models",
                loc,
                "save the model with onnx.save_model(model, path, save_as_external_data=False)");
  if (t.has_segment()) return fail(what + " is a segment of a larger tensor; not supported", loc);
  Tensor out;
  uint64_t n = 1;
  for (const int64_t d : t.dims()) {
    if (d < 0) return fail(what + " has a negative dimension (" + std::to_string(d) + ")", loc);
    if (n != 0 && static_cast<uint64_t>(d) > kMaxElements / n)
      return fail(what + " has more than " + std::to_string(kMaxElements) + " elements", loc);
    n *= static_cast<uint64_t>(d);
    out.dims.push_back(d);
  }
  const int32_t type = t.data_type();
  const bool real = type == TensorProto::FLOAT || type == TensorProto::DOUBLE;
  const bool integer = type == TensorProto::INT64 || type == TensorProto::INT32;
  if (want == Want::Real && !real)
    return fail(what + " has data type " + type_name(type) + "; xdpml reads FLOAT or DOUBLE values",
                loc);
  if (want == Want::Integer && !integer)
    return fail(what + " has data type " + type_name(type) + "; expected INT64", loc);
  const bool narrow = type == TensorProto::FLOAT || type == TensorProto::INT32;
  const size_t size = narrow ? 4 : 8;
  const std::string kind = type_name(type) + " " + dims_text(out.dims);
  if (real)
    out.values.resize(n);
  else
    out.ints.resize(n);

  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != n * size)
      return fail(what + " has " + std::to_string(raw.size()) + " bytes of raw_data; " + kind +
                      " needs " + std::to_string(n * size),
                  loc);
    for (size_t k = 0; k < n; ++k) {
      const uint64_t bits = little_endian(raw.data() + k * size, size);
      switch (type) {
      case TensorProto::FLOAT:
        out.values[k] = std::bit_cast<float>(static_cast<uint32_t>(bits));
        break;
      case TensorProto::DOUBLE:
        out.values[k] = std::bit_cast<double>(bits);
        break;
      case TensorProto::INT32:
        out.ints[k] = std::bit_cast<int32_t>(static_cast<uint32_t>(bits));
        break;
      default:
        out.ints[k] = std::bit_cast<int64_t>(bits);
        break;
      }
    }
    return out;
  }
  const char* field = type == TensorProto::FLOAT    ? "float_data"
                      : type == TensorProto::DOUBLE ? "double_data"
                      : type == TensorProto::INT32  ? "int32_data"
                                                    : "int64_data";
  const int have = type == TensorProto::FLOAT    ? t.float_data_size()
                   : type == TensorProto::DOUBLE ? t.double_data_size()
                   : type == TensorProto::INT32  ? t.int32_data_size()
                                                 : t.int64_data_size();
  if (static_cast<uint64_t>(have) != n)
    return fail(what + " has " + std::to_string(have) + " values in " + field + "; " + kind +
                    " needs " + std::to_string(n),
                loc);
  for (int k = 0; k < have; ++k) {
    const auto i = static_cast<size_t>(k);
    switch (type) {
    case TensorProto::FLOAT:
      out.values[i] = t.float_data(k);
      break;
    case TensorProto::DOUBLE:
      out.values[i] = t.double_data(k);
      break;
    case TensorProto::INT32:
      out.ints[i] = t.int32_data(k);
      break;
    default:
      out.ints[i] = t.int64_data(k);
      break;
    }
  }
  return out;
}

class Importer {
public:
  Importer(const onnx::ModelProto& mp, const std::string& origin)
      : mp_(mp), g_(mp.graph()), origin_(origin) {}

  Result<Model> run();

private:
  const onnx::ModelProto& mp_;
  const onnx::GraphProto& g_;
  std::string origin_;
  int64_t opset_ = 0;
  std::unordered_map<std::string, const TensorProto*> inits_;
  std::unordered_map<std::string, int> const_nodes_; // output of a Constant node -> node
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_; // data values only
  std::vector<char> visited_;
  std::string input_, output_;
  std::string cur_;           // the value on the data path
  std::vector<int64_t> dims_; // its shape, batch (1) included
  uint32_t width_ = 0;        // its element count: the feature vector's length
  Model m_;

  SourceLocation loc(std::string context = {}) const {
    return {origin_, 0, 0, 1, std::move(context)};
  }
  Failure err(std::string message, std::string hint = {}, std::string context = {}) const {
    return fail(std::move(message), loc(std::move(context)), std::move(hint));
  }

  const NodeProto& node(int i) const { return g_.node(i); }
  bool default_domain(int i) const {
    const std::string& d = node(i).domain();
    return d.empty() || d == "ai.onnx";
  }
  bool is_op(int i, std::string_view op) const {
    return default_domain(i) && node(i).op_type() == op;
  }
  std::string op(int i) const {
    return default_domain(i) ? printable(node(i).op_type())
                             : printable(node(i).domain()) + ":" + printable(node(i).op_type());
  }
  std::string label(int i) const {
    return node(i).name().empty() ? "#" + std::to_string(i) : printable(node(i).name());
  }
  std::string desc(int i) const { return "node '" + label(i) + "' (" + op(i) + ")"; }
  std::string onnx_node(int i) const { return "ONNX " + desc(i); }
  bool is_const(const std::string& v) const {
    return inits_.count(v) != 0 || const_nodes_.count(v) != 0;
  }
  // Inputs of node i, not counting trailing empty names (absent optional inputs).
  int input_count(int i) const {
    int n = node(i).input_size();
    while (n > 0 && node(i).input(n - 1).empty()) --n;
    return n;
  }

  Layer layer(int i, LayerKind kind) const {
    Layer l;
    l.kind = kind;
    l.origin = desc(i);
    l.name = node(i).name().empty()
                 ? lowercase(printable(node(i).op_type())) + "_" + std::to_string(i)
                 : printable(node(i).name());
    return l;
  }

  Status index_graph();
  Status read_input();
  Status step(int i);

  Status check_attributes(int i, std::vector<std::string_view> allowed,
                          std::string_view legacy = {}, int64_t legacy_before = 0) const;
  const AttributeProto* attribute(int i, std::string_view name) const;
  Result<double> float_attribute(int i, std::string_view name, double otherwise) const;
  Result<int64_t> int_attribute(int i, std::string_view name, int64_t otherwise) const;
  Status check_inputs(int i, int lo, int hi) const;
  Status require_vector(int i) const;
  Status require_last(int i) const;
  Result<Tensor> constant(const std::string& name, Want want, int user) const;
  Result<Tensor> constant_input(int i, int k, const std::string& role, Want want) const;
  Result<std::vector<double>> bias(int i, int k, uint32_t out, double beta, size_t max_rank,
                                   size_t& rank) const;
  Result<int64_t> feature_axis(int i, int64_t axis, bool coerced) const;

  Status gemm(int i);
  Status matmul(int i);
  Status elementwise(int i, LayerKind kind);
  Status clip(int i);
  Status flatten(int i);
  Status reshape(int i);
  Status softmax(int i);
  Status argmax(int i);
};

// ---- graph structure ---------------------------------------------------------------------

Status Importer::index_graph() {
  for (const auto& t : g_.initializer()) {
    if (t.name().empty()) continue;
    if (!inits_.emplace(t.name(), &t).second)
      return err("initializer " + in_quotes(t.name()) + " is defined twice");
  }
  if (g_.sparse_initializer_size() > 0)
    return err("the ONNX graph has sparse initializers; xdpml reads dense ones only");
  const int n = g_.node_size();
  visited_.assign(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    const NodeProto& nd = node(i);
    const bool constant = is_op(i, "Constant");
    if (constant && (nd.input_size() != 0 || nd.output_size() != 1 || nd.output(0).empty()))
      return err(onnx_node(i) + " must have no inputs and one output");
    for (const std::string& out : nd.output()) {
      if (out.empty()) continue;
      if (inits_.count(out))
        return err("value " + in_quotes(out) + " is both an initializer and the output of " +
                   desc(i));
      if (auto [it, fresh] = producer_.emplace(out, i); !fresh)
        return err("value " + in_quotes(out) + " is the output of two nodes, " + desc(it->second) +
                   " and " + desc(i));
      if (constant) const_nodes_.emplace(out, i);
    }
  }
  // Consumers once every Constant is known: the nodes need not be sorted.
  for (int i = 0; i < n; ++i) {
    if (is_op(i, "Constant")) continue;
    for (const std::string& in : node(i).input()) {
      if (in.empty() || is_const(in)) continue;
      auto& users = consumers_[in];
      if (users.empty() || users.back() != i) users.push_back(i);
    }
  }
  return ok_status();
}

Status Importer::read_input() {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : g_.input())
    if (!inits_.count(in.name())) inputs.push_back(&in);
  if (inputs.empty())
    return err("the ONNX graph has no input (every graph input is an initializer)");
  if (inputs.size() > 1) {
    std::string names;
    for (size_t k = 0; k < inputs.size() && k < 4; ++k)
      names += (k ? ", " : "") + in_quotes(inputs[k]->name());
    if (inputs.size() > 4) names += ", ...";
    return err("the ONNX graph has " + std::to_string(inputs.size()) + " inputs (" + names +
               "); xdpml takes one feature vector");
  }
  if (g_.output_size() != 1)
    return err("the ONNX graph has " + std::to_string(g_.output_size()) +
               " outputs; xdpml needs exactly one");
  const onnx::ValueInfoProto& in = *inputs[0];
  input_ = in.name();
  output_ = g_.output(0).name();
  const std::string what = "graph input " + in_quotes(input_);
  if (input_.empty()) return err("the ONNX graph input has no name");
  if (output_.empty()) return err("the ONNX graph output has no name");
  if (producer_.count(input_))
    return err(what + " is also the output of " + desc(producer_.at(input_)));
  if (!in.type().has_tensor_type()) return err(what + " is not a tensor");
  const auto& tt = in.type().tensor_type();
  if (tt.elem_type() != TensorProto::FLOAT && tt.elem_type() != TensorProto::DOUBLE)
    return err(what + " has element type " + type_name(tt.elem_type()) +
               "; xdpml needs a FLOAT or DOUBLE feature vector");
  if (!tt.has_shape())
    return err(what + " has no shape; xdpml needs to know its number of features");
  const auto& shape = tt.shape();
  if (shape.dim_size() == 0) return err(what + " is a scalar; xdpml needs a feature vector");
  uint64_t features = 1;
  dims_.clear();
  for (int k = 0; k < shape.dim_size(); ++k) {
    const auto& d = shape.dim(k);
    if (k == 0 && shape.dim_size() >= 2) { // the batch
      if (d.has_dim_value() && d.dim_value() != 1)
        return err(what + " has batch size " + std::to_string(d.dim_value()) +
                   "; xdpml evaluates one feature vector at a time (batch 1 or symbolic)");
      dims_.push_back(1);
      continue;
    }
    if (!d.has_dim_value())
      return err(what + " has a symbolic dimension " +
                 (d.dim_param().empty() ? std::to_string(k) : in_quotes(d.dim_param())) +
                 "; xdpml needs a fixed number of features");
    if (d.dim_value() < 1)
      return err(what + " has dimension " + std::to_string(k) + " of size " +
                 std::to_string(d.dim_value()));
    if (static_cast<uint64_t>(d.dim_value()) > UINT32_MAX / features)
      return err(what + " has more than " + std::to_string(UINT32_MAX) + " features");
    features *= static_cast<uint64_t>(d.dim_value());
    dims_.push_back(d.dim_value());
  }
  width_ = static_cast<uint32_t>(features);
  m_.input.features = width_;
  m_.input.encoding = FeatureEncoding::I32;
  return ok_status();
}

// ---- node helpers ------------------------------------------------------------------------

// Node i has only `allowed` attributes, and `legacy` if the opset is older than legacy_before.
Status Importer::check_attributes(int i, std::vector<std::string_view> allowed,
                                  std::string_view legacy, int64_t legacy_before) const {
  if (!legacy.empty() && opset_ < legacy_before) allowed.push_back(legacy);
  std::vector<int> seen(allowed.size(), 0);
  for (const auto& a : node(i).attribute()) {
    const auto it = std::find(allowed.begin(), allowed.end(), a.name());
    if (it == allowed.end()) {
      std::string list;
      for (auto s : allowed) list += (list.empty() ? "" : ", ") + std::string(s);
      return err(onnx_node(i) + ": attribute " + in_quotes(a.name()) + " is not supported; " +
                 op(i) + (allowed.size() ? " takes " + list : " takes no attributes"));
    }
    if (++seen[static_cast<size_t>(it - allowed.begin())] > 1)
      return err(onnx_node(i) + ": attribute " + in_quotes(a.name()) + " is given twice");
  }
  return ok_status();
}

const AttributeProto* Importer::attribute(int i, std::string_view name) const {
  for (const auto& a : node(i).attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

Result<double> Importer::float_attribute(int i, std::string_view name, double otherwise) const {
  const AttributeProto* a = attribute(i, name);
  if (!a) return otherwise;
  if (a->type() == AttributeProto::FLOAT || (a->type() == AttributeProto::UNDEFINED && a->has_f()))
    return static_cast<double>(a->f());
  return err(onnx_node(i) + ": attribute '" + std::string(name) + "' must be a float");
}

Result<int64_t> Importer::int_attribute(int i, std::string_view name, int64_t otherwise) const {
  const AttributeProto* a = attribute(i, name);
  if (!a) return otherwise;
  if (a->type() == AttributeProto::INT || (a->type() == AttributeProto::UNDEFINED && a->has_i()))
    return a->i();
  return err(onnx_node(i) + ": attribute '" + std::string(name) + "' must be an integer");
}

// Node i has lo..hi inputs, the first of them the data path's value and none of the others.
Status Importer::check_inputs(int i, int lo, int hi) const {
  const NodeProto& nd = node(i);
  const int n = input_count(i);
  if (n < lo || n > hi)
    return err(onnx_node(i) + " has " + std::to_string(n) + " inputs; " + op(i) + " takes " +
               (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)));
  for (int k = 0; k < n; ++k) {
    if (nd.input(k) != cur_) continue;
    if (k != 0)
      return err(onnx_node(i) + " takes the feature vector " + in_quotes(cur_) + " as input " +
                 std::to_string(k + 1) + "; xdpml needs it as the first input");
  }
  for (int k = 1; k < n; ++k)
    if (nd.input(k) == cur_)
      return err(onnx_node(i) + " takes the feature vector " + in_quotes(cur_) + " twice");
  return ok_status();
}

// The current value must be a vector (every dimension but the last is 1).
Status Importer::require_vector(int i) const {
  for (size_t k = 0; k + 1 < dims_.size(); ++k)
    if (dims_[k] != 1)
      return err(onnx_node(i) + " takes a " + dims_text(dims_) +
                     " tensor; xdpml needs a feature vector [1, N]",
                 "flatten it first (a Flatten node, torch.nn.Flatten)");
  return ok_status();
}

Status Importer::require_last(int i) const {
  const std::string& out = node(i).output(0);
  if (out == output_) return ok_status();
  const std::string hint = "xdpml compiles " + op(i) +
                           " as the argmax of the scores, which is the "
                           "model's output; a Softmax before an ArgMax can be left out";
  if (auto it = consumers_.find(out); it != consumers_.end() && !it->second.empty())
    return err(onnx_node(i) + " is supported only as the last node; " + desc(it->second[0]) +
                   " follows it",
               hint);
  return err(onnx_node(i) + " is supported only as the last node; its output " + in_quotes(out) +
                 " is not the graph output",
             hint);
}

// The constant `name` (an initializer or the output of a Constant node) used by node `user`.
Result<Tensor> Importer::constant(const std::string& name, Want want, int user) const {
  const SourceLocation at = loc(desc(user));
  if (auto it = inits_.find(name); it != inits_.end())
    return read_tensor(*it->second, "initializer " + in_quotes(name), want, at);
  const int c = const_nodes_.at(name);
  const NodeProto& nd = node(c);
  const std::string what = "the value of " + desc(c);
  if (nd.attribute_size() != 1)
    return fail(onnx_node(c) + " has " + std::to_string(nd.attribute_size()) +
                    " attributes; a Constant has one",
                at);
  const AttributeProto& a = nd.attribute(0);
  const auto type = a.type();
  if (a.name() == "value" && (type == AttributeProto::TENSOR || a.has_t()))
    return read_tensor(a.t(), what, want, at);
  TensorProto t;
  if (a.name() == "value_float" && (type == AttributeProto::FLOAT || a.has_f())) {
    t.set_data_type(TensorProto::FLOAT);
    t.add_float_data(a.f());
  } else if (a.name() == "value_floats" && type == AttributeProto::FLOATS) {
    t.set_data_type(TensorProto::FLOAT);
    t.add_dims(a.floats_size());
    *t.mutable_float_data() = a.floats();
  } else if (a.name() == "value_int" && (type == AttributeProto::INT || a.has_i())) {
    t.set_data_type(TensorProto::INT64);
    t.add_int64_data(a.i());
  } else if (a.name() == "value_ints" && type == AttributeProto::INTS) {
    t.set_data_type(TensorProto::INT64);
    t.add_dims(a.ints_size());
    *t.mutable_int64_data() = a.ints();
  } else {
    return fail(onnx_node(c) + ": attribute " + in_quotes(a.name()) +
                    " is not supported; a Constant takes value, value_float(s) or value_int(s)",
                at);
  }
  return read_tensor(t, what, want, at);
}

Result<Tensor> Importer::constant_input(int i, int k, const std::string& role, Want want) const {
  const std::string& name = node(i).input(k);
  if (!is_const(name))
    return err(onnx_node(i) + ": " + role + " " + in_quotes(name) +
               " is not a constant; xdpml needs it as an initializer or the output of a Constant "
               "node");
  return constant(name, want, i);
}

// Input k of node i as the bias of a layer with `out` outputs, times beta: [out], [1, out] (any
// rank up to max_rank ending in out) or a single value. `rank` receives the tensor's rank.
Result<std::vector<double>> Importer::bias(int i, int k, uint32_t out, double beta, size_t max_rank,
                                           size_t& rank) const {
  const std::string role = k == 2 ? "C" : "bias";
  auto c = constant_input(i, k, role, Want::Real);
  if (!c) return c.failure();
  const auto& v = c->values;
  const bool vector = !c->dims.empty() && c->dims.back() == out && v.size() == out;
  if (!(vector || v.size() == 1) || c->dims.size() > max_rank)
    return err(onnx_node(i) + ": " + role + " " + in_quotes(node(i).input(k)) + " has shape " +
               dims_text(c->dims) + "; xdpml needs a bias of shape [" + std::to_string(out) +
               "], [1, " + std::to_string(out) + "] or a single value");
  std::vector<double> b(out);
  for (uint32_t j = 0; j < out; ++j) b[j] = beta * v[v.size() == 1 ? 0 : j];
  rank = c->dims.size();
  return b;
}

// `axis` of node i normalized, if the node reduces over the whole feature vector along it
// (`coerced`: Softmax before opset 13, over all dimensions from the axis on).
Result<int64_t> Importer::feature_axis(int i, int64_t axis, bool coerced) const {
  const auto rank = static_cast<int64_t>(dims_.size());
  const std::string supported = "; supported: axis=-1 or axis=" + std::to_string(rank - 1);
  if (axis < -rank || axis >= rank)
    return err(onnx_node(i) + ": axis=" + std::to_string(axis) + " is out of range for a " +
               dims_text(dims_) + " input" + supported);
  const int64_t a = axis < 0 ? axis + rank : axis;
  int64_t over = 1;
  for (int64_t k = a; k < (coerced ? rank : a + 1); ++k) over *= dims_[static_cast<size_t>(k)];
  if (over != static_cast<int64_t>(width_))
    return err(onnx_node(i) + ": axis=" + std::to_string(axis) +
               " is not the feature axis of its " + dims_text(dims_) + " input" + supported);
  return a;
}

// ---- operators ---------------------------------------------------------------------------

Status Importer::gemm(int i) {
  if (auto s = check_attributes(i, {"alpha", "beta", "transA", "transB"}, "broadcast", 7); !s)
    return s;
  auto alpha = float_attribute(i, "alpha", 1.0);
  if (!alpha) return alpha.failure();
  auto beta = float_attribute(i, "beta", 1.0);
  if (!beta) return beta.failure();
  auto trans_a = int_attribute(i, "transA", 0);
  if (!trans_a) return trans_a.failure();
  auto trans_b = int_attribute(i, "transB", 0);
  if (!trans_b) return trans_b.failure();
  if (*trans_a != 0)
    return err(onnx_node(i) + ": transA=" + std::to_string(*trans_a) +
                   " is not supported; supported: transA=0",
               "export x @ W.T (torch.nn.Linear does) instead of a transposed input");
  if (auto s = check_inputs(i, 2, 3); !s) return s;
  if (auto s = require_vector(i); !s) return s;
  auto b = constant_input(i, 1, "B", Want::Real);
  if (!b) return b.failure();
  const std::string& b_name = node(i).input(1);
  if (b->dims.size() != 2)
    return err(onnx_node(i) + ": B " + in_quotes(b_name) + " has shape " + dims_text(b->dims) +
               "; Gemm needs a 2-D weight matrix");
  const bool tb = *trans_b != 0;
  const int64_t in = tb ? b->dims[1] : b->dims[0], out = tb ? b->dims[0] : b->dims[1];
  if (in != static_cast<int64_t>(width_))
    return err(onnx_node(i) + ": B " + in_quotes(b_name) + " is " + dims_text(b->dims) +
               (tb ? " ([outputs, inputs], transB=1)" : " ([inputs, outputs], transB=0)") +
               " but its input has " + std::to_string(width_) + " features");
  if (out < 1) return err(onnx_node(i) + ": B " + in_quotes(b_name) + " has no outputs");
  Layer l = layer(i, LayerKind::Dense);
  l.in = width_;
  l.out = static_cast<uint32_t>(out); // in * out <= kMaxElements
  l.weights.resize(size_t{l.in} * l.out);
  for (size_t j = 0; j < l.out; ++j)
    for (size_t k = 0; k < l.in; ++k)
      l.weights[j * l.in + k] = *alpha * (tb ? b->values[j * l.in + k] : b->values[k * l.out + j]);
  if (input_count(i) == 3 && !node(i).input(2).empty()) {
    size_t rank = 0;
    auto c = bias(i, 2, l.out, *beta, 2, rank);
    if (!c) return c.failure();
    l.bias = std::move(*c);
  }
  width_ = l.out;
  dims_ = {1, static_cast<int64_t>(width_)};
  m_.layers.push_back(std::move(l));
  cur_ = node(i).output(0);
  return ok_status();
}

// MatMul by a constant [in, out] matrix; an Add of a constant right after it is the bias.
Status Importer::matmul(int i) {
  if (auto s = check_attributes(i, {}); !s) return s;
  if (auto s = check_inputs(i, 2, 2); !s) return s;
  if (auto s = require_vector(i); !s) return s;
  auto b = constant_input(i, 1, "B", Want::Real);
  if (!b) return b.failure();
  const std::string& b_name = node(i).input(1);
  if (b->dims.size() != 2)
    return err(onnx_node(i) + ": B " + in_quotes(b_name) + " has shape " + dims_text(b->dims) +
               "; xdpml needs a 2-D weight matrix [inputs, outputs]");
  if (b->dims[0] != static_cast<int64_t>(width_))
    return err(onnx_node(i) + ": B " + in_quotes(b_name) + " is " + dims_text(b->dims) +
               " ([inputs, outputs]) but its input has " + std::to_string(width_) + " features");
  if (b->dims[1] < 1) return err(onnx_node(i) + ": B " + in_quotes(b_name) + " has no outputs");
  Layer l = layer(i, LayerKind::Dense);
  l.in = width_;
  l.out = static_cast<uint32_t>(b->dims[1]);
  l.weights.resize(size_t{l.in} * l.out);
  for (size_t j = 0; j < l.out; ++j)
    for (size_t k = 0; k < l.in; ++k) l.weights[j * l.in + k] = b->values[k * l.out + j];
  width_ = l.out;
  dims_.back() = static_cast<int64_t>(width_);
  cur_ = node(i).output(0);

  int add = -1;
  if (cur_ != output_)
    if (auto it = consumers_.find(cur_);
        it != consumers_.end() && it->second.size() == 1 && is_op(it->second[0], "Add"))
      add = it->second[0];
  if (add >= 0) {
    const NodeProto& a = node(add);
    if (visited_[static_cast<size_t>(add)])
      return err("the ONNX graph has a cycle through " + desc(add));
    if (auto s =
            check_attributes(add, opset_ < 7 ? std::vector<std::string_view>{"broadcast", "axis"}
                                             : std::vector<std::string_view>{});
        !s)
      return s;
    if (input_count(add) != 2 || a.input_size() != 2)
      return err(onnx_node(add) + " has " + std::to_string(a.input_size()) +
                 " inputs; Add takes 2");
    if (a.output_size() != 1 || a.output(0).empty())
      return err(onnx_node(add) + " has " + std::to_string(a.output_size()) +
                 " outputs; xdpml supports nodes with one output");
    const int other = a.input(0) == cur_ ? 1 : 0;
    if (a.input(other) == cur_ || !is_const(a.input(other)))
      return err(onnx_node(add) + " has two data inputs (" + in_quotes(a.input(0)) + " and " +
                     in_quotes(a.input(1)) + ")",
                 "xdpml supports Add only as the constant bias right after a MatMul");
    size_t rank = 0;
    auto c = bias(add, other, l.out, 1.0, SIZE_MAX, rank);
    if (!c) return c.failure();
    l.bias = std::move(*c);
    if (rank > dims_.size()) dims_.insert(dims_.begin(), rank - dims_.size(), 1);
    l.origin += " + " + desc(add);
    visited_[static_cast<size_t>(add)] = 1;
    cur_ = a.output(0);
  }
  m_.layers.push_back(std::move(l));
  return ok_status();
}

Status Importer::elementwise(int i, LayerKind kind) {
  if (auto s = kind == LayerKind::LeakyRelu  ? check_attributes(i, {"alpha"}, "consumed_inputs", 6)
               : kind == LayerKind::Identity ? check_attributes(i, {})
                                             : check_attributes(i, {}, "consumed_inputs", 6);
      !s)
    return s;
  if (auto s = check_inputs(i, 1, 1); !s) return s;
  cur_ = node(i).output(0);
  if (kind == LayerKind::Identity) return ok_status(); // nothing to compute
  Layer l = layer(i, kind);
  if (kind == LayerKind::LeakyRelu) {
    auto alpha = float_attribute(i, "alpha", 0.01);
    if (!alpha) return alpha.failure();
    l.alpha = *alpha;
  }
  m_.layers.push_back(std::move(l));
  return ok_status();
}

// Bounds as attributes before opset 11, as constant inputs from opset 11 on.
Status Importer::clip(int i) {
  std::optional<double> bound[2];
  const char* names[2] = {"min", "max"};
  if (opset_ < 11) {
    if (auto s = check_attributes(i, {"min", "max"}, "consumed_inputs", 6); !s) return s;
    if (auto s = check_inputs(i, 1, 1); !s) return s;
    for (int k = 0; k < 2; ++k)
      if (attribute(i, names[k])) {
        auto v = float_attribute(i, names[k], 0);
        if (!v) return v.failure();
        bound[k] = *v;
      }
  } else {
    if (auto s = check_attributes(i, {}); !s) return s;
    if (auto s = check_inputs(i, 1, 3); !s) return s;
    for (int k = 0; k < 2; ++k) {
      if (k + 1 >= input_count(i) || node(i).input(k + 1).empty()) continue;
      auto t = constant_input(i, k + 1, names[k], Want::Real);
      if (!t) return t.failure();
      if (t->values.size() != 1)
        return err(onnx_node(i) + ": " + names[k] + " " + in_quotes(node(i).input(k + 1)) +
                   " has shape " + dims_text(t->dims) + "; a Clip bound is a single value");
      bound[k] = t->values[0];
    }
  }
  for (int k = 0; k < 2; ++k)
    if (!bound[k])
      return err(onnx_node(i) + " has no " + names[k] +
                 "; xdpml supports Clip with both a min and a max");
  Layer l = layer(i, LayerKind::Clip);
  l.clip_lo = *bound[0];
  l.clip_hi = *bound[1];
  m_.layers.push_back(std::move(l));
  cur_ = node(i).output(0);
  return ok_status();
}

Status Importer::flatten(int i) {
  if (auto s = check_attributes(i, {"axis"}); !s) return s;
  if (auto s = check_inputs(i, 1, 1); !s) return s;
  auto axis = int_attribute(i, "axis", 1);
  if (!axis) return axis.failure();
  const auto rank = static_cast<int64_t>(dims_.size());
  if (*axis < -rank || *axis > rank)
    return err(onnx_node(i) + ": axis=" + std::to_string(*axis) + " is out of range for a " +
               dims_text(dims_) + " input");
  const int64_t a = *axis < 0 ? *axis + rank : *axis;
  int64_t rows = 1;
  for (int64_t k = 0; k < a; ++k) rows *= dims_[static_cast<size_t>(k)];
  if (rows != 1)
    return err(onnx_node(i) + " with axis=" + std::to_string(*axis) + " makes a [" +
               std::to_string(rows) + ", " + std::to_string(width_ / rows) + "] matrix of its " +
               dims_text(dims_) + " input; xdpml needs a feature vector");
  dims_ = {1, static_cast<int64_t>(width_)};
  cur_ = node(i).output(0);
  return ok_status();
}

// Only to the feature vector itself: [1, N], [N], [-1, N], [1, -1], [-1] (0 copies a dimension).
Status Importer::reshape(int i) {
  std::vector<int64_t> shape;
  int64_t allowzero = 0;
  if (opset_ < 5) {
    if (auto s = check_attributes(i, {"shape"}, "consumed_inputs", 5); !s) return s;
    if (auto s = check_inputs(i, 1, 1); !s) return s;
    const AttributeProto* a = attribute(i, "shape");
    if (!a || a->type() != AttributeProto::INTS)
      return err(onnx_node(i) + " has no 'shape' attribute (a list of integers)");
    shape.assign(a->ints().begin(), a->ints().end());
  } else {
    if (auto s = check_attributes(i, {"allowzero"}); !s) return s;
    if (auto s = check_inputs(i, 2, 2); !s) return s;
    auto z = int_attribute(i, "allowzero", 0);
    if (!z) return z.failure();
    allowzero = *z;
    auto t = constant_input(i, 1, "shape", Want::Integer);
    if (!t) return t.failure();
    if (t->dims.size() != 1)
      return err(onnx_node(i) + ": shape " + in_quotes(node(i).input(1)) + " has shape " +
                 dims_text(t->dims) + "; a Reshape shape is a 1-D list");
    shape = std::move(t->ints);
  }
  std::vector<int64_t> target = shape;
  for (size_t k = 0; k < target.size(); ++k)
    if (target[k] == 0 && allowzero == 0 && k < dims_.size()) target[k] = dims_[k];
  const auto n = static_cast<int64_t>(width_);
  const bool ok = (target.size() == 1 && (target[0] == n || target[0] == -1)) ||
                  (target.size() == 2 && (target[0] == 1 || target[0] == -1) && target[1] == n) ||
                  (target.size() == 2 && target[0] == 1 && target[1] == -1);
  if (!ok) {
    const std::string w = std::to_string(width_);
    return err(onnx_node(i) + " to " + dims_text(shape) + " does not keep the " + w +
               " features as one vector; supported shapes: [1, " + w + "], [" + w + "], [-1, " + w +
               "], [1, -1]");
  }
  if (target.size() == 1)
    dims_ = {n};
  else
    dims_ = {1, n};
  cur_ = node(i).output(0);
  return ok_status();
}

Status Importer::softmax(int i) {
  if (auto s = check_attributes(i, {"axis"}); !s) return s;
  if (auto s = check_inputs(i, 1, 1); !s) return s;
  auto axis = int_attribute(i, "axis", opset_ < 13 ? 1 : -1);
  if (!axis) return axis.failure();
  if (auto a = feature_axis(i, *axis, opset_ < 13); !a) return a.failure();
  if (auto s = require_last(i); !s) return s;
  m_.layers.push_back(layer(i, LayerKind::Softmax));
  cur_ = node(i).output(0);
  return ok_status();
}

Status Importer::argmax(int i) {
  if (auto s = check_attributes(i, {"axis", "keepdims", "select_last_index"}); !s) return s;
  if (auto s = check_inputs(i, 1, 1); !s) return s;
  auto axis = int_attribute(i, "axis", 0);
  if (!axis) return axis.failure();
  auto keepdims = int_attribute(i, "keepdims", 1);
  if (!keepdims) return keepdims.failure();
  auto last_index = int_attribute(i, "select_last_index", 0);
  if (!last_index) return last_index.failure();
  if (*last_index != 0)
    return err(onnx_node(i) + ": select_last_index=" + std::to_string(*last_index) +
                   " is not supported; supported: select_last_index=0",
               "xdpml's argmax picks the first of equal scores");
  if (auto a = feature_axis(i, *axis, false); !a) return a.failure();
  if (auto s = require_last(i); !s) return s;
  m_.layers.push_back(layer(i, LayerKind::ArgMax));
  cur_ = node(i).output(0);
  return ok_status();
}

Status Importer::step(int i) {
  const NodeProto& nd = node(i);
  const std::string& t = nd.op_type();
  const bool known =
      default_domain(i) && (t == "Gemm" || t == "MatMul" || t == "Relu" || t == "LeakyRelu" ||
                            t == "Tanh" || t == "Sigmoid" || t == "Clip" || t == "Flatten" ||
                            t == "Reshape" || t == "Identity" || t == "Softmax" || t == "ArgMax");
  if (!known)
    return err(onnx_node(i) + " is not supported; supported: " + kSupportedOps,
               is_op(i, "Add") ? "Add is supported only right after a MatMul, as its constant bias"
                               : "");
  if (nd.output_size() != 1 || nd.output(0).empty())
    return err(onnx_node(i) + " has " + std::to_string(nd.output_size()) +
               " outputs; xdpml supports nodes with one output");
  if (t == "Gemm") return gemm(i);
  if (t == "MatMul") return matmul(i);
  if (t == "Relu") return elementwise(i, LayerKind::Relu);
  if (t == "LeakyRelu") return elementwise(i, LayerKind::LeakyRelu);
  if (t == "Tanh") return elementwise(i, LayerKind::Tanh);
  if (t == "Sigmoid") return elementwise(i, LayerKind::Sigmoid);
  if (t == "Identity") return elementwise(i, LayerKind::Identity);
  if (t == "Clip") return clip(i);
  if (t == "Flatten") return flatten(i);
  if (t == "Reshape") return reshape(i);
  if (t == "Softmax") return softmax(i);
  return argmax(i);
}

Result<Model> Importer::run() {
  bool have_opset = false;
  for (const auto& o : mp_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      opset_ = o.version();
      have_opset = true;
    }
  if (!have_opset)
    return err("the ONNX model declares no opset version for the default domain (ai.onnx)",
               "give it one, e.g. onnx.helper.make_model(graph, opset_imports=["
               "onnx.helper.make_opsetid('', 13)])");
  if (auto s = index_graph(); !s) return s.failure();
  if (auto s = read_input(); !s) return s.failure();

  std::string name = printable(g_.name());
  if (name.empty() || std::find(std::begin(kGenericGraphNames), std::end(kGenericGraphNames),
                                name) != std::end(kGenericGraphNames)) {
    name = std::filesystem::path(origin_).stem().string();
    if (name.empty() || name[0] == '<') name = "model";
    name = printable(name);
  }
  m_.name = name;
  m_.source = origin_;

  cur_ = input_;
  for (;;) {
    const auto it = consumers_.find(cur_);
    const size_t users = it == consumers_.end() ? 0 : it->second.size();
    const std::string value = "value " + in_quotes(cur_);
    if (cur_ == output_) {
      if (users == 0) break;
      return err("the ONNX graph branches: " + value + " is the graph output and also feeds " +
                 desc(it->second[0]));
    }
    if (users == 0)
      return err("the data path ends at " + value +
                 (producer_.count(cur_) ? " (the output of " + desc(producer_.at(cur_)) + ")"
                                        : std::string()) +
                 ", which feeds no node and is not the graph output " + in_quotes(output_));
    if (users > 1)
      return err("the ONNX graph branches: " + value + " feeds " + desc(it->second[0]) + " and " +
                     desc(it->second[1]),
                 "xdpml supports a single chain of nodes from the input to the output");
    const int i = it->second[0];
    auto& seen = visited_[static_cast<size_t>(i)];
    if (seen) return err("the ONNX graph has a cycle through " + desc(i));
    seen = 1;
    if (auto s = step(i); !s) return s.failure();
  }
  for (int i = 0; i < g_.node_size(); ++i)
    if (!visited_[static_cast<size_t>(i)] && !is_op(i, "Constant"))
      return err(onnx_node(i) + " is not on the data path from the input " + in_quotes(input_) +
                     " to the output " + in_quotes(output_),
                 "xdpml supports a single chain of nodes from the input to the output");

  // ONNX says nothing about how outputs are used: a chain ending in ArgMax/Softmax, or in two or
  // more scores (logits; a regression produces one value), is a classifier.
  const bool classifier = (!m_.layers.empty() && (m_.layers.back().kind == LayerKind::ArgMax ||
                                                  m_.layers.back().kind == LayerKind::Softmax)) ||
                          m_.output_width() >= 2;
  m_.output.kind = classifier ? OutputKind::ArgMax : OutputKind::Regression;
  if (auto s = validate(m_); !s) return s.failure();
  return std::move(m_);
}

} // namespace

Result<Model> read_onnx_bytes(const std::string& bytes, const std::string& origin) {
  try {
    if (bytes.size() > kMaxModelBytes)
      return fail("the ONNX model has " + std::to_string(bytes.size()) +
                      " bytes; xdpml reads models of at most 64 MiB",
                  {origin});
    onnx::ModelProto mp;
    if (!mp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return fail("not an ONNX model", {origin}, "the protobuf parser rejected it");
    if (!mp.has_graph()) return fail("not an ONNX model", {origin}, "it has no graph");
    return Importer(mp, origin).run();
  } catch (const std::exception& e) {
    return fail(std::string("cannot import the ONNX model: ") + e.what(), {origin});
  } catch (...) {
    return fail("cannot import the ONNX model", {origin});
  }
}

Result<Model> read_onnx_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail("cannot open ONNX model '" + path + "': it is a directory", {path});
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open ONNX model '" + path + "': " + std::strerror(errno), {path});
  std::string bytes;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<size_t>(in.gcount()));
    if (bytes.size() > kMaxModelBytes)
      return fail("the ONNX model is larger than 64 MiB; xdpml reads models of at most 64 MiB",
                  {path});
  }
  if (in.bad()) return fail("cannot read ONNX model '" + path + "'", {path});
  return read_onnx_bytes(bytes, path);
}

} // namespace xdpml::model
