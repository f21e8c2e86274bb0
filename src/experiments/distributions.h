#pragma once
// Exercise 5: how Gaussian are the hidden states? For each hidden state (embeddings and
// every block output) of a clean run: histogram, moments and tails of all values (tokens
// x dims) and of the [MASK] vector alone, beside the same numbers for Gaussian noise of
// `noise_factor` x that state's std, as the noise intervention would inject.
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/prompt.h"
#include "experiments/statistics.h"
#include "model/encoder.h"

namespace bertscope {

struct DistributionRequest {
  std::string prompt;
  double noise_factor = 2.0;
  double histogram_low = -4.0;
  double histogram_high = 4.0;
  int bins = 80;
  uint64_t seed = 0;
};

struct ValueDistribution {
  Moments moments;
  Tails tails;
  Histogram histogram;
};

struct StateDistribution {
  int index = 0;      // hidden_states[index]: 0 = embeddings, L + 1 = output of block L
  std::string name;   // "embeddings", "block 0", ...
  ValueDistribution all;
  ValueDistribution mask;  // empty (count 0) when the prompt has no [MASK]
  double noise_std = 0.0;  // noise_factor x all.moments.std
  ValueDistribution noise; // a Gaussian sample of that std, as many values as `all`
};

struct DistributionReport {
  MaskedPrompt prompt;
  DistributionRequest request;
  std::vector<StateDistribution> states;
};

DistributionReport hidden_state_distributions(const Encoder& model, const DistributionRequest& request);

}  // namespace bertscope
