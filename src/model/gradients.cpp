#include "model/gradients.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "common/error.h"
#include "kernels/backward.h"
#include "kernels/rotary.h"

namespace bertscope {

const char* metric_name(GradientMetric metric) {
  switch (metric) {
    case GradientMetric::TargetLogProb: return "target_logprob";
    case GradientMetric::LogitDifference: return "logit_diff";
    case GradientMetric::Loss: return "loss";
  }
  return "?";
}

namespace {

const SiteValues& find_site(const std::vector<SiteValues>& all, const HookSite& site, const char* what) {
  for (const SiteValues& v : all) {
    if (v.site == site) return v;
  }
  throw Error(std::string("no ") + what + " at " + site.name());
}

size_t elements(int rows, int width) { return static_cast<size_t>(rows) * static_cast<size_t>(width); }

void add_to(std::vector<float>& sum, const std::vector<float>& more) {
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += more[i];
}

std::vector<float> added(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> sum = a;
  add_to(sum, b);
  return sum;
}

// dx = dy W for y = x W^T + b.
std::vector<float> input_gradient(const PlainLinear& layer, const std::vector<float>& dy, int rows) {
  std::vector<float> dx(elements(rows, layer.in));
  matmul_nn(dy.data(), layer.weight, rows, layer.out, layer.in, dx.data());
  return dx;
}

std::vector<float> forward_of(const PlainLinear& layer, const float* x, int rows) {
  std::vector<float> y(elements(rows, layer.out));
  matmul_nt(x, layer.weight, layer.bias, rows, layer.in, layer.out, y.data());
  return y;
}

std::vector<float> norm_backward(const float* u, const std::vector<float>& dy, int rows, int width,
                                 const LayerNormParams& params) {
  std::vector<float> du(dy.size());
  layer_norm_backward(u, dy.data(), rows, width, params, du.data());
  return du;
}

}  // namespace

const SiteValues& GradientResult::activation(const HookSite& site) const { return find_site(activations, site, "activation"); }
const SiteValues& GradientResult::gradient(const HookSite& site) const { return find_site(gradients, site, "gradient"); }

GradientModel::GradientModel(const Encoder& encoder)
    : encoder_(encoder),
      plain_(PlainWeights::load(encoder.dir(), encoder.config(), encoder.family().tensor_names(encoder.config()))) {}

namespace {

// The backward pass of one prompt: the captured forward (every site) in, the gradient of
// every site out, block by block from the last.
class Backward {
 public:
  Backward(const Encoder& encoder, const PlainWeights& plain, const std::vector<SiteValues>& activations, int seq)
      : model_(encoder), w_(plain), c_(encoder.config()), seq_(seq) {
    for (const SiteValues& v : activations) by_site_[v.site.name()] = &v;
  }

  // d metric / d logits at the metric's row -> the gradient of every site.
  std::map<std::string, std::vector<float>> run(int position, const std::vector<float>& dlogits) {
    const int H = c_.hidden_size, L = c_.num_hidden_layers;
    std::vector<float> d_state(elements(seq_, H), 0.0f);
    const std::vector<float> d_row = head_backward(at(HookSite::block_out(L - 1)).data() + elements(position, H), dlogits);
    std::copy(d_row.begin(), d_row.end(), d_state.begin() + static_cast<std::ptrdiff_t>(elements(position, H)));
    for (int layer = L - 1; layer >= 0; --layer) {
      grads_[HookSite::block_out(layer).name()] = d_state;
      d_state = c_.block_layout == BlockLayout::PreNorm ? pre_norm_block(layer, d_state) : post_norm_block(layer, d_state);
    }
    grads_[HookSite::embed_out().name()] = d_state;
    return std::move(grads_);
  }

 private:
  const std::vector<float>& at(const HookSite& site) const { return by_site_.at(site.name())->values; }
  const std::vector<float>& input_of(int layer) const {
    return at(layer == 0 ? HookSite::embed_out() : HookSite::block_out(layer - 1));
  }
  void set(SiteKind kind, int layer, std::vector<float> grad) { grads_[HookSite::block(kind, layer).name()] = std::move(grad); }

  // d logits W_decoder. A logit difference has two logits of non-zero gradient: only their
  // rows of the decoder are read then, not the whole vocabulary's.
  std::vector<float> decoder_backward(const std::vector<float>& dlogits) const {
    const PlainLinear& decoder = w_.decoder;
    std::vector<float> nonzero, rows;
    for (size_t v = 0; v < dlogits.size() && nonzero.size() <= 64; ++v) {
      if (dlogits[v] == 0.0f) continue;
      nonzero.push_back(dlogits[v]);
      rows.insert(rows.end(), decoder.weight + elements(static_cast<int>(v), decoder.in),
                  decoder.weight + elements(static_cast<int>(v) + 1, decoder.in));
    }
    if (nonzero.size() > 64) return input_gradient(decoder, dlogits, 1);
    std::vector<float> d(static_cast<size_t>(decoder.in));
    matmul_nn(nonzero.data(), rows.data(), 1, static_cast<int>(nonzero.size()), decoder.in, d.data());
    return d;
  }

  // The head on one row h: [final norm], [dense, activation, norm], decoder.
  std::vector<float> head_backward(const float* h, const std::vector<float>& dlogits) {
    const MlmHeadWeights& head = model_.weights().head;
    const int H = c_.hidden_size;
    std::vector<float> normed(h, h + H);
    if (head.final_norm.gamma) add_layer_norm(h, nullptr, 1, H, head.final_norm, normed.data());
    std::vector<float> d = decoder_backward(dlogits);
    if (w_.head_dense.in > 0) {
      const int D = w_.head_dense.out;
      const std::vector<float> pre = forward_of(w_.head_dense, normed.data(), 1);
      std::vector<float> act(pre.size());
      apply_activation(c_.head_activation, pre.data(), pre.size(), act.data());
      d = norm_backward(act.data(), d, 1, D, head.ln);
      activation_backward(c_.head_activation, pre.data(), d.data(), d.size(), d.data());
      d = input_gradient(w_.head_dense, d, 1);
    }
    if (head.final_norm.gamma) d = norm_backward(h, d, 1, H, head.final_norm);
    return d;
  }

  // Self-attention's backward from d attn.out: records the attention sites' gradients and
  // returns d of the attention's input (the block input, or its norm in a pre-LN block).
  std::vector<float> attention_backward_of(int layer, const std::vector<float>& d_attn_out) {
    const PlainBlock& w = w_.block(layer);
    const int H = c_.hidden_size, heads = c_.num_attention_heads, S = seq_;
    set(SiteKind::AttnOut, layer, d_attn_out);
    if (by_site_.count(HookSite::block(SiteKind::AttnHeadOut, layer).name())) {  // kept only when asked for
      std::vector<float> by_head(elements(S * heads, H));
      for (int s = 0; s < S; ++s) {
        for (int h = 0; h < heads; ++h) {
          std::copy_n(d_attn_out.begin() + static_cast<std::ptrdiff_t>(elements(s, H)), H,
                      by_head.begin() + static_cast<std::ptrdiff_t>(elements(s * heads + h, H)));
        }
      }
      set(SiteKind::AttnHeadOut, layer, std::move(by_head));
    }
    std::vector<float> d_context = input_gradient(w.attn_out, d_attn_out, S);
    set(SiteKind::AttnContext, layer, d_context);
    set(SiteKind::AttnZ, layer, d_context);

    AttentionShape shape{1, S, S, heads, c_.head_dim(), H, nullptr};
    shape.causal = c_.causal;
    shape.window_half = c_.window_half(layer);
    const int lengths[1] = {S};
    const std::vector<float>& q = at(HookSite::block(SiteKind::AttnQ, layer));
    const std::vector<float>& k = at(HookSite::block(SiteKind::AttnK, layer));
    const std::vector<float>& v = at(HookSite::block(SiteKind::AttnV, layer));
    const std::vector<float>& pattern = at(HookSite::block(SiteKind::AttnPattern, layer));
    std::vector<float> dq(elements(S, H)), dk(elements(S, H)), dv(elements(S, H));
    std::vector<float> dpattern(pattern.size()), dscores(pattern.size());
    attention_backward(q.data(), k.data(), v.data(), pattern.data(), d_context.data(), lengths, shape, dq.data(),
                       dk.data(), dv.data(), dpattern.data(), dscores.data());
    set(SiteKind::AttnPattern, layer, std::move(dpattern));
    set(SiteKind::AttnScores, layer, std::move(dscores));
    set(SiteKind::AttnQ, layer, dq);
    set(SiteKind::AttnK, layer, dk);
    set(SiteKind::AttnV, layer, dv);
    if (c_.rotary()) {
      // The sites hold q and k after the rotation R; their inputs' gradient is R^T d = the
      // rotation by the opposite angles.
      std::vector<int> back(static_cast<size_t>(S));
      for (int s = 0; s < S; ++s) back[static_cast<size_t>(s)] = -s;
      apply_rotary(dq.data(), S, H, heads, c_.head_dim(), back.data(), c_.rope_theta(layer));
      apply_rotary(dk.data(), S, H, heads, c_.head_dim(), back.data(), c_.rope_theta(layer));
    }
    std::vector<float> d_input = input_gradient(w.query, dq, S);
    add_to(d_input, input_gradient(w.key, dk, S));
    add_to(d_input, input_gradient(w.value, dv, S));
    return d_input;
  }

  // The FFN's backward from d mlp.out on its input `x` (ln1.out, or the normed residual):
  // records mlp.out, mlp.post and mlp.pre, returns d x. The pre-activations are the
  // forward's (mlp.pre); a GLU's gate is recomputed from x.
  std::vector<float> ffn_backward(int layer, const float* x, const std::vector<float>& d_mlp_out) {
    const PlainBlock& w = w_.block(layer);
    const int S = seq_;
    set(SiteKind::MlpOut, layer, d_mlp_out);
    const std::vector<float> d_post = input_gradient(w.ffn_out, d_mlp_out, S);
    set(SiteKind::MlpPost, layer, d_post);
    const std::vector<float>& pre = at(HookSite::block(SiteKind::MlpPre, layer));
    std::vector<float> d_pre = d_post;
    std::vector<float> d_x;
    if (c_.glu_ffn) {  // post = act(pre) * gate
      const std::vector<float> gate = forward_of(w.ffn_gate, x, S);
      std::vector<float> act(pre.size()), d_gate(pre.size());
      apply_activation(c_.ffn_activation, pre.data(), pre.size(), act.data());
      for (size_t i = 0; i < pre.size(); ++i) {
        d_gate[i] = d_post[i] * act[i];
        d_pre[i] = d_post[i] * gate[i];
      }
      d_x = input_gradient(w.ffn_gate, d_gate, S);
    }
    activation_backward(c_.ffn_activation, pre.data(), d_pre.data(), d_pre.size(), d_pre.data());
    set(SiteKind::MlpPre, layer, d_pre);
    std::vector<float> d_in = input_gradient(w.ffn_in, d_pre, S);
    if (!d_x.empty()) add_to(d_in, d_x);
    return d_in;
  }

  // out = LN2(mlp(mid) + mid), mid = LN1(attn(x) + x).
  std::vector<float> post_norm_block(int layer, const std::vector<float>& d_out) {
    const BlockWeights& norms = model_.weights().block(layer);
    const int H = c_.hidden_size, S = seq_;
    const std::vector<float>& mid = at(HookSite::block(SiteKind::Ln1Out, layer));
    const std::vector<float> u2 = added(at(HookSite::block(SiteKind::MlpOut, layer)), mid);
    const std::vector<float> d_u2 = norm_backward(u2.data(), d_out, S, H, norms.ln2);
    std::vector<float> d_mid = ffn_backward(layer, mid.data(), d_u2);
    add_to(d_mid, d_u2);
    set(SiteKind::Ln1Out, layer, d_mid);
    const std::vector<float> u1 = added(at(HookSite::block(SiteKind::AttnOut, layer)), input_of(layer));
    const std::vector<float> d_u1 = norm_backward(u1.data(), d_mid, S, H, norms.ln1);
    std::vector<float> d_x = attention_backward_of(layer, d_u1);
    add_to(d_x, d_u1);
    return d_x;
  }

  // mid = x + attn(LN1(x)), out = mid + mlp(LN2(mid)).
  std::vector<float> pre_norm_block(int layer, const std::vector<float>& d_out) {
    const BlockWeights& norms = model_.weights().block(layer);
    const int H = c_.hidden_size, S = seq_;
    const std::vector<float>& mid = at(HookSite::block(SiteKind::Ln1Out, layer));
    std::vector<float> normed(mid.size());
    add_layer_norm(mid.data(), nullptr, S, H, norms.ln2, normed.data());
    std::vector<float> d_mid = norm_backward(mid.data(), ffn_backward(layer, normed.data(), d_out), S, H, norms.ln2);
    add_to(d_mid, d_out);
    set(SiteKind::Ln1Out, layer, d_mid);
    const std::vector<float>& x = input_of(layer);
    std::vector<float> d_x = attention_backward_of(layer, d_mid);
    if (norms.ln1.gamma) d_x = norm_backward(x.data(), d_x, S, H, norms.ln1);
    add_to(d_x, d_mid);
    return d_x;
  }

  const Encoder& model_;
  const PlainWeights& w_;
  const ModelConfig& c_;
  int seq_;
  std::map<std::string, const SiteValues*> by_site_;
  std::map<std::string, std::vector<float>> grads_;
};

// The metric of `request` on `logits`, and d metric / d logits.
double metric_and_gradient(const std::vector<float>& logits, const GradientRequest& request, std::vector<float>& dlogits) {
  double top = *std::max_element(logits.begin(), logits.end()), total = 0.0;
  for (float x : logits) total += std::exp(static_cast<double>(x) - top);
  const double log_total = top + std::log(total);
  const size_t target = static_cast<size_t>(request.target);
  dlogits.assign(logits.size(), 0.0f);
  if (request.metric == GradientMetric::LogitDifference) {
    dlogits[target] += 1.0f;
    dlogits[static_cast<size_t>(request.foil)] -= 1.0f;
    return static_cast<double>(logits[target]) - logits[static_cast<size_t>(request.foil)];
  }
  // d log_softmax[t] / d logits = onehot(t) - softmax; the loss is its negative.
  const double sign = request.metric == GradientMetric::Loss ? -1.0 : 1.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    dlogits[i] = static_cast<float>(-sign * std::exp(static_cast<double>(logits[i]) - log_total));
  }
  dlogits[target] += static_cast<float>(sign);
  return sign * (logits[target] - log_total);
}

bool asks_for(const GradientRequest& request, const HookSite& site) {
  return request.sites.empty() || std::find(request.sites.begin(), request.sites.end(), site) != request.sites.end();
}

// Whether the forward pass must keep `site` for `request`: the sites its backward pass reads,
// and those asked for. head_out only when asked: hooking it splits the attention's output
// matmul by head.
bool keeps(const GradientRequest& request, const HookSite& site) {
  return site.kind == SiteKind::AttnHeadOut ? asks_for(request, site) : request.backward || asks_for(request, site);
}

// A site captured for the whole batch.
struct BatchValues {
  HookSite site;
  std::vector<int64_t> shape;  // without the batch dimension
  std::vector<float> values;   // [batch, shape...]
  // Sequence b's values.
  SiteValues slice(int b) const {
    size_t per = 1;
    for (int64_t d : shape) per *= static_cast<size_t>(d);
    const auto first = values.begin() + static_cast<std::ptrdiff_t>(per * static_cast<size_t>(b));
    return {site, shape, std::vector<float>(first, first + static_cast<std::ptrdiff_t>(per))};
  }
};

}  // namespace

GradientResult GradientModel::run(const TokenBatch& tokens, const GradientRequest& request) const {
  if (tokens.batch != 1) throw Error("gradients: one sequence at a time (got a batch of " + std::to_string(tokens.batch) + ")");
  return std::move(run(tokens, std::vector<GradientRequest>{request}).front());
}

std::vector<GradientResult> GradientModel::run(const TokenBatch& tokens, const std::vector<GradientRequest>& requests) const {
  const ModelConfig& c = encoder_.config();
  const int B = tokens.batch, S = tokens.seq, E = c.embedding_size, V = c.vocab_size;
  if (static_cast<size_t>(B) != requests.size()) {
    throw Error("gradients: " + std::to_string(requests.size()) + " requests for " + std::to_string(B) + " sequences");
  }
  encoder_.validate(tokens);  // before any id indexes the embeddings
  if (std::any_of(tokens.lengths.begin(), tokens.lengths.end(), [S](int n) { return n != S; })) {
    throw Error("gradients: the sequences of a batch need the same number of tokens (no padding)");
  }
  bool given = false;
  for (const GradientRequest& request : requests) {
    if (request.position < 0 || request.position >= S) {
      throw Error("gradients: position " + std::to_string(request.position) + " is outside the " + std::to_string(S) +
                  " tokens");
    }
    auto check_id = [&](int id, const char* what) {
      if (id < 0 || id >= V) throw Error(std::string("gradients: the ") + what + " is not a token of the vocabulary");
    };
    check_id(request.target, "target");
    if (request.metric == GradientMetric::LogitDifference) check_id(request.foil, "foil");
    if (!request.word_embeddings.empty() && request.word_embeddings.size() != elements(S, E)) {
      throw Error("gradients: " + std::to_string(request.word_embeddings.size()) + " word-embedding values for " +
                  std::to_string(S) + " tokens of width " + std::to_string(E));
    }
    given = given || !request.word_embeddings.empty();
  }

  // The forward pass of the whole batch, keeping what any request needs (the hooks read,
  // never edit).
  const std::vector<HookSite> every = HookSite::all(encoder_.layers());
  std::vector<BatchValues> captured;
  captured.reserve(every.size());
  Hooks hooks;
  for (const HookSite& site : every) {
    if (std::none_of(requests.begin(), requests.end(), [&](const GradientRequest& r) { return keeps(r, site); })) continue;
    BatchValues& slot = captured.emplace_back();
    hooks.add(site, [&slot](const HookSite& at, ActivationView view) {
      slot.site = at;
      const std::vector<int64_t> shape = view.shape();
      slot.shape.assign(shape.begin() + 1, shape.end());
      slot.values.assign(view.data, view.data + view.size());
    });
  }
  // Each token's word embedding: given, or the vocabulary's row.
  const EmbeddingWeights& e = encoder_.weights().embeddings;
  const auto word_of = [&](int b, int s) {
    const GradientRequest& request = requests[static_cast<size_t>(b)];
    return request.word_embeddings.empty() ? e.word + elements(tokens.ids[static_cast<size_t>(b * S + s)], E)
                                           : request.word_embeddings.data() + elements(s, E);
  };
  std::vector<float> words;
  if (given) {
    words.resize(elements(B * S, E));
    for (int b = 0; b < B; ++b) {
      for (int s = 0; s < S; ++s) std::copy_n(word_of(b, s), E, words.begin() + static_cast<std::ptrdiff_t>(elements(b * S + s, E)));
    }
  }
  HiddenState last = encoder_.embed_vectors(tokens, given ? words.data() : nullptr, &hooks);
  encoder_.run_blocks(last, 0, encoder_.layers(), &hooks);

  const std::vector<int> positions = encoder_.position_ids(tokens);
  std::vector<GradientResult> results(static_cast<size_t>(B));
  for (int b = 0; b < B; ++b) {
    const GradientRequest& request = requests[static_cast<size_t>(b)];
    GradientResult& result = results[static_cast<size_t>(b)];
    std::vector<float> dlogits;
    result.metric = metric_and_gradient(encoder_.mlm_logits(last, b, request.position), request, dlogits);
    std::vector<SiteValues> mine;
    for (const BatchValues& slot : captured) {
      if (keeps(request, slot.site)) mine.push_back(slot.slice(b));
    }
    if (!request.backward) {
      result.activations = std::move(mine);
      continue;
    }
    std::map<std::string, std::vector<float>> grads = Backward(encoder_, *plain_, mine, S).run(request.position, dlogits);
    std::vector<float> d = grads.at(HookSite::embed_out().name());  // a copy: embed.out may be asked for too
    for (SiteValues& a : mine) {
      if (!asks_for(request, a.site)) continue;
      result.gradients.push_back({a.site, a.shape, std::move(grads.at(a.site.name()))});
      result.activations.push_back(std::move(a));
    }

    // The embeddings: word (+ position + token type 0), [norm], [projection] = embed.out.
    result.input_embeddings.resize(elements(S, E));
    std::vector<float> summed(elements(S, E));
    for (int s = 0; s < S; ++s) {
      const float* word = word_of(b, s);
      std::copy_n(word, E, result.input_embeddings.begin() + static_cast<std::ptrdiff_t>(elements(s, E)));
      for (int i = 0; i < E; ++i) {
        float x = word[i];  // HF's order: (word + token type) + position
        if (e.token_type) x += e.token_type[i];
        if (e.position) x += e.position[elements(positions[static_cast<size_t>(b * S + s)], E) + static_cast<size_t>(i)];
        summed[elements(s, E) + static_cast<size_t>(i)] = x;
      }
    }
    if (e.projected) d = input_gradient(plain_->project, d, S);
    if (e.ln.gamma) d = norm_backward(summed.data(), d, S, E, e.ln);
    result.input_gradients = std::move(d);
  }
  return results;
}

}  // namespace bertscope
