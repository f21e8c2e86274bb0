#include <cstdio>
#include <unistd.h>

#include "commands/commands.h"
#include "model/bert_model.h"
#include "reports/experiment_files.h"
#include "reports/output_folder.h"
#include "reports/terminal_tables.h"

namespace bertscope::cli {

void run_and_report(const ExperimentSpec& spec, const ModelOptions& options) {
  apply_threads(options);
  spec.validate();
  // Before the model loads and the sweep runs: an unusable --out fails now, not in an hour.
  OutputFolder out(spec.out);
  const std::string path = model_path(options, spec.model);
  const BertModel model = BertModel::load(path);
  const bool demo = is_demo_model(path);
  if (demo && !options.quiet) {
    std::fprintf(stderr, "note: using the small demo model (%s), not bert-large; its numbers say nothing about real BERT\n",
                 model.dir().c_str());
  }
  ProgressFn progress;
  if (!options.quiet) {
    progress = [](int64_t done, int64_t total) {
      std::fprintf(stderr, "\r%lld/%lld trials", static_cast<long long>(done), static_cast<long long>(total));
      if (done == total) std::fprintf(stderr, "\n");
    };
  }
  const ExperimentResult result = run_experiment(model, spec, progress);
  const auto files = write_experiment_files(out.path(), result, model, RunContext{command_line(), demo});
  out.commit();
  std::printf("%s%s", sweep_tables(result, model).c_str(), distribution_tables(result).c_str());
  std::printf("\nwrote %zu files to %s/\n", files.size(), spec.out.c_str());
}

}  // namespace bertscope::cli
