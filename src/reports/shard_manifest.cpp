#include "reports/shard_manifest.h"

#include <filesystem>

#include "common/error.h"
#include "common/read_file.h"

namespace bertscope {

namespace {

// Raised when the manifest's fields change meaning.
constexpr int kShardFormat = 1;

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
  return {{"bertscope_shard", kShardFormat},
          {"fingerprint",
           {{"spec", f.spec}, {"model", f.model}, {"bertscope_version", f.bertscope_version}, {"seed", f.seed},
            {"dtype", f.dtype}, {"shards", f.shards}}},
          {"shard", m.shard},
          {"items", m.items},
          {"total_items", m.total_items},
          {"model_path", m.model_path},
          {"command", m.command},
          {"dtype_requested", m.dtype_requested.empty() ? f.dtype : m.dtype_requested}};
}

ShardManifest read_shard_manifest(const std::string& folder) {
  const std::string path = (std::filesystem::path(folder) / kShardManifestFile).string();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) throw Error(folder + ": not a shard folder (not a folder)");
  if (!std::filesystem::exists(path, ec)) {
    throw Error(folder + ": not a shard folder (no shard.json; write one with bertscope run SPEC --shard K/N --out " +
                folder + ")");
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(read_small_file(path, 64u << 20));
    if (j.value("bertscope_shard", 0) != kShardFormat) throw Error("unknown format");
    ShardManifest m;
    const nlohmann::json& f = j.at("fingerprint");
    m.fingerprint.spec = f.at("spec").get<std::string>();
    m.fingerprint.model = f.at("model").get<std::string>();
    m.fingerprint.bertscope_version = f.at("bertscope_version").get<std::string>();
    m.fingerprint.seed = f.at("seed").get<uint64_t>();
    m.fingerprint.dtype = f.at("dtype").get<std::string>();
    m.fingerprint.shards = f.at("shards").get<int>();
    m.shard = j.at("shard").get<int>();
    m.items = j.at("items").get<uint64_t>();
    m.total_items = j.at("total_items").get<uint64_t>();
    m.model_path = j.at("model_path").get<std::string>();
    m.command = j.at("command").get<std::string>();
    m.dtype_requested = j.value("dtype_requested", m.fingerprint.dtype);
    if (m.fingerprint.shards < 1 || m.shard < 0 || m.shard >= m.fingerprint.shards) throw Error("shard out of range");
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(folder + ": not a shard folder (shard.json: " + e.what() + ")");
  } catch (const Error& e) {
    throw Error(folder + ": not a shard folder (shard.json: " + e.what() + ")");
  }
}

}  // namespace bertscope
