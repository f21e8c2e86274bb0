#include "model/encoder_weights.h"

#include <algorithm>
#include <cmath>
#include <optional>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string>

#include "common/error.h"
#include "weights/finite_scan.h"

namespace bertscope {

const float* EncoderWeights::checked(const std::string& name, const std::vector<int64_t>& shape,
                                     std::vector<float>& storage) const {
  // Every tensor, borrowed or converted, before anything runs on it: one NaN in a weight
  // spreads to every logit, and the results would be NaN written as if they were numbers.
  // Converted ones (F16, BF16) are checked as they are converted, in one pass.
  std::optional<size_t> bad;
  const float* values = store_.borrow_f32(name, shape);
  if (values) {
    size_t count = 1;
    for (int64_t d : shape) count *= static_cast<size_t>(d);  // the store checked this shape
    bad = first_non_finite(values, count);
  } else {
    values = (storage = store_.read_f32_checked(name, shape, bad)).data();
  }
  if (bad) {
    throw Error(store_.file_of(name) + ": tensor '" + name + "' holds " + non_finite_name(values[*bad]) +
                " at element " + std::to_string(*bad) + " of " + shape_string(shape) +
                "; the checkpoint is damaged or was saved after training diverged");
  }
  return values;
}

const float* EncoderWeights::tensor(const std::string& name, const std::vector<int64_t>& shape) {
  owned_.emplace_back();
  const float* values = checked(name, shape, owned_.back());
  if (owned_.back().empty()) owned_.pop_back();  // borrowed from the map: nothing to keep
  return values;
}

Linear EncoderWeights::packed_linear(const std::string& key, int64_t in, int64_t out, const float* bias,
                                     Activation activation, MatmulPrecision precision,
                                     const std::function<const float*(std::vector<float>&)>& read_weight) {
  const int in_features = static_cast<int>(in), out_features = static_cast<int>(out);
  if (!packed_.empty()) {
    const auto bytes = packed_.find(key, Linear::packed_size(in_features, out_features, precision));
    return Linear::from_packed(bytes, bias, in_features, out_features, activation, precision);
  }
  // The kernel keeps its own prepared copy: the weight is read through a temporary.
  std::vector<float> storage;
  Linear layer(read_weight(storage), bias, in_features, out_features, activation, precision);
  prepared_here_.emplace_back(key, layer.packed_weights());
  return layer;
}

void EncoderWeights::add_packed_to(PackedWeightsWriter& writer) const {
  for (const auto& [key, bytes] : prepared_here_) writer.add(key, bytes);
}

Linear EncoderWeights::linear(const std::string& prefix, int64_t in, int64_t out, Activation activation,
                              MatmulPrecision precision) {
  const std::string name = prefix + ".weight";
  store_.require(name, {out, in});
  const float* bias = tensor(prefix + ".bias", {out});
  Linear layer = packed_linear(name, in, out, bias, activation, precision,
                               [&](std::vector<float>& storage) { return checked(name, {out, in}, storage); });
  store_.release(name);  // its pages are not needed again
  return layer;
}

Linear EncoderWeights::stacked_linear(const std::vector<std::string>& prefixes, int64_t in, int64_t out,
                                      MatmulPrecision precision) {
  std::string key = "stacked";
  std::vector<float> bias(static_cast<size_t>(out) * prefixes.size());
  for (size_t part = 0; part < prefixes.size(); ++part) {
    store_.require(prefixes[part] + ".weight", {out, in});
    key += ":" + prefixes[part] + ".weight";
    const float* b = tensor(prefixes[part] + ".bias", {out});
    std::copy_n(b, out, bias.begin() + static_cast<std::ptrdiff_t>(part) * out);
  }
  const auto rows = out * static_cast<int64_t>(prefixes.size());
  Linear layer = packed_linear(key, in, rows, bias.data(), Activation::None, precision, [&](std::vector<float>& weight) {
    const size_t block = static_cast<size_t>(in) * static_cast<size_t>(out);
    weight.resize(block * prefixes.size());
    for (size_t part = 0; part < prefixes.size(); ++part) {
      std::vector<float> converted;
      const float* w = checked(prefixes[part] + ".weight", {out, in}, converted);
      std::copy_n(w, block, weight.begin() + static_cast<std::ptrdiff_t>(part * block));
      store_.release(prefixes[part] + ".weight");
    }
    return weight.data();
  });
  return layer;
}

// The published bert-*-uncased checkpoints name LayerNorm parameters gamma/beta (from
// TensorFlow); files saved by today's transformers use weight/bias. Accept both.
LayerNormParams EncoderWeights::layer_norm(const std::string& prefix, int64_t width, float eps) {
  const bool legacy = !store_.contains(prefix + ".weight") && store_.contains(prefix + ".gamma");
  LayerNormParams params;
  params.gamma = tensor(prefix + (legacy ? ".gamma" : ".weight"), {width});
  params.beta = tensor(prefix + (legacy ? ".beta" : ".bias"), {width});
  params.eps = eps;
  return params;
}

const float* EncoderWeights::sinusoidal(int64_t positions, int64_t width) {
  // position / 10000^(2 (j // 2) / width): sin in even columns, cos in odd ones, computed
  // in float64 (numpy) and stored as float32, as HF does.
  std::vector<float>& table = owned_.emplace_back(static_cast<size_t>(positions * width));
  for (int64_t p = 0; p < positions; ++p) {
    for (int64_t j = 0; j < width; ++j) {
      const double angle = static_cast<double>(p) / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / static_cast<double>(width));
      table[static_cast<size_t>(p * width + j)] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  return table.data();
}

std::shared_ptr<const EncoderWeights> EncoderWeights::load(TensorStore store, const ModelConfig& config,
                                                           const TensorNames& names, MatmulPrecision precision,
                                                           const PackedWeights& packed) {
  if (config.block_layout == BlockLayout::PreNorm) return load_pre_norm(std::move(store), config, names, precision, packed);
  auto w = std::shared_ptr<EncoderWeights>(new EncoderWeights());
  w->store_ = std::move(store);
  w->packed_ = packed;
  w->packed_.check_all();  // every tensor will be used: one parallel pass rather than one per tensor
  w->layers_ = config.num_hidden_layers;
  const int64_t H = config.hidden_size, I = config.intermediate_size, V = config.vocab_size;
  const int64_t E = config.embedding_size, D = config.head_size;
  const float eps = config.layer_norm_eps;

  w->embeddings.word = w->tensor(names.word_embeddings, {V, E});
  if (config.sinusoidal_positions && !w->store_.contains(names.position_embeddings)) {
    w->embeddings.position = w->sinusoidal(config.max_position_embeddings, E);
  } else {
    w->embeddings.position = w->tensor(names.position_embeddings, {config.max_position_embeddings, E});
  }
  if (config.type_vocab_size > 0) {
    w->embeddings.token_type = w->tensor(names.token_type_embeddings, {config.type_vocab_size, E});
  }
  w->embeddings.ln = w->layer_norm(names.embeddings_norm, E, eps);
  if (!names.embeddings_project.empty()) {
    w->embeddings.project = w->linear(names.embeddings_project, E, H, Activation::None, precision);
    w->embeddings.projected = true;
  }

  // The decoder is tied to the word embeddings unless the file stores it; most files omit
  // the copy. First of the matmuls: while its prepared copy is made, the file's pages of
  // the word embeddings are resident too (vocab x hidden x 4 bytes, 125 MB for bert-large);
  // made now, that overlap does not add to the peak of a fully loaded model.
  if (w->store_.contains(names.decoder)) {
    w->store_.require(names.decoder, {V, D});
    const float* bias = w->tensor(names.decoder_bias, {V});
    w->head.decoder = w->packed_linear(names.decoder, D, V, bias, Activation::None, precision,
                                       [&](std::vector<float>& storage) { return w->checked(names.decoder, {V, D}, storage); });
    w->store_.release(names.decoder);
  } else {
    if (D != E) {
      throw Error(w->store_.file_of(names.word_embeddings) + ": no '" + names.decoder + "', and the word embeddings (width " +
                  std::to_string(E) + ") cannot serve as a decoder of width " + std::to_string(D));
    }
    const float* bias = w->tensor(names.decoder_bias, {V});
    const float* word = w->embeddings.word;
    w->head.decoder = w->packed_linear("tied:" + names.word_embeddings, D, V, bias, Activation::None, precision,
                                       [word](std::vector<float>&) { return word; });
    // Embedding lookups touch only the rows of the prompt's tokens: let the rest go.
    w->store_.release(names.word_embeddings);
  }
  // A family whose layers share weights names its blocks by group ({G}): one set per group.
  const bool shared = names.block.find("{G}") != std::string::npos;
  for (int g = 0; g < (shared ? config.num_hidden_groups : config.num_hidden_layers); ++g) {
    const std::string p = names.block_prefix(g, g);
    BlockWeights b;
    // One [3H, H] matmul instead of three [H, H]: a wider matmul runs closer to peak, and
    // bf16 rounds its input once instead of three times.
    b.qkv = w->stacked_linear({p + names.query, p + names.key, p + names.value}, H, H, precision);
    b.attn_out = w->linear(p + names.attention_output, H, H, Activation::None, precision);
    b.ln1 = w->layer_norm(p + names.attention_norm, H, eps);
    b.ffn_in = w->linear(p + names.ffn_in, H, I, config.ffn_activation, precision);
    b.ffn_out = w->linear(p + names.ffn_out, I, H, Activation::None, precision);
    b.ln2 = w->layer_norm(p + names.output_norm, H, eps);
    w->blocks.push_back(std::move(b));
  }

  w->head.transform = w->linear(names.head_dense, H, D, config.head_activation, precision);
  w->head.ln = w->layer_norm(names.head_norm, D, eps);
#ifdef __GLIBC__
  // Loading freed many large temporaries (converted and stacked weights); hand the
  // freed heap back to the OS rather than keep it in the resident set.
  malloc_trim(0);
#endif
  return w;
}

}  // namespace bertscope
