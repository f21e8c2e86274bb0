#include "runs/run_folder.h"

#include <algorithm>
#include <filesystem>

#include "common/json_text.h"
#include "experiments/work_plan.h"
#include "model/site_patterns.h"
#include "reports/file_set.h"
#include "reports/output_size.h"
#include "reports/trial_records.h"
#include "weights/model_fingerprint.h"

namespace bertscope {

namespace {

// The trials a run (or its shard) writes as they finish, before the result files exist.
constexpr const char* kPartialRecords = "trials.partial.jsonl";

// The engine reports per prompt (done of that prompt's total); `control` sees the whole run:
// `all` trials, prompts' shares weighted by their trials. Cancellation is asked here too.
ProgressFn run_progress(const RunControl& control, int64_t& finished, int64_t all) {
  if (!control.progress && !control.cancelled) return {};
  return [&control, &finished, all](int64_t done, int64_t total, double work) {
    if (control.cancelled && control.cancelled()) throw RunCancelled();
    const double share = all > 0 ? (static_cast<double>(finished) + work * static_cast<double>(total)) / static_cast<double>(all) : 1.0;
    if (control.progress) control.progress(finished + done, all, share);
    if (done == total) finished += total;
  };
}

// Writes a shard's manifest beside its records and publishes the folder.
FolderRun publish_shard(OutputFolder& out, const ExperimentSpec& spec, const std::string& model_path,
                        const Encoder& model, const RunContext& context, const ShardChoice& shard, uint64_t items,
                        uint64_t total, const std::string& records_checksum) {
  ShardManifest manifest;
  manifest.fingerprint.spec = spec.canonical_toml();
  manifest.fingerprint.model = model_fingerprint(model_path);
  manifest.fingerprint.seed = spec.seed;
  manifest.fingerprint.dtype = context.dtype;  // what ran: shards must agree on it, not on the request
  manifest.fingerprint.shards = shard.n;
  manifest.dtype_requested = context.dtype_requested.empty() ? context.dtype : context.dtype_requested;
  manifest.shard = shard.k;
  manifest.items = items;
  manifest.total_items = total;
  manifest.model_path = model.dir();
  manifest.command = context.command_line;
  manifest.records_checksum = records_checksum;
  std::filesystem::rename(std::filesystem::path(out.staging()) / kPartialRecords,
                          std::filesystem::path(out.staging()) / kShardRecordsFile);
  write_files_together(out.staging(), {{kShardManifestFile, json_text(shard_manifest_json(manifest), 1) + "\n"}});
  out.commit();
  FolderRun run{out.path(), {}, {}, context, manifest};
  for (const std::string& name : {std::string(kShardManifestFile), std::string(kShardRecordsFile)}) {
    run.files.push_back((std::filesystem::path(out.path()) / name).string());
  }
  return run;
}

}  // namespace

FolderRun run_into_folder(const Encoder& model, const std::string& model_path, const ExperimentSpec& spec,
                          const RunContext& context, const RunControl& control, const std::optional<ShardChoice>& shard) {
  spec.validate();
  // Before the sweep runs: an unusable folder fails now, not in an hour.
  OutputFolder out(spec.out, shard ? kShardManifestFile : kResultsFile);
  const WorkPlan plan(model, spec);
  const std::vector<bool> mine = shard ? plan.shard(shard->k, shard->n) : std::vector<bool>{};
  const auto items = static_cast<int64_t>(shard ? std::count(mine.begin(), mine.end(), true) : static_cast<std::ptrdiff_t>(plan.size()));
  // Before any work: the trials' records (and, for a whole run, the result files written
  // from them while the records still exist) must fit on the output's file system.
  const auto trials = static_cast<uint64_t>(items);
  out.check_space(shard ? record_bytes(trials, spec.top_k)
                        : record_bytes(trials, spec.top_k) + result_file_bytes(trials, spec.top_k, spec.prompts.size()),
                  shard ? "this shard (" + std::to_string(trials) + " trials)" : "this run (" + std::to_string(trials) + " trials)");

  int64_t finished = 0;
  const ProgressFn progress = run_progress(control, finished, items);
  // Every trial goes to disk as it finishes; the result files are written from there.
  const std::string partial = (std::filesystem::path(out.staging()) / kPartialRecords).string();
  TrialRecordWriter records(partial);
  TrialStream stream;
  stream.sink = [&records](const TrialResult& trial) { records.write(trial); };
  if (shard) stream.include = [&](const WorkItem& item) { return static_cast<bool>(mine[plan.rank(item)]); };
  // A shard runs trials only; the merge computes the clean runs and distributions once.
  ExperimentSpec trials_spec = spec;
  if (shard) trials_spec.distributions = false;
  ExperimentResult base;
  if (!trials_spec.interventions.empty() || trials_spec.distributions) base = run_experiment(model, trials_spec, progress, stream);
  records.close();
  if (static_cast<int64_t>(records.count()) != items) {
    throw Error("internal: " + std::to_string(records.count()) + " trials written, " + std::to_string(items) + " expected");
  }
  if (shard) {
    return publish_shard(out, spec, model_path, model, context, *shard, static_cast<uint64_t>(items), plan.size(),
                         records.checksum());
  }
  RecordIndex index(plan, record_limits(model, spec));
  index.add_file(partial, "this run");
  return finish_folder(out, std::move(base), model, context, index, partial);
}

FolderRun run_in_memory(const Encoder& model, const ExperimentSpec& spec, const RunContext& context,
                        const RunControl& control, const std::function<void(ExperimentResult&)>& inspect) {
  spec.validate();
  std::optional<OutputFolder> out;
  if (!spec.out.empty()) out.emplace(spec.out, kResultsFile);
  const uint64_t trials = WorkPlan(model, spec).size();
  if (out) out->check_space(result_file_bytes(trials, spec.top_k, spec.prompts.size()), "this run (" + std::to_string(trials) + " trials)");
  int64_t finished = 0;
  FolderRun run{spec.out, {}, {}, context, std::nullopt};
  run.result = run_experiment(model, spec, run_progress(control, finished, static_cast<int64_t>(trials)));
  if (inspect) inspect(run.result);
  if (!out) return run;
  run.files = write_experiment_files(out->staging(), run.result, model, context);
  out->commit();
  for (std::string& f : run.files) f = out->published(f);
  return run;
}

RecordLimits record_limits(const Encoder& model, const ExperimentSpec& spec) {
  return {model.config().vocab_size, spec.top_k, static_cast<int>(spec.targets.size()),
          static_cast<int>(resolve_sites(model, spec.cosine_sites).size())};
}

FolderRun finish_folder(OutputFolder& out, ExperimentResult base, const Encoder& model, const RunContext& context,
                        const RecordIndex& index, const std::string& partial) {
  index.check_complete();
  std::vector<std::string> files = write_experiment_files(out.staging(), base, model, context,
                                                          [&index](const TrialSink& sink) { index.for_each(sink); });
  if (!partial.empty()) std::filesystem::remove(partial);
  out.commit();
  for (std::string& f : files) f = out.published(f);
  return {out.path(), std::move(files), std::move(base), context, std::nullopt};
}

}  // namespace bertscope
