#pragma once
// The model as every layer above sees it: a masked-language encoder of any supported family
// (BERT, RoBERTa, XLM-RoBERTa, DistilBERT, ALBERT, ELECTRA, ModernBERT; model/family.h) or a
// causal one (GPT-2: it predicts the token after the last), float32, with
// hook sites (hook_site.h) that mean the same in every family. The forward pass is split
// into its stages so an experiment can run the embeddings once, keep a block's output, and
// restart from any block with an edited state. Experiments, reports, tools and Python name
// this type and its ModelConfig only, never a family.
#include <memory>
#include <string>
#include <vector>

#include "model/encoder_weights.h"
#include "model/family.h"
#include "model/hooks.h"
#include "model/model_config.h"
#include "model/token_batch.h"
#include "model/weights_cache.h"
#include "tokenizer/tokenizer.h"
#include "weights/model_dir.h"

namespace bertscope {

// The residual stream between blocks: [batch, seq, hidden] plus the attention mask.
struct HiddenState {
  int batch = 0;
  int seq = 0;
  int width = 0;
  std::vector<int> lengths;
  std::vector<float> values;

  int rows() const { return batch * seq; }
  ActivationView view() { return {values.data(), batch, seq, width}; }
  const float* row(int b, int s) const {
    return values.data() + (static_cast<size_t>(b) * static_cast<size_t>(seq) + static_cast<size_t>(s)) *
                               static_cast<size_t>(width);
  }
};

// Buffers of a block's intermediate activations (q, k, v, context, FFN, ...). run_blocks
// makes its own unless given one; a caller that runs blocks many times (a sweep, one
// block at a time) keeps one so that the FFN's [rows, 4 x hidden] buffer and the others
// are allocated once and not faulted in again from the OS on every call.
struct BlockWorkspace {
  std::vector<float> qkv, context, attn, mid, ffn, residual;
  std::vector<float> normed, gate;  // pre-LayerNorm blocks: the normed input, the GLU's gate
};

// tokenizer_config.json's fields resolved as HuggingFace does (strip_accents null: as do_lower_case).
TokenizerOptions tokenizer_options_of(const TokenizerConfig& config);
// The tokenizer of a model folder: tokenizer.json when present, else vocab.txt, else
// vocab.json + merges.txt (model_dir.h).
Tokenizer load_tokenizer(const ModelFiles& files);

class Encoder {
 public:
  // `path`: a model directory or a HuggingFace hub cache folder (model_dir.h); config.json's
  // model_type picks the family. `precision`: of the matmuls (bf16 is opt-in: faster, ~1e-2
  // relative error in logits). `cache`: the packed-weights cache (model/weights_cache.h); by
  // default on unless BERTSCOPE_WEIGHTS_CACHE=off. Results are identical with and without it.
  static Encoder load(const std::string& path, MatmulPrecision precision = MatmulPrecision::F32,
                      const WeightsCacheOptions& cache = WeightsCacheOptions::from_env());
  Encoder(ModelConfig config, Tokenizer tokenizer, std::shared_ptr<const EncoderWeights> weights, std::string dir);

  const ModelConfig& config() const { return config_; }
  const Family& family() const { return *family_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const std::string& dir() const { return dir_; }
  int layers() const { return config_.num_hidden_layers; }

  // The family's site table: every site's name pattern, HuggingFace module, TransformerLens
  // name, meaning and shape (bertscope hooks --model DIR prints it).
  std::vector<HookSiteDoc> site_docs() const { return family_site_docs(*family_, config_.block_layout); }
  // Floats per position at a site of a sequence of `seq` tokens (the last dimensions of its
  // shape flattened): hidden for the residual sites, ffn for mlp.post, heads x seq for the
  // scores and pattern, heads x hidden for head_out.
  int64_t site_width(SiteKind kind, int seq) const;

  // Checks ids and lengths against the vocabulary and max positions (Error otherwise).
  void validate(const TokenBatch& tokens) const;
  // Throws Error when a hook is registered at a site this model does not have (a block
  // beyond its last): such a hook would never run, and an edit silently not made is worse
  // than none. embed(), run_blocks() and forward() check their hooks with it.
  void validate(const Hooks* hooks) const;
  // Embeddings + LayerNorm (token type 0), projected to hidden_size where the family
  // factorizes them = hidden_states[0]; runs the embed.out hooks.
  HiddenState embed(const TokenBatch& tokens, const Hooks* hooks = nullptr) const;
  // The same with each token's word embedding given ([batch * seq, embedding_size]) instead
  // of looked up (positions and token types still from `tokens`): what integrated gradients
  // interpolates.
  HiddenState embed_vectors(const TokenBatch& tokens, const float* word_vectors, const Hooks* hooks = nullptr) const;
  // Runs blocks [first, end) on `state` in place, with their hooks. With `read_positions`,
  // the caller reads only those positions of the last block's output: that block computes
  // queries, FFN and output only for them (keys and values still cover every token), and
  // `state` leaves it with seq = the number of positions read per sequence. One list reads
  // the same positions of every sequence; one list per sequence (all of the same size) reads
  // each sequence's own (a batch of different prompts: each its own [MASK]). That block's
  // hooks then see those rows only, so pass no read_positions when a hook must see the last
  // block whole.
  void run_blocks(HiddenState& state, int first, int end, const Hooks* hooks = nullptr,
                  const std::vector<std::vector<int>>& read_positions = {}, BlockWorkspace* workspace = nullptr) const;
  // The family's MLM head on `rows` hidden vectors [rows, hidden] -> logits [rows, vocab]
  // (pre-LayerNorm families: their final norm first, GPT-2's ln_f, ModernBERT's final_norm).
  void mlm_logits(const float* hidden, int rows, float* logits) const;
  std::vector<float> mlm_logits(const HiddenState& state, int b, int s) const;

  // The position id of every token (HuggingFace's position_ids for this family).
  std::vector<int> position_ids(const TokenBatch& tokens) const;
  // The parameters the forward pass runs (the backward pass reads its norms and embeddings).
  const EncoderWeights& weights() const { return *weights_; }

  // Full forward pass; `all_hidden` (optional) receives hidden_states[0..layers].
  HiddenState forward(const TokenBatch& tokens, const Hooks* hooks = nullptr,
                      std::vector<HiddenState>* all_hidden = nullptr) const;

 private:
  // `read_positions`: empty, or [batch * Q] positions, sequence b's from b * Q.
  void run_block(HiddenState& state, int layer, const Hooks* hooks, const std::vector<int>& read_positions,
                 BlockWorkspace& workspace) const;
  void run_post_norm_block(HiddenState& state, int layer, const Hooks* hooks, const std::vector<int>& read_positions,
                           BlockWorkspace& workspace) const;
  void run_pre_norm_block(HiddenState& state, int layer, const Hooks* hooks, const std::vector<int>& read_positions,
                          BlockWorkspace& workspace) const;
  void ffn_input(const BlockWeights& w, int layer, const Hooks* hooks, const float* x, int qrows, int B, int Q,
                 float* ffn) const;
  // The attention of block `layer` on `input` ([rows, hidden], every position of `state`):
  // q|k|v, rotary where the family has it, the family's masks, the hooks of the attention
  // sites, and the output projection into `out` ([batch * Q, hidden], the query rows).
  void attend(const float* input, const HiddenState& state, int layer, const Hooks* hooks,
              const std::vector<int>& read_positions, int Q, BlockWorkspace& workspace, float* out) const;

  ModelConfig config_;
  const Family* family_;
  Tokenizer tokenizer_;
  std::shared_ptr<const EncoderWeights> weights_;
  std::string dir_;
};

}  // namespace bertscope
