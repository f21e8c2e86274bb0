#pragma once
// The trials of a run gathered from record files (trial_records.h): one run's, or every
// shard's. Each work item must appear exactly once; the index keeps only where each
// record is (10-12 bytes per item), and reads the trials back in canonical order, so the
// result files are the same whatever order trials finished in and whichever shard ran them.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/work_plan.h"

namespace bertscope {

class RecordIndex {
 public:
  explicit RecordIndex(const WorkPlan& plan);

  // Indexes every record of `path`; `owner` names it in messages (a shard folder). Throws
  // Error for a line that is not a record, an item the experiment does not have, or an
  // item already indexed (naming both owners). Returns how many records it holds.
  uint64_t add_file(const std::string& path, const std::string& owner);
  // Throws Error naming the first item that no file holds and how many are missing.
  void check_complete() const;
  // Hands every trial over in canonical order (prompt, intervention, layer, trial).
  void for_each(const std::function<void(const TrialResult&)>& fn) const;

 private:
  static constexpr uint64_t kUnset = UINT64_MAX;
  const WorkPlan& plan_;
  std::vector<std::string> files_, owners_;
  std::vector<uint64_t> offset_;  // per item (by rank): where its record starts
  std::vector<uint32_t> file_;    // per item: index into files_
};

// "prompt 0, intervention 1, block 5, trial 3": an item, for messages.
std::string describe_item(const WorkItem& item);

}  // namespace bertscope
