#pragma once
// One unit of an experiment's work: a trial of one intervention edited at one block of one
// prompt. Items are ordered (prompt, intervention, layer, trial): the canonical order of the
// rows of runs.csv, whatever order trials finish in or which shard ran them.
#include <compare>

namespace bertscope {

struct WorkItem {
  int prompt = 0;        // index of the prompt in the experiment
  int intervention = 0;  // index into the experiment's interventions
  int layer = 0;         // edited block, 0-based; -1 for embed.out
  int trial = 0;
  auto operator<=>(const WorkItem&) const = default;
};

}  // namespace bertscope
