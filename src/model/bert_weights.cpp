#include "model/bert_weights.h"

#include <string>

#include "common/error.h"
#include "weights/finite_scan.h"

namespace bertscope {

const float* BertWeights::tensor(const std::string& name, const std::vector<int64_t>& shape) {
  const float* values = store_.borrow_f32(name, shape);
  if (!values) {
    owned_.push_back(store_.read_f32(name, shape));
    values = owned_.back().data();
  }
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

std::shared_ptr<const BertWeights> BertWeights::load(TensorStore store, const BertConfig& config) {
  auto w = std::shared_ptr<BertWeights>(new BertWeights());
  w->store_ = std::move(store);
  const int64_t H = config.hidden_size, I = config.intermediate_size, V = config.vocab_size;
  const float eps = config.layer_norm_eps;

  auto linear = [&](const std::string& prefix, int64_t in, int64_t out, Activation act) {
    const float* weight = w->tensor(prefix + ".weight", {out, in});
    const float* bias = w->tensor(prefix + ".bias", {out});
    return Linear(weight, bias, static_cast<int>(in), static_cast<int>(out), act);
  };

  const std::string emb = "bert.embeddings.";
  w->embeddings.word = w->tensor(emb + "word_embeddings.weight", {V, H});
  w->embeddings.position = w->tensor(emb + "position_embeddings.weight", {config.max_position_embeddings, H});
  w->embeddings.token_type = w->tensor(emb + "token_type_embeddings.weight", {config.type_vocab_size, H});
  w->embeddings.ln = w->layer_norm(emb + "LayerNorm", H, eps);

  for (int l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    BlockWeights b;
    b.query = linear(p + "attention.self.query", H, H, Activation::None);
    b.key = linear(p + "attention.self.key", H, H, Activation::None);
    b.value = linear(p + "attention.self.value", H, H, Activation::None);
    b.attn_out = linear(p + "attention.output.dense", H, H, Activation::None);
    b.ln1 = w->layer_norm(p + "attention.output.LayerNorm", H, eps);
    b.ffn_in = linear(p + "intermediate.dense", H, I, Activation::Gelu);
    b.ffn_out = linear(p + "output.dense", I, H, Activation::None);
    b.ln2 = w->layer_norm(p + "output.LayerNorm", H, eps);
    w->blocks.push_back(std::move(b));
  }

  w->head.transform = linear("cls.predictions.transform.dense", H, H, Activation::Gelu);
  w->head.ln = w->layer_norm("cls.predictions.transform.LayerNorm", H, eps);
  // BertForMaskedLM ties the decoder to the word embeddings; most files omit the copy.
  const std::string decoder = "cls.predictions.decoder.weight";
  const float* decoder_weight = w->store_.contains(decoder) ? w->tensor(decoder, {V, H}) : w->embeddings.word;
  const float* decoder_bias = w->tensor("cls.predictions.bias", {V});
  w->head.decoder = Linear(decoder_weight, decoder_bias, config.hidden_size, config.vocab_size);
  return w;
}

}  // namespace bertscope
