#pragma once
// A packed-weights file: tensors already in the layout the matmul kernels read, stored under
// a key each, written once and then mapped read-only and shared (MAP_SHARED), so that every
// process on a machine that loads the model uses one copy in the page cache.
//
// Layout: the tensors, each at a page-aligned offset; then a table (the identity of what the
// file was made from, then per tensor: key, offset, size, checksum); then a fixed trailer
// (magic, format version, the table's place and checksum, the file's size). Opening checks
// the size, the trailer, the table's checksum and the identity; a tensor's checksum is checked
// the first time it is used (find()). Nothing in the file is trusted before it is checked.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace bertscope {

// A packed-weights file that cannot be used: damaged, made from something else, or by
// another build. what() says which file and why; the caller rebuilds it.
class BadPackedWeights : public Error {
 public:
  using Error::Error;
};

class PackedWeights {
 public:
  // Holds nothing: every find() misses.
  PackedWeights() = default;
  // Maps `path` and checks it was made from `identity`. Throws BadPackedWeights naming the
  // file and the problem (truncated, not a packed-weights file, other format version, table
  // damaged, other identity); Error when it cannot be opened at all.
  static PackedWeights open(const std::string& path, std::string_view identity);

  bool empty() const { return !map_; }
  const std::string& path() const;
  // The bytes stored under `key`, checked against their checksum (the pages are read once
  // here; later uses are free). Throws BadPackedWeights when the key is absent, its size is
  // not `size`, or the bytes do not match their checksum.
  std::span<const std::byte> find(std::string_view key, size_t size) const;
  // Checks every tensor's checksum now, in one pass on all OpenMP threads (a loader that will
  // use them all saves a parallel region per tensor); find() then checks nothing again.
  // Throws BadPackedWeights naming the first tensor that does not match.
  void check_all() const;
  size_t size() const;

  // The file's format version: a file of another version is refused, never read.
  static constexpr uint64_t kFormatVersion = 1;

 private:
  struct Mapping;
  struct Entry {
    std::string key;
    uint64_t offset = 0, size = 0, checksum = 0;
  };
  std::shared_ptr<const Mapping> map_;
  std::vector<Entry> entries_;  // sorted by key
};

// Collects tensors, then writes them as a packed-weights file (atomically: a reader sees the
// old file or the whole new one, never a part). The bytes are not copied: they must stay
// valid until write().
class PackedWeightsWriter {
 public:
  void add(std::string key, std::span<const std::byte> bytes);
  bool empty() const { return tensors_.empty(); }
  // Throws Error naming `path` when it cannot be written (read-only folder, full disk).
  void write(const std::string& path, std::string_view identity) const;

 private:
  std::vector<std::pair<std::string, std::span<const std::byte>>> tensors_;
};

}  // namespace bertscope
