#include "model/encoder.h"

#include <algorithm>
#include <cstddef>

#include "common/error.h"
#include "kernels/attention.h"
#include "kernels/rotary.h"
#include "model/attention_sites.h"
#include "weights/model_dir.h"

namespace bertscope {

namespace {

void run_hooks(const Hooks* hooks, const HookSite& site, float* data, int batch, int seq, int width) {
  if (hooks && !hooks->empty()) hooks->run(site, ActivationView{data, batch, seq, width});
}

size_t elements(int rows, int width) { return static_cast<size_t>(rows) * static_cast<size_t>(width); }

// Grows a workspace buffer, never shrinks it: a smaller batch reuses the memory as it is
// (no zero-filling of what the kernels overwrite anyway).
float* at_least(std::vector<float>& buffer, size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace

TokenizerOptions tokenizer_options_of(const TokenizerConfig& config) {
  return {config.do_lower_case, config.strip_accents.value_or(config.do_lower_case), config.tokenize_chinese_chars};
}

Tokenizer load_tokenizer(const ModelFiles& files) {
  if (!files.tokenizer_json.empty()) return Tokenizer::from_json(files.tokenizer_json, files.tokenizer_config);
  if (!files.vocab.empty()) return Tokenizer(Vocab::load(files.vocab), tokenizer_options_of(read_tokenizer_config(files)));
  return Tokenizer::from_bpe_files(files.vocab_json, files.merges, files.tokenizer_config);
}

Encoder Encoder::load(const std::string& path, MatmulPrecision precision, const WeightsCacheOptions& cache) {
  const ModelFiles files = resolve_model_dir(path);
  ModelConfig config = ModelConfig::load(files.config);
  Tokenizer tokenizer = load_tokenizer(files);
  if (tokenizer.vocab().size() > config.vocab_size) {
    throw Error(files.tokenizer_files().front() + ": " + std::to_string(tokenizer.vocab().size()) +
                " tokens, but config.json vocab_size is " + std::to_string(config.vocab_size));
  }
  const Family& family = family_of(config.family, files.config);
  auto weights = load_weights(files, config, family.tensor_names(config), precision, cache);
  // Embedding rows beyond the tokenizer's vocabulary (a checkpoint padded to a multiple of 8
  // or 64) are outputs too: they need names. Only now, once the weights have matched
  // vocab_size: before, a hostile config.json could make us name millions of rows that the
  // file does not have.
  tokenizer.name_extra_rows(config.vocab_size);
  return Encoder(std::move(config), std::move(tokenizer), std::move(weights), files.dir);
}

Encoder::Encoder(ModelConfig config, Tokenizer tokenizer, std::shared_ptr<const EncoderWeights> weights, std::string dir)
    : config_(std::move(config)),
      family_(&family_of(config_.family, "config")),
      tokenizer_(std::move(tokenizer)),
      weights_(std::move(weights)),
      dir_(std::move(dir)) {}

std::vector<int> Encoder::position_ids(const TokenBatch& tokens) const {
  std::vector<int> positions(tokens.ids.size());
  for (int b = 0; b < tokens.batch; ++b) {
    int real = 0;  // tokens other than padding so far, this one included
    for (int s = 0; s < tokens.seq; ++s) {
      const size_t r = static_cast<size_t>(b * tokens.seq + s);
      if (config_.position_ids == PositionIds::FromZero) {
        positions[r] = s;
      } else {
        // RoBERTa's create_position_ids_from_input_ids: padding tokens sit at padding_idx,
        // the others count up from padding_idx + 1, skipping the padding before them.
        const bool padding = tokens.ids[r] == config_.pad_token_id;
        if (!padding) ++real;
        positions[r] = padding ? config_.pad_token_id : config_.pad_token_id + real;
      }
    }
  }
  return positions;
}

int64_t Encoder::site_width(SiteKind kind, int seq) const {
  const int64_t H = config_.hidden_size, heads = config_.num_attention_heads;
  switch (kind) {
    case SiteKind::MlpPre:
    case SiteKind::MlpPost: return config_.intermediate_size;
    case SiteKind::AttnScores:
    case SiteKind::AttnPattern: return heads * seq;
    case SiteKind::AttnHeadOut: return heads * H;
    default: return H;  // q, k, v and z are heads x head_dim = hidden as well
  }
}

void Encoder::validate(const TokenBatch& tokens) const {
  if (tokens.seq > config_.max_tokens()) {
    const Vocab& vocab = tokenizer_.vocab();
    // GPT-2 adds no special tokens: its count is the text's alone.
    const std::string specials = vocab.cls_id() >= 0 && vocab.sep_id() >= 0
                                     ? " with " + vocab.token(vocab.cls_id()) + " and " + vocab.token(vocab.sep_id())
                                     : (config_.causal ? "" : " with its special tokens");
    throw Error("input has " + std::to_string(tokens.seq) + " tokens" + specials + ", the model's maximum is " +
                std::to_string(config_.max_tokens()) + " (max_position_embeddings" +
                (config_.position_ids == PositionIds::AfterPaddingIndex ? " less pad_token_id + 1)" : ")"));
  }
  if (tokens.batch <= 0 || tokens.seq <= 0) throw Error("empty input: no tokens to run");
  for (int id : tokens.ids) {
    if (id < 0 || id >= config_.vocab_size) throw Error("token id " + std::to_string(id) + " is outside the vocabulary");
  }
}

void Encoder::validate(const Hooks* hooks) const {
  if (!hooks) return;
  for (const HookSite& site : hooks->sites()) {
    if (site.layer >= layers()) {
      throw Error("hook site " + site.name() + " does not exist: the model has " + std::to_string(layers()) +
                  " blocks (blocks.0 to blocks." + std::to_string(layers() - 1) + ")");
    }
  }
}

HiddenState Encoder::embed(const TokenBatch& tokens, const Hooks* hooks) const {
  return embed_vectors(tokens, nullptr, hooks);
}

HiddenState Encoder::embed_vectors(const TokenBatch& tokens, const float* word_vectors, const Hooks* hooks) const {
  validate(tokens);
  validate(hooks);
  const int H = config_.hidden_size, E = config_.embedding_size;
  const std::vector<int> positions = position_ids(tokens);
  const EmbeddingWeights& e = weights_->embeddings;
  std::vector<float> embedded(elements(tokens.batch * tokens.seq, E));
#pragma omp parallel for schedule(static)
  for (int r = 0; r < tokens.batch * tokens.seq; ++r) {
    const float* word = word_vectors ? word_vectors + static_cast<size_t>(r) * E
                                     : e.word + static_cast<size_t>(tokens.ids[static_cast<size_t>(r)]) * E;
    const float* pos = e.position ? e.position + static_cast<size_t>(positions[static_cast<size_t>(r)]) * E : nullptr;
    float* out = embedded.data() + static_cast<size_t>(r) * E;
    if (!pos) {
      std::copy_n(word, E, out);  // ModernBERT: positions enter as rotary, in attention
    } else if (e.token_type) {
      for (int i = 0; i < E; ++i) out[i] = word[i] + pos[i] + e.token_type[i];  // token type 0
    } else {
      for (int i = 0; i < E; ++i) out[i] = word[i] + pos[i];
    }
  }
  if (e.ln.gamma) add_layer_norm(embedded.data(), nullptr, tokens.batch * tokens.seq, E, e.ln, embedded.data());
  HiddenState state{tokens.batch, tokens.seq, H, tokens.lengths, {}};
  if (e.projected) {
    state.values.resize(elements(state.rows(), H));
    e.project.forward(embedded.data(), state.rows(), state.values.data());
  } else {
    state.values = std::move(embedded);
  }
  run_hooks(hooks, HookSite::embed_out(), state.values.data(), state.batch, state.seq, H);
  return state;
}

void Encoder::run_block(HiddenState& state, int layer, const Hooks* hooks, const std::vector<int>& read_positions,
                        BlockWorkspace& s) const {
  if (config_.block_layout == BlockLayout::PreNorm) {
    run_pre_norm_block(state, layer, hooks, read_positions, s);
  } else {
    run_post_norm_block(state, layer, hooks, read_positions, s);
  }
}

namespace {

// The rows of `state` at the positions read (when only some are), else `state` itself: the
// residual the block adds to.
const float* residual_rows(const HiddenState& state, const std::vector<int>& read_positions, int Q,
                           std::vector<float>& chosen_buffer) {
  if (read_positions.empty()) return state.values.data();
  const int H = state.width;
  float* chosen = at_least(chosen_buffer, elements(state.batch * Q, H));
  for (int b = 0; b < state.batch; ++b) {
    for (int i = 0; i < Q; ++i) {
      std::copy_n(state.row(b, read_positions[static_cast<size_t>(b * Q + i)]), H, chosen + elements(b * Q + i, H));
    }
  }
  return chosen;
}

}  // namespace

void Encoder::attend(const float* input, const HiddenState& state, int layer, const Hooks* hooks,
                     const std::vector<int>& read_positions, int Q, BlockWorkspace& s, float* out) const {
  const BlockWeights& w = weights_->block(layer);
  const int H = config_.hidden_size;
  const int B = state.batch, S = state.seq, rows = state.rows(), qrows = B * Q;
  float* qkv = at_least(s.qkv, elements(rows, 3 * H));
  float* context = at_least(s.context, elements(qrows, H));
  // Queries of every row, even when only some are read: the [3H, H] matmul stays one call,
  // and the rows not read cost only in the last block of a run.
  w.qkv.forward(input, rows, qkv);
  if (config_.rotary()) {
    // Rotary on q and k (adjacent in each fused row: 2 x heads heads) before any site sees them.
    std::vector<int> positions(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) positions[static_cast<size_t>(r)] = r % S;
    apply_rotary(qkv, rows, 3 * H, 2 * config_.num_attention_heads, config_.head_dim(), positions.data(),
                 config_.rope_theta(layer));
  }
  AttentionShape shape{B, S, Q, config_.num_attention_heads, config_.head_dim(), 3 * H,
                       read_positions.empty() ? nullptr : read_positions.data()};
  shape.causal = config_.causal;
  shape.window_half = config_.window_half(layer);
  // The per-head sites exist only when hooked: the fused kernel never stores the pattern.
  if (hooks && hooks->any_in_block(layer, is_attention_detail)) {
    attention_with_sites(*hooks, layer, qkv, state.lengths.data(), shape, context);
  } else {
    self_attention(qkv, qkv + H, qkv + 2 * H, state.lengths.data(), shape, context);
  }
  run_hooks(hooks, HookSite::block(SiteKind::AttnContext, layer), context, B, Q, H);

  if (hooks && hooks->has(HookSite::block(SiteKind::AttnHeadOut, layer))) {
    attention_output_by_head(*hooks, layer, w.attn_out, context, B, Q, config_.num_attention_heads, config_.head_dim(),
                             out);
  } else {
    w.attn_out.forward(context, qrows, out);
  }
  run_hooks(hooks, HookSite::block(SiteKind::AttnOut, layer), out, B, Q, H);
}

// The FFN's input matmul and activation, fused; with an mlp.pre hook the matmul runs alone,
// the hook sees (and may edit) its output, and the activation follows.
void Encoder::ffn_input(const BlockWeights& w, int layer, const Hooks* hooks, const float* x, int qrows, int B, int Q,
                        float* ffn) const {
  const HookSite pre = HookSite::block(SiteKind::MlpPre, layer);
  if (!hooks || !hooks->has(pre)) {
    w.ffn_in.forward(x, qrows, ffn);
    return;
  }
  w.ffn_in.forward_pre(x, qrows, ffn);
  run_hooks(hooks, pre, ffn, B, Q, config_.intermediate_size);
  w.ffn_in.activate(ffn, qrows);
}

void Encoder::run_post_norm_block(HiddenState& state, int layer, const Hooks* hooks,
                                  const std::vector<int>& read_positions, BlockWorkspace& s) const {
  const BlockWeights& w = weights_->block(layer);
  const int H = config_.hidden_size, I = config_.intermediate_size;
  const int B = state.batch, S = state.seq;
  // Query-side rows: every position, or only those the caller will read. Keys and values
  // always cover every position, so the rows computed are exactly the full pass's rows.
  const int Q = read_positions.empty() ? S : static_cast<int>(read_positions.size()) / B;
  const int qrows = B * Q;
  float* attn = at_least(s.attn, elements(qrows, H));
  float* mid = at_least(s.mid, elements(qrows, H));
  float* ffn = at_least(s.ffn, elements(qrows, I));
  const float* residual = residual_rows(state, read_positions, Q, s.residual);

  attend(state.values.data(), state, layer, hooks, read_positions, Q, s, attn);
  add_layer_norm(attn, residual, qrows, H, w.ln1, mid);
  run_hooks(hooks, HookSite::block(SiteKind::Ln1Out, layer), mid, B, Q, H);

  ffn_input(w, layer, hooks, mid, qrows, B, Q, ffn);
  run_hooks(hooks, HookSite::block(SiteKind::MlpPost, layer), ffn, B, Q, I);
  w.ffn_out.forward(ffn, qrows, attn);  // reuse: the attention output is no longer needed
  run_hooks(hooks, HookSite::block(SiteKind::MlpOut, layer), attn, B, Q, H);
  if (Q != S) {
    state.seq = Q;
    state.values.resize(elements(qrows, H));
  }
  add_layer_norm(attn, mid, qrows, H, w.ln2, state.values.data());
  run_hooks(hooks, HookSite::block_out(layer), state.values.data(), B, Q, H);
}

void Encoder::run_pre_norm_block(HiddenState& state, int layer, const Hooks* hooks,
                                 const std::vector<int>& read_positions, BlockWorkspace& s) const {
  const BlockWeights& w = weights_->block(layer);
  const int H = config_.hidden_size, I = config_.intermediate_size;
  const int B = state.batch, S = state.seq, rows = state.rows();
  const int Q = read_positions.empty() ? S : static_cast<int>(read_positions.size()) / B;
  const int qrows = B * Q;
  float* normed = at_least(s.normed, elements(rows, H));
  float* attn = at_least(s.attn, elements(qrows, H));
  float* mid = at_least(s.mid, elements(qrows, H));
  float* ffn = at_least(s.ffn, elements(qrows, I));
  const float* residual = residual_rows(state, read_positions, Q, s.residual);

  // x + attn(ln1(x)); ModernBERT's block 0 has no attention norm.
  const float* attention_input = state.values.data();
  if (w.ln1.gamma) {
    add_layer_norm(state.values.data(), nullptr, rows, H, w.ln1, normed);
    attention_input = normed;
  }
  attend(attention_input, state, layer, hooks, read_positions, Q, s, attn);
  for (size_t i = 0; i < elements(qrows, H); ++i) mid[i] = residual[i] + attn[i];
  run_hooks(hooks, HookSite::block(SiteKind::Ln1Out, layer), mid, B, Q, H);  // resid_mid

  // mid + mlp(ln2(mid)); a GLU FFN multiplies the activated half by the gate half.
  add_layer_norm(mid, nullptr, qrows, H, w.ln2, normed);
  ffn_input(w, layer, hooks, normed, qrows, B, Q, ffn);
  if (config_.glu_ffn) {
    float* gate = at_least(s.gate, elements(qrows, I));
    w.ffn_gate.forward(normed, qrows, gate);
    for (size_t i = 0; i < elements(qrows, I); ++i) ffn[i] *= gate[i];
  }
  run_hooks(hooks, HookSite::block(SiteKind::MlpPost, layer), ffn, B, Q, I);
  w.ffn_out.forward(ffn, qrows, attn);  // reuse: the attention output is no longer needed
  run_hooks(hooks, HookSite::block(SiteKind::MlpOut, layer), attn, B, Q, H);
  if (Q != S) {
    state.seq = Q;
    state.values.resize(elements(qrows, H));
  }
  float* out = state.values.data();
  for (size_t i = 0; i < elements(qrows, H); ++i) out[i] = mid[i] + attn[i];
  run_hooks(hooks, HookSite::block_out(layer), out, B, Q, H);
}

void Encoder::run_blocks(HiddenState& state, int first, int end, const Hooks* hooks,
                           const std::vector<std::vector<int>>& read_positions, BlockWorkspace* workspace) const {
  if (first < 0 || end > layers() || first > end) {
    throw Error("block range [" + std::to_string(first) + ", " + std::to_string(end) + ") is outside the model's " +
                std::to_string(layers()) + " blocks");
  }
  // Flattened to [batch * Q], sequence b's positions from b * Q, as run_block reads them.
  std::vector<int> reads;
  if (!read_positions.empty()) {
    const bool shared = read_positions.size() == 1;
    if (!shared && read_positions.size() != static_cast<size_t>(state.batch)) {
      throw Error("read positions: " + std::to_string(read_positions.size()) + " lists for a batch of " +
                  std::to_string(state.batch) + " sequences (give one list, or one per sequence)");
    }
    for (int b = 0; b < state.batch; ++b) {
      const std::vector<int>& own = read_positions[shared ? 0 : static_cast<size_t>(b)];
      if (own.empty() || own.size() != read_positions.front().size()) {
        throw Error("read positions: every sequence must read the same, non-zero number of positions");
      }
      for (int p : own) {
        if (p < 0 || p >= state.seq) throw Error("read position " + std::to_string(p) + " is outside the sequence");
      }
      reads.insert(reads.end(), own.begin(), own.end());
    }
  }
  validate(hooks);
  BlockWorkspace own;
  BlockWorkspace& scratch = workspace ? *workspace : own;
  for (int layer = first; layer < end; ++layer) {
    run_block(state, layer, hooks, layer == end - 1 ? reads : std::vector<int>{}, scratch);
  }
}

void Encoder::mlm_logits(const float* hidden, int rows, float* logits) const {
  const MlmHeadWeights& head = weights_->head;
  const int D = config_.head_size;
  std::vector<float> normed;
  if (head.final_norm.gamma) {
    normed.resize(elements(rows, config_.hidden_size));
    add_layer_norm(hidden, nullptr, rows, config_.hidden_size, head.final_norm, normed.data());
    hidden = normed.data();
  }
  if (head.transform.out_features() == 0) {  // GPT-2: ln_f -> lm_head
    head.decoder.forward(hidden, rows, logits);
    return;
  }
  std::vector<float> transformed(elements(rows, D));
  head.transform.forward(hidden, rows, transformed.data());
  add_layer_norm(transformed.data(), nullptr, rows, D, head.ln, transformed.data());
  head.decoder.forward(transformed.data(), rows, logits);
}

std::vector<float> Encoder::mlm_logits(const HiddenState& state, int b, int s) const {
  std::vector<float> logits(static_cast<size_t>(config_.vocab_size));
  mlm_logits(state.row(b, s), 1, logits.data());
  return logits;
}

HiddenState Encoder::forward(const TokenBatch& tokens, const Hooks* hooks, std::vector<HiddenState>* all_hidden) const {
  HiddenState state = embed(tokens, hooks);
  if (all_hidden) all_hidden->assign(1, state);
  BlockWorkspace scratch;
  for (int layer = 0; layer < layers(); ++layer) {
    run_block(state, layer, hooks, {}, scratch);
    if (all_hidden) all_hidden->push_back(state);
  }
  return state;
}

}  // namespace bertscope
