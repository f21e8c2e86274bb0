#include <cstdio>
#include <unistd.h>

#include "commands/commands.h"
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
    progress = [&meter, &finished_sweeps, prompts = static_cast<int64_t>(spec.prompts.size())](int64_t done, int64_t total) {
      meter.update(finished_sweeps + done, total * prompts);
      if (done == total) finished_sweeps += total;
    };
  }
  const ExperimentResult result = run_experiment(model, spec, progress);
  meter.finish();
  const auto files = write_experiment_files(out.staging(), result, model, RunContext{command_line(), demo, options.dtype});
  out.commit();
  std::printf("%s%s", sweep_tables(result, model).c_str(), distribution_tables(result).c_str());
  std::printf("\nwrote %zu files to %s/\n", files.size(), printable(spec.out).c_str());
}

}  // namespace bertscope::cli
