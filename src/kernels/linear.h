#pragma once
// y = act(x W^T + b): the one matrix kernel of the engine. All oneDNN code lives in
// linear.cpp, behind this interface, so another backend can replace it in one place.
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace bertscope {

// The activations fused into the matmul, by HuggingFace's names (ACT2FN): Gelu is the exact
// erf form ("gelu"), GeluTanh the tanh approximation ("gelu_new", "gelu_pytorch_tanh").
enum class Activation { None, Gelu, GeluTanh, Relu };

// F32: float32 weights and math. BF16: weights stored as bfloat16 and inputs rounded to
// bfloat16 for the matmul, accumulating in float32 (output, bias and everything outside
// the matmuls stay float32).
enum class MatmulPrecision { F32, BF16 };

// The precision `--dtype auto` runs: BF16 where oneDNN's bf16 matmuls run on AMX tiles
// (oneDNN's effective ISA includes avx512_core_amx: Sapphire Rapids and later), F32
// elsewhere. Without AMX, bf16 goes through AVX512-BF16 dot products or conversions, and
// measured slower than f32 (0.58x on an AVX512-BF16 Xeon without AMX). Honours
// ONEDNN_MAX_CPU_ISA, as oneDNN itself does.
MatmulPrecision auto_precision();
// Whether this CPU runs bfloat16 matmuls: oneDNN's bf16 kernels need AVX-512 (avx512_core;
// AVX512-BF16 and AMX add native dot products). On an AVX2 CPU it has none for most shapes
// (a 32x30522 decoder fails), so a BF16 layer there is an Error that says so.
bool bf16_matmuls_supported();
// Whether each row of a matmul comes out the same bits whatever the number of rows in the
// call and the row's place among them, probed once on this CPU (its shapes are BERT's).
// oneDNN's brgemm kernels (AVX-512 and up) are; its AVX2 gemm in oneDNN 2.6 is not: a row
// alone, with 2 or 3 others, or in a call past about 280 rows differs by about 1e-7 relative.
// A trial's numbers are bit-identical alone or in any batch (so shards merge into exactly
// the unsharded run's files) only where this holds; elsewhere they agree to float precision.
bool matmul_rows_invariant();
// What prepared weights depend on besides the model and precision: oneDNN's version and
// build, and the ISA it runs on (it picks the layout per ISA; ONEDNN_MAX_CPU_ISA changes it).
std::string kernel_identity();
// "f32" or "bf16".
const char* precision_name(MatmulPrecision precision);

class Linear {
 public:
  Linear() = default;
  // `weight` is [out, in] row-major as stored by PyTorch (nn.Linear), `bias` [out] or null.
  // Both are copied, once, into the layout the matmul kernel reads fastest, so the
  // caller may release them after construction.
  Linear(const float* weight, const float* bias, int in_features, int out_features,
         Activation activation = Activation::None, MatmulPrecision precision = MatmulPrecision::F32);

  // A layer whose weights were prepared before (by another Linear, see packed_weights())
  // and are used where they lie, not copied: `packed` must stay valid and unchanged while
  // the layer lives (the weights cache maps them read-only). Throws Error when `packed`
  // is not packed_size() bytes.
  static Linear from_packed(std::span<const std::byte> packed, const float* bias, int in_features, int out_features,
                            Activation activation = Activation::None,
                            MatmulPrecision precision = MatmulPrecision::F32);
  // Bytes of the prepared weights of an [out, in] layer: what from_packed() takes. They
  // depend on the shape, the precision, oneDNN's version and the ISA it runs on.
  static size_t packed_size(int in_features, int out_features, MatmulPrecision precision);
  // This layer's prepared weights, valid while it lives: what a cache stores.
  std::span<const std::byte> packed_weights() const;

  // x: [rows, in] row-major, y: [rows, out] row-major. Any rows >= 0; thread-safe.
  void forward(const float* x, int rows, float* y) const;
  // The same without the layer's activation (x W^T + b, the pre-activations: the mlp.pre
  // site), and the activation applied to such values in place. forward_pre then activate
  // give forward's values, the activation computed by the same oneDNN code, apart from
  // the matmul.
  void forward_pre(const float* x, int rows, float* y) const;
  void activate(float* y, int rows) const;

  int in_features() const { return in_; }
  int out_features() const { return out_; }
  // Bytes of prepared weights and bias held by this layer.
  size_t weight_bytes() const;

 private:
  struct Kernel;
  Linear(std::shared_ptr<Kernel> kernel, int in_features, int out_features);
  void run(const float* x, int rows, float* y, bool activated) const;
  std::shared_ptr<Kernel> kernel_;
  int in_ = 0;
  int out_ = 0;
};

}  // namespace bertscope
