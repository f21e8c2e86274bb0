// bertscope stats: the distribution of the clean hidden states against a Gaussian.
#include "commands/commands.h"
#include "spec_flags.h"

namespace bertscope::cli {

void add_stats_command(CLI::App& app) {
  auto options = std::make_shared<ModelOptions>();
  auto spec = std::make_shared<ExperimentSpec>();
  auto prompt = std::make_shared<std::string>();
  auto prompts = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand("stats", "Histograms, std, skewness, kurtosis and tails of every hidden state vs a Gaussian");
  add_model_options(*c, *options);
  c->add_option("--prompt", *prompt, "Text to run (a [MASK] adds the statistics of the [MASK] vector alone)");
  add_prompts_option(*c, *prompts, "Instead of --prompt: each prompt's statistics, named by its id");
  auto flags = std::make_shared<SpecFlags>(*c, kUsedByStats);
  c->add_option("--out", spec->out,
                "Output folder: results.json, prompts.csv, distributions.json, distributions.csv, histograms.csv, the "
                "figure (SVG, PNG), report.html")
      ->required();
  add_output_flags(*c, *options);
  c->footer("Example:\n  bertscope stats --prompt \"Pay no attention to that man [MASK] the curtain!\" --out out/stats");
  c->callback([=] {
    spec->name = "stats";
    spec->prompts = prompts_from(*prompt, *prompts, "--prompt TEXT");
    spec->prompts_file = *prompts;
    spec->distributions = true;
    flags->apply(*spec);
    run_and_report(*spec, *options);
  });
}

}  // namespace bertscope::cli
