#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). Every trial opens its
// own stream from (seed, path) — e.g. {intervention, layer, trial} — so a trial's draws do
// not depend on which thread runs it, in what order, or with what batch size.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace bertscope {

// The Philox4x32-10 block function (exposed for its known-answer test).
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

class RandomStream {
 public:
  RandomStream(uint64_t seed, std::initializer_list<uint64_t> path);

  uint32_t next_u32();
  double uniform();  // [0, 1), 53 random bits
  double normal();   // standard normal (Box-Muller on two uniforms)
  // Unbiased integer in [0, n) (Lemire's multiply-shift with rejection).
  uint32_t below(uint32_t n);

  void fill_normal(float* out, size_t n);
  // A uniformly random permutation of 0..n-1 (Fisher-Yates), as torch.randperm(n).
  std::vector<int> permutation(int n);

 private:
  void refill();
  std::array<uint32_t, 2> key_{};
  std::array<uint32_t, 4> counter_{};
  std::array<uint32_t, 4> block_{};
  int used_ = 4;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace bertscope
