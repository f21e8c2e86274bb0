#pragma once
// A checksum of bytes (64-bit FNV-1a), written as 16 hex digits: what a shard's manifest
// holds of its records and of itself, so that a merge notices a record or a manifest
// edited after the run (by hand, a broken copy, a half-synced folder). It detects changes,
// not forgeries: anyone can recompute it.
#include <cstdint>
#include <string>
#include <string_view>

namespace bertscope {

class Checksum {
 public:
  void add(std::string_view bytes) {
    for (const unsigned char c : bytes) state_ = (state_ ^ c) * 0x100000001b3ull;
  }
  std::string hex() const;

 private:
  uint64_t state_ = 0xcbf29ce484222325ull;
};

// The checksum of `bytes` at once.
std::string checksum_of(std::string_view bytes);

}  // namespace bertscope
