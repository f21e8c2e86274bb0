#pragma once
// Shard K of N of a run (0-based, as $SLURM_ARRAY_TASK_ID): which of a run's work items one
// process runs. The front ends parse it from "K/N" (--shard, run_spec(shard=...)).
#include <optional>
#include <string>

namespace bertscope {

struct ShardChoice {
  int k = 0;
  int n = 1;
};

// "2/8" -> {2, 8}; nothing for anything but two decimal numbers with 0 <= K < N <= kMaxShards.
std::optional<ShardChoice> parse_shard(const std::string& text);
// What parse_shard refuses, said to whoever wrote `text`.
std::string shard_problem(const std::string& text);
// The default folder of shard K of N of a run whose folder is `run_out`: "out/x.shard-2-of-8".
std::string shard_folder(const std::string& run_out, const ShardChoice& shard);

}  // namespace bertscope
