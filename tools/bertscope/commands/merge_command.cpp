// bertscope merge --out DIR SHARD_DIR...: the shards of one run (bertscope run SPEC
// --shard K/N) into the output folder the unsharded run writes.
#include <cstdio>
#include <filesystem>

#include "commands/commands.h"
#include "commands/finish_run.h"
#include "common/error.h"
#include "common/printable.h"
#include "experiments/work_plan.h"
#include "strict_numbers.h"
#include "reports/output_size.h"
#include "reports/shard_manifest.h"
#include "weights/model_fingerprint.h"

namespace bertscope::cli {

namespace {

struct MergeOptions {
  ModelOptions model;
  std::string out;
  std::vector<std::string> shards;
};

// The shards' manifests, checked to be the N shards of one run, each once: index K holds
// shard K's. Throws Error naming the folder that does not fit.
std::vector<ShardManifest> read_shards(const std::vector<std::string>& folders, std::vector<std::string>& owner) {
  std::vector<ShardManifest> manifests;
  for (const std::string& folder : folders) manifests.push_back(read_shard_manifest(folder));
  const ShardManifest& first = manifests.front();
  const int n = first.fingerprint.shards;
  std::vector<ShardManifest> by_shard(static_cast<size_t>(n));
  owner.assign(static_cast<size_t>(n), "");
  for (size_t i = 0; i < manifests.size(); ++i) {
    const ShardManifest& m = manifests[i];
    const std::string difference = first.fingerprint.difference(m.fingerprint);
    if (!difference.empty()) {
      throw Error(folders[i] + ": a shard of another run: its " + difference + " differs from that of " + folders.front() +
                  (difference == "shard count N" ? " (" + std::to_string(m.fingerprint.shards) + " against " + std::to_string(n) + ")" : ""));
    }
    std::string& held = owner[static_cast<size_t>(m.shard)];
    if (!held.empty()) {
      throw Error(folders[i] + ": shard " + std::to_string(m.shard) + "/" + std::to_string(n) + " is given twice (also " + held + ")");
    }
    held = folders[i];
    by_shard[static_cast<size_t>(m.shard)] = m;
  }
  // The first few missing and how many more: a run of a million shards given two would
  // otherwise get a message of megabytes.
  constexpr int kListed = 5;
  std::string missing;
  int count = 0;
  for (int k = 0; k < n; ++k) {
    if (!owner[static_cast<size_t>(k)].empty()) continue;
    if (++count <= kListed) missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(n);
  }
  if (count > kListed) missing += " and " + std::to_string(count - kListed) + " more";
  if (count > 0) throw Error("shard " + missing + " missing: merge needs the folders of all " + std::to_string(n) + " shards");
  return by_shard;
}

void merge(const MergeOptions& o) {
  std::vector<std::string> folders;
  const std::vector<ShardManifest> shards = read_shards(o.shards, folders);
  const ShardManifest& first = shards.front();
  ExperimentSpec spec = ExperimentSpec::parse_toml(first.fingerprint.spec, folders.front() + "/" + kShardManifestFile);
  spec.out = o.out;
  OutputFolder out(spec.out, kResultsFile);
  ModelOptions options = o.model;
  options.dtype = first.fingerprint.dtype;
  const std::string path = model_path(options, first.model_path);
  if (model_fingerprint(path) != first.fingerprint.model) {
    throw Error("model " + path + ": its files differ from those the shards ran with (give the same model with --model)");
  }
  const Encoder model = load_model(options, first.model_path);
  const WorkPlan plan(model, spec);
  RecordIndex index(plan, RecordLimits{model.config().vocab_size, spec.top_k});
  for (size_t k = 0; k < shards.size(); ++k) {
    const std::string manifest = (std::filesystem::path(folders[k]) / kShardManifestFile).string();
    if (shards[k].total_items != plan.size()) {
      throw Error(manifest + ": total_items is " + std::to_string(shards[k].total_items) + ", but the experiment it "
                  "describes has " + std::to_string(plan.size()) + " work items (a damaged shard?)");
    }
    const std::string records = (std::filesystem::path(folders[k]) / kShardRecordsFile).string();
    const RecordFileSummary found = index.add_file(records, folders[k]);
    if (found.records != shards[k].items) {
      throw Error(folders[k] + ": records.jsonl holds " + std::to_string(found.records) + " trials, and shard.json's items says " +
                  std::to_string(shards[k].items) + " (an unfinished or damaged shard?)");
    }
    if (found.checksum != shards[k].records_checksum) {
      throw Error(folders[k] + ": records.jsonl: its checksum " + found.checksum + " is not the " + shards[k].records_checksum +
                  " shard.json holds: the records were changed after the shard ran; run the shard again");
    }
  }
  out.check_space(result_file_bytes(plan.size(), spec.top_k, spec.prompts.size()),
                  "this merge (" + std::to_string(plan.size()) + " trials)");
  // The clean runs and distributions, computed here once: no trials.
  TrialStream none;
  none.include = [](const WorkItem&) { return false; };
  none.sink = [](const TrialResult&) {};
  ExperimentResult base = run_experiment(model, spec, {}, none);
  RunContext context = run_context(options, is_demo_model(path));
  context.dtype_requested = first.dtype_requested;  // options.dtype is the fingerprint's, resolved
  finish_run(out, std::move(base), model, context, index, "", options);
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* c = app.add_subcommand("merge", "Merge the shard folders of 'bertscope run SPEC --shard K/N' into the output "
                                            "folder the unsharded run writes");
  c->add_option("--out", o->out, "Output folder: the same files as 'bertscope run SPEC' writes")->required();
  c->add_option("shards", o->shards, "The shard folders, one per K from 0 to N-1, in any order")->required();
  c->add_option("--model", o->model.model,
                "Model folder, when it is not where the shards loaded it from (its files must be the same)");
  c->add_option("--threads", o->model.threads, "Threads for the clean runs and distributions")
      ->check(whole_number(1, 1024))
      ->default_str("all cores");
  add_output_flags(*c, o->model);
  c->footer("Example:\n  for k in 0 1 2; do bertscope run examples/noisy-and-shuffled.toml --shard $k/3 --out shards/$k; done\n"
            "  bertscope merge --out out/merged shards/0 shards/1 shards/2");
  c->callback([o] { merge(*o); });
}

}  // namespace bertscope::cli
