#pragma once
// Gradients of a scalar metric of the prediction with respect to the activations at every
// hook site, and to the input embeddings: one forward pass that keeps every site (as
// run_with_cache), then an exact backward pass through the head and the blocks, in float32
// (kernels/backward.h). What attribution patching, integrated gradients and saliency read.
//
// The metric is read at one position (the [MASK], or a causal model's last token):
//   target_logprob   log_softmax(logits)[target]
//   logit_diff       logits[target] - logits[foil]
//   loss             -log_softmax(logits)[target] (cross-entropy)
// The gradient at a site is d metric / d activation with everything before the site fixed
// and everything after it recomputed, as PyTorch's autograd gives it for that tensor.
#include <memory>
#include <string>
#include <vector>

#include "model/encoder.h"
#include "model/plain_weights.h"

namespace bertscope {

enum class GradientMetric { TargetLogProb, LogitDifference, Loss };
// "target_logprob", "logit_diff", "loss".
const char* metric_name(GradientMetric metric);

struct GradientRequest {
  GradientMetric metric = GradientMetric::TargetLogProb;
  int position = -1;  // the row the metric reads
  int target = -1;    // token ids
  int foil = -1;      // logit_diff only
  // The sites whose activations (and gradients) the result keeps; empty: every site.
  std::vector<HookSite> sites;
  // false: the forward pass and the metric only (the activations of a clean run).
  bool backward = true;
  // Each token's word embedding, [seq, embedding_size], instead of the vocabulary's rows
  // (Encoder::embed_vectors: integrated gradients' interpolated inputs); empty: looked up.
  std::vector<float> word_embeddings;
};

// One site's values for one prompt, in the site's shape without the batch dimension
// ([seq, width], or the per-head sites' [seq, heads, head_dim] and [heads, seq, seq]).
struct SiteValues {
  HookSite site;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct GradientResult {
  double metric = 0.0;              // the metric's value on this forward pass
  std::vector<SiteValues> activations;  // the sites asked for, in forward order
  std::vector<SiteValues> gradients;    // d metric / d site, in the same order and shapes (none without backward)
  // The input embeddings (the word embedding of each token: what integrated gradients
  // interpolates) [seq, embedding_size], and d metric / d them. The word, position and
  // token-type embeddings are summed before the embedding norm, so this is also the
  // gradient of each of them. Empty without backward.
  std::vector<float> input_embeddings, input_gradients;

  const SiteValues& activation(const HookSite& site) const;
  const SiteValues& gradient(const HookSite& site) const;
};

// The encoder with the plain weights its backward pass reads (loaded once, on construction).
class GradientModel {
 public:
  // Error for a family whose backward pass is not implemented (the pre-LayerNorm ones).
  explicit GradientModel(const Encoder& encoder);

  const Encoder& encoder() const { return encoder_; }
  // One sequence (tokens.batch == 1). Error for a bad position, target or foil.
  GradientResult run(const TokenBatch& tokens, const GradientRequest& request) const;
  // Sequences of one length (no padding) through one forward pass, each with its own request
  // (attribution patching's clean and corrupted prompts): the weights are read once for all
  // of them. Each result is run()'s on that sequence alone, up to the last bits that a
  // batched matmul may round differently.
  std::vector<GradientResult> run(const TokenBatch& tokens, const std::vector<GradientRequest>& requests) const;

 private:
  const Encoder& encoder_;
  std::shared_ptr<const PlainWeights> plain_;
};

}  // namespace bertscope
