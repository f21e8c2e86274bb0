#include "model/plain_weights.h"

#include <utility>

namespace bertscope {

std::string PlainWeights::named(const std::string& name) const {
  const std::string& prefix = names_.optional_prefix;
  if (prefix.empty() || store_.contains(name) || name.rfind(prefix, 0) != 0) return name;
  const std::string bare = name.substr(prefix.size());
  return store_.contains(bare) ? bare : name;
}

const float* PlainWeights::floats(const std::string& name, const std::vector<int64_t>& shape) {
  if (const float* mapped = store_.borrow_f32(name, shape)) return mapped;
  return owned_.emplace_back(store_.read_f32(name, shape)).data();
}

PlainLinear PlainWeights::linear(const std::string& prefix, int in, int out, bool with_bias) {
  PlainLinear l{nullptr, nullptr, in, out};
  const std::string weight = named(prefix + ".weight");
  if (names_.transposed) {  // Conv1D: stored [in, out]
    const std::vector<float> stored = store_.read_f32(weight, {in, out});
    std::vector<float>& t = owned_.emplace_back(stored.size());
    for (size_t i = 0; i < static_cast<size_t>(in); ++i) {
      for (size_t o = 0; o < static_cast<size_t>(out); ++o) t[o * static_cast<size_t>(in) + i] = stored[i * static_cast<size_t>(out) + o];
    }
    l.weight = t.data();
  } else {
    l.weight = floats(weight, {out, in});
  }
  if (with_bias) l.bias = floats(named(prefix + ".bias"), {out});
  return l;
}

namespace {

// Rows [first, first + rows) of a fused [n, in] matmul as a layer of its own.
PlainLinear rows_of(const PlainLinear& fused, int first, int rows) {
  return {fused.weight + static_cast<size_t>(first) * static_cast<size_t>(fused.in),
          fused.bias ? fused.bias + first : nullptr, fused.in, rows};
}

}  // namespace

std::shared_ptr<const PlainWeights> PlainWeights::load(const std::string& dir, const ModelConfig& config,
                                                       const TensorNames& names) {
  auto w = std::shared_ptr<PlainWeights>(new PlainWeights(TensorStore::open_dir(dir)));
  w->names_ = names;
  w->layers_ = config.num_hidden_layers;
  const int H = config.hidden_size, I = config.intermediate_size, V = config.vocab_size;
  const int E = config.embedding_size, D = config.head_transform ? config.head_size : H;
  const bool pre_norm = config.block_layout == BlockLayout::PreNorm;

  if (!names.embeddings_project.empty()) w->project = w->linear(names.embeddings_project, E, H, true);
  const bool shared = names.block.find("{G}") != std::string::npos;
  for (int g = 0; g < (shared ? config.num_hidden_groups : config.num_hidden_layers); ++g) {
    const std::string p = names.block_prefix(g, g);
    PlainBlock b;
    if (pre_norm) {  // fused q|k|v, and Wi's rows input | gate in a GLU FFN
      const PlainLinear qkv = w->linear(p + names.query, H, 3 * H, config.attention_bias);
      b.query = rows_of(qkv, 0, H);
      b.key = rows_of(qkv, H, H);
      b.value = rows_of(qkv, 2 * H, H);
      b.attn_out = w->linear(p + names.attention_output, H, H, config.attention_bias);
      const PlainLinear in = w->linear(p + names.ffn_in, H, config.glu_ffn ? 2 * I : I, config.mlp_bias);
      b.ffn_in = rows_of(in, 0, I);
      if (config.glu_ffn) b.ffn_gate = rows_of(in, I, I);
      b.ffn_out = w->linear(p + names.ffn_out, I, H, config.mlp_bias);
    } else {
      b.query = w->linear(p + names.query, H, H, true);
      b.key = w->linear(p + names.key, H, H, true);
      b.value = w->linear(p + names.value, H, H, true);
      b.attn_out = w->linear(p + names.attention_output, H, H, true);
      b.ffn_in = w->linear(p + names.ffn_in, H, I, true);
      b.ffn_out = w->linear(p + names.ffn_out, I, H, true);
    }
    w->blocks.push_back(b);
  }
  if (config.head_transform) w->head_dense = w->linear(names.head_dense, H, D, !pre_norm || config.head_bias);
  // The decoder is stored, or tied to the word embeddings, as EncoderWeights reads it.
  const std::string decoder = w->named(names.decoder);
  const bool stored = w->store_.contains(decoder);
  w->decoder.weight = w->floats(stored ? decoder : w->named(names.word_embeddings), {V, D});
  w->decoder.in = D;
  w->decoder.out = V;
  if (config.decoder_bias) w->decoder.bias = w->floats(w->named(names.decoder_bias), {V});
  return w;
}

}  // namespace bertscope
