#pragma once
// Numbers on the command line are parsed strictly: the whole text must be one decimal
// number inside the option's range. CLI11's own conversion let `--seed -1` wrap to
// 18446744073709551615, `--seed 18446744073709551616` clamp, and `--seed ''` become 0.
#include <CLI/CLI.hpp>
#include <cstdint>

namespace bertscope::cli {

// A whole number from `low` to `high`, written in decimal digits (a leading '-' only
// when `low` is negative).
CLI::Validator whole_number(std::int64_t low, std::int64_t high);
// A whole number from 0 to 2^64 - 1 (seeds).
CLI::Validator unsigned_64();
// A finite decimal number (no nan, inf or hex).
CLI::Validator finite_number();

}  // namespace bertscope::cli
