#include "weights/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/read_file.h"
#include "common/error.h"
#include "common/json_preview.h"

namespace bertscope {

using json = nlohmann::json;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t TensorInfo::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // cannot overflow: open() checked the product
  return n;
}

namespace {

// A JSON value as a non-negative integer that fits int64, or why not. nlohmann stores
// non-negative literals as unsigned and negative ones as signed; floats are refused.
struct NonNegative {
  enum Status { kOk, kNegative, kNotInteger, kTooLarge } status;
  uint64_t value;
};

NonNegative as_non_negative(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return {NonNegative::kTooLarge, u};
    return {NonNegative::kOk, u};
  }
  if (v.is_number_integer()) return {NonNegative::kNegative, 0};  // signed => negative
  return {NonNegative::kNotInteger, 0};
}

// Everything after "PATH: tensor 'NAME' " is the caller's.
[[noreturn]] void fail(const std::string& path, const std::string& name, const std::string& problem) {
  throw Error(path + ": tensor '" + text_preview(name) + "' " + problem);
}

TensorInfo parse_entry(const std::string& path, const std::string& name, const json& entry,
                       uint64_t data_size) {
  if (!entry.is_object()) fail(path, name, "entry is not a JSON object");
  TensorInfo info;
  info.name = name;

  const auto dt = entry.find("dtype");
  if (dt == entry.end() || !dt->is_string()) fail(path, name, "has no string field 'dtype'");
  const auto dtype = parse_dtype(dt->get_ref<const std::string&>());
  if (!dtype) fail(path, name, "has unknown dtype '" + text_preview(dt->get_ref<const std::string&>(), 40) + "'");
  info.dtype = *dtype;

  const auto sh = entry.find("shape");
  if (sh == entry.end() || !sh->is_array()) fail(path, name, "has no array field 'shape'");
  uint64_t count = 1;
  for (const auto& d : *sh) {
    const NonNegative dim = as_non_negative(d);
    if (dim.status == NonNegative::kNegative)
      fail(path, name, "has negative dimension " + json_preview(d) + " in shape " + json_preview(*sh));
    if (dim.status != NonNegative::kOk)
      fail(path, name, "has shape " + json_preview(*sh) + ", which is not a list of non-negative integers");
    info.shape.push_back(static_cast<int64_t>(dim.value));
    if (__builtin_mul_overflow(count, dim.value, &count) ||
        count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(path, name, "has shape " + json_preview(*sh) + ", whose element count overflows");
  }

  const auto off = entry.find("data_offsets");
  if (off == entry.end() || !off->is_array() || off->size() != 2)
    fail(path, name, "has no field 'data_offsets' of the form [begin, end]");
  const NonNegative begin = as_non_negative((*off)[0]);
  const NonNegative end = as_non_negative((*off)[1]);
  if (begin.status != NonNegative::kOk || end.status != NonNegative::kOk)
    fail(path, name, "has data_offsets " + json_preview(*off) + ", which are not non-negative integers");
  const std::string offsets = "[" + std::to_string(begin.value) + ", " + std::to_string(end.value) + "]";
  if (begin.value > end.value) fail(path, name, "data offsets " + offsets + " are reversed");
  if (end.value > data_size)
    fail(path, name, "data offsets " + offsets + " exceed the data section of " + std::to_string(data_size) + " bytes");

  uint64_t needed = 0;
  const uint64_t have = end.value - begin.value;
  if (__builtin_mul_overflow(count, static_cast<uint64_t>(dtype_size(info.dtype)), &needed))
    fail(path, name, "has shape " + json_preview(*sh) + ", whose byte count overflows");
  if (needed != have)
    fail(path, name, "has " + std::to_string(have) + " bytes at data offsets " + offsets + ", but " +
                         dtype_name(info.dtype) + " x " + shape_string(info.shape) + " needs " +
                         std::to_string(needed));
  info.begin = static_cast<size_t>(begin.value);
  info.end = static_cast<size_t>(end.value);
  return info;
}

}  // namespace

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  // Owned from the start, so the destructor unmaps on every validation failure below.
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;

  struct stat st {};
  const int fd = open_regular_file(path, st);  // a FIFO would block forever in open()
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw Error(path + ": file is " + std::to_string(size) +
                " bytes, too short for the 8-byte header length of a safetensors file");
  }
  // MAP_PRIVATE + PROT_READ: pages come straight from the page cache, nothing is copied,
  // and the mapping stays valid after close().
  void* map = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_err = errno;
  ::close(fd);
  if (map == MAP_FAILED) throw Error(path + ": cannot map file: " + std::strerror(map_err));
  file->map_ = static_cast<const std::byte*>(map);
  file->map_size_ = static_cast<size_t>(size);

  // Header length, little-endian u64. Checked against the file size and a cap before the
  // JSON parser sees (and allocates for) anything.
  uint64_t header_len = 0;
  std::memcpy(&header_len, file->map_, 8);
  if (header_len > size - 8)
    throw Error(path + ": header length " + std::to_string(header_len) + " exceeds file size " +
                std::to_string(size));
  if (header_len > kMaxHeaderBytes)
    throw Error(path + ": header length " + std::to_string(header_len) + " exceeds the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes");
  file->data_offset_ = static_cast<size_t>(8 + header_len);
  const uint64_t data_size = size - 8 - header_len;

  json header;
  try {
    const char* text = reinterpret_cast<const char*>(file->map_ + 8);
    header = json::parse(text, text + header_len);
  } catch (const json::exception& e) {
    throw Error(path + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw Error(path + ": header is not a JSON object");

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      // Free-form string -> string (e.g. {"format": "pt"}); kept for callers, not interpreted.
      if (!entry.is_object()) throw Error(path + ": __metadata__ is not a JSON object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          throw Error(path + ": __metadata__ value for '" + text_preview(key) + "' is not a string");
        file->metadata_.emplace_back(key, value.get<std::string>());
      }
      continue;
    }
    file->tensors_.push_back(parse_entry(path, name, entry, data_size));
  }
  // nlohmann's object is a std::map, so items() came sorted; sort anyway to rely on nothing.
  std::sort(file->tensors_.begin(), file->tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  std::sort(file->metadata_.begin(), file->metadata_.end());

  // No two tensors may share a byte (a writer bug or a crafted file aliasing weights).
  // Sorted by begin, each non-empty tensor must start at or after the furthest end so far.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : file->tensors_)
    if (t.end > t.begin) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  const TensorInfo* furthest = nullptr;
  for (const TensorInfo* t : by_offset) {
    if (furthest && t->begin < furthest->end)
      throw Error(path + ": tensors '" + text_preview(furthest->name) + "' [" + std::to_string(furthest->begin) + ", " +
                  std::to_string(furthest->end) + "] and '" + text_preview(t->name) + "' [" + std::to_string(t->begin) +
                  ", " + std::to_string(t->end) + "] overlap");
    if (!furthest || t->end > furthest->end) furthest = t;
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<std::byte*>(map_), map_size_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                   [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

std::span<const std::byte> SafetensorsFile::bytes(const TensorInfo& info) const {
  return {map_ + data_offset_ + info.begin, info.end - info.begin};
}

void SafetensorsFile::release(const TensorInfo& info) const {
  // Only whole pages inside the tensor: its neighbours may still be in use.
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(map_ + data_offset_ + info.begin);
  const auto end = reinterpret_cast<uintptr_t>(map_ + data_offset_ + info.end);
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace bertscope
