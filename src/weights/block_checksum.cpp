#include "weights/block_checksum.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "common/vector_dispatch.h"

namespace bertscope {

namespace {

constexpr size_t kLanes = 16;

struct LaneSums {
  uint32_t a[kLanes] = {};
  uint32_t b[kLanes] = {};
};

// The words one lane-row at a time: plain adds over arrays, which compilers vectorise
// (one AVX-512 add covers all sixteen lanes).
BERTSCOPE_VECTOR_CLONES
void add_rows(const std::byte* data, size_t rows, LaneSums& sums) {
  for (size_t r = 0; r < rows; ++r) {
    uint32_t words[kLanes];
    std::memcpy(words, data + r * sizeof words, sizeof words);
    for (size_t l = 0; l < kLanes; ++l) {
      sums.a[l] += words[l];
      sums.b[l] += sums.a[l];
    }
  }
}

uint64_t mix(uint64_t state, uint64_t value) {
  state ^= value;
  state *= 0x100000001b3ull;
  return state ^ (state >> 29);
}

}  // namespace

uint64_t block_checksum(const std::byte* data, size_t size) {
  constexpr size_t row_bytes = kLanes * sizeof(uint32_t);
  LaneSums sums;
  const size_t rows = size / row_bytes;
  add_rows(data, rows, sums);
  uint64_t state = mix(0xcbf29ce484222325ull, size);
  for (size_t l = 0; l < kLanes; ++l) state = mix(mix(state, sums.a[l]), sums.b[l]);
  for (size_t i = rows * row_bytes; i < size; ++i) state = mix(state, static_cast<unsigned char>(data[i]) + 0x100u * i);
  return state;
}

uint64_t combine_piece_checksums(size_t size, const uint64_t* piece_sums, size_t pieces) {
  uint64_t state = mix(0x84222325cbf29ce4ull, size);
  for (size_t i = 0; i < pieces; ++i) state = mix(state, piece_sums[i]);
  return state;
}

uint64_t tensor_checksum(const std::byte* data, size_t size) {
  const auto pieces = static_cast<std::ptrdiff_t>((size + kChecksumPiece - 1) / kChecksumPiece);
  std::vector<uint64_t> sums(static_cast<size_t>(pieces));
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (std::ptrdiff_t i = 0; i < pieces; ++i) {
    const size_t begin = static_cast<size_t>(i) * kChecksumPiece;
    sums[static_cast<size_t>(i)] = block_checksum(data + begin, std::min(kChecksumPiece, size - begin));
  }
  return combine_piece_checksums(size, sums.data(), sums.size());
}

}  // namespace bertscope
