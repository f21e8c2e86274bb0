#include "kernels/linear.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "common/error.h"

namespace bertscope {

namespace {

using dnnl::memory;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace

// One matmul primitive per layer, created once with a run-time row count, so the same
// compiled kernel serves a 1-row head call and a 1200-row batched sweep.
struct Linear::Kernel {
  dnnl::matmul primitive;
  memory::desc weight_md, bias_md;
  const float* weight = nullptr;
  const float* bias = nullptr;
};

Linear::Linear(const float* weight, const float* bias, int in_features, int out_features,
               Activation activation)
    : in_(in_features), out_(out_features) {
  const memory::dim K = in_features, N = out_features;
  const memory::dim M = DNNL_RUNTIME_DIM_VAL;
  auto kernel = std::make_shared<Kernel>();
  kernel->weight = weight;
  kernel->bias = bias;
  // PyTorch stores W as [N, K]; read as the [K, N] matrix W^T with strides {1, K}.
  kernel->weight_md = memory::desc({K, N}, memory::data_type::f32, memory::dims{1, K});
  const memory::desc src_md({M, K}, memory::data_type::f32, memory::dims{K, 1});
  const memory::desc dst_md({M, N}, memory::data_type::f32, memory::dims{N, 1});
  if (bias) kernel->bias_md = memory::desc({1, N}, memory::data_type::f32, memory::dims{N, 1});

  dnnl::primitive_attr attr;
  if (activation == Activation::Gelu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  try {
    const dnnl::matmul::desc desc = bias ? dnnl::matmul::desc(src_md, kernel->weight_md, kernel->bias_md, dst_md)
                                         : dnnl::matmul::desc(src_md, kernel->weight_md, dst_md);
    kernel->primitive = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, cpu_engine()));
  } catch (const dnnl::error& e) {
    throw Error(std::string("oneDNN could not create a matmul kernel: ") + e.what());
  }
  kernel_ = std::move(kernel);
}

void Linear::forward(const float* x, int rows, float* y) const {
  if (rows <= 0) return;
  const memory::dim M = rows, K = in_, N = out_;
  const auto& engine = cpu_engine();
  const memory src(memory::desc({M, K}, memory::data_type::f32, memory::dims{K, 1}), engine,
                   const_cast<float*>(x));
  const memory dst(memory::desc({M, N}, memory::data_type::f32, memory::dims{N, 1}), engine, y);
  const memory weights(kernel_->weight_md, engine, const_cast<float*>(kernel_->weight));
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (kernel_->bias) args.emplace(DNNL_ARG_BIAS, memory(kernel_->bias_md, engine, const_cast<float*>(kernel_->bias)));
  // A stream per call keeps forward() usable from several threads at once.
  dnnl::stream stream(engine);
  kernel_->primitive.execute(stream, args);
  stream.wait();
}

}  // namespace bertscope
