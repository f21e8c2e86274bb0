// The per-head attention sites (q, k, v, scores, pattern, z, head_out) against an
// independent float64 reference written here from HuggingFace's BertSelfAttention math
// (transpose_for_scores, q k^T / sqrt(d) + mask, softmax, probs @ v, then
// BertSelfOutput.dense), fed with the golden hidden state entering each block, and the
// invariants that tie them together.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "model/encoder.h"
#include "model/predictions.h"
#include "test_support.h"
#include "weights/model_dir.h"
#include "weights/tensor_store.h"

namespace bertscope {
namespace {

using test::all_close;

const Encoder& model(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Encoder>> cache;
  auto& slot = cache[name];
  if (!slot) slot = std::make_unique<Encoder>(Encoder::load(test::reference_model(name)));
  return *slot;
}

// The golden prompts' block inputs and the weights, straight from the files.
struct Reference {
  int S = 0, H = 0, heads = 0, d = 0;
  std::vector<double> q, k, v;     // [S, heads, d]
  std::vector<double> scores;      // [heads, S, S]
  std::vector<double> pattern;     // [heads, S, S]
  std::vector<double> z;           // [S, heads, d]
  std::vector<double> head_out;    // [S, heads, H]
  std::vector<double> attn_out;    // [S, H]
};

std::vector<double> linear(const std::vector<float>& x, int rows, const std::vector<float>& w, const std::vector<float>& b,
                           int in, int out) {
  std::vector<double> y(static_cast<size_t>(rows) * static_cast<size_t>(out));
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      double sum = b[static_cast<size_t>(o)];
      for (int i = 0; i < in; ++i) sum += static_cast<double>(x[static_cast<size_t>(r * in + i)]) * w[static_cast<size_t>(o * in + i)];
      y[static_cast<size_t>(r * out + o)] = sum;
    }
  }
  return y;
}

Reference reference(const std::string& name, const std::vector<float>& x, int S, int layer) {
  const ModelConfig& c = model(name).config();
  const TensorStore store = TensorStore::open_dir(resolve_model_dir(test::reference_model(name)).dir);
  Reference r;
  r.S = S;
  r.H = c.hidden_size;
  r.heads = c.num_attention_heads;
  r.d = c.head_dim();
  const int H = r.H;
  const std::string prefix = "bert.encoder.layer." + std::to_string(layer) + ".attention.";
  auto weight = [&](const std::string& n) { return store.read_f32(prefix + n + ".weight", {H, H}); };
  auto bias = [&](const std::string& n) { return store.read_f32(prefix + n + ".bias", {H}); };
  // [S, H] is [S, heads, d] already: transpose_for_scores only permutes the view.
  r.q = linear(x, S, weight("self.query"), bias("self.query"), H, H);
  r.k = linear(x, S, weight("self.key"), bias("self.key"), H, H);
  r.v = linear(x, S, weight("self.value"), bias("self.value"), H, H);
  const size_t grid = static_cast<size_t>(r.heads) * static_cast<size_t>(S) * static_cast<size_t>(S);
  r.scores.resize(grid);
  r.pattern.resize(grid);
  r.z.assign(static_cast<size_t>(S * H), 0.0);
  auto at = [&](int h, int i, int j) { return (static_cast<size_t>(h) * S + static_cast<size_t>(i)) * S + static_cast<size_t>(j); };
  for (int h = 0; h < r.heads; ++h) {
    for (int i = 0; i < S; ++i) {
      double max_score = -1e300;
      for (int j = 0; j < S; ++j) {
        double dot = 0.0;
        for (int e = 0; e < r.d; ++e) dot += r.q[static_cast<size_t>(i * H + h * r.d + e)] * r.k[static_cast<size_t>(j * H + h * r.d + e)];
        r.scores[at(h, i, j)] = dot / std::sqrt(static_cast<double>(r.d));  // no padding: mask 0
        max_score = std::max(max_score, r.scores[at(h, i, j)]);
      }
      double total = 0.0;
      for (int j = 0; j < S; ++j) total += std::exp(r.scores[at(h, i, j)] - max_score);
      for (int j = 0; j < S; ++j) {
        r.pattern[at(h, i, j)] = std::exp(r.scores[at(h, i, j)] - max_score) / total;
        for (int e = 0; e < r.d; ++e) {
          r.z[static_cast<size_t>(i * H + h * r.d + e)] += r.pattern[at(h, i, j)] * r.v[static_cast<size_t>(j * H + h * r.d + e)];
        }
      }
    }
  }
  const std::vector<float> wo = weight("output.dense"), bo = bias("output.dense");
  r.head_out.assign(static_cast<size_t>(S) * static_cast<size_t>(r.heads) * static_cast<size_t>(H), 0.0);
  r.attn_out.assign(static_cast<size_t>(S * H), 0.0);
  for (int i = 0; i < S; ++i) {
    for (int o = 0; o < H; ++o) {
      double total = bo[static_cast<size_t>(o)];
      for (int h = 0; h < r.heads; ++h) {
        double term = 0.0;
        for (int e = 0; e < r.d; ++e) term += r.z[static_cast<size_t>(i * H + h * r.d + e)] * wo[static_cast<size_t>(o * H + h * r.d + e)];
        r.head_out[(static_cast<size_t>(i) * r.heads + static_cast<size_t>(h)) * H + static_cast<size_t>(o)] = term;
        total += term;
      }
      r.attn_out[static_cast<size_t>(i * H + o)] = total;
    }
  }
  return r;
}

std::vector<float> as_float(const std::vector<double>& values) { return std::vector<float>(values.begin(), values.end()); }

class AttentionSites : public ::testing::TestWithParam<std::string> {};

TEST_P(AttentionSites, EveryPerHeadSiteMatchesHuggingFaceMathInFloat64) {
  const std::string name = GetParam();
  const Encoder& bert = model(name);
  const test::GoldenTensors golden(name);
  const std::vector<SiteKind> kinds = {SiteKind::AttnQ, SiteKind::AttnK, SiteKind::AttnV, SiteKind::AttnScores,
                                       SiteKind::AttnPattern, SiteKind::AttnZ, SiteKind::AttnHeadOut, SiteKind::AttnOut};
  for (int p = 0; p < 3; ++p) {
    const std::string key = "p" + std::to_string(p);
    const std::vector<int64_t> ids64 = golden.i64(key + ".input_ids");
    const std::vector<int> ids(ids64.begin(), ids64.end());
    const int S = static_cast<int>(ids.size());
    std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> seen;
    Hooks hooks;
    for (int layer = 0; layer < bert.layers(); ++layer) {
      for (SiteKind kind : kinds) {
        hooks.add(HookSite::block(kind, layer), [&](const HookSite& s, ActivationView view) {
          seen[s.name()] = {view.shape(), std::vector<float>(view.data, view.data + view.size())};
        });
      }
    }
    bert.forward(TokenBatch::single(ids), &hooks);
    for (int layer = 0; layer < bert.layers(); ++layer) {
      SCOPED_TRACE(name + " " + key + " block " + std::to_string(layer));
      const Reference r = reference(name, golden.f32(key + ".hidden." + std::to_string(layer)), S, layer);
      const std::string b = "blocks." + std::to_string(layer) + ".attn.";
      const std::vector<int64_t> per_token = {1, S, r.heads, r.d}, grid = {1, r.heads, S, S};
      EXPECT_EQ(seen[b + "q"].first, per_token);
      EXPECT_EQ(seen[b + "pattern"].first, grid);
      EXPECT_EQ(seen[b + "head_out"].first, (std::vector<int64_t>{1, S, r.heads, r.H}));
      EXPECT_TRUE(all_close(seen[b + "q"].second, as_float(r.q))) << "q";
      EXPECT_TRUE(all_close(seen[b + "k"].second, as_float(r.k))) << "k";
      EXPECT_TRUE(all_close(seen[b + "v"].second, as_float(r.v))) << "v";
      EXPECT_TRUE(all_close(seen[b + "scores"].second, as_float(r.scores))) << "scores";
      EXPECT_TRUE(all_close(seen[b + "pattern"].second, as_float(r.pattern), 1e-5)) << "pattern";
      EXPECT_TRUE(all_close(seen[b + "z"].second, as_float(r.z))) << "z";
      EXPECT_TRUE(all_close(seen[b + "head_out"].second, as_float(r.head_out))) << "head_out";
      EXPECT_TRUE(all_close(seen[b + "out"].second, as_float(r.attn_out))) << "attn.out";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, AttentionSites, ::testing::ValuesIn(test::reference_cases()), test::case_name);

// Two prompts of different lengths as one padded batch.
TokenBatch padded_batch(const Encoder& bert) {
  const Tokenizer& t = bert.tokenizer();
  return TokenBatch::padded({t.encode("Pay no attention to that man [MASK] the curtain!").ids, t.encode("a [MASK] b").ids},
                            t.vocab().pad_id());
}

TEST(AttentionSites, PatternRowsSumToOneOverTheUnmaskedKeysAndPaddingGetsNothing) {
  const Encoder& bert = model("small-bf16");
  const TokenBatch tokens = padded_batch(bert);
  int checked = 0;
  Hooks hooks;
  hooks.add(HookSite::block(SiteKind::AttnPattern, 1), [&](const HookSite&, ActivationView view) {
    ASSERT_EQ(view.rank, 4);
    const int heads = view.dims[1], queries = view.dims[2], keys = view.dims[3];
    for (int b = 0; b < view.batch; ++b) {
      for (int row = 0; row < heads * queries; ++row) {
        const float* p = view.row(b, row);
        double unmasked = 0.0, masked = 0.0;
        for (int j = 0; j < keys; ++j) (j < tokens.lengths[static_cast<size_t>(b)] ? unmasked : masked) += p[j];
        EXPECT_NEAR(unmasked, 1.0, 1e-5);
        EXPECT_LT(masked, 1e-6);
        ++checked;
      }
    }
  });
  bert.forward(tokens, &hooks);
  EXPECT_EQ(checked, 2 * bert.config().num_attention_heads * tokens.seq);
}

TEST(AttentionSites, HeadOutputsSummedOverHeadsPlusTheBiasAreTheFastPathsAttnOut) {
  const Encoder& bert = model("small-bf16");
  const TokenBatch tokens = padded_batch(bert);
  const int H = bert.config().hidden_size, heads = bert.config().num_attention_heads;
  const TensorStore store = TensorStore::open_dir(resolve_model_dir(test::reference_model("small-bf16")).dir);
  for (int layer = 0; layer < bert.layers(); ++layer) {
    SCOPED_TRACE("block " + std::to_string(layer));
    const std::vector<float> bias =
        store.read_f32("bert.encoder.layer." + std::to_string(layer) + ".attention.output.dense.bias", {H});
    std::vector<float> fast, summed;
    Hooks fast_hooks, head_hooks;
    fast_hooks.add(HookSite::block(SiteKind::AttnOut, layer),
                   [&](const HookSite&, ActivationView v) { fast.assign(v.data, v.data + v.size()); });
    head_hooks.add(HookSite::block(SiteKind::AttnHeadOut, layer), [&](const HookSite&, ActivationView v) {
      const size_t rows = static_cast<size_t>(v.batch) * static_cast<size_t>(v.seq);
      summed.assign(rows * static_cast<size_t>(H), 0.0f);
      for (size_t r = 0; r < rows; ++r) {
        for (int i = 0; i < H; ++i) {
          double total = bias[static_cast<size_t>(i)];
          for (int h = 0; h < heads; ++h) total += v.data[(r * static_cast<size_t>(heads) + static_cast<size_t>(h)) * H + static_cast<size_t>(i)];
          summed[r * static_cast<size_t>(H) + static_cast<size_t>(i)] = static_cast<float>(total);
        }
      }
    });
    bert.forward(tokens, &fast_hooks);
    bert.forward(tokens, &head_hooks);
    EXPECT_TRUE(all_close(summed, fast, 1e-5, 1e-5));
  }
}

TEST(AttentionSites, HookingEveryPerHeadSiteWithoutEditingChangesNoLogit) {
  const Encoder& bert = model("tiny-legacy-f16");
  const TokenBatch tokens = padded_batch(bert);
  Hooks readers;
  int calls = 0;
  for (const HookSite& site : HookSite::all(bert.layers())) {
    if (is_attention_detail(site.kind)) readers.add(site, [&](const HookSite&, ActivationView) { ++calls; });
  }
  const HiddenState plain = bert.forward(tokens);
  const HiddenState hooked = bert.forward(tokens, &readers);
  EXPECT_EQ(calls, 7 * bert.layers());
  // Bit for bit: reading a site never changes the numbers of the run.
  EXPECT_EQ(hooked.values, plain.values);
}

TEST(AttentionSites, EditsAtThePerHeadSitesTakeEffect) {
  const Encoder& bert = model("tiny-fp32");
  const TokenBatch tokens = padded_batch(bert);
  const int heads = bert.config().num_attention_heads, d = bert.config().head_dim();
  auto logits_with = [&](SiteKind kind, const std::function<void(ActivationView)>& edit) {
    Hooks hooks;
    hooks.add(HookSite::block(kind, 1), [&](const HookSite&, ActivationView v) { edit(v); });
    const HiddenState last = bert.forward(tokens, &hooks);
    return bert.mlm_logits(last, 0, 7);
  };
  // Zeroing head 2's z and zeroing head 2's output term are the same edit.
  const auto zero_z = logits_with(SiteKind::AttnZ, [&](ActivationView v) {
    for (int s = 0; s < v.seq * v.batch; ++s) std::fill_n(v.data + static_cast<size_t>(s) * v.width + 2 * d, d, 0.0f);
  });
  const auto zero_term = logits_with(SiteKind::AttnHeadOut, [&](ActivationView v) {
    const int H = v.dims[3];
    for (int s = 0; s < v.seq * v.batch; ++s) {
      std::fill_n(v.data + (static_cast<size_t>(s) * heads + 2) * static_cast<size_t>(H), H, 0.0f);
    }
  });
  const auto clean = bert.mlm_logits(bert.forward(tokens), 0, 7);
  EXPECT_TRUE(all_close(zero_z, zero_term, 1e-5, 1e-5));
  EXPECT_FALSE(all_close(zero_z, clean, 1e-4, 0.0));
  // Scaling the values of every head by 2 doubles z, hence the context.
  std::vector<float> context_clean, context_doubled;
  Hooks read_clean, double_v;
  read_clean.add(HookSite::block(SiteKind::AttnContext, 0),
                 [&](const HookSite&, ActivationView v) { context_clean.assign(v.data, v.data + v.size()); });
  double_v.add(HookSite::block(SiteKind::AttnV, 0), [&](const HookSite&, ActivationView v) {
    for (size_t i = 0; i < v.size(); ++i) v.data[i] *= 2.0f;
  });
  double_v.add(HookSite::block(SiteKind::AttnContext, 0), [&](const HookSite&, ActivationView v) {
    context_doubled.assign(v.data, v.data + v.size());
    for (float& x : context_doubled) x /= 2.0f;
  });
  bert.forward(tokens, &read_clean);
  bert.forward(tokens, &double_v);
  EXPECT_TRUE(all_close(context_doubled, context_clean, 1e-6, 1e-5));
}

}  // namespace
}  // namespace bertscope
