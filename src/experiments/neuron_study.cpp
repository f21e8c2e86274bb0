#include "experiments/neuron_study.h"

#include <cmath>

#include "common/error.h"

namespace bertscope {

void NeuronStudyRequest::validate() const {
  for (const std::string* label : {&label_a, &label_b}) {
    if (label->empty() || label->find_first_of(",:\"\n\r\t ") != std::string::npos) {
      throw OptionError("labels", " must be two plain words like him,her (no spaces, commas or colons: they name "
                                  "columns and the units file's sets), not '" + *label + "'");
    }
  }
  if (label_a == label_b) throw OptionError("labels", " are both '" + label_a + "': name the two sets apart");
  if (prompts_a.size() < 2 || prompts_b.size() < 2) {
    throw Error("a t-test needs at least 2 prompts in each set; the sets have " + std::to_string(prompts_a.size()) +
                " and " + std::to_string(prompts_b.size()));
  }
  if (test == UnitTest::Paired && prompts_a.size() != prompts_b.size()) {
    throw OptionError("test", " paired compares prompt i of one set with prompt i of the other, and the sets have " +
                                  std::to_string(prompts_a.size()) + " and " + std::to_string(prompts_b.size()) + " prompts");
  }
  if (!(alpha > 0.0 && alpha < 1.0)) throw OptionError("alpha", " must be between 0 and 1");
  if (sites.empty()) throw OptionError("sites", " names no site");
}

std::string NeuronStudy::higher_in(const UnitComparison& units, size_t u) const {
  if (units.mean_a[u] > units.mean_b[u]) return request.label_a;
  if (units.mean_b[u] > units.mean_a[u]) return request.label_b;
  return "";
}

SignificantUnits NeuronStudy::significant(const UnitComparison& units) const {
  SignificantUnits n;
  for (size_t u = 0; u < units.t.size(); ++u) {
    if (units.significant_bonferroni[u]) ++n.bonferroni;
    if (units.significant_fdr[u]) (higher_in(units, u) == request.label_a ? n.higher_a : n.higher_b) += 1;
  }
  return n;
}

std::vector<float> per_prompt_means(const Collection& collection, size_t site, size_t prompts) {
  const size_t width = static_cast<size_t>(collection.widths[site]);
  std::vector<double> sums(prompts * width, 0.0);
  std::vector<int> counts(prompts, 0);
  const std::vector<float>& values = collection.values[site];
  for (size_t r = 0; r < collection.rows(); ++r) {
    const size_t p = static_cast<size_t>(collection.row_prompt[r]);
    ++counts[p];
    for (size_t u = 0; u < width; ++u) sums[p * width + u] += values[r * width + u];
  }
  std::vector<float> means(sums.size());
  for (size_t p = 0; p < prompts; ++p) {
    for (size_t u = 0; u < width; ++u) means[p * width + u] = static_cast<float>(sums[p * width + u] / counts[p]);
  }
  return means;
}

NeuronStudy run_neuron_study(const Encoder& model, const NeuronStudyRequest& request, const ProgressFn& progress) {
  request.validate();
  auto plan_of = [&](const std::vector<PromptSpec>& prompts, const Positions& positions, const std::string& label) {
    CollectRequest collect{prompts, request.sites, positions, request.max_batch_tokens};
    try {
      return std::make_pair(collect, plan_collection(model, collect));
    } catch (const OptionError&) {
      throw;
    } catch (const Error& e) {
      throw Error("prompt set " + label + ": " + e.what());
    }
  };
  // Both sets planned (tokenized, positions found) before either runs: a missing word in the
  // second set is reported before the first set's passes.
  const auto [collect_a, plan_a] = plan_of(request.prompts_a, request.positions_a, request.label_a);
  const auto [collect_b, plan_b] = plan_of(request.prompts_b, request.positions_b, request.label_b);
  const auto total = static_cast<int64_t>(request.prompts_a.size() + request.prompts_b.size());
  auto part = [&](int64_t offset) -> ProgressFn {
    if (!progress) return {};
    return [&, offset](int64_t done, int64_t, double) { progress(offset + done, total, 0.0); };
  };
  const Collection a = collect_activations(model, collect_a, plan_a, part(0));
  const Collection b = collect_activations(model, collect_b, plan_b, part(static_cast<int64_t>(request.prompts_a.size())));
  NeuronStudy study{request, {}};
  for (size_t s = 0; s < request.sites.size(); ++s) {
    const std::vector<float> mean_a = per_prompt_means(a, s, request.prompts_a.size());
    const std::vector<float> mean_b = per_prompt_means(b, s, request.prompts_b.size());
    study.sites.push_back({request.sites[s], compare_units(mean_a.data(), static_cast<int>(request.prompts_a.size()),
                                                           mean_b.data(), static_cast<int>(request.prompts_b.size()),
                                                           a.widths[s], request.test, request.alpha)});
  }
  return study;
}

}  // namespace bertscope
