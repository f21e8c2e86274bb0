#include "runs/merge.h"

#include <filesystem>

#include "common/error.h"
#include "experiments/work_plan.h"
#include "reports/output_size.h"
#include "weights/model_fingerprint.h"

namespace bertscope {

ShardSet read_shard_set(const std::vector<std::string>& folders) {
  if (folders.empty()) throw Error("merge needs the folders of the shards of one run; none was given");
  std::vector<ShardManifest> manifests;
  for (const std::string& folder : folders) manifests.push_back(read_shard_manifest(folder));
  const ShardManifest& first = manifests.front();
  const int n = first.fingerprint.shards;
  ShardSet set;
  set.manifests.resize(static_cast<size_t>(n));
  set.folders.assign(static_cast<size_t>(n), "");
  for (size_t i = 0; i < manifests.size(); ++i) {
    const ShardManifest& m = manifests[i];
    const std::string difference = first.fingerprint.difference(m.fingerprint);
    if (!difference.empty()) {
      throw Error(folders[i] + ": a shard of another run: its " + difference + " differs from that of " + folders.front() +
                  (difference == "shard count N" ? " (" + std::to_string(m.fingerprint.shards) + " against " + std::to_string(n) + ")" : ""));
    }
    std::string& held = set.folders[static_cast<size_t>(m.shard)];
    if (!held.empty()) {
      throw Error(folders[i] + ": shard " + std::to_string(m.shard) + "/" + std::to_string(n) + " is given twice (also " + held + ")");
    }
    held = folders[i];
    set.manifests[static_cast<size_t>(m.shard)] = m;
  }
  // The first few missing and how many more: a run of a million shards given two would
  // otherwise get a message of megabytes.
  constexpr int kListed = 5;
  std::string missing;
  int count = 0;
  for (int k = 0; k < n; ++k) {
    if (!set.folders[static_cast<size_t>(k)].empty()) continue;
    if (++count <= kListed) missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(n);
  }
  if (count > kListed) missing += " and " + std::to_string(count - kListed) + " more";
  if (count > 0) throw Error("shard " + missing + " missing: merge needs the folders of all " + std::to_string(n) + " shards");
  set.spec = ExperimentSpec::parse_toml(first.fingerprint.spec, set.folders.front() + "/" + kShardManifestFile);
  set.model_path = first.model_path;
  set.dtype = first.fingerprint.dtype;
  set.dtype_requested = first.dtype_requested;
  return set;
}

void ShardSet::check_model(const std::string& path) const {
  if (model_fingerprint(path) != manifests.front().fingerprint.model) {
    throw Error("model " + path + ": its files differ from those the shards ran with (give the same model with --model)");
  }
}

FolderRun merge_shards(const ShardSet& shards, const Encoder& model, const std::string& model_path,
                       const std::string& out_path, RunContext context, const RunControl& control) {
  ExperimentSpec spec = shards.spec;
  spec.out = out_path;
  OutputFolder out(spec.out, kResultsFile);
  shards.check_model(model_path);
  const WorkPlan plan(model, spec);
  RecordIndex index(plan, record_limits(model, spec));
  for (size_t k = 0; k < shards.manifests.size(); ++k) {
    const ShardManifest& shard = shards.manifests[k];
    const std::string& folder = shards.folders[k];
    const std::string manifest = (std::filesystem::path(folder) / kShardManifestFile).string();
    if (shard.total_items != plan.size()) {
      throw Error(manifest + ": total_items is " + std::to_string(shard.total_items) + ", but the experiment it "
                  "describes has " + std::to_string(plan.size()) + " work items (a damaged shard?)");
    }
    const std::string records = (std::filesystem::path(folder) / kShardRecordsFile).string();
    const RecordFileSummary found = index.add_file(records, folder);
    if (found.records != shard.items) {
      throw Error(folder + ": records.jsonl holds " + std::to_string(found.records) + " trials, and shard.json's items says " +
                  std::to_string(shard.items) + " (an unfinished or damaged shard?)");
    }
    if (found.checksum != shard.records_checksum) {
      throw Error(folder + ": records.jsonl: its checksum " + found.checksum + " is not the " + shard.records_checksum +
                  " shard.json holds: the records were changed after the shard ran; run the shard again");
    }
    if (control.cancelled && control.cancelled()) throw RunCancelled();
  }
  out.check_space(result_file_bytes(plan.size(), spec.top_k, spec.prompts.size()),
                  "this merge (" + std::to_string(plan.size()) + " trials)");
  // The clean runs and distributions, computed here once: no trials.
  TrialStream none;
  none.include = [](const WorkItem&) { return false; };
  none.sink = [](const TrialResult&) {};
  ExperimentResult base = run_experiment(model, spec, {}, none);
  context.dtype = shards.dtype;
  context.dtype_requested = shards.dtype_requested;
  return finish_folder(out, std::move(base), model, context, index, "");
}

}  // namespace bertscope
