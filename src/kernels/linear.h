#pragma once
// y = act(x W^T + b): the one matrix kernel of the engine. All oneDNN code lives in
// linear.cpp, behind this interface, so another backend can replace it in one place.
#include <memory>

namespace bertscope {

enum class Activation { None, Gelu };  // Gelu is the exact erf form, as HF "gelu"

class Linear {
 public:
  Linear() = default;
  // `weight` is [out, in] row-major as stored by PyTorch (nn.Linear), `bias` [out] or null.
  // The pointers must outlive this object; no copy is made.
  Linear(const float* weight, const float* bias, int in_features, int out_features,
         Activation activation = Activation::None);

  // x: [rows, in] row-major, y: [rows, out] row-major. Any rows >= 0; thread-safe.
  void forward(const float* x, int rows, float* y) const;

  int in_features() const { return in_; }
  int out_features() const { return out_; }

 private:
  struct Kernel;
  std::shared_ptr<const Kernel> kernel_;
  int in_ = 0;
  int out_ = 0;
};

}  // namespace bertscope
