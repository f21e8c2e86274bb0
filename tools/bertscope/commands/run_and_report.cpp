#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "commands/commands.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "model/bert_model.h"
#include "reports/experiment_files.h"
#include "reports/output_folder.h"
#include "progress.h"
#include "terminal_tables.h"

namespace bertscope::cli {

void run_and_report(const ExperimentSpec& spec, const ModelOptions& options) {
  spec.validate();
  // Before the model loads and the sweep runs: an unusable --out fails now, not in an hour.
  OutputFolder out(spec.out);
  const std::string path = model_path(options, spec.model);
  const BertModel model = load_model(options, spec.model);
  const bool demo = is_demo_model(path);
  if (demo && !options.quiet) {
    std::fprintf(stderr, "note: using the small demo model (%s), not bert-large; its numbers say nothing about real BERT\n",
                 printable(model.dir()).c_str());
  }
  ProgressMeter meter([](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); },
                      isatty(STDERR_FILENO) == 1);
  // The sweep reports per prompt; every prompt runs the same trials, so the whole run has
  // prompts x that many, and a finished sweep adds its total to what came before.
  int64_t finished_sweeps = 0;
  ProgressFn progress;
  if (!options.quiet) {
    progress = [&meter, &finished_sweeps, prompts = static_cast<int64_t>(spec.prompts.size())](int64_t done, int64_t total,
                                                                                              double work) {
      // Every prompt's sweep costs the same: the run's share of work is that of the sweeps.
      const double sweeps_done = total > 0 ? static_cast<double>(finished_sweeps / total) : 0.0;
      meter.update(finished_sweeps + done, total * prompts, (sweeps_done + work) / static_cast<double>(prompts));
      if (done == total) finished_sweeps += total;
    };
  }
  const ExperimentResult result = run_experiment(model, spec, progress);
  meter.finish();
  const RunContext context{command_line(), demo, options.dtype};
  const auto files = write_experiment_files(out.staging(), result, model, context);
  out.commit();
  std::vector<std::string> names;
  for (const std::string& f : files) names.push_back(std::filesystem::path(f).filename().string());
  if (options.json) {
    // What the tables show, as results.json has it (without the per-trial runs), and the files.
    nlohmann::json summary = experiment_json(result, model, context);
    summary.erase("runs");
    summary["out"] = spec.out;
    summary["files"] = names;
    std::printf("%s\n", json_text(summary, 1).c_str());
    return;
  }
  std::printf("%s%s", sweep_tables(result, model).c_str(), distribution_tables(result).c_str());
  print_files_written(files, spec.out);
}

void publish_files(OutputFolder& folder, const std::vector<NamedFile>& files) {
  const std::vector<std::string> written = write_files_together(folder.staging(), files);
  folder.commit();
  print_files_written(written, folder.path());
}

void print_files_written(const std::vector<std::string>& files, const std::string& out) {
  std::printf("\nwrote %zu files to %s/:", files.size(), printable(out).c_str());
  for (const std::string& f : files) std::printf(" %s", printable(std::filesystem::path(f).filename().string()).c_str());
  std::printf("\n");
}

void add_output_flags(CLI::App& command, ModelOptions& options) {
  command.add_flag("--json", options.json,
                   "Print the summary as JSON on stdout (results.json without the per-trial runs, plus the output folder "
                   "and the files written) instead of the tables");
  command.add_flag("--quiet", options.quiet, "No progress or notes on stderr");
}

}  // namespace bertscope::cli
