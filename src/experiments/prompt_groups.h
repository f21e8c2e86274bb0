#pragma once
// A sweep over many prompts keeps the clean states of the prompts it batches together
// (every block's output, and the edited site's activations) in memory at once. Prompts run
// in consecutive groups whose clean states fit kCleanStateBudget, so that memory does not
// grow with the number of prompts.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "model/encoder.h"

namespace bertscope {

constexpr std::uint64_t kCleanStateBudget = std::uint64_t{512} << 20;

// Bytes of one prompt's clean state, about (the site's width is estimated per kind).
std::uint64_t clean_state_bytes(const Encoder& model, int length, SiteKind site);

// [begin, end) of each group of consecutive prompts, in order; a prompt over the budget
// alone is a group of its own.
std::vector<std::pair<size_t, size_t>> group_prompts(const Encoder& model, const std::vector<int>& lengths, SiteKind site);

// The most bytes of clean states that the groups of these prompts hold at once.
std::uint64_t largest_group_bytes(const Encoder& model, const std::vector<int>& lengths, SiteKind site);

}  // namespace bertscope
