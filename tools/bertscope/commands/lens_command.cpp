// bertscope lens: the logit lens at the [MASK]: the MLM head on the residual stream after
// the embeddings and after every block.
#include <cmath>
#include <cstdio>
#include <optional>

#include "commands/commands.h"
#include "strict_numbers.h"
#include "experiments/defaults.h"
#include "experiments/logit_lens.h"
#include "reports/lens_files.h"
#include "reports/output_folder.h"
#include "reports/text_format.h"

namespace bertscope::cli {

namespace {

struct LensOptions {
  ModelOptions model;
  std::string prompt, target, foil, out;
  int top = defaults::kTopK;
};

void run_lens_command(const LensOptions& o) {
  std::optional<OutputFolder> folder;
  if (!o.out.empty()) folder.emplace(o.out, "lens.json");
  const Encoder model = load_model(o.model);
  const LensResult lens = run_logit_lens(model, o.prompt, o.target, o.top, o.foil);
  const Vocab& vocab = model.tokenizer().vocab();
  const bool has_target = lens.prompt.target_id >= 0, has_foil = lens.prompt.foil_id >= 0;
  std::printf("%-14s %s%s%s\n", "state", has_target ? "target rank  log-prob   " : "", has_foil ? "target - foil   " : "",
              "top words (probability)");
  for (const LensState& state : lens.states) {
    std::string words;
    for (const TokenScore& t : state.prediction.top) {
      words += format("%s %.3f  ", vocab.token(t.id).c_str(), std::exp(static_cast<double>(t.log_prob)));
    }
    const std::string label = state.site.kind == SiteKind::EmbedOut ? "embeddings" : "block " + std::to_string(state.site.layer);
    if (has_target) {
      const std::string contrast = has_foil ? format("%13.3f   ", state.prediction.logit_diff) : "";
      std::printf("%-14s %11d  %8.3f   %s%s\n", label.c_str(), state.prediction.target_rank, state.prediction.target_logsoftmax,
                  contrast.c_str(), words.c_str());
    } else {
      std::printf("%-14s %s\n", label.c_str(), words.c_str());
    }
  }
  if (folder) {
    const RunContext context = run_context(o.model, is_demo_model(model_path(o.model)));
    publish_files(*folder, lens_files(lens, model, context));
  }
}

}  // namespace

void add_lens_command(CLI::App& app) {
  auto o = std::make_shared<LensOptions>();
  CLI::App* c = app.add_subcommand("lens", "Logit lens: the MLM head on the [MASK] state after every block");
  add_model_options(*c, o->model);
  c->add_option("--prompt", o->prompt, "Text with exactly one [MASK]")->required();
  c->add_option("--target", o->target, "Word whose rank and log-prob are shown per block (one vocabulary entry)");
  c->add_option("--foil", o->foil,
                "A second word (with --target): logit(target) - logit(foil) per block, where the contrast forms");
  c->add_option("--top", o->top, "Top-k words per state")->check(whole_number(1, 100))->capture_default_str();
  c->add_option("--out", o->out, "Output folder: lens.json, lens.csv, lens.svg, lens.png");
  c->footer("Example:\n  bertscope lens --prompt \"Pay no attention to that man [MASK] the curtain!\" --target behind --out out/lens");
  c->callback([o] { run_lens_command(*o); });
}

}  // namespace bertscope::cli
