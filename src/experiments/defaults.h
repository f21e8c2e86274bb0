#pragma once
// Defaults that several requests and front ends share, each written once: the engine's
// request structs initialize from them, and the CLI's flags and Python's keyword arguments
// read them from those structs or from here. The experiment options' defaults are
// ExperimentSpec's initializers (spec_options.h), which read these too.
namespace bertscope::defaults {

inline constexpr int kTopK = 5;               // words listed per prediction: sweeps, lens, predict
inline constexpr int kMaxBatchTokens = 2048;  // token rows of one batched forward: bounds memory
inline constexpr double kAlpha = 0.05;        // unit tests: the FDR rate and Bonferroni's level
inline constexpr const char* kNeuronSites = "blocks.*.mlp.post";  // the course's neurons

}  // namespace bertscope::defaults
