#include "weights/model_fingerprint.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/error.h"
#include "weights/model_dir.h"

namespace bertscope {

namespace {

namespace fs = std::filesystem;

// 64-bit multiply-rotate mixing, 8 bytes at a time: fast enough to hash bert-large's
// 1.3 GB in about a second, once per shard.
class Hasher {
 public:
  void add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; i += 8) {
      uint64_t word = 0;
      std::memcpy(&word, bytes + i, std::min<size_t>(8, size - i));
      state_ = (std::rotl(state_ ^ (word * kPrime1), 31) * kPrime2) + size - i;
    }
  }
  uint64_t value() const {
    uint64_t h = state_;
    h ^= h >> 33;
    h *= kPrime1;
    h ^= h >> 29;
    return h;
  }

 private:
  static constexpr uint64_t kPrime1 = 0x9E3779B97F4A7C15ull, kPrime2 = 0xC2B2AE3D27D4EB4Full;
  uint64_t state_ = 0x27D4EB2F165667C5ull;
};

void add_file(Hasher& hasher, const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot be read to fingerprint the model");
  const std::string name = path.filename().string();
  hasher.add(name.data(), name.size());
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    hasher.add(block.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(path.string() + ": read error while fingerprinting the model");
}

}  // namespace

std::string model_fingerprint(const std::string& model_path) {
  const ModelFiles files = resolve_model_dir(model_path);
  std::vector<fs::path> paths = {files.config};
  for (const std::string& f : files.tokenizer_files()) paths.emplace_back(f);
  std::vector<fs::path> weights;
  for (const auto& entry : fs::directory_iterator(files.dir)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json")) weights.push_back(entry.path());
  }
  std::sort(weights.begin(), weights.end());
  paths.insert(paths.end(), weights.begin(), weights.end());
  Hasher hasher;
  for (const fs::path& path : paths) add_file(hasher, path);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hasher.value()));
  return hex;
}

}  // namespace bertscope
