#pragma once
// --shard K/N: run shard K (0-based, as $SLURM_ARRAY_TASK_ID) of N (runs/shard_choice.h).
#include <CLI/CLI.hpp>

#include "runs/shard_choice.h"

namespace bertscope::cli {

// The validator of --shard, saying what is wrong.
CLI::Validator shard_choice();

}  // namespace bertscope::cli
