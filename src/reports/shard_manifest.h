#pragma once
// A shard's folder (bertscope run SPEC --shard K/N --out DIR):
//   shard.json     this manifest: the fingerprint of the run, K, and how many items it ran
//   records.jsonl  its trials, one record a line, in the order they finished (trial_records.h)
// `bertscope merge` accepts shards only when their fingerprints agree, every K from 0 to
// N-1 is there once, and every work item is in exactly one shard. The manifest holds the
// checksum of records.jsonl and one of itself (common/checksum.h): a record or a manifest
// edited after the run (the prompt text of the spec in every shard.json, a number in a
// record) no longer matches, and the merge refuses it rather than pair old records with a
// new clean run.
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
  std::string records_checksum;  // of records.jsonl's bytes
};

// The most shards a run may have (--shard K/N): a manifest saying more is refused before
// anything is allocated per shard.
inline constexpr int kMaxShards = 1000000;

// The manifest as shard.json holds it, with its own checksum.
nlohmann::json shard_manifest_json(const ShardManifest& manifest);
// Reads `folder`/shard.json, every value checked against its type and range and the whole
// against its checksum. Throws Error naming the file when it is not a shard's manifest.
ShardManifest read_shard_manifest(const std::string& folder);

}  // namespace bertscope
