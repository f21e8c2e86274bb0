#pragma once
// --shard K/N: run shard K (0-based, as $SLURM_ARRAY_TASK_ID) of N.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace bertscope::cli {

struct ShardChoice {
  int k = 0;
  int n = 1;
};

// "2/8" -> {2, 8}; nothing for anything but two decimal numbers with 0 <= K < N <= 1000000.
std::optional<ShardChoice> parse_shard(const std::string& text);
// The default folder of shard K of N of a run whose folder is `run_out`: "out/x.shard-2-of-8".
std::string shard_folder(const std::string& run_out, const ShardChoice& shard);
// The validator of --shard, saying what is wrong.
CLI::Validator shard_choice();

}  // namespace bertscope::cli
