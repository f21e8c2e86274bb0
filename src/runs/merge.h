#pragma once
// The shards of one run (run_into_folder with a ShardChoice) merged into the output folder
// the unsharded run writes: read_shard_set() checks the folders are the N shards of one run,
// the front end loads the model they ran on (ShardSet::model_path, at ShardSet::dtype), and
// merge_shards() writes the folder, all or nothing.
#include <string>
#include <vector>

#include "runs/run_folder.h"

namespace bertscope {

struct ShardSet {
  std::vector<std::string> folders;        // index K: shard K's folder
  std::vector<ShardManifest> manifests;    // index K: its manifest
  ExperimentSpec spec;                     // the run's, as the manifests hold it
  std::string model_path;                  // the model folder the shards loaded
  std::string dtype;                       // what ran (f32 or bf16): the merge loads the model so
  std::string dtype_requested;             // what the run asked for, for results.json

  // Throws Error when the files of the model folder `model_path` are not those the shards
  // ran with: before the model is loaded, which for another model may fail otherwise.
  void check_model(const std::string& model_path) const;
};

// Reads every folder's shard.json. Throws Error naming the folder that does not fit: a shard
// of another run, one given twice, a damaged manifest; and the missing ones.
ShardSet read_shard_set(const std::vector<std::string>& folders);

// Checks each shard's records against its manifest and `model`'s files against the shards'
// fingerprint (`model_path`: the folder it was loaded from), computes the clean runs and
// distributions once, and writes `out` as the unsharded run would have. `context` is the
// merged results.json's record (its dtype fields are the shards').
FolderRun merge_shards(const ShardSet& shards, const Encoder& model, const std::string& model_path,
                       const std::string& out, RunContext context, const RunControl& control = {});

}  // namespace bertscope
