#include "kernels/linear.h"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "weights/dtype.h"

namespace bertscope {

namespace {

using dnnl::memory;
using dt = memory::data_type;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Row count at which the weights' layout is chosen. oneDNN's brgemm matmul picks the
// same blocked weight layout for every row count (checked for 1..4096 rows at BERT
// shapes); should another count want another layout, forward() reorders for it.
constexpr memory::dim kLayoutRows = 128;

dnnl::algorithm algorithm_of(Activation activation) {
  return activation == Activation::Gelu       ? dnnl::algorithm::eltwise_gelu_erf
         : activation == Activation::GeluTanh ? dnnl::algorithm::eltwise_gelu_tanh
                                              : dnnl::algorithm::eltwise_relu;
}

std::string matmul_name(int in_features, int out_features) {
  return std::to_string(in_features) + "x" + std::to_string(out_features) + " matmul";
}

}  // namespace

// The weights are reordered once, at construction, into the blocked layout of oneDNN's
// brgemm kernels; a primitive per distinct row count is created on first use and kept
// (a sweep uses a handful: the prompt length, a batch of trials, the last chunk, ...).
struct Linear::Kernel {
  int in = 0, out = 0;
  dt src_type = dt::f32;
  dnnl::primitive_attr attr;       // the fused activation, if any
  dnnl::primitive_attr plain_attr;  // none: forward_pre()
  Activation activation = Activation::None;
  memory weights;  // prepared layout, owns its buffer
  memory bias;     // [1, out] f32, owns its buffer, or empty

  struct Entry {
    dnnl::matmul primitive;
    memory weights;  // `weights` or a reorder of it when this row count wants another layout
  };
  std::mutex mutex;
  std::unordered_map<memory::dim, Entry> by_rows, pre_by_rows;  // with the activation, and without

  // A kernel with its activation and bias set, its weights not yet: both ways of making a
  // layer start here.
  static std::shared_ptr<Kernel> create(const float* bias, int in_features, int out_features, Activation activation,
                                        MatmulPrecision precision) {
    if (precision == MatmulPrecision::BF16 && !bf16_matmuls_supported()) {
      throw Error("bf16 matmuls need a CPU with AVX-512 (oneDNN's bfloat16 kernels); this one has none: use dtype "
                  "f32 (what dtype auto picks here)");
    }
    auto k = std::make_shared<Kernel>();
    k->in = in_features;
    k->out = out_features;
    k->src_type = precision == MatmulPrecision::BF16 ? dt::bf16 : dt::f32;
    k->activation = activation;
    if (activation != Activation::None) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, algorithm_of(activation), 0.0f, 0.0f);
      k->attr.set_post_ops(ops);
    }
    if (bias) {
      k->bias = memory(memory::desc({1, out_features}, dt::f32, memory::dims{out_features, 1}), cpu_engine());
      std::copy_n(bias, out_features, static_cast<float*>(k->bias.get_data_handle()));
    }
    return k;
  }

  // The layout the weights are prepared in (chosen at kLayoutRows rows).
  memory::desc prepared_desc() const {
    return describe(kLayoutRows, memory::desc({in, out}, src_type, memory::format_tag::any)).weights_desc();
  }

  dnnl::matmul::primitive_desc describe(memory::dim rows, const memory::desc& weight_md, bool activated = true) const {
    const memory::desc src_md({rows, in}, src_type, memory::dims{in, 1});
    const memory::desc dst_md({rows, out}, dt::f32, memory::dims{out, 1});
    const dnnl::matmul::desc desc = bias ? dnnl::matmul::desc(src_md, weight_md, bias.get_desc(), dst_md)
                                         : dnnl::matmul::desc(src_md, weight_md, dst_md);
    return dnnl::matmul::primitive_desc(desc, activated ? attr : plain_attr, cpu_engine());
  }

  // The primitive for `rows` rows, with the activation or without it.
  Entry& entry(memory::dim rows, bool activated = true) {
    std::lock_guard<std::mutex> lock(mutex);
    auto& entries = activated ? by_rows : pre_by_rows;
    auto found = entries.find(rows);
    if (found != entries.end()) return found->second;
    const memory::desc any({in, out}, src_type, memory::format_tag::any);
    const auto pd = describe(rows, any, activated);
    Entry e{dnnl::matmul(pd), weights};
    if (pd.weights_desc() != weights.get_desc()) {
      e.weights = memory(pd.weights_desc(), cpu_engine());
      dnnl::stream stream(cpu_engine());
      dnnl::reorder(weights, e.weights).execute(stream, weights, e.weights);
      stream.wait();
    }
    return entries.emplace(rows, std::move(e)).first->second;
  }
};

MatmulPrecision auto_precision() {
  // cpu_isa values are bit sets, each ISA's bits including those of the ISAs it extends, but
  // their order is not the ISAs' (avx2_vnni is numerically above avx512_core_amx): test the bits.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto amx = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_amx);
  return (isa & amx) == amx ? MatmulPrecision::BF16 : MatmulPrecision::F32;
}

bool bf16_matmuls_supported() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512;
}

bool matmul_rows_invariant() {
  static const bool invariant = [] {
    // Rows of a fixed pseudo-random input, computed in calls of several sizes, against the
    // same rows computed four at a time: sizes below, at and past where AVX2's gemm changes
    // its blocking, and rows at different places in their call.
    constexpr int kIn = 256, kOut = 1024, kRows = 300;
    std::vector<float> w(static_cast<size_t>(kIn) * kOut), x(static_cast<size_t>(kIn) * kRows);
    uint32_t state = 12345;
    auto next = [&state] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
    };
    for (float& v : w) v = 0.1f * next();
    for (float& v : x) v = next();
    const Linear linear(w.data(), nullptr, kIn, kOut);
    std::vector<float> reference(static_cast<size_t>(kOut) * kRows), y(reference.size());
    for (int r = 0; r < kRows; r += 4) {
      linear.forward(x.data() + static_cast<size_t>(r) * kIn, 4, reference.data() + static_cast<size_t>(r) * kOut);
    }
    for (const int rows : {1, 2, 3, 7, 8, 33, 200, 280, 300}) {
      linear.forward(x.data(), rows, y.data());
      if (!std::equal(y.begin(), y.begin() + static_cast<ptrdiff_t>(rows) * kOut, reference.begin())) return false;
    }
    return true;
  }();
  return invariant;
}

std::string kernel_identity() {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (" + v->hash + "), ISA " + std::to_string(static_cast<unsigned>(dnnl::get_effective_cpu_isa()));
}

const char* precision_name(MatmulPrecision precision) { return precision == MatmulPrecision::BF16 ? "bf16" : "f32"; }

Linear::Linear(std::shared_ptr<Kernel> kernel, int in_features, int out_features)
    : kernel_(std::move(kernel)), in_(in_features), out_(out_features) {}

Linear::Linear(const float* weight, const float* bias, int in_features, int out_features, Activation activation,
               MatmulPrecision precision)
    : in_(in_features), out_(out_features) {
  try {
    auto k = Kernel::create(bias, in_features, out_features, activation, precision);
    const auto& engine = cpu_engine();
    dnnl::stream stream(engine);
    // PyTorch stores W as [N, K]; it is the [K, N] matrix W^T with strides {1, K}.
    // bf16: round to bfloat16 here (a plain vectorised loop) and let oneDNN only move the
    // data into its layout; its converting reorder is several times slower.
    std::vector<uint16_t> rounded;
    void* source_data = const_cast<float*>(weight);
    if (k->src_type == dt::bf16) {
      const size_t n = static_cast<size_t>(in_features) * static_cast<size_t>(out_features);
      rounded.resize(n);
      f32_to_bf16(weight, n, rounded.data());
      source_data = rounded.data();
    }
    const memory::desc plain({in_features, out_features}, k->src_type, memory::dims{1, in_features});
    const memory source(plain, engine, source_data);
    k->weights = memory(k->prepared_desc(), engine);
    dnnl::reorder(source, k->weights).execute(stream, const_cast<memory&>(source), k->weights);
    stream.wait();
    kernel_ = std::move(k);
  } catch (const dnnl::error& e) {
    throw Error("oneDNN could not prepare a " + matmul_name(in_features, out_features) + ": " + e.what());
  }
}

Linear Linear::from_packed(std::span<const std::byte> packed, const float* bias, int in_features, int out_features,
                           Activation activation, MatmulPrecision precision) {
  try {
    auto k = Kernel::create(bias, in_features, out_features, activation, precision);
    const memory::desc layout = k->prepared_desc();
    if (packed.size() != layout.get_size()) {
      throw Error("prepared weights of a " + matmul_name(in_features, out_features) + " are " +
                  std::to_string(packed.size()) + " bytes, this build's layout needs " +
                  std::to_string(layout.get_size()));
    }
    // oneDNN only reads weights: the const_cast hands it a read-only mapping it never writes.
    k->weights = memory(layout, cpu_engine(), const_cast<std::byte*>(packed.data()));
    return Linear(std::move(k), in_features, out_features);
  } catch (const dnnl::error& e) {
    throw Error("oneDNN could not set up a " + matmul_name(in_features, out_features) + ": " + e.what());
  }
}

size_t Linear::packed_size(int in_features, int out_features, MatmulPrecision precision) {
  try {
    return Kernel::create(nullptr, in_features, out_features, Activation::None, precision)->prepared_desc().get_size();
  } catch (const dnnl::error& e) {
    throw Error("oneDNN could not describe a " + matmul_name(in_features, out_features) + ": " + e.what());
  }
}

std::span<const std::byte> Linear::packed_weights() const {
  if (!kernel_) return {};
  return {static_cast<const std::byte*>(kernel_->weights.get_data_handle()), kernel_->weights.get_desc().get_size()};
}

size_t Linear::weight_bytes() const {
  if (!kernel_) return 0;
  return kernel_->weights.get_desc().get_size() + (kernel_->bias ? kernel_->bias.get_desc().get_size() : 0);
}

void Linear::forward(const float* x, int rows, float* y) const { run(x, rows, y, true); }

void Linear::forward_pre(const float* x, int rows, float* y) const { run(x, rows, y, false); }

void Linear::activate(float* y, int rows) const {
  const Kernel& k = *kernel_;
  if (rows <= 0 || k.activation == Activation::None) return;
  const auto& engine = cpu_engine();
  const memory::desc md({static_cast<memory::dim>(rows), k.out}, dt::f32, memory::dims{k.out, 1});
  const dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, algorithm_of(k.activation), md, 0.0f, 0.0f), engine);
  const memory data(md, engine, y);
  thread_local dnnl::stream stream(engine);
  dnnl::eltwise_forward(pd).execute(stream, {{DNNL_ARG_SRC, data}, {DNNL_ARG_DST, data}});
  stream.wait();
}

void Linear::run(const float* x, int rows, float* y, bool activated) const {
  if (rows <= 0) return;
  Kernel& k = *kernel_;
  const memory::dim M = rows;
  Kernel::Entry& e = k.entry(M, activated);
  const auto& engine = cpu_engine();
  // bf16 matmuls read bf16 inputs: round this call's rows once (nearest even).
  thread_local std::vector<uint16_t> rounded;
  void* src_data = const_cast<float*>(x);
  if (k.src_type == dt::bf16) {
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(k.in);
    rounded.resize(n);
    f32_to_bf16(x, n, rounded.data());
    src_data = rounded.data();
  }
  const memory src(memory::desc({M, k.in}, k.src_type, memory::dims{k.in, 1}), engine, src_data);
  const memory dst(memory::desc({M, k.out}, dt::f32, memory::dims{k.out, 1}), engine, y);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, e.weights}, {DNNL_ARG_DST, dst}};
  if (k.bias) args.emplace(DNNL_ARG_BIAS, k.bias);
  thread_local dnnl::stream stream(engine);
  e.primitive.execute(stream, args);
  stream.wait();
}

}  // namespace bertscope
