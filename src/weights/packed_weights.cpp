#include "weights/packed_weights.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/atomic_file.h"
#include "weights/block_checksum.h"

namespace bertscope {

namespace {

constexpr char kMagic[8] = {'B', 'S', 'P', 'A', 'C', 'K', 'W', '1'};
constexpr uint64_t kAlignment = 4096;  // each tensor starts on a page: kernels want aligned data

// The last bytes of the file. Fixed size, so that it is found without reading anything else.
struct Trailer {
  char magic[8];
  uint64_t format_version;
  uint64_t table_offset;
  uint64_t table_size;
  uint64_t table_checksum;
  uint64_t file_size;
};

uint64_t aligned(uint64_t offset) { return (offset + kAlignment - 1) / kAlignment * kAlignment; }

void put_u64(std::string& out, uint64_t value) { out.append(reinterpret_cast<const char*>(&value), sizeof value); }
void put_text(std::string& out, std::string_view text) {
  put_u64(out, text.size());
  out.append(text);
}

// Reads the table with every length checked against what is left: a damaged table must
// end in BadPackedWeights, never in a read past its end or a huge allocation.
class TableReader {
 public:
  TableReader(std::string_view bytes, const std::string& path) : rest_(bytes), path_(path) {}
  uint64_t u64() {
    need(sizeof(uint64_t));
    uint64_t value;
    std::memcpy(&value, rest_.data(), sizeof value);
    rest_.remove_prefix(sizeof value);
    return value;
  }
  std::string_view text() {
    const uint64_t length = u64();
    need(length);
    const std::string_view value = rest_.substr(0, length);
    rest_.remove_prefix(length);
    return value;
  }
  bool done() const { return rest_.empty(); }

 private:
  void need(uint64_t bytes) const {
    if (bytes > rest_.size()) throw BadPackedWeights(path_ + ": the packed-weights table is cut short");
  }
  std::string_view rest_;
  const std::string& path_;
};

}  // namespace

struct PackedWeights::Mapping {
  std::string path;
  const std::byte* data = nullptr;
  size_t size = 0;
  // Which tensors have had their checksum checked: each once per process.
  mutable std::mutex mutex;
  mutable std::vector<bool> checked;
  ~Mapping() {
    if (data) ::munmap(const_cast<std::byte*>(data), size);
  }
};

const std::string& PackedWeights::path() const {
  static const std::string none;
  return map_ ? map_->path : none;
}

size_t PackedWeights::size() const { return map_ ? map_->size : 0; }

PackedWeights PackedWeights::open(const std::string& path, std::string_view identity) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw BadPackedWeights(path + ": not a regular file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < sizeof(Trailer)) {
    ::close(fd);
    throw BadPackedWeights(path + ": " + std::to_string(size) + " bytes, too short for a packed-weights file");
  }
  // MAP_POPULATE: one call maps every page of the (page-cached) file, instead of a page
  // fault per 4 KB on first use; MAP_SHARED: the page cache's copy, one for all processes.
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) throw Error(path + ": cannot map (" + std::strerror(errno) + ")");
  auto map = std::make_shared<Mapping>();
  map->path = path;
  map->data = static_cast<const std::byte*>(data);
  map->size = size;

  Trailer trailer;
  std::memcpy(&trailer, map->data + size - sizeof trailer, sizeof trailer);
  if (std::memcmp(trailer.magic, kMagic, sizeof kMagic) != 0)
    throw BadPackedWeights(path + ": not a packed-weights file, or cut short (no trailer at its end)");
  if (trailer.format_version != kFormatVersion)
    throw BadPackedWeights(path + ": packed-weights format " + std::to_string(trailer.format_version) +
                           ", this build reads format " + std::to_string(kFormatVersion));
  if (trailer.file_size != size)
    throw BadPackedWeights(path + ": " + std::to_string(size) + " bytes, its trailer says " +
                           std::to_string(trailer.file_size));
  const uint64_t table_end = size - sizeof trailer;
  if (trailer.table_offset > table_end || trailer.table_size != table_end - trailer.table_offset)
    throw BadPackedWeights(path + ": the trailer places the table outside the file");
  const std::string_view table(reinterpret_cast<const char*>(map->data + trailer.table_offset), trailer.table_size);
  if (block_checksum(reinterpret_cast<const std::byte*>(table.data()), table.size()) != trailer.table_checksum)
    throw BadPackedWeights(path + ": the packed-weights table does not match its checksum");

  TableReader reader(table, path);
  if (reader.text() != identity)
    throw BadPackedWeights(path + ": made from another model file or by another build of bertscope");
  PackedWeights packed;
  const uint64_t count = reader.u64();
  for (uint64_t i = 0; i < count; ++i) {
    Entry e;
    e.key = std::string(reader.text());
    e.offset = reader.u64();
    e.size = reader.u64();
    e.checksum = reader.u64();
    if (e.offset > trailer.table_offset || e.size > trailer.table_offset - e.offset)
      throw BadPackedWeights(path + ": tensor '" + e.key + "' lies outside the file's data");
    packed.entries_.push_back(std::move(e));
  }
  if (!reader.done()) throw BadPackedWeights(path + ": bytes after the packed-weights table");
  std::sort(packed.entries_.begin(), packed.entries_.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  map->checked.assign(packed.entries_.size(), false);
  packed.map_ = std::move(map);
  return packed;
}

std::span<const std::byte> PackedWeights::find(std::string_view key, size_t size) const {
  if (!map_) throw BadPackedWeights("no packed weights for '" + std::string(key) + "'");
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                                   [](const Entry& e, std::string_view k) { return e.key < k; });
  if (it == entries_.end() || it->key != key)
    throw BadPackedWeights(map_->path + ": holds no tensor '" + std::string(key) + "'");
  if (it->size != size)
    throw BadPackedWeights(map_->path + ": tensor '" + it->key + "' is " + std::to_string(it->size) +
                           " bytes, the kernels need " + std::to_string(size));
  const std::span<const std::byte> bytes(map_->data + it->offset, it->size);
  const auto index = static_cast<size_t>(it - entries_.begin());
  std::lock_guard<std::mutex> lock(map_->mutex);
  if (!map_->checked[index]) {
    if (tensor_checksum(bytes.data(), bytes.size()) != it->checksum)
      throw BadPackedWeights(map_->path + ": tensor '" + it->key + "' does not match its checksum");
    map_->checked[index] = true;
  }
  return bytes;
}

void PackedWeights::check_all() const {
  if (!map_) return;
  struct Piece {
    size_t entry, offset, size;
  };
  std::vector<Piece> pieces;
  std::vector<size_t> first_piece(entries_.size() + 1);
  for (size_t e = 0; e < entries_.size(); ++e) {
    first_piece[e] = pieces.size();
    for (uint64_t at = 0; at < entries_[e].size; at += kChecksumPiece)
      pieces.push_back({e, entries_[e].offset + at, std::min<size_t>(kChecksumPiece, entries_[e].size - at)});
  }
  first_piece[entries_.size()] = pieces.size();
  std::vector<uint64_t> sums(pieces.size());
  const auto count = static_cast<std::ptrdiff_t>(pieces.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::ptrdiff_t i = 0; i < count; ++i) {
    const Piece& p = pieces[static_cast<size_t>(i)];
    sums[static_cast<size_t>(i)] = block_checksum(map_->data + p.offset, p.size);
  }
  std::lock_guard<std::mutex> lock(map_->mutex);
  for (size_t e = 0; e < entries_.size(); ++e) {
    const uint64_t sum = combine_piece_checksums(entries_[e].size, sums.data() + first_piece[e],
                                                 first_piece[e + 1] - first_piece[e]);
    if (sum != entries_[e].checksum)
      throw BadPackedWeights(map_->path + ": tensor '" + entries_[e].key + "' does not match its checksum");
    map_->checked[e] = true;
  }
}

void PackedWeightsWriter::add(std::string key, std::span<const std::byte> bytes) {
  tensors_.emplace_back(std::move(key), bytes);
}

void PackedWeightsWriter::write(const std::string& path, std::string_view identity) const {
  // Unsynced: the reader checks sizes and checksums, so a crash's damaged file is rebuilt;
  // waiting for a gigabyte to reach the disk would make the first load much slower.
  AtomicFileWriter out(path, AtomicFileWriter::Durability::Unsynced);
  std::string table;
  put_text(table, identity);
  put_u64(table, tensors_.size());
  const std::string padding(kAlignment, '\0');
  uint64_t offset = 0;
  for (const auto& [key, bytes] : tensors_) {
    put_text(table, key);
    put_u64(table, offset);
    put_u64(table, bytes.size());
    put_u64(table, tensor_checksum(bytes.data(), bytes.size()));
    out.write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    offset += bytes.size();
    const uint64_t next = aligned(offset);
    out.write(std::string_view(padding.data(), next - offset));
    offset = next;
  }
  Trailer trailer{};
  std::memcpy(trailer.magic, kMagic, sizeof kMagic);
  trailer.format_version = PackedWeights::kFormatVersion;
  trailer.table_offset = offset;
  trailer.table_size = table.size();
  trailer.table_checksum = block_checksum(reinterpret_cast<const std::byte*>(table.data()), table.size());
  trailer.file_size = offset + table.size() + sizeof trailer;
  out.write(table);
  out.write(std::string_view(reinterpret_cast<const char*>(&trailer), sizeof trailer));
  out.commit();
}

}  // namespace bertscope
