#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "commands/commands.h"
#include "commands/finish_run.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "experiments/work_plan.h"
#include "model/encoder.h"
#include "reports/experiment_files.h"
#include "reports/output_folder.h"
#include "reports/output_size.h"
#include "reports/shard_manifest.h"
#include "reports/trial_records.h"
#include "progress.h"
#include "terminal_tables.h"
#include "weights/model_fingerprint.h"

namespace bertscope::cli {

namespace {

// The trials a run (or its shard) writes as they finish, before the result files exist.
constexpr const char* kPartialRecords = "trials.partial.jsonl";

// Trials report per prompt (done of that prompt's total); the meter shows the whole run:
// `all` trials, prompts' shares weighted by their trials.
ProgressFn run_progress(ProgressMeter& meter, int64_t& finished, int64_t all) {
  return [&meter, &finished, all](int64_t done, int64_t total, double work) {
    const double share = all > 0 ? (static_cast<double>(finished) + work * static_cast<double>(total)) / static_cast<double>(all) : 1.0;
    meter.update(finished + done, all, share);
    if (done == total) finished += total;
  };
}

// Writes a shard's manifest beside its records and publishes the folder.
void publish_shard(OutputFolder& out, const ExperimentSpec& spec, const Encoder& model, const std::string& path,
                   const ModelOptions& options, const ShardChoice& shard, uint64_t items, uint64_t total,
                   const std::string& records_checksum) {
  ShardManifest manifest;
  manifest.fingerprint.spec = spec.canonical_toml();
  manifest.fingerprint.model = model_fingerprint(path);
  manifest.fingerprint.seed = spec.seed;
  manifest.fingerprint.dtype = resolved_dtype(options);  // what ran: shards must agree on it, not on the request
  manifest.fingerprint.shards = shard.n;
  manifest.dtype_requested = options.dtype;
  manifest.shard = shard.k;
  manifest.items = items;
  manifest.total_items = total;
  manifest.model_path = model.dir();
  manifest.command = command_line();
  manifest.records_checksum = records_checksum;
  const nlohmann::json manifest_json = shard_manifest_json(manifest);
  std::filesystem::rename(std::filesystem::path(out.staging()) / kPartialRecords,
                          std::filesystem::path(out.staging()) / kShardRecordsFile);
  write_files_together(out.staging(), {{kShardManifestFile, json_text(manifest_json, 1) + "\n"}});
  out.commit();
  if (options.json) {
    nlohmann::json summary = manifest_json;
    summary["out"] = out.path();
    summary["files"] = {kShardManifestFile, kShardRecordsFile};
    std::printf("%s\n", json_text(summary, 1).c_str());
    return;
  }
  std::printf("shard %d/%d: %llu of %llu work items\n", shard.k, shard.n, static_cast<unsigned long long>(items),
              static_cast<unsigned long long>(total));
  print_files_written({kShardManifestFile, kShardRecordsFile}, out.path());
}

}  // namespace

void run_and_report(const ExperimentSpec& spec, const ModelOptions& options, const std::optional<ShardChoice>& shard) {
  spec.validate();
  // Before the model loads and the sweep runs: an unusable --out fails now, not in an hour.
  OutputFolder out(spec.out, shard ? kShardManifestFile : kResultsFile);
  const std::string path = model_path(options, spec.model);
  const Encoder model = load_model(options, spec.model);
  const bool demo = is_demo_model(path);
  if (demo && !options.quiet) {
    std::fprintf(stderr, "note: using the small demo model (%s), not bert-large; its numbers say nothing about real BERT\n",
                 printable(model.dir()).c_str());
  }
  const WorkPlan plan(model, spec);
  const std::vector<bool> mine = shard ? plan.shard(shard->k, shard->n) : std::vector<bool>{};
  const auto items = static_cast<int64_t>(shard ? std::count(mine.begin(), mine.end(), true) : static_cast<std::ptrdiff_t>(plan.size()));
  // Before any work: the trials' records (and, for a whole run, the result files written
  // from them while the records still exist) must fit on the output's file system.
  const auto trials = static_cast<uint64_t>(items);
  out.check_space(shard ? record_bytes(trials, spec.top_k)
                        : record_bytes(trials, spec.top_k) + result_file_bytes(trials, spec.top_k, spec.prompts.size()),
                  shard ? "this shard (" + std::to_string(trials) + " trials)" : "this run (" + std::to_string(trials) + " trials)");

  ProgressMeter meter = stderr_meter("trials");
  int64_t finished = 0;
  const ProgressFn progress = options.quiet ? ProgressFn{} : run_progress(meter, finished, items);
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
  meter.finish();
  records.close();
  if (static_cast<int64_t>(records.count()) != items) {
    throw Error("internal: " + std::to_string(records.count()) + " trials written, " + std::to_string(items) + " expected");
  }
  if (shard) {
    return publish_shard(out, spec, model, path, options, *shard, static_cast<uint64_t>(items), plan.size(),
                         records.checksum());
  }

  RecordIndex index(plan, RecordLimits{model.config().vocab_size, spec.top_k});
  index.add_file(partial, "this run");
  const RunContext context = run_context(options, demo);
  finish_run(out, std::move(base), model, context, index, partial, options);
}

void publish_files(OutputFolder& folder, const std::vector<NamedFile>& files) {
  const std::vector<std::string> written = write_files_together(folder.staging(), files);
  folder.commit();
  print_files_written(written, folder.path());
}

ProgressFn meter_progress(ProgressMeter& meter, bool quiet) {
  if (quiet) return {};
  return [&meter](int64_t done, int64_t total, double) { meter.update(done, total); };
}

void print_files_written(const std::vector<std::string>& files, const std::string& out) {
  // A dataset's run writes a figure per prompt: past a dozen files the line counts them by
  // kind (report.html named, where it is) instead of naming each.
  constexpr size_t kNamedUpTo = 12;
  std::printf("\nwrote %zu files to %s/:", files.size(), printable(out).c_str());
  if (files.size() <= kNamedUpTo) {
    for (const std::string& f : files) std::printf(" %s", printable(std::filesystem::path(f).filename().string()).c_str());
    std::printf("\n");
    return;
  }
  std::vector<std::pair<std::string, size_t>> kinds;  // extension, count; in order of first appearance
  bool report = false;
  for (const std::string& f : files) {
    const std::filesystem::path name = std::filesystem::path(f).filename();
    if (name == "report.html") report = true;
    std::string extension = name.extension().string();
    if (!extension.empty()) extension.erase(0, 1);
    auto at = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == extension; });
    if (at == kinds.end()) kinds.emplace_back(extension, 1);
    else ++at->second;
  }
  for (size_t i = 0; i < kinds.size(); ++i) {
    std::printf("%s %zu %s", i == 0 ? "" : ",", kinds[i].second, kinds[i].first.empty() ? "other" : kinds[i].first.c_str());
  }
  std::printf("%s\n", report ? "; open report.html" : "");
}

void add_output_flags(CLI::App& command, ModelOptions& options) {
  command.add_flag("--json", options.json,
                   "Print the summary as JSON on stdout (results.json without the per-trial runs, plus the output folder "
                   "and the files written) instead of the tables");
  command.add_flag("--quiet", options.quiet, "No progress or notes on stderr");
}

}  // namespace bertscope::cli
