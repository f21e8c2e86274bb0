#pragma once
// The course's neuron study as one experiment: collect a site's units at chosen positions
// over two prompt sets ("him" sentences at "him", "her" sentences at "her"), average each
// prompt's rows (one observation per prompt), and t-test every unit of every site between
// the sets, correcting within each site (each block's mlp.post is its own family of tests,
// as the course's per-layer FDR is). bertscope neurons and Model.neuron_stats run it; the
// units file it writes is what `units_file = "units.csv:him"` reads (unit_selection.h).
#include <string>
#include <vector>

#include "experiments/defaults.h"
#include "experiments/collect.h"
#include "experiments/unit_selection.h"
#include "experiments/unit_statistics.h"

namespace bertscope {

struct NeuronStudyRequest {
  std::vector<PromptSpec> prompts_a, prompts_b;
  std::string label_a = "a", label_b = "b";
  Positions positions_a, positions_b;  // mask by default
  std::vector<HookSite> sites;
  UnitTest test = UnitTest::Student;
  double alpha = defaults::kAlpha;
  int max_batch_tokens = defaults::kMaxBatchTokens;

  // Throws Error naming the problem: labels empty, equal or not a plain word (they are CSV
  // fields and the units file's selector), fewer than 2 prompts a set, paired sets of
  // different sizes, alpha outside (0, 1).
  void validate() const;
};

struct SiteComparison {
  HookSite site;
  UnitComparison units;
};

// A site's significant units: after FDR, by the set they are higher in; after Bonferroni.
struct SignificantUnits {
  int higher_a = 0, higher_b = 0, bonferroni = 0;
  int fdr() const { return higher_a + higher_b; }
};

struct NeuronStudy {
  NeuronStudyRequest request;
  std::vector<SiteComparison> sites;

  // The label of the set unit `u`'s mean is higher in; empty where the means are equal.
  std::string higher_in(const UnitComparison& units, size_t u) const;
  SignificantUnits significant(const UnitComparison& units) const;
};

// `progress` counts prompts of both sets.
NeuronStudy run_neuron_study(const Encoder& model, const NeuronStudyRequest& request, const ProgressFn& progress = {});

// Each prompt's rows at one site averaged: prompts x width, from a collection.
std::vector<float> per_prompt_means(const Collection& collection, size_t site, size_t prompts);

}  // namespace bertscope
