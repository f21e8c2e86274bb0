#include "kernels/linear.h"

#include <cstdint>
#include <mutex>
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

}  // namespace

// The weights are reordered once, at construction, into the blocked layout of oneDNN's
// brgemm kernels; a primitive per distinct row count is created on first use and kept
// (a sweep uses a handful: the prompt length, a batch of trials, the last chunk, ...).
struct Linear::Kernel {
  int in = 0, out = 0;
  dt src_type = dt::f32;
  dnnl::primitive_attr attr;
  memory weights;  // prepared layout, owns its buffer
  memory bias;     // [1, out] f32, owns its buffer, or empty

  struct Entry {
    dnnl::matmul primitive;
    memory weights;  // `weights` or a reorder of it when this row count wants another layout
  };
  std::mutex mutex;
  std::unordered_map<memory::dim, Entry> by_rows;

  dnnl::matmul::primitive_desc describe(memory::dim rows, const memory::desc& weight_md) const {
    const memory::desc src_md({rows, in}, src_type, memory::dims{in, 1});
    const memory::desc dst_md({rows, out}, dt::f32, memory::dims{out, 1});
    const dnnl::matmul::desc desc = bias ? dnnl::matmul::desc(src_md, weight_md, bias.get_desc(), dst_md)
                                         : dnnl::matmul::desc(src_md, weight_md, dst_md);
    return dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
  }

  Entry& entry(memory::dim rows) {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = by_rows.find(rows);
    if (found != by_rows.end()) return found->second;
    const memory::desc any({in, out}, src_type, memory::format_tag::any);
    const auto pd = describe(rows, any);
    Entry e{dnnl::matmul(pd), weights};
    if (pd.weights_desc() != weights.get_desc()) {
      e.weights = memory(pd.weights_desc(), cpu_engine());
      dnnl::stream stream(cpu_engine());
      dnnl::reorder(weights, e.weights).execute(stream, weights, e.weights);
      stream.wait();
    }
    return by_rows.emplace(rows, std::move(e)).first->second;
  }
};

MatmulPrecision auto_precision() {
  // cpu_isa values are bit sets, each ISA's bits including those of the ISAs it extends, but
  // their order is not the ISAs' (avx2_vnni is numerically above avx512_core_amx): test the bits.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto amx = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_amx);
  return (isa & amx) == amx ? MatmulPrecision::BF16 : MatmulPrecision::F32;
}

const char* precision_name(MatmulPrecision precision) { return precision == MatmulPrecision::BF16 ? "bf16" : "f32"; }

Linear::Linear(const float* weight, const float* bias, int in_features, int out_features, Activation activation,
               MatmulPrecision precision)
    : in_(in_features), out_(out_features) {
  auto k = std::make_shared<Kernel>();
  k->in = in_features;
  k->out = out_features;
  k->src_type = precision == MatmulPrecision::BF16 ? dt::bf16 : dt::f32;
  if (activation != Activation::None) {
    const dnnl::algorithm algorithm = activation == Activation::Gelu       ? dnnl::algorithm::eltwise_gelu_erf
                                      : activation == Activation::GeluTanh ? dnnl::algorithm::eltwise_gelu_tanh
                                                                           : dnnl::algorithm::eltwise_relu;
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, algorithm, 0.0f, 0.0f);
    k->attr.set_post_ops(ops);
  }
  try {
    const auto& engine = cpu_engine();
    dnnl::stream stream(engine);
    if (bias) {
      k->bias = memory(memory::desc({1, out_features}, dt::f32, memory::dims{out_features, 1}), engine);
      std::copy_n(bias, out_features, static_cast<float*>(k->bias.get_data_handle()));
    }
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
    const memory::desc any({in_features, out_features}, k->src_type, memory::format_tag::any);
    k->weights = memory(k->describe(kLayoutRows, any).weights_desc(), engine);
    dnnl::reorder(source, k->weights).execute(stream, const_cast<memory&>(source), k->weights);
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(std::string("oneDNN could not prepare a ") + std::to_string(in_features) + "x" +
                std::to_string(out_features) + " matmul: " + e.what());
  }
  kernel_ = std::move(k);
}

size_t Linear::weight_bytes() const {
  if (!kernel_) return 0;
  return kernel_->weights.get_desc().get_size() + (kernel_->bias ? kernel_->bias.get_desc().get_size() : 0);
}

void Linear::forward(const float* x, int rows, float* y) const {
  if (rows <= 0) return;
  Kernel& k = *kernel_;
  const memory::dim M = rows;
  Kernel::Entry& e = k.entry(M);
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
