#pragma once
// One unit of an experiment's work: one trial of one intervention, edited at one block, on
// one prompt. The total order (prompt, intervention, layer, trial) is the canonical order
// of the rows of runs.csv. A trial's numbers depend on its work item only, never on what
// else runs with it (the other prompts of its batch, the padding, max_batch_tokens, or
// which subset of the items a run does): that is what lets a run be split and merged.
#include <compare>

namespace bertscope {

struct WorkItem {
  int prompt = 0;        // index of the prompt in the experiment
  int intervention = 0;  // index of the intervention
  int layer = 0;         // edited block (-1: embed.out)
  int trial = 0;

  auto operator<=>(const WorkItem&) const = default;
};

}  // namespace bertscope
