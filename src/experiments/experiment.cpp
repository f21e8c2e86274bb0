#include "experiments/experiment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "experiments/run_memory.h"

namespace bertscope {

SiteKind parse_edit_site(const std::string& name) {
  const auto site = HookSite::parse("blocks.0." + name);
  if (!site) throw Error("site '" + name + "' is not one of: out, attn.context, attn.out, ln1.out, mlp.post, mlp.out");
  return site->kind;
}

std::string edit_site_name(SiteKind kind) {
  const std::string full = HookSite::block(kind, 0).name();
  return full.substr(std::string("blocks.0.").size());
}

void ExperimentSpec::validate() const {
  if (prompts.empty()) throw Error(name + ": no prompt given");
  if (trials < 1 || trials > 10000000) throw Error(name + ": trials must be between 1 and 10000000");
  if (top_k < 1 || top_k > 1000) throw Error(name + ": top must be between 1 and 1000");
  if (max_batch_tokens < 1) throw Error(name + ": max_batch_tokens must be positive");
  if (interventions.empty() && !distributions) throw Error(name + ": nothing to run: give interventions or distributions");
  for (const auto& spec : interventions) {
    spec.validate();
    if (spec.kind == InterventionKind::Skip && site != SiteKind::BlockOut) {
      throw Error(name + ": --site is not used by skip: it skips whole blocks (run skip without --site, or on its own)");
    }
  }
  if (distributions) {
    // Checked here, before a model is loaded, and not only when the statistics are computed:
    // a spec's infinities (TOML has inf and nan) would otherwise turn into NaN bin edges.
    const DistributionRequest& d = distribution;
    if (!(std::isfinite(d.histogram_low) && std::isfinite(d.histogram_high) && d.histogram_low < d.histogram_high &&
          std::isfinite(d.histogram_high - d.histogram_low)))
      throw Error(name + ": distributions low and high must be finite numbers with low < high");
    // A range at the resolution of a double has no ticks, bins or figure to draw (a range
    // of 4e-16 around 2 made the axis code spin).
    const double magnitude = std::max({1.0, std::fabs(d.histogram_low), std::fabs(d.histogram_high)});
    if (d.histogram_high - d.histogram_low < 1e-6 * magnitude) {
      char span[32];
      std::snprintf(span, sizeof span, "%.3g", d.histogram_high - d.histogram_low);
      throw Error(name + ": distributions high - low is " + span +
                  ", too narrow: it must be at least 1e-6 x the largest of 1, abs(low) and abs(high)");
    }
    if (d.bins < 1 || d.bins > 100000) throw Error(name + ": distributions bins must be between 1 and 100000");
    if (!(std::isfinite(d.noise_factor) && d.noise_factor >= 0.0))
      throw Error(name + ": distributions noise_factor must be a finite number >= 0");
  }
  if (!interventions.empty()) {
    for (const auto& p : prompts) {
      if (p.target.empty()) throw Error(name + ": prompt \"" + p.text + "\" needs a target word for the interventions");
    }
  }
}

ExperimentResult run_experiment(const BertModel& model, const ExperimentSpec& spec, const ProgressFn& progress) {
  spec.validate();
  check_run_memory(model, spec);  // before any work: what cannot fit is refused now
  ExperimentResult result{spec, model.dir(), {}, {}};
  const std::vector<int> layers = parse_layers(spec.layers, model.layers());
  for (const PromptSpec& prompt : spec.prompts) {
    if (!spec.interventions.empty()) {
      SweepRequest request{prompt.text, prompt.target, spec.interventions, layers, spec.site,
                           spec.trials, spec.seed, spec.top_k, spec.max_batch_tokens};
      result.sweeps.push_back(run_sweep(model, request, progress));
    }
    if (spec.distributions) {
      DistributionRequest request = spec.distribution;
      request.prompt = prompt.text;
      request.seed = spec.seed;
      result.distributions.push_back(hidden_state_distributions(model, request));
    }
  }
  return result;
}

}  // namespace bertscope
