#include "model/bert_model.h"

#include <algorithm>
#include <cstddef>

#include "common/error.h"
#include "kernels/attention.h"
#include "weights/model_dir.h"

namespace bertscope {

namespace {

void run_hooks(const Hooks* hooks, const HookSite& site, float* data, int batch, int seq, int width) {
  if (hooks && !hooks->empty()) hooks->run(site, ActivationView{data, batch, seq, width});
}

size_t elements(int rows, int width) { return static_cast<size_t>(rows) * static_cast<size_t>(width); }

}  // namespace

BertModel BertModel::load(const std::string& path, MatmulPrecision precision) {
  const ModelFiles files = resolve_model_dir(path);
  BertConfig config = BertConfig::load(files.config);
  Vocab vocab = Vocab::load(files.vocab);
  if (vocab.size() > config.vocab_size) {
    throw Error(files.vocab + ": " + std::to_string(vocab.size()) + " tokens, but config.json vocab_size is " +
                std::to_string(config.vocab_size));
  }
  const bool lower_case = read_do_lower_case(files);
  auto weights = BertWeights::load(TensorStore::open_dir(files.dir), config, precision);
  // Embedding rows beyond vocab.txt (a checkpoint padded to a multiple of 8 or 64) are outputs
  // too: they need names. Only now, once the weights have matched vocab_size: before, a hostile
  // config.json could make us name millions of rows that the file does not have.
  vocab.name_extra_rows(config.vocab_size);
  Tokenizer tokenizer(std::move(vocab), lower_case);
  return BertModel(std::move(config), std::move(tokenizer), std::move(weights), files.dir);
}

BertModel::BertModel(BertConfig config, Tokenizer tokenizer, std::shared_ptr<const BertWeights> weights,
                     std::string dir)
    : config_(std::move(config)), tokenizer_(std::move(tokenizer)), weights_(std::move(weights)), dir_(std::move(dir)) {}

void BertModel::validate(const TokenBatch& tokens) const {
  if (tokens.seq > config_.max_position_embeddings) {
    throw Error("input has " + std::to_string(tokens.seq) + " tokens with [CLS] and [SEP], the model's maximum is " +
                std::to_string(config_.max_position_embeddings) + " (max_position_embeddings)");
  }
  if (tokens.batch <= 0 || tokens.seq <= 0) throw Error("empty input: no tokens to run");
  for (int id : tokens.ids) {
    if (id < 0 || id >= config_.vocab_size) throw Error("token id " + std::to_string(id) + " is outside the vocabulary");
  }
}

HiddenState BertModel::embed(const TokenBatch& tokens, const Hooks* hooks) const {
  validate(tokens);
  const int H = config_.hidden_size;
  HiddenState state{tokens.batch, tokens.seq, H, tokens.lengths, {}};
  state.values.resize(elements(state.rows(), H));
  const EmbeddingWeights& e = weights_->embeddings;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < state.rows(); ++r) {
    const size_t position = static_cast<size_t>(r % tokens.seq);
    const float* word = e.word + static_cast<size_t>(tokens.ids[static_cast<size_t>(r)]) * H;
    const float* pos = e.position + position * H;
    float* out = state.values.data() + static_cast<size_t>(r) * H;
    for (int i = 0; i < H; ++i) out[i] = word[i] + pos[i] + e.token_type[i];  // token type 0
  }
  add_layer_norm(state.values.data(), nullptr, state.rows(), H, e.ln, state.values.data());
  run_hooks(hooks, HookSite::embed_out(), state.values.data(), state.batch, state.seq, H);
  return state;
}

// Buffers of one block, kept across the blocks of a run_blocks call.
struct BertModel::BlockScratch {
  std::vector<float> q, k, v, context, attn, mid, ffn, residual;
};

void BertModel::run_block(HiddenState& state, int layer, const Hooks* hooks, const std::vector<int>& read_positions,
                          BlockScratch& s) const {
  const BlockWeights& w = weights_->blocks[static_cast<size_t>(layer)];
  const int H = config_.hidden_size, I = config_.intermediate_size;
  const int B = state.batch, S = state.seq, rows = state.rows();
  // Query-side rows: every position, or only those the caller will read. Keys and values
  // always cover every position, so the rows computed are exactly the full pass's rows.
  const int Q = read_positions.empty() ? S : static_cast<int>(read_positions.size());
  const int qrows = B * Q;
  s.k.resize(elements(rows, H));
  s.v.resize(elements(rows, H));
  s.q.resize(elements(qrows, H));
  s.context.resize(elements(qrows, H));
  s.attn.resize(elements(qrows, H));
  s.mid.resize(elements(qrows, H));
  s.ffn.resize(elements(qrows, I));
  const float* x = state.values.data();
  const float* residual = x;
  if (!read_positions.empty()) {
    s.residual.resize(elements(qrows, H));
    for (int b = 0; b < B; ++b) {
      for (int i = 0; i < Q; ++i) {
        std::copy_n(state.row(b, read_positions[static_cast<size_t>(i)]), H,
                    s.residual.begin() + static_cast<std::ptrdiff_t>(elements(b * Q + i, H)));
      }
    }
    residual = s.residual.data();
  }

  w.query.forward(residual, qrows, s.q.data());
  w.key.forward(x, rows, s.k.data());
  w.value.forward(x, rows, s.v.data());
  const AttentionShape shape{B, S, Q, config_.num_attention_heads, config_.head_dim()};
  // A query's attention does not depend on its own position (absolute positions are in
  // the embeddings), so the chosen rows need no position bookkeeping here.
  self_attention(s.q.data(), s.k.data(), s.v.data(), state.lengths.data(), shape, s.context.data());
  run_hooks(hooks, HookSite::block(SiteKind::AttnContext, layer), s.context.data(), B, Q, H);

  w.attn_out.forward(s.context.data(), qrows, s.attn.data());
  run_hooks(hooks, HookSite::block(SiteKind::AttnOut, layer), s.attn.data(), B, Q, H);
  add_layer_norm(s.attn.data(), residual, qrows, H, w.ln1, s.mid.data());
  run_hooks(hooks, HookSite::block(SiteKind::Ln1Out, layer), s.mid.data(), B, Q, H);

  w.ffn_in.forward(s.mid.data(), qrows, s.ffn.data());
  run_hooks(hooks, HookSite::block(SiteKind::MlpPost, layer), s.ffn.data(), B, Q, I);
  w.ffn_out.forward(s.ffn.data(), qrows, s.attn.data());  // reuse: the attention output is no longer needed
  run_hooks(hooks, HookSite::block(SiteKind::MlpOut, layer), s.attn.data(), B, Q, H);
  if (Q != S) {
    state.seq = Q;
    state.values.resize(elements(qrows, H));
  }
  add_layer_norm(s.attn.data(), s.mid.data(), qrows, H, w.ln2, state.values.data());
  run_hooks(hooks, HookSite::block_out(layer), state.values.data(), B, Q, H);
}

void BertModel::run_blocks(HiddenState& state, int first, int end, const Hooks* hooks,
                           const std::vector<int>& read_positions) const {
  if (first < 0 || end > layers() || first > end) {
    throw Error("block range [" + std::to_string(first) + ", " + std::to_string(end) + ") is outside the model's " +
                std::to_string(layers()) + " blocks");
  }
  for (int p : read_positions) {
    if (p < 0 || p >= state.seq) throw Error("read position " + std::to_string(p) + " is outside the sequence");
  }
  BlockScratch scratch;
  for (int layer = first; layer < end; ++layer) {
    run_block(state, layer, hooks, layer == end - 1 ? read_positions : std::vector<int>{}, scratch);
  }
}

void BertModel::mlm_logits(const float* hidden, int rows, float* logits) const {
  const MlmHeadWeights& head = weights_->head;
  const int H = config_.hidden_size;
  std::vector<float> transformed(elements(rows, H));
  head.transform.forward(hidden, rows, transformed.data());
  add_layer_norm(transformed.data(), nullptr, rows, H, head.ln, transformed.data());
  head.decoder.forward(transformed.data(), rows, logits);
}

std::vector<float> BertModel::mlm_logits(const HiddenState& state, int b, int s) const {
  std::vector<float> logits(static_cast<size_t>(config_.vocab_size));
  mlm_logits(state.row(b, s), 1, logits.data());
  return logits;
}

HiddenState BertModel::forward(const TokenBatch& tokens, const Hooks* hooks, std::vector<HiddenState>* all_hidden) const {
  HiddenState state = embed(tokens, hooks);
  if (all_hidden) all_hidden->assign(1, state);
  BlockScratch scratch;
  for (int layer = 0; layer < layers(); ++layer) {
    run_block(state, layer, hooks, {}, scratch);
    if (all_hidden) all_hidden->push_back(state);
  }
  return state;
}

}  // namespace bertscope
