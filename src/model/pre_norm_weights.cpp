// The weights of the pre-LayerNorm families (GPT-2, ModernBERT), apart from the post-norm
// loader in encoder_weights.cpp: fused q|k|v matmuls stored as one tensor, Conv1D weights
// stored [in, out], GLU FFNs stored as one [2 x ffn, hidden] matrix, biases and norms that
// the config may leave out, and a final norm. The checks are the post-norm loader's: every
// tensor of the expected shape and finite, or an Error naming the file and the tensor.
#include <string>
#include <vector>

#include "common/error.h"
#include "model/encoder_weights.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace bertscope {

std::shared_ptr<const EncoderWeights> EncoderWeights::load_pre_norm(TensorStore store, const ModelConfig& config,
                                                                    const TensorNames& names,
                                                                    MatmulPrecision precision,
                                                                    const PackedWeights& packed) {
  auto w = std::shared_ptr<EncoderWeights>(new EncoderWeights());
  w->store_ = std::move(store);
  w->packed_ = packed;
  w->packed_.check_all();  // as the post-norm loader: one parallel pass
  w->layers_ = config.num_hidden_layers;
  const int64_t H = config.hidden_size, I = config.intermediate_size, V = config.vocab_size;
  const float eps = config.layer_norm_eps;

  // A name as the file spells it: with the family's optional prefix, or without it.
  auto named = [&](const std::string& name) {
    const std::string& prefix = names.optional_prefix;
    if (prefix.empty() || w->store_.contains(name) || name.rfind(prefix, 0) != 0) return name;
    const std::string bare = name.substr(prefix.size());
    return w->store_.contains(bare) ? bare : name;
  };
  auto layer_norm = [&](const std::string& prefix, int64_t width) {
    LayerNormParams params;
    params.gamma = w->tensor(named(prefix + ".weight"), {width});
    params.beta = config.norm_bias ? w->tensor(named(prefix + ".bias"), {width}) : nullptr;
    params.eps = eps;
    return params;
  };
  // The matmul PREFIX.weight of [out_total, in] (or [in, out_total] when the family stores
  // it transposed), cut into consecutive row blocks of `parts` (rows, activation): one Linear
  // each, each cached under its own key. The file's weight is read (and transposed) only when
  // a part is not in the cache, and its pages are released afterwards.
  auto matmuls = [&](const std::string& prefix, int64_t in, const std::vector<std::pair<int64_t, Activation>>& parts,
                     bool with_bias) {
    int64_t out_total = 0;
    for (const auto& part : parts) out_total += part.first;
    const std::string weight_name = named(prefix + ".weight");
    const std::vector<int64_t> stored_shape =
        names.transposed ? std::vector<int64_t>{in, out_total} : std::vector<int64_t>{out_total, in};
    w->store_.require(weight_name, stored_shape);
    std::vector<float> converted, transposed;
    const float* weight = nullptr;
    auto whole = [&]() -> const float* {  // [out_total, in]
      if (weight) return weight;
      const float* stored = w->checked(weight_name, stored_shape, converted);
      if (!names.transposed) return weight = stored;
      transposed.resize(static_cast<size_t>(in * out_total));
      for (int64_t i = 0; i < in; ++i) {
        for (int64_t o = 0; o < out_total; ++o) transposed[static_cast<size_t>(o * in + i)] = stored[i * out_total + o];
      }
      return weight = transposed.data();
    };
    const float* bias = with_bias ? w->tensor(named(prefix + ".bias"), {out_total}) : nullptr;
    std::vector<Linear> layers;
    int64_t row = 0;
    for (const auto& [rows, activation] : parts) {
      const std::string key = parts.size() == 1 ? weight_name : weight_name + "#rows:" + std::to_string(row);
      layers.push_back(w->packed_linear(key, in, rows, bias ? bias + row : nullptr, activation, precision,
                                        [&](std::vector<float>&) { return whole() + row * in; }));
      row += rows;
    }
    w->store_.release(weight_name);
    return layers;
  };

  w->embeddings.word = w->tensor(named(names.word_embeddings), {V, H});
  if (config.learned_positions) {
    w->embeddings.position = w->tensor(named(names.position_embeddings), {config.max_position_embeddings, H});
  }
  if (config.embeddings_norm) w->embeddings.ln = layer_norm(names.embeddings_norm, H);

  // The decoder: stored, or tied to the word embeddings (both fixtures' files omit it).
  const float* decoder_bias = config.decoder_bias ? w->tensor(named(names.decoder_bias), {V}) : nullptr;
  if (w->store_.contains(named(names.decoder))) {
    w->store_.require(named(names.decoder), {V, H});
    w->head.decoder = w->packed_linear(named(names.decoder), H, V, decoder_bias, Activation::None, precision,
                                       [&](std::vector<float>& converted) {
                                         return w->checked(named(names.decoder), {V, H}, converted);
                                       });
    w->store_.release(named(names.decoder));
  } else {
    w->head.decoder = w->packed_linear("tied:" + named(names.word_embeddings), H, V, decoder_bias, Activation::None,
                                       precision, [&](std::vector<float>&) { return w->embeddings.word; });
    w->store_.release(named(names.word_embeddings));
  }

  for (int layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string p = names.block_prefix(layer, layer);
    BlockWeights b;
    if (!(layer == 0 && names.first_attention_norm_identity)) b.ln1 = layer_norm(p + names.attention_norm, H);
    b.qkv = std::move(matmuls(p + names.query, H, {{3 * H, Activation::None}}, config.attention_bias)[0]);
    b.attn_out = std::move(matmuls(p + names.attention_output, H, {{H, Activation::None}}, config.attention_bias)[0]);
    b.ln2 = layer_norm(p + names.output_norm, H);
    if (config.glu_ffn) {
      // Wi's rows: input | gate (HF: input, gate = Wi(x).chunk(2, dim=-1)).
      auto halves = matmuls(p + names.ffn_in, H, {{I, config.ffn_activation}, {I, Activation::None}}, config.mlp_bias);
      b.ffn_in = std::move(halves[0]);
      b.ffn_gate = std::move(halves[1]);
    } else {
      b.ffn_in = std::move(matmuls(p + names.ffn_in, H, {{I, config.ffn_activation}}, config.mlp_bias)[0]);
    }
    b.ffn_out = std::move(matmuls(p + names.ffn_out, I, {{H, Activation::None}}, config.mlp_bias)[0]);
    w->blocks.push_back(std::move(b));
  }

  if (config.final_norm) w->head.final_norm = layer_norm(names.final_norm, H);
  if (config.head_transform) {
    w->head.transform = std::move(matmuls(names.head_dense, H, {{H, config.head_activation}}, config.head_bias)[0]);
    w->head.ln = layer_norm(names.head_norm, H);
  }
#ifdef __GLIBC__
  malloc_trim(0);  // as the post-norm loader: hand the freed temporaries back to the OS
#endif
  return w;
}

}  // namespace bertscope
