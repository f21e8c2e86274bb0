#include "interventions/random_stream.h"

#include <cmath>
#include <numbers>
#include <utility>

namespace bertscope {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(p0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return ctr;
}

RandomStream::RandomStream(uint64_t seed, std::initializer_list<uint64_t> path) {
  // The key comes from the seed, the high counter words from the path: distinct paths are
  // distinct, non-overlapping streams of 2^64 blocks each.
  const uint64_t key = splitmix64(seed);
  uint64_t stream = splitmix64(0x5EED5EEDull);
  for (uint64_t part : path) stream = splitmix64(stream ^ splitmix64(part + 0x632BE59BD9B4E019ull));
  key_ = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)};
  counter_ = {0, 0, static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
}

void RandomStream::refill() {
  block_ = philox4x32_10(counter_, key_);
  if (++counter_[0] == 0) ++counter_[1];
  used_ = 0;
}

uint32_t RandomStream::next_u32() {
  if (used_ == 4) refill();
  return block_[static_cast<size_t>(used_++)];
}

double RandomStream::uniform() {
  const uint64_t high = next_u32() >> 5, low = next_u32() >> 6;  // 27 + 26 bits
  return (static_cast<double>(high) * 67108864.0 + static_cast<double>(low)) / 9007199254740992.0;
}

double RandomStream::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  spare_normal_ = radius * std::sin(2.0 * std::numbers::pi * u2);
  has_spare_normal_ = true;
  return radius * std::cos(2.0 * std::numbers::pi * u2);
}

uint32_t RandomStream::below(uint32_t n) {
  uint64_t product = static_cast<uint64_t>(next_u32()) * n;
  auto low = static_cast<uint32_t>(product);
  if (low < n) {
    const uint32_t threshold = (0u - n) % n;
    while (low < threshold) {
      product = static_cast<uint64_t>(next_u32()) * n;
      low = static_cast<uint32_t>(product);
    }
  }
  return static_cast<uint32_t>(product >> 32);
}

void RandomStream::fill_normal(float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(normal());
}

std::vector<int> RandomStream::permutation(int n) {
  std::vector<int> perm(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  for (int i = n - 1; i > 0; --i) {
    std::swap(perm[static_cast<size_t>(i)], perm[below(static_cast<uint32_t>(i + 1))]);
  }
  return perm;
}

}  // namespace bertscope
