#include "terminal_tables.h"

#include <cstdio>

#include "common/printable.h"
#include "experiments/sweep_summary.h"
#include "reports/text_format.h"

namespace bertscope {

namespace {

// Prompts and vocabulary lines come from the command line and files: printed escaped, a
// crafted vocab.txt cannot retitle or clear the terminal.
std::string quoted(const std::string& token) { return "\"" + printable(token) + "\""; }

}  // namespace

std::string sweep_tables(const ExperimentResult& result, const Encoder& model) {
  const Vocab& vocab = model.tokenizer().vocab();
  std::string out;
  for (size_t p = 0; p < result.sweeps.size(); ++p) {
    const SweepResult& sweep = result.sweeps[p];
    const MaskPrediction& clean = sweep.clean;
    // With several prompts, each is named by its id, as in the result files.
    if (result.sweeps.size() > 1) out += format("\n[prompt id %s]", printable(result.spec.prompts.at(p).id).c_str());
    out += format("\nprompt: %s\ntarget: %s   clean top-1: %s   clean target log-softmax: %.3f (rank %d)\n",
                  printable(sweep.prompt.text).c_str(), quoted(sweep.prompt.target).c_str(),
                  quoted(vocab.token(clean.top.at(0).id)).c_str(), clean.target_logsoftmax, clean.target_rank);
    const std::vector<LayerSummary>& summaries = result.summaries.at(p);
    int current = -1;
    for (const LayerSummary& l : summaries) {
      if (l.intervention != current) {
        current = l.intervention;
        const InterventionSpec& s = result.spec.interventions[static_cast<size_t>(current)];
        out += format("\n%s at %s, %d trial%s per block\n", s.label().c_str(), edit_site_name(result.spec.site).c_str(),
                      l.trials, l.trials == 1 ? "" : "s");
        out += format("%5s  %-22s %-30s %8s  %12s  %11s\n", "block", "top-1 (share)", "target log-softmax [95% CI]",
                      "loss", "top-1=target", "top-1 punct");
      }
      const auto& [top_id, top_count] = l.top1_counts.front();
      const std::string top = format("%s (%.2f)", quoted(vocab.token(top_id)).c_str(), static_cast<double>(top_count) / l.trials);
      const std::string logsm = l.trials > 1 ? format("%8.3f [%.3f, %.3f]", l.target_logsoftmax.mean,
                                                      l.target_logsoftmax.ci_low, l.target_logsoftmax.ci_high)
                                             : format("%8.3f", l.target_logsoftmax.mean);
      out += format("%5d  %-22s %-30s %8.3f  %12.2f  %11.2f\n", l.layer, top.c_str(), logsm.c_str(), l.loss.mean,
                    l.share_top1_target, l.share_top1_punctuation);
    }
  }
  return out;
}

std::string distribution_tables(const ExperimentResult& result) {
  std::string out;
  for (const DistributionReport& report : result.distributions) {
    out += format("\nhidden-state distributions: %s\n", printable(report.prompt.text).c_str());
    out += format("Gaussian reference: excess kurtosis 0, beyond 3 std %.2f%%, beyond 5 std %.5f%%; noise = %g x std\n",
                  100.0 * gaussian_share_beyond(3.0), 100.0 * gaussian_share_beyond(5.0), report.request.noise_factor);
    out += format("%-11s %8s %8s %9s %8s %8s %9s  %9s %9s\n", "state", "std", "skew", "ex.kurt", ">3std%", ">5std%",
                  "max/std", "[MASK]kurt", "noise kurt");
    for (const StateDistribution& s : report.states) {
      const std::string mask = s.mask.moments.count > 0 ? format("%9.2f", s.mask.moments.excess_kurtosis) : "        -";
      out += format("%-11s %8.3f %8.2f %9.2f %8.3f %8.4f %9.2f  %s %9.2f\n", s.name.c_str(), s.all.moments.std,
                    s.all.moments.skewness, s.all.moments.excess_kurtosis, 100.0 * s.all.tails.beyond_3std,
                    100.0 * s.all.tails.beyond_5std, s.all.tails.max_abs_over_std, mask.c_str(),
                    s.noise.moments.excess_kurtosis);
    }
  }
  return out;
}

}  // namespace bertscope
