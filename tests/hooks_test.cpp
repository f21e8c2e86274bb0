// Hook sites: names, the order and shapes they are called with, that reading a site gives
// HF's tensor there, that writing one changes what follows, and that the forward pass can
// restart from a saved block output.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "kernels/backward.h"
#include "model/encoder.h"
#include "model/predictions.h"
#include "test_support.h"

namespace bertscope {
namespace {

using test::all_close;

const Encoder& tiny() {
  static const Encoder model = Encoder::load(test::reference_model("tiny-fp32"));
  return model;
}

TEST(HookSite, NamesRoundTripAndUnknownNamesAreRejected) {
  for (const HookSite& site : HookSite::all(24)) {
    const auto parsed = HookSite::parse(site.name());
    ASSERT_TRUE(parsed.has_value()) << site.name();
    EXPECT_EQ(*parsed, site);
  }
  EXPECT_EQ(HookSite::parse("blocks.7.mlp.out")->layer, 7);
  EXPECT_EQ(HookSite::parse("blocks.7.mlp.out")->kind, SiteKind::MlpOut);
  for (const char* bad : {"", "blocks", "blocks.x.out", "blocks.-1.out", "blocks.3", "blocks.3.resid", "embed", "blocks.3.out.x"}) {
    EXPECT_FALSE(HookSite::parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(HookSite::all(2).size(), 1u + 2u * 14u);
  EXPECT_EQ(hook_site_docs().size(), 15u);
  EXPECT_EQ(HookSite::parse("blocks.3.attn.pattern")->kind, SiteKind::AttnPattern);
  EXPECT_EQ(HookSite::parse("blocks.0.attn.head_out")->name(), "blocks.0.attn.head_out");
  EXPECT_FALSE(HookSite::parse("blocks.0.attn.probs"));
}

TEST(Hooks, EverySiteIsCalledOnceInForwardOrderWithItsWidth) {
  const Encoder& bert = tiny();
  Hooks hooks;
  std::vector<std::string> seen;
  for (const HookSite& site : HookSite::all(bert.layers())) {
    hooks.add(site, [&](const HookSite& s, ActivationView view) {
      seen.push_back(s.name());
      EXPECT_EQ(view.batch, 1);
      // The shape each site's doc row gives, batch first.
      const ModelConfig& c = bert.config();
      const std::map<std::string, int64_t> sizes = {{"seq", 12},        {"seq_q", 12},       {"seq_k", 12},
                                                    {"hidden", c.hidden_size}, {"ffn", c.intermediate_size},
                                                    {"heads", c.num_attention_heads}, {"head_dim", c.head_dim()}};
      std::vector<int64_t> expected{1};
      for (const HookSiteDoc& doc : hook_site_docs()) {
        if (doc.kind != s.kind) continue;
        std::string dims = std::string(doc.shape).substr(1, std::string(doc.shape).size() - 2);
        for (size_t at = 0; at <= dims.size();) {
          const size_t comma = std::min(dims.find(", ", at), dims.size());
          expected.push_back(sizes.at(dims.substr(at, comma - at)));
          at = comma + 2;
        }
      }
      EXPECT_EQ(view.shape(), expected) << s.name();
      EXPECT_EQ(view.size(), static_cast<size_t>(view.batch) * view.seq * view.width);
    });
  }
  const auto readable = test::read_json(test::data_path("reference/golden/tiny-fp32.json"));
  bert.forward(TokenBatch::single(readable["prompts"][0]["ids"].get<std::vector<int>>()), &hooks);
  std::vector<std::string> expected;
  for (const HookSite& site : HookSite::all(bert.layers())) expected.push_back(site.name());
  EXPECT_EQ(seen, expected);
}

TEST(Hooks, ReadingBlockOutputsGivesHuggingFaceHiddenStates) {
  const Encoder& bert = tiny();
  const test::GoldenTensors golden("tiny-fp32");
  const auto ids64 = golden.i64("p1.input_ids");
  Hooks hooks;
  std::map<std::string, std::vector<float>> captured;
  auto capture = [&](const HookSite& s, ActivationView v) {
    captured[s.name()].assign(v.data, v.data + static_cast<size_t>(v.batch * v.seq * v.width));
  };
  hooks.add(HookSite::embed_out(), capture);
  for (int l = 0; l < bert.layers(); ++l) hooks.add(HookSite::block_out(l), capture);
  bert.forward(TokenBatch::single(std::vector<int>(ids64.begin(), ids64.end())), &hooks);
  EXPECT_TRUE(all_close(captured["embed.out"], golden.f32("p1.hidden.0")));
  for (int l = 0; l < bert.layers(); ++l) {
    EXPECT_TRUE(all_close(captured[HookSite::block_out(l).name()], golden.f32("p1.hidden." + std::to_string(l + 1))))
        << "block " << l;
  }
}

TEST(Hooks, WritingTheMaskRowGivesHuggingFaceEditedLogits) {
  // The reference edits the [MASK] row of block L's output: h = 0.5 h, h = 0, and h[perm].
  const Encoder& bert = tiny();
  const test::GoldenTensors golden("tiny-fp32");
  const auto readable = test::read_json(test::data_path("reference/golden/tiny-fp32.json"));
  for (size_t p = 0; p < readable["prompts"].size(); ++p) {
    const auto& prompt = readable["prompts"][p];
    const std::string key = "p" + std::to_string(p);
    const int mask = prompt["mask_index"].get<int>();
    const TokenBatch tokens = TokenBatch::single(prompt["ids"].get<std::vector<int>>());
    for (int layer = 0; layer < bert.layers(); ++layer) {
      const std::string at = key + ".L" + std::to_string(layer);
      SCOPED_TRACE(at);
      const auto perm = golden.i64(key + ".shuffle.L" + std::to_string(layer) + ".perm");
      struct Edit {
        std::string name;
        std::function<void(float*, int)> apply;
      };
      const std::vector<Edit> edits = {
          {"scale0.5", [](float* h, int n) { for (int i = 0; i < n; ++i) h[i] *= 0.5f; }},
          {"zero", [](float* h, int n) { std::fill(h, h + n, 0.0f); }},
          {"shuffle", [&](float* h, int n) {
             std::vector<float> copy(h, h + n);
             for (int i = 0; i < n; ++i) h[i] = copy[static_cast<size_t>(perm[static_cast<size_t>(i)])];
           }},
      };
      for (const Edit& edit : edits) {
        Hooks hooks;
        hooks.add(HookSite::block_out(layer), [&](const HookSite&, ActivationView v) { edit.apply(v.row(0, mask), v.width); });
        const HiddenState last = bert.forward(tokens, &hooks);
        const std::string name = key + "." + edit.name + ".L" + std::to_string(layer) + ".mask_logits";
        EXPECT_TRUE(all_close(bert.mlm_logits(last, 0, mask), golden.f32(name))) << name;
      }
    }
  }
}

TEST(Hooks, RestartingFromASavedBlockOutputEqualsTheFullPass) {
  const Encoder& bert = tiny();
  const auto readable = test::read_json(test::data_path("reference/golden/tiny-fp32.json"));
  const TokenBatch tokens = TokenBatch::single(readable["prompts"][2]["ids"].get<std::vector<int>>());
  const HiddenState full = bert.forward(tokens);
  HiddenState state = bert.embed(tokens);
  bert.run_blocks(state, 0, 1);
  HiddenState saved = state;  // block 0's output, kept for reuse
  bert.run_blocks(saved, 1, bert.layers());
  EXPECT_TRUE(all_close(saved.values, full.values, 0.0, 0.0));
  EXPECT_THROW(bert.run_blocks(state, 1, bert.layers() + 1), Error);
}

TEST(Hooks, ASiteBeyondTheLastBlockIsAnErrorNotANoOp) {
  // A hook at blocks.L with L past the last block would never run: the edit it stands for
  // would silently not happen.
  const Encoder& bert = tiny();
  const TokenBatch tokens = TokenBatch::single(bert.tokenizer().encode("a [MASK] b").ids);
  int calls = 0;
  Hooks hooks;
  hooks.add(HookSite::block_out(bert.layers() - 1), [&](const HookSite&, ActivationView) { ++calls; });
  bert.forward(tokens, &hooks);
  EXPECT_EQ(calls, 1);
  for (SiteKind kind : {SiteKind::BlockOut, SiteKind::MlpPost, SiteKind::AttnContext}) {
    Hooks beyond;
    beyond.add(HookSite::block(kind, bert.layers()), [&](const HookSite&, ActivationView) { ++calls; });
    const std::string name = HookSite::block(kind, bert.layers()).name();
    try {
      bert.forward(tokens, &beyond);
      ADD_FAILURE() << "forward ran with a hook at " << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("hook site " + name + " does not exist"), std::string::npos) << e.what();
    }
    HiddenState state = bert.embed(tokens);
    EXPECT_THROW(bert.run_blocks(state, 0, 1, &beyond), Error) << name;
  }
  EXPECT_EQ(calls, 1);
}

TEST(Hooks, MlpPreIsTheActivationsInputAndEditsThere) {
  // With an mlp.pre hook the FFN's input matmul runs without its fused activation, the hook
  // sees its output, and the activation follows: act(mlp.pre) is mlp.post, and the pass ends
  // where the fused one does.
  const Encoder& bert = tiny();
  const TokenBatch tokens = TokenBatch::single(bert.tokenizer().encode("the man [MASK] the curtain").ids);
  const HiddenState fused = bert.forward(tokens);
  std::map<std::string, std::vector<float>> seen;
  Hooks hooks;
  for (int layer = 0; layer < bert.layers(); ++layer) {
    for (SiteKind kind : {SiteKind::MlpPre, SiteKind::MlpPost}) {
      hooks.add(HookSite::block(kind, layer),
                [&](const HookSite& site, ActivationView v) { seen[site.name()].assign(v.data, v.data + v.size()); });
    }
  }
  const HiddenState split = bert.forward(tokens, &hooks);
  ASSERT_EQ(split.values.size(), fused.values.size());
  for (size_t i = 0; i < fused.values.size(); ++i) EXPECT_NEAR(split.values[i], fused.values[i], 1e-5) << i;
  for (int layer = 0; layer < bert.layers(); ++layer) {
    const std::vector<float>& pre = seen.at(HookSite::block(SiteKind::MlpPre, layer).name());
    const std::vector<float>& post = seen.at(HookSite::block(SiteKind::MlpPost, layer).name());
    ASSERT_EQ(pre.size(), static_cast<size_t>(tokens.seq) * bert.config().intermediate_size);
    std::vector<float> activated(pre.size());
    apply_activation(bert.config().ffn_activation, pre.data(), pre.size(), activated.data());
    for (size_t i = 0; i < pre.size(); ++i) EXPECT_NEAR(post[i], activated[i], 1e-5) << layer << " " << i;
    EXPECT_NE(pre, post);  // before the activation, not after it
  }

  // An edit there is what the activation reads: zero pre-activations give GELU(0) = 0.
  Hooks zero;
  zero.add(HookSite::block(SiteKind::MlpPre, 1), [](const HookSite&, ActivationView v) { std::fill_n(v.data, v.size(), 0.0f); });
  std::vector<float> post;
  zero.add(HookSite::block(SiteKind::MlpPost, 1), [&](const HookSite&, ActivationView v) { post.assign(v.data, v.data + v.size()); });
  const HiddenState edited = bert.forward(tokens, &zero);
  ASSERT_FALSE(post.empty());
  EXPECT_TRUE(std::all_of(post.begin(), post.end(), [](float x) { return x == 0.0f; }));
  EXPECT_NE(edited.values, fused.values);
}

TEST(Hooks, LastBlockOnReadPositionsOnlyEqualsTheFullPassRows) {
  // Computing only the rows that are read in the last block (queries, FFN, output) must
  // give exactly those rows of the full pass, for a padded batch too.
  const Encoder& bert = tiny();
  const auto readable = test::read_json(test::data_path("reference/golden/tiny-fp32.json"));
  std::vector<std::vector<int>> sequences;
  for (const auto& prompt : readable["prompts"]) sequences.push_back(prompt["ids"].get<std::vector<int>>());
  const TokenBatch tokens = TokenBatch::padded(sequences, 0);
  const HiddenState full = bert.forward(tokens);
  HiddenState partial = bert.embed(tokens);
  const std::vector<int> read = {0, 5, 3};
  bert.run_blocks(partial, 0, bert.layers(), nullptr, {read});
  ASSERT_EQ(partial.seq, 3);
  for (int b = 0; b < tokens.batch; ++b) {
    for (size_t i = 0; i < read.size(); ++i) {
      EXPECT_TRUE(all_close(partial.row(b, static_cast<int>(i)), full.row(b, read[i]), static_cast<size_t>(full.width), 1e-6, 1e-6))
          << "batch " << b << " position " << read[i];
    }
  }
  HiddenState state = bert.embed(tokens);
  EXPECT_THROW(bert.run_blocks(state, 0, bert.layers(), nullptr, {{tokens.seq}}), Error);

  // One list per sequence: each reads its own positions (a batch of prompts, each its [MASK]).
  std::vector<std::vector<int>> own;
  for (int b = 0; b < tokens.batch; ++b) own.push_back({tokens.lengths[static_cast<size_t>(b)] - 1 - b % 2, b % 2});
  HiddenState each = bert.embed(tokens);
  bert.run_blocks(each, 0, bert.layers(), nullptr, own);
  ASSERT_EQ(each.seq, 2);
  for (int b = 0; b < tokens.batch; ++b) {
    for (int i = 0; i < 2; ++i) {
      const int position = own[static_cast<size_t>(b)][static_cast<size_t>(i)];
      EXPECT_TRUE(all_close(each.row(b, i), full.row(b, position), static_cast<size_t>(full.width), 1e-6, 1e-6))
          << "batch " << b << " position " << position;
    }
  }
  HiddenState uneven = bert.embed(tokens);
  own.back().pop_back();
  EXPECT_THROW(bert.run_blocks(uneven, 0, bert.layers(), nullptr, own), Error) << "lists of different sizes";
  own.pop_back();
  if (tokens.batch > 2) {
    EXPECT_THROW(bert.run_blocks(uneven, 0, bert.layers(), nullptr, own), Error) << "a list missing";
  }
}

}  // namespace
}  // namespace bertscope

namespace bertscope {
namespace {

TEST(HookSite, TheReadmeTableListsEverySiteAsTheCodeDoes) {
  const std::string readme = test::read_bytes(std::string(BERTSCOPE_TEST_DATA) + "/../../README.md");
  for (const HookSiteDoc& doc : hook_site_docs()) {
    const std::string row = std::string("| `") + doc.pattern + "` | `" + doc.hf_module + "` | `";
    EXPECT_NE(readme.find(row), std::string::npos) << "README lacks the row for " << doc.pattern;
    EXPECT_NE(readme.find(doc.meaning), std::string::npos) << doc.meaning;
  }
}

}  // namespace
}  // namespace bertscope
