#pragma once
// A shard's folder (bertscope run SPEC --shard K/N --out DIR):
//   shard.json     this manifest: the fingerprint of the run, K, and how many items it ran
//   records.jsonl  its trials, one record a line, in the order they finished (trial_records.h)
// `bertscope merge` accepts shards only when their fingerprints agree, every K from 0 to
// N-1 is there once, and every work item is in exactly one shard.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace bertscope {

inline constexpr const char* kShardManifestFile = "shard.json";
inline constexpr const char* kShardRecordsFile = "records.jsonl";

// What must agree between the shards of one run: the experiment, the weights, the code,
// the seed, the precision, and the number of shards.
struct ShardFingerprint {
  std::string spec;        // ExperimentSpec::canonical_toml()
  std::string model;       // model_fingerprint() of the model files
  std::string bertscope_version = BERTSCOPE_VERSION;
  uint64_t seed = 0;
  std::string dtype = "f32";
  int shards = 1;          // N
  // The name of the first field in which the two differ; empty when they agree.
  std::string difference(const ShardFingerprint& other) const;
};

struct ShardManifest {
  ShardFingerprint fingerprint;
  int shard = 0;            // K, 0-based
  uint64_t items = 0;       // work items it ran: the records in records.jsonl
  uint64_t total_items = 0; // of the whole run
  std::string model_path;   // the model folder it loaded, the merge's default
  std::string command;      // how it was started
  // What --dtype asked for (auto, f32, bf16), for the merged results.json; not part of the
  // fingerprint, whose dtype is the one that ran. Older shard.json files lack it: dtype.
  std::string dtype_requested = "";
};

nlohmann::json shard_manifest_json(const ShardManifest& manifest);
// Reads `folder`/shard.json. Throws Error naming the folder when it is not a shard folder.
ShardManifest read_shard_manifest(const std::string& folder);

}  // namespace bertscope
