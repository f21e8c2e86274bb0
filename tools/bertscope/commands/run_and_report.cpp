#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "commands/commands.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "model/encoder.h"
#include "reports/experiment_files.h"
#include "reports/output_folder.h"
#include "reports/shard_manifest.h"
#include "progress.h"
#include "terminal_tables.h"

namespace bertscope::cli {

namespace {

void show_shard(const FolderRun& run, const ModelOptions& options) {
  const ShardManifest& manifest = *run.shard;
  if (options.json) {
    nlohmann::json summary = shard_manifest_json(manifest);
    summary["out"] = run.folder;
    summary["files"] = {kShardManifestFile, kShardRecordsFile};
    std::printf("%s\n", json_text(summary, 1).c_str());
    return;
  }
  std::printf("shard %d/%d: %llu of %llu work items\n", manifest.shard, manifest.fingerprint.shards,
              static_cast<unsigned long long>(manifest.items), static_cast<unsigned long long>(manifest.total_items));
  print_files_written(run.files, run.folder);
}

}  // namespace

void show_run(const FolderRun& run, const Encoder& model, const ModelOptions& options) {
  if (run.shard) return show_shard(run, options);
  if (options.json) {
    // What the tables show, as results.json has it (without the per-trial runs), and the files.
    nlohmann::json summary = experiment_json(run.result, model, run.context);
    summary.erase("runs");
    summary["out"] = run.folder;
    std::vector<std::string> names;
    for (const std::string& f : run.files) names.push_back(std::filesystem::path(f).filename().string());
    summary["files"] = names;
    std::printf("%s\n", json_text(summary, 1).c_str());
    return;
  }
  std::printf("%s%s", sweep_tables(run.result, model).c_str(), distribution_tables(run.result).c_str());
  print_files_written(run.files, run.folder);
}

RunControl meter_control(ProgressMeter& meter, bool quiet) {
  RunControl control;
  if (!quiet) control.progress = [&meter](int64_t done, int64_t all, double share) { meter.update(done, all, share); };
  return control;
}

void run_and_report(const ExperimentSpec& spec, const ModelOptions& options, const std::optional<ShardChoice>& shard) {
  spec.validate();
  // Before the model loads: an unusable --out fails now (run_into_folder checks it again).
  { OutputFolder check(spec.out, shard ? kShardManifestFile : kResultsFile); }
  const std::string path = model_path(options, spec.model);
  const Encoder model = load_model(options, spec.model);
  const bool demo = is_demo_model(path);
  if (demo && !options.quiet) {
    std::fprintf(stderr, "note: using the small demo model (%s), not bert-large; its numbers say nothing about real BERT\n",
                 printable(model.dir()).c_str());
  }
  ProgressMeter meter = stderr_meter("trials");
  const FolderRun run = run_into_folder(model, path, spec, run_context(options, demo), meter_control(meter, options.quiet), shard);
  meter.finish();
  show_run(run, model, options);
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
