#include "model/weights_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <vector>

#include "common/checksum.h"
#include "common/error.h"
#include "weights/block_checksum.h"
#include "weights/packed_weights.h"
#include "weights/tensor_store.h"

namespace bertscope {

namespace fs = std::filesystem;

namespace {

// Format of what the identity records; bump when the meaning of a packed tensor changes in
// a way the other fields would not show.
constexpr int kCacheVersion = 1;

void warn(const std::string& message) { std::fprintf(stderr, "bertscope: warning: %s\n", message.c_str()); }

// Said once per cache folder and process: a read-only or full folder would otherwise repeat
// itself for every model a long-running process (the explorer, a notebook) loads.
void warn_uncached_once(const std::string& folder, const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> told;
  std::lock_guard<std::mutex> lock(mutex);
  if (told.insert(folder).second) warn(message + "; running without the weights cache");
}

// The files whose bytes the packed weights come from (config.json gives their shapes).
std::vector<fs::path> weight_files(const ModelFiles& files) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(files.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json")) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  paths.insert(paths.begin(), files.config);
  return paths;
}

// Holds an exclusive flock on `path` (created if needed) while it lives.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) throw Error(path + ": cannot create the lock file (" + std::strerror(errno) + ")");
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd_);
      throw Error(path + ": cannot lock (" + std::strerror(err) + ")");
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// A checksum of samples of the file's bytes: its first 64 KB (the safetensors header and
// more) and 4 KB at 64 evenly spaced places. File times tick only every few milliseconds, so
// a file rewritten in place, to the same size, right after a load could keep its size, times
// and inode; its bytes would not. Costs a few hundred KB of reads, not a pass over the file.
std::string sampled_checksum(const fs::path& path, uint64_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<std::byte> buffer;
  const auto sample = [&](uint64_t offset, uint64_t length) {
    const size_t at = buffer.size();
    buffer.resize(at + length);
    const ssize_t got = ::pread(fd, buffer.data() + at, length, static_cast<off_t>(offset));
    buffer.resize(at + static_cast<size_t>(std::max<ssize_t>(got, 0)));
  };
  constexpr uint64_t kHead = 65536, kSample = 4096, kSamples = 64;
  sample(0, std::min(size, kHead));
  if (size > kHead) {
    for (uint64_t i = 0; i < kSamples; ++i) sample(kHead + (size - kHead) / kSamples * i, kSample);
  }
  ::close(fd);
  return std::to_string(block_checksum(buffer.data(), buffer.size()));
}

}  // namespace

WeightsCacheOptions WeightsCacheOptions::from_env() {
  if (const char* setting = std::getenv("BERTSCOPE_WEIGHTS_CACHE")) {
    std::string value(setting);
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    if (value == "off" || value == "0" || value == "false" || value == "no") return off();
  }
  fs::path base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home == '/') {
    base = fs::path(home) / ".cache";
  } else {
    return off();  // nowhere that is the user's own: no cache rather than a guess
  }
  return {(base / "bertscope" / "weights").string()};
}

std::string weights_cache_file(const WeightsCacheOptions& cache, const ModelFiles& files, MatmulPrecision precision) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(files.dir, ec);
  if (ec) dir = fs::absolute(files.dir);
  // The folder's path names the file: a model rewritten in place replaces its cache file
  // rather than leaving the old one behind.
  return (fs::path(cache.folder) / (checksum_of(dir.string()) + "-" + precision_name(precision) + ".weights")).string();
}

std::string weights_cache_identity(const ModelFiles& files, MatmulPrecision precision) {
  std::string id = "bertscope packed weights " + std::to_string(kCacheVersion) + "; bertscope " BERTSCOPE_VERSION "; " +
                   kernel_identity() + "; " + precision_name(precision);
  for (const fs::path& path : weight_files(files)) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error(path.string() + ": cannot stat (" + std::strerror(errno) + ")");
    // Any rewrite, copy over or touch changes one of these (ctime cannot be set back), and
    // the sampled bytes catch a same-size rewrite in place within one tick of the clock.
    id += "; " + path.filename().string() + " size " + std::to_string(st.st_size) + " mtime " +
          std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " ctime " +
          std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec) + " inode " +
          std::to_string(st.st_ino) + " device " + std::to_string(st.st_dev) + " sampled " +
          // Only a regular file is read: opening a FIFO would block (the load refuses it next).
          (S_ISREG(st.st_mode) ? sampled_checksum(path, static_cast<uint64_t>(st.st_size)) : "none");
  }
  return id;
}

std::shared_ptr<const EncoderWeights> load_weights(const ModelFiles& files, const ModelConfig& config,
                                                   const TensorNames& names, MatmulPrecision precision,
                                                   const WeightsCacheOptions& cache) {
  const auto load = [&](const PackedWeights& packed) {
    return EncoderWeights::load(TensorStore::open_dir(files.dir), config, names, precision, packed);
  };
  if (!cache.enabled()) return load({});
  const std::string path = weights_cache_file(cache, files, precision);
  const std::string identity = weights_cache_identity(files, precision);

  // Why an existing cache file was not used: said once it is certain the file gets rebuilt.
  std::string problem;
  const auto from_cache = [&]() -> std::shared_ptr<const EncoderWeights> {
    std::error_code ec;
    if (!fs::exists(path, ec)) return nullptr;
    PackedWeights packed;
    try {
      packed = PackedWeights::open(path, identity);
    } catch (const Error& e) {  // BadPackedWeights, or a file that cannot be opened
      problem = e.what();
      return nullptr;
    }
    try {
      return load(packed);
    } catch (const BadPackedWeights& e) {  // a tensor's checksum or size; the model's own errors go on
      problem = e.what();
    }
    return nullptr;
  };
  if (auto weights = from_cache()) return weights;

  std::error_code ec;
  fs::create_directories(cache.folder, ec);
  if (ec) {
    warn_uncached_once(cache.folder, cache.folder + ": cannot create the cache folder (" + ec.message() + ")");
    return load({});
  }
  std::unique_ptr<FileLock> lock;
  try {
    lock = std::make_unique<FileLock>(path + ".lock");
  } catch (const Error& e) {
    warn_uncached_once(cache.folder, e.what());
    return load({});
  }
  // Another process may have built it while this one waited for the lock.
  problem.clear();
  if (auto weights = from_cache()) return weights;
  if (!problem.empty()) warn("ignoring the weights cache " + problem + "; rebuilding it");

  auto weights = load({});
  PackedWeightsWriter writer;
  weights->add_packed_to(writer);
  try {
    writer.write(path, identity);
  } catch (const Error& e) {
    warn_uncached_once(cache.folder, e.what());
  }
  return weights;
}

}  // namespace bertscope
