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
// The validator of --shard, saying what is wrong.
CLI::Validator shard_choice();

}  // namespace bertscope::cli
