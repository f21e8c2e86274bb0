#include "reports/shard_manifest.h"

#include <filesystem>

#include "common/checksum.h"
#include "common/error.h"
#include "common/json_preview.h"
#include "common/read_file.h"

namespace bertscope {

namespace {

// Raised when the manifest's fields change meaning. 2: the checksums.
constexpr int kShardFormat = 2;
constexpr const char* kChecksumKey = "checksum";

[[noreturn]] void bad(const std::string& key, const std::string& why) { throw Error("\"" + key + "\" " + why); }

const nlohmann::json& field(const nlohmann::json& j, const std::string& key) {
  if (!j.contains(key)) bad(key, "is missing");
  return j[key];
}

std::string text(const nlohmann::json& j, const std::string& key) {
  const nlohmann::json& v = field(j, key);
  if (!v.is_string()) bad(key, "must be a string, not " + json_preview(v, 40));
  return v.get<std::string>();
}

// A whole number in [low, high], as written: 2e7 or 1.5 shards are not a shard count.
uint64_t whole(const nlohmann::json& j, const std::string& key, uint64_t low, uint64_t high) {
  const nlohmann::json& v = field(j, key);
  if (!v.is_number_unsigned() || v.get<uint64_t>() < low || v.get<uint64_t>() > high) {
    bad(key, "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", not " +
                 json_preview(v, 40));
  }
  return v.get<uint64_t>();
}

}  // namespace

std::string ShardFingerprint::difference(const ShardFingerprint& other) const {
  // The most telling first: a spec that differs in its seed only is "another seed".
  if (seed != other.seed) return "seed";
  if (shards != other.shards) return "shard count N";
  if (spec != other.spec) return "experiment spec";
  if (model != other.model) return "model files";
  if (bertscope_version != other.bertscope_version) return "bertscope version";
  if (dtype != other.dtype) return "dtype";
  return "";
}

nlohmann::json shard_manifest_json(const ShardManifest& m) {
  const ShardFingerprint& f = m.fingerprint;
  nlohmann::json j = {{"bertscope_shard", kShardFormat},
                      {"fingerprint",
                       {{"spec", f.spec}, {"model", f.model}, {"bertscope_version", f.bertscope_version}, {"seed", f.seed},
                        {"dtype", f.dtype}, {"shards", f.shards}}},
                      {"shard", m.shard},
                      {"items", m.items},
                      {"total_items", m.total_items},
                      {"model_path", m.model_path},
                      {"command", m.command},
                      {"dtype_requested", m.dtype_requested.empty() ? f.dtype : m.dtype_requested},
                      {"records_checksum", m.records_checksum}};
  // Over the rest as dumped (keys sorted): every field, the spec and the records' checksum.
  j[kChecksumKey] = checksum_of(j.dump());
  return j;
}

ShardManifest read_shard_manifest(const std::string& folder) {
  const std::string path = (std::filesystem::path(folder) / kShardManifestFile).string();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) throw Error(folder + ": not a shard folder (not a folder)");
  if (!std::filesystem::exists(path, ec)) {
    throw Error(folder + ": not a shard folder (no shard.json; write one with bertscope run SPEC --shard K/N --out " +
                folder + ")");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_small_file(path, 64u << 20));
  } catch (const nlohmann::json::exception& e) {
    const std::string what = e.what();
    const size_t at = what.find("line");
    throw Error(path + ": not a shard manifest (not valid JSON: " + (at == std::string::npos ? what.substr(0, 80) : what.substr(at, 80)) + ")");
  }
  try {
    if (!j.is_object()) throw Error("not a JSON object");
    const nlohmann::json& format = field(j, "bertscope_shard");
    if (format != kShardFormat) {
      throw Error("format " + json_preview(format, 20) + ", this bertscope reads format " + std::to_string(kShardFormat) +
                  " (run the shards again with this bertscope)");
    }
    nlohmann::json sealed = j;
    sealed.erase(kChecksumKey);
    if (text(j, kChecksumKey) != checksum_of(sealed.dump())) {
      throw Error("it was changed after the shard was written (its checksum does not match its contents); run the "
                  "shard again rather than edit it");
    }
    ShardManifest m;
    const nlohmann::json& f = field(j, "fingerprint");
    if (!f.is_object()) bad("fingerprint", "must be an object");
    m.fingerprint.spec = text(f, "spec");
    m.fingerprint.model = text(f, "model");
    m.fingerprint.bertscope_version = text(f, "bertscope_version");
    m.fingerprint.seed = whole(f, "seed", 0, UINT64_MAX);
    m.fingerprint.dtype = text(f, "dtype");
    m.fingerprint.shards = static_cast<int>(whole(f, "shards", 1, kMaxShards));
    m.shard = static_cast<int>(whole(j, "shard", 0, static_cast<uint64_t>(m.fingerprint.shards - 1)));
    m.total_items = whole(j, "total_items", 0, UINT64_MAX);
    m.items = whole(j, "items", 0, m.total_items);
    m.model_path = text(j, "model_path");
    m.command = text(j, "command");
    m.dtype_requested = text(j, "dtype_requested");
    m.records_checksum = text(j, "records_checksum");
    return m;
  } catch (const Error& e) {
    throw Error(path + ": not a shard manifest (" + e.what() + ")");
  }
}

}  // namespace bertscope
