#include "model/bert_weights.h"

#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string>

#include "common/error.h"
#include "weights/finite_scan.h"

namespace bertscope {

const float* BertWeights::checked(const std::string& name, const std::vector<int64_t>& shape,
                                  std::vector<float>& storage) const {
  const float* values = store_.borrow_f32(name, shape);
  if (!values) values = (storage = store_.read_f32(name, shape)).data();
  // Every tensor, borrowed or converted, before anything runs on it: one NaN in a weight
  // spreads to every logit, and the results would be NaN written as if they were numbers.
  size_t count = 1;
  for (int64_t d : shape) count *= static_cast<size_t>(d);  // the store checked this shape
  if (const auto bad = first_non_finite(values, count)) {
    throw Error(store_.file_of(name) + ": tensor '" + name + "' holds " + non_finite_name(values[*bad]) +
                " at element " + std::to_string(*bad) + " of " + shape_string(shape) +
                "; the checkpoint is damaged or was saved after training diverged");
  }
  return values;
}

const float* BertWeights::tensor(const std::string& name, const std::vector<int64_t>& shape) {
  owned_.emplace_back();
  const float* values = checked(name, shape, owned_.back());
  if (owned_.back().empty()) owned_.pop_back();  // borrowed from the map: nothing to keep
  return values;
}

Linear BertWeights::linear(const std::string& weight_name, const std::string& bias_name, int64_t in, int64_t out,
                           Activation activation, MatmulPrecision precision) {
  // The kernel keeps its own prepared copy: read the file's weights through a temporary
  // and drop their pages afterwards.
  std::vector<float> converted;
  const float* weight = checked(weight_name, {out, in}, converted);
  const float* bias = tensor(bias_name, {out});
  Linear layer(weight, bias, static_cast<int>(in), static_cast<int>(out), activation, precision);
  store_.release(weight_name);
  return layer;
}

Linear BertWeights::stacked_linear(const std::vector<std::string>& prefixes, int64_t in, int64_t out,
                                   MatmulPrecision precision) {
  const size_t block = static_cast<size_t>(in) * static_cast<size_t>(out);
  std::vector<float> weight(block * prefixes.size()), bias(static_cast<size_t>(out) * prefixes.size());
  for (size_t part = 0; part < prefixes.size(); ++part) {
    std::vector<float> converted;
    const float* w = checked(prefixes[part] + ".weight", {out, in}, converted);
    std::copy_n(w, block, weight.begin() + static_cast<std::ptrdiff_t>(part * block));
    const float* b = tensor(prefixes[part] + ".bias", {out});
    std::copy_n(b, out, bias.begin() + static_cast<std::ptrdiff_t>(part) * out);
    store_.release(prefixes[part] + ".weight");
  }
  const int rows = static_cast<int>(out * static_cast<int64_t>(prefixes.size()));
  return Linear(weight.data(), bias.data(), static_cast<int>(in), rows, Activation::None, precision);
}

// The published bert-*-uncased checkpoints name LayerNorm parameters gamma/beta (from
// TensorFlow); files saved by today's transformers use weight/bias. Accept both.
LayerNormParams BertWeights::layer_norm(const std::string& prefix, int64_t width, float eps) {
  const bool legacy = !store_.contains(prefix + ".weight") && store_.contains(prefix + ".gamma");
  LayerNormParams params;
  params.gamma = tensor(prefix + (legacy ? ".gamma" : ".weight"), {width});
  params.beta = tensor(prefix + (legacy ? ".beta" : ".bias"), {width});
  params.eps = eps;
  return params;
}

std::shared_ptr<const BertWeights> BertWeights::load(TensorStore store, const BertConfig& config,
                                                     MatmulPrecision precision) {
  auto w = std::shared_ptr<BertWeights>(new BertWeights());
  w->store_ = std::move(store);
  const int64_t H = config.hidden_size, I = config.intermediate_size, V = config.vocab_size;
  const float eps = config.layer_norm_eps;

  auto linear = [&](const std::string& prefix, int64_t in, int64_t out, Activation act) {
    return w->linear(prefix + ".weight", prefix + ".bias", in, out, act, precision);
  };

  const std::string emb = "bert.embeddings.";
  w->embeddings.word = w->tensor(emb + "word_embeddings.weight", {V, H});
  w->embeddings.position = w->tensor(emb + "position_embeddings.weight", {config.max_position_embeddings, H});
  w->embeddings.token_type = w->tensor(emb + "token_type_embeddings.weight", {config.type_vocab_size, H});
  w->embeddings.ln = w->layer_norm(emb + "LayerNorm", H, eps);

  // BertForMaskedLM ties the decoder to the word embeddings; most files omit the copy.
  // First of the matmuls: while its prepared copy is made, the file's pages of the word
  // embeddings are resident too (vocab x hidden x 4 bytes, 125 MB for bert-large); made
  // now, that overlap does not add to the peak of a fully loaded model.
  const std::string decoder = "cls.predictions.decoder.weight";
  const std::string decoder_bias = "cls.predictions.bias";
  if (w->store_.contains(decoder)) {
    w->head.decoder = w->linear(decoder, decoder_bias, H, V, Activation::None, precision);
  } else {
    w->head.decoder = Linear(w->embeddings.word, w->tensor(decoder_bias, {V}), config.hidden_size, config.vocab_size,
                             Activation::None, precision);
    // Embedding lookups touch only the rows of the prompt's tokens: let the rest go.
    w->store_.release(emb + "word_embeddings.weight");
  }
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    BlockWeights b;
    // One [3H, H] matmul instead of three [H, H]: a wider matmul runs closer to peak, and
    // bf16 rounds its input once instead of three times.
    const std::string self = p + "attention.self.";
    b.qkv = w->stacked_linear({self + "query", self + "key", self + "value"}, H, H, precision);
    b.attn_out = linear(p + "attention.output.dense", H, H, Activation::None);
    b.ln1 = w->layer_norm(p + "attention.output.LayerNorm", H, eps);
    b.ffn_in = linear(p + "intermediate.dense", H, I, Activation::Gelu);
    b.ffn_out = linear(p + "output.dense", I, H, Activation::None);
    b.ln2 = w->layer_norm(p + "output.LayerNorm", H, eps);
    w->blocks.push_back(std::move(b));
  }

  w->head.transform = linear("cls.predictions.transform.dense", H, H, Activation::Gelu);
  w->head.ln = w->layer_norm("cls.predictions.transform.LayerNorm", H, eps);
#ifdef __GLIBC__
  // Loading freed many large temporaries (converted and stacked weights); hand the
  // freed heap back to the OS rather than keep it in the resident set.
  malloc_trim(0);
#endif
  return w;
}

}  // namespace bertscope
