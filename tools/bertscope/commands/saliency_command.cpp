// bertscope saliency: per-token attributions of the prediction at the [MASK] (a causal
// model's last token): integrated gradients, gradient x input and the gradient's norm.
#include <cmath>
#include <cstdio>
#include <optional>

#include "commands/commands.h"
#include "experiments/token_attribution.h"
#include "reports/output_folder.h"
#include "reports/text_format.h"
#include "reports/token_attribution_files.h"
#include "strict_numbers.h"

namespace bertscope::cli {

namespace {

struct SaliencyOptions {
  ModelOptions model;
  TokenAttributionRequest request;
  std::string out;
};

void run_saliency_command(const SaliencyOptions& o) {
  std::optional<OutputFolder> folder;
  if (!o.out.empty()) folder.emplace(o.out, "saliency.json");
  const Encoder model = load_model(o.model);
  const TokenAttributionResult r = run_token_attribution(GradientModel(model), o.request);
  std::printf("metric %s: %.4f here, %.4f with the baseline (%s at every token but the special ones)\n",
              r.metric_name.c_str(), r.metric, r.baseline_metric, r.baseline.c_str());
  std::printf("%8s %-16s %14s %14s %14s\n", "position", "token", "integrated", "grad x input", "grad norm");
  for (const TokenAttribution& t : r.tokens) {
    std::printf("%8d %-16.16s %14.5f %14.5f %14.5f%s\n", t.position, t.token.c_str(), t.integrated_gradients,
                t.gradient_x_input, t.gradient_norm, t.kept ? "  (kept in the baseline)" : "");
  }
  const double error = r.completeness_error();
  std::printf("completeness: integrated gradients sum to %.5f, f(x) - f(baseline) = %.5f (%s, %d steps)\n",
              r.integrated_total(), r.metric - r.baseline_metric,
              std::isnan(error) ? "no change to compare with" : format("error %.2f%%", 100.0 * error).c_str(), r.steps);
  if (folder) {
    const RunContext context = run_context(o.model, is_demo_model(model_path(o.model)));
    publish_files(*folder, token_attribution_files(r, model, context));
  }
}

}  // namespace

void add_saliency_command(CLI::App& app) {
  auto o = std::make_shared<SaliencyOptions>();
  CLI::App* c = app.add_subcommand(
      "saliency", "Per-token attributions of the prediction: integrated gradients, gradient x input, gradient norm");
  add_model_options(*c, o->model);
  c->add_option("--prompt", o->request.prompt, "Text with exactly one [MASK] (a causal model: the text to continue)")
      ->required();
  c->add_option("--target", o->request.target, "Word whose log-prob (or logit minus the foil's) is attributed")->required();
  c->add_option("--foil", o->request.foil, "Attribute logit[target] - logit[foil] instead");
  c->add_option("--steps", o->request.steps, "Steps of the integral (midpoint rule; default 64)")
      ->check(whole_number(1, 4096));
  c->add_option("--baseline", o->request.baseline, "The baseline token at every non-special position: pad or mask")
      ->check(CLI::IsMember({"pad", "mask"}));
  c->add_option("--out", o->out, "Output folder: saliency.json, saliency.csv, saliency.svg, saliency.png");
  c->footer("Example:\n  bertscope saliency --prompt \"Pay no attention to that man [MASK] the curtain!\" --target behind "
            "--out out/saliency");
  c->callback([o] { run_saliency_command(*o); });
}

}  // namespace bertscope::cli
