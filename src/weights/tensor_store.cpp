#include "weights/tensor_store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_preview.h"
#include "common/read_file.h"
#include "weights/finite_scan.h"

namespace bertscope {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const auto by_name = [](const auto& entry, std::string_view name) { return entry.first < name; };

// A shard must be a sibling of the index: a name like "../x" or "/etc/x" in a downloaded
// index would otherwise make us map arbitrary files.
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

TensorStore TensorStore::open_file(const std::string& path) {
  TensorStore store;
  store.origin_ = path;
  auto file = SafetensorsFile::open(path);
  for (const auto& info : file->tensors()) store.entries_.push_back({info.name, Entry{file.get(), &info}});
  store.files_.push_back(std::move(file));
  return store;  // entries_ already sorted: a file's tensors() are sorted by name
}

TensorStore TensorStore::open_dir(const std::string& dir) {
  const fs::path base(dir);
  const std::string index_path = (base / "model.safetensors.index.json").string();
  const std::string single_path = (base / "model.safetensors").string();
  std::error_code ec;
  if (!fs::exists(index_path, ec)) {
    if (fs::exists(single_path, ec)) return open_file(single_path);
    throw Error(dir + ": no model.safetensors or model.safetensors.index.json");
  }

  // bert-large's index would be ~20 KB; the largest published ones are a few MB.
  const std::string text = read_small_file(index_path, 64u << 20);
  json index;
  try {
    index = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(index_path + ": not valid JSON (" + e.what() + ")");
  }
  const auto wm = index.is_object() ? index.find("weight_map") : index.end();
  if (!index.is_object() || wm == index.end() || !wm->is_object())
    throw Error(index_path + ": no 'weight_map' object (tensor name -> shard file)");

  TensorStore store;
  store.origin_ = index_path;
  // Each distinct shard is opened once, in name order so error messages are deterministic.
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards;
  for (const auto& [tensor, shard] : wm->items()) {
    if (!shard.is_string())
      throw Error(index_path + ": weight_map entry for '" + text_preview(tensor) + "' is not a file name string");
    const auto& name = shard.get_ref<const std::string&>();
    if (!is_plain_file_name(name))
      throw Error(index_path + ": shard '" + text_preview(name) + "' (for tensor '" + text_preview(tensor) +
                  "') is not a plain file name in the model folder");
    shards.emplace(name, nullptr);
  }
  for (auto& [name, file] : shards) {
    const std::string shard_path = (base / name).string();
    if (!fs::exists(shard_path, ec))
      throw Error(index_path + ": shard '" + name + "' does not exist (looked for " + shard_path + ")");
    file = SafetensorsFile::open(shard_path);
  }
  for (const auto& [tensor, shard] : wm->items()) {
    const auto& file = shards.at(shard.get<std::string>());
    if (!file->find(tensor))
      throw Error(file->path() + ": missing tensor '" + text_preview(tensor) + "' (listed in " + index_path + ")");
  }

  // Every tensor of every shard is visible (as HF loads whole shards); a name in two
  // shards is ambiguous, so refused rather than resolved by load order.
  for (auto& [name, file] : shards) {
    for (const auto& info : file->tensors()) store.entries_.push_back({info.name, Entry{file.get(), &info}});
    store.files_.push_back(file);
  }
  std::stable_sort(store.entries_.begin(), store.entries_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < store.entries_.size(); ++i)
    if (store.entries_[i].first == store.entries_[i - 1].first)
      throw Error(store.entries_[i].second.file->path() + ": tensor '" + store.entries_[i].first +
                  "' is also in " + store.entries_[i - 1].second.file->path());
  return store;
}

bool TensorStore::contains(std::string_view name) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name, by_name);
  return it != entries_.end() && it->first == name;
}

const TensorStore::Entry& TensorStore::lookup(std::string_view name,
                                              const std::vector<int64_t>& expected_shape) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name, by_name);
  if (it == entries_.end() || it->first != name)
    throw Error(origin_ + ": missing tensor '" + std::string(name) + "'");
  const Entry& e = it->second;
  if (e.info->shape != expected_shape)
    throw Error(e.file->path() + ": tensor '" + e.info->name + "' has shape " + shape_string(e.info->shape) +
                ", config.json implies " + shape_string(expected_shape));
  return e;
}

// The entry's dtype, which must be one that converts to float32.
DType TensorStore::float_dtype(const Entry& e) {
  const DType dt = e.info->dtype;
  if (dt != DType::F32 && dt != DType::F16 && dt != DType::BF16 && dt != DType::F64)
    throw Error(e.file->path() + ": tensor '" + e.info->name + "' has dtype " + dtype_name(dt) +
                ", expected a floating type (F32, F16, BF16 or F64)");
  return dt;
}

std::vector<float> TensorStore::read_f32(std::string_view name, const std::vector<int64_t>& expected_shape) const {
  const Entry& e = lookup(name, expected_shape);
  const DType dt = float_dtype(e);
  const auto count = static_cast<size_t>(e.info->element_count());
  std::vector<float> out(count);
  convert_to_f32(dt, e.file->bytes(*e.info).data(), count, out.data());
  return out;
}

std::vector<float> TensorStore::read_f32_checked(std::string_view name, const std::vector<int64_t>& expected_shape,
                                                 std::optional<size_t>& first_bad) const {
  const Entry& e = lookup(name, expected_shape);
  const DType dt = float_dtype(e);
  const auto count = static_cast<size_t>(e.info->element_count());
  std::vector<float> out(count);
  const std::byte* src = e.file->bytes(*e.info).data();
  constexpr size_t kBlock = 16384;  // 64 KB of float32: converted and scanned in L2
  first_bad.reset();
  for (size_t start = 0; start < count; start += kBlock) {
    const size_t n = std::min(kBlock, count - start);
    convert_to_f32(dt, src + start * dtype_size(dt), n, out.data() + start);
    if (!first_bad) {
      if (const auto bad = first_non_finite(out.data() + start, n)) first_bad = start + *bad;
    }
  }
  return out;
}

const float* TensorStore::borrow_f32(std::string_view name, const std::vector<int64_t>& expected_shape) const {
  const Entry& e = lookup(name, expected_shape);
  if (e.info->dtype != DType::F32) return nullptr;
  const std::byte* p = e.file->bytes(*e.info).data();
  // The data section starts at 8 + header length, which writers pad to a multiple of 8,
  // but nothing forces them to: an unaligned float* would be undefined behaviour.
  if (reinterpret_cast<uintptr_t>(p) % alignof(float) != 0) return nullptr;
  return reinterpret_cast<const float*>(p);
}

void TensorStore::release(std::string_view name) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name, by_name);
  if (it != entries_.end() && it->first == name) it->second.file->release(*it->second.info);
}

std::string TensorStore::file_of(std::string_view name) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name, by_name);
  return it != entries_.end() && it->first == name ? it->second.file->path() : std::string();
}

const std::vector<int64_t>& TensorStore::shape_of(std::string_view name) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name, by_name);
  if (it == entries_.end() || it->first != name) throw Error(origin_ + ": missing tensor '" + std::string(name) + "'");
  return it->second.info->shape;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

}  // namespace bertscope
