#pragma once
// Every work item of an experiment (prompt x intervention x layer x trial) in canonical
// order, numbered densely, with what each costs, and the share of shard K of N.
#include <cstdint>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/work_item.h"

namespace bertscope {

class WorkPlan {
 public:
  // `spec` as run on `model` (its layers and prompts' lengths); throws Error like
  // run_experiment for layers out of range.
  WorkPlan(const Encoder& model, const ExperimentSpec& spec);

  uint64_t size() const { return per_prompt_ * tokens_.size(); }
  // The item's position in canonical order, or size() when the experiment has no such item.
  uint64_t rank(const WorkItem& item) const;
  WorkItem item(uint64_t rank) const;
  // About the time the item takes: the blocks it runs after its edit, the head counted as
  // one, x the prompt's tokens.
  uint64_t cost(const WorkItem& item) const;

  // Whether each item (by rank) is shard k's of n: items in canonical order go one by one
  // to the shard with the least cost so far (ties: the lowest k), so every shard ends
  // within one item's cost of the mean. Integer costs: the same split on every machine.
  std::vector<bool> shard(int k, int n) const;

 private:
  std::vector<int> layers_;        // edited blocks, sorted (-1: embed.out)
  std::vector<int> trials_;        // per intervention
  std::vector<uint64_t> first_;    // rank of intervention i's first item within a prompt
  std::vector<int> start_offset_;  // per intervention: first block run = layer + this
  std::vector<uint64_t> tokens_;   // per prompt
  uint64_t per_prompt_ = 0;
  int blocks_ = 0;
};

}  // namespace bertscope
