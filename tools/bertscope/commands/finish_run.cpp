#include "commands/finish_run.h"

#include <cstdio>
#include <filesystem>

#include "common/json_text.h"
#include "terminal_tables.h"

namespace bertscope::cli {

void finish_run(OutputFolder& out, ExperimentResult base, const Encoder& model, const RunContext& context,
                const RecordIndex& index, const std::string& partial, const ModelOptions& options) {
  index.check_complete();
  const auto files = write_experiment_files(out.staging(), base, model, context,
                                            [&index](const TrialSink& sink) { index.for_each(sink); });
  if (!partial.empty()) std::filesystem::remove(partial);
  out.commit();
  std::vector<std::string> names;
  for (const std::string& f : files) names.push_back(std::filesystem::path(f).filename().string());
  if (options.json) {
    // What the tables show, as results.json has it (without the per-trial runs), and the files.
    nlohmann::json summary = experiment_json(base, model, context);
    summary.erase("runs");
    summary["out"] = out.path();
    summary["files"] = names;
    std::printf("%s\n", json_text(summary, 1).c_str());
    return;
  }
  std::printf("%s%s", sweep_tables(base, model).c_str(), distribution_tables(base).c_str());
  print_files_written(files, out.path());
}

}  // namespace bertscope::cli
