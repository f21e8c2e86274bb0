// Every family against HuggingFace's own modeling code (tests/data/families, see its README
// and PROVENANCE): hidden states at every layer, the attention pattern of every layer, the
// logits, and the logits after zeroing or halving block L's output at the prediction
// position, for each family's small random model in HF's own format and tensor names.
#include <gtest/gtest.h>

#include <tuple>

#include <filesystem>

#include "model/encoder.h"
#include "model/predictions.h"
#include "test_support.h"
#include "weights/safetensors_writer.h"
#include "weights/tensor_store.h"

namespace bertscope {
namespace {

using test::all_close;

std::string family_model(const std::string& name) { return test::data_path("families/models/" + name); }

class FamilyGolden : public ::testing::TestWithParam<std::string> {
 protected:
  static const Encoder& model(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Encoder>> cache;
    auto& slot = cache[name];
    if (!slot) slot = std::make_unique<Encoder>(Encoder::load(family_model(name)));
    return *slot;
  }
  static test::GoldenTensors golden(const std::string& name) {
    return test::GoldenTensors::at(test::data_path("families/golden/" + name + ".safetensors"));
  }
  static nlohmann::json readable(const std::string& name) {
    return test::read_json(test::data_path("families/golden/" + name + ".json"));
  }
  static std::vector<int> ids(const test::GoldenTensors& g, const std::string& key) {
    const std::vector<int64_t> wide = g.i64(key + ".input_ids");
    return std::vector<int>(wide.begin(), wide.end());
  }
};

TEST_P(FamilyGolden, HiddenStatesAttentionAndLogitsMatchHuggingFace) {
  const std::string name = GetParam();
  const Encoder& m = model(name);
  const auto json = readable(name);
  const auto g = golden(name);
  ASSERT_EQ(m.config().family, json["model_type"].get<std::string>());
  ASSERT_EQ(m.config().architecture, json["hf_class"].get<std::string>());
  ASSERT_EQ(m.layers(), json["num_layers"].get<int>());
  for (size_t p = 0; p < json["prompts"].size(); ++p) {
    const std::string key = "p" + std::to_string(p);
    SCOPED_TRACE(name + " " + key);
    const std::vector<int> tokens = ids(g, key);
    const int seq = static_cast<int>(tokens.size());
    // The family's tokenizer (tokenizer.json or vocab.txt) gives HF's ids for the text.
    EXPECT_EQ(m.tokenizer().encode(json["prompts"][p]["text"].get<std::string>()).ids, tokens);
    const int heads = m.config().num_attention_heads;

    // The attention pattern of every layer through its hook site (HF output_attentions).
    std::vector<std::vector<float>> patterns(static_cast<size_t>(m.layers()));
    Hooks hooks;
    for (int l = 0; l < m.layers(); ++l) {
      hooks.add(HookSite::block(SiteKind::AttnPattern, l), [&patterns, l](const HookSite&, ActivationView v) {
        patterns[static_cast<size_t>(l)].assign(v.data, v.data + v.size());
      });
    }
    std::vector<HiddenState> hidden;
    const HiddenState last = m.forward(TokenBatch::single(tokens), &hooks, &hidden);
    for (int l = 0; l <= m.layers(); ++l) {
      SCOPED_TRACE("hidden." + std::to_string(l));
      // GPT-2's last hidden_states entry is after ln_f; blocks.L.out is the residual stream
      // before it, which the golden has as block_out.{layers - 1}.
      const std::string last_block_out = key + ".block_out." + std::to_string(m.layers() - 1);
      const bool after_final_norm = l == m.layers() && g.has(last_block_out);
      EXPECT_TRUE(all_close(hidden[static_cast<size_t>(l)].values,
                            g.f32(after_final_norm ? last_block_out : key + ".hidden." + std::to_string(l))));
    }
    for (int l = 0; l < m.layers(); ++l) {
      SCOPED_TRACE("attn." + std::to_string(l));
      ASSERT_EQ(patterns[static_cast<size_t>(l)].size(), static_cast<size_t>(heads * seq * seq));
      EXPECT_TRUE(all_close(patterns[static_cast<size_t>(l)], g.f32(key + ".attn." + std::to_string(l)), 1e-5, 1e-4));
    }
    const int at = json["prompts"][p]["prediction_position"].get<int>();
    const std::vector<float> expected = g.f32(key + ".logits");
    const size_t V = static_cast<size_t>(m.config().vocab_size);
    if (g.shape(key + ".logits")[0] == 1) {
      EXPECT_TRUE(all_close(m.mlm_logits(last, 0, at), expected));
    } else {
      std::vector<float> all(static_cast<size_t>(last.rows()) * V);
      m.mlm_logits(last.values.data(), last.rows(), all.data());
      EXPECT_TRUE(all_close(all, expected));
    }
    // HF's top-5 at the prediction position, by id.
    std::vector<int> top5;
    for (const TokenScore& t : top_k(log_softmax(m.mlm_logits(last, 0, at)), 5)) top5.push_back(t.id);
    std::vector<int> expected_top5;
    for (const auto& t : json["prompts"][p]["top5"]) expected_top5.push_back(t["id"].get<int>());
    EXPECT_EQ(top5, expected_top5);
  }
}

TEST_P(FamilyGolden, EditsOfEveryBlockOutputMatchHuggingFaceHooks) {
  // HF's forward hook on block L replaced the vector at the prediction position (zero, or
  // times 0.5); the rest of the model ran on the edited state. Here: a hook at blocks.L.out.
  const std::string name = GetParam();
  const Encoder& m = model(name);
  const auto json = readable(name);
  const auto g = golden(name);
  for (size_t p = 0; p < json["prompts"].size(); ++p) {
    const std::string key = "p" + std::to_string(p);
    const std::vector<int> tokens = ids(g, key);
    const int at = json["prompts"][p]["prediction_position"].get<int>();
    for (int l = 0; l < m.layers(); ++l) {
      for (const auto& [edit, factor] : {std::pair<std::string, float>{"zero", 0.0f}, {"scale0.5", 0.5f}}) {
        SCOPED_TRACE(name + " " + key + " " + edit + " block " + std::to_string(l));
        Hooks hooks;
        hooks.add(HookSite::block_out(l), [at, scale = factor](const HookSite&, ActivationView v) {
          float* row = v.row(0, at);
          for (int i = 0; i < v.width; ++i) row[i] *= scale;
        });
        const HiddenState last = m.forward(TokenBatch::single(tokens), &hooks);
        EXPECT_TRUE(all_close(m.mlm_logits(last, 0, at), g.f32(key + "." + edit + ".L" + std::to_string(l) + ".logits")));
      }
    }
  }
}

TEST_P(FamilyGolden, BatchedPaddedForwardEqualsOneByOne) {
  // Prompts of different lengths padded into one batch give each prompt's own states (for
  // RoBERTa this also checks that padding does not shift the position ids).
  const std::string name = GetParam();
  const Encoder& m = model(name);
  const auto g = golden(name);
  std::vector<std::vector<int>> sequences;
  for (size_t p = 0; p < readable(name)["prompts"].size(); ++p) sequences.push_back(ids(g, "p" + std::to_string(p)));
  const HiddenState batched = m.forward(TokenBatch::padded(sequences, m.config().pad_token_id));
  for (size_t b = 0; b < sequences.size(); ++b) {
    const HiddenState alone = m.forward(TokenBatch::single(sequences[b]));
    for (int s = 0; s < alone.seq; ++s) {
      EXPECT_TRUE(all_close(batched.row(static_cast<int>(b), s), alone.row(0, s), static_cast<size_t>(alone.width), 1e-5, 1e-5));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyGolden,
                         ::testing::Values("roberta-tiny", "xlm-roberta-tiny", "distilbert-tiny-f16", "albert-tiny",
                                           "electra-generator-untied", "modernbert-tiny-bf16", "gpt2-tiny"),
                         test::case_name);

TEST(FamilyConfig, UnknownModelTypeAndUnimplementedOptionsAreRefusedByName) {
  test::TempDir dir;
  test::expect_error([&] { ModelConfig::parse(R"({"model_type": "t5", "vocab_size": 10})", "c.json"); },
                     {"c.json: model_type \"t5\" is not supported", "roberta", "distilbert", "albert", "electra"});
  const std::string roberta = test::read_bytes(family_model("roberta-tiny") + "/config.json");
  auto edited = nlohmann::json::parse(roberta);
  edited["position_embedding_type"] = "relative_key";
  test::expect_error([&] { ModelConfig::parse(edited.dump(), "c.json"); },
                     {"position_embedding_type \"relative_key\" is not supported"});
  edited = nlohmann::json::parse(test::read_bytes(family_model("albert-tiny") + "/config.json"));
  edited["inner_group_num"] = 2;
  test::expect_error([&] { ModelConfig::parse(edited.dump(), "c.json"); }, {"inner_group_num"});
  edited = nlohmann::json::parse(test::read_bytes(family_model("distilbert-tiny-f16") + "/config.json"));
  edited["activation"] = "swish";
  test::expect_error([&] { ModelConfig::parse(edited.dump(), "c.json"); }, {"activation 'swish' is not supported"});
}

TEST(FamilyGoldenGpt2, PatchingTheResidualStreamBetweenTheIoiPairMovesTheLogitDifferenceAsHuggingFace) {
  // HF's golden: run prompt a with block L's output at a's last position replaced by block
  // L's output at b's last position from b's clean run (and the reverse). Here the same
  // through blocks.L.out hooks: one capture run, one patched run.
  const Encoder m = Encoder::load(family_model("gpt2-tiny"));
  const auto g = test::GoldenTensors::at(test::data_path("families/golden/gpt2-tiny.safetensors"));
  const auto ioi = test::read_json(test::data_path("families/golden/gpt2-tiny.json"))["ioi"];
  const int io = ioi["io_id"].get<int>(), s = ioi["s_id"].get<int>();
  auto ids_of = [&](const std::string& which) {
    const std::vector<int64_t> wide = g.i64("ioi." + which + ".input_ids");
    return std::vector<int>(wide.begin(), wide.end());
  };
  const std::vector<int> a = ids_of("a"), b = ids_of("b");
  ASSERT_EQ(m.tokenizer().encode(ioi["a"]["text"].get<std::string>()).ids, a);
  const int last = static_cast<int>(a.size()) - 1;
  auto logit_diff = [&](const std::vector<float>& logits) {
    return logits[static_cast<size_t>(io)] - logits[static_cast<size_t>(s)];
  };
  for (const auto& [name, tokens] : {std::pair<std::string, std::vector<int>>{"a", a}, {"b", b}}) {
    const std::vector<float> clean = m.mlm_logits(m.forward(TokenBatch::single(tokens)), 0, last);
    EXPECT_TRUE(all_close(clean, g.f32("ioi." + name + ".logits")));
  }
  EXPECT_NEAR(logit_diff(m.mlm_logits(m.forward(TokenBatch::single(a)), 0, last)),
              ioi["clean_logit_diff_a"].get<double>(), 1e-4);
  for (const auto& patch : ioi["patches"]) {
    const int layer = patch["layer"].get<int>();
    for (const auto& [into, from, key] : {std::tuple<const std::vector<int>*, const std::vector<int>*, std::string>{
                                              &a, &b, "a_from_b"},
                                          {&b, &a, "b_from_a"}}) {
      SCOPED_TRACE(key + " block " + std::to_string(layer));
      std::vector<float> source;
      Hooks capture;
      capture.add(HookSite::block_out(layer), [&source, last](const HookSite&, ActivationView v) {
        source.assign(v.row(0, last), v.row(0, last) + v.width);
      });
      m.forward(TokenBatch::single(*from), &capture);
      Hooks patching;
      patching.add(HookSite::block_out(layer), [&source, last](const HookSite&, ActivationView v) {
        std::copy(source.begin(), source.end(), v.row(0, last));
      });
      const std::vector<float> logits = m.mlm_logits(m.forward(TokenBatch::single(*into), &patching), 0, last);
      EXPECT_TRUE(all_close(logits, g.f32("ioi." + key + ".L" + std::to_string(layer) + ".logits")));
      EXPECT_NEAR(logit_diff(logits), patch[key + "_logit_diff"].get<double>(), 1e-4);
    }
  }
}

TEST(FamilyConfig, PreNormFamiliesRefuseWhatTheyDoNotImplementAndNeverAssumeATheta) {
  auto edited = nlohmann::json::parse(test::read_bytes(family_model("gpt2-tiny") + "/config.json"));
  edited["scale_attn_by_inverse_layer_idx"] = true;
  test::expect_error([&] { ModelConfig::parse(edited.dump(), "c.json"); },
                     {"c.json", "scale_attn_by_inverse_layer_idx true is not supported"});
  edited = nlohmann::json::parse(test::read_bytes(family_model("modernbert-tiny-bf16") + "/config.json"));
  edited.erase("global_rope_theta");
  test::expect_error([&] { ModelConfig::parse(edited.dump(), "c.json"); }, {"c.json", "missing field 'global_rope_theta'"});
  edited = nlohmann::json::parse(test::read_bytes(family_model("modernbert-tiny-bf16") + "/config.json"));
  edited["hidden_activation"] = "swish";
  test::expect_error([&] { ModelConfig::parse(edited.dump(), "c.json"); }, {"hidden_activation 'swish' is not supported"});
  // The config's values are what runs: a ModernBERT's window and thetas as read.
  const ModelConfig modern = ModelConfig::load(family_model("modernbert-tiny-bf16") + "/config.json");
  EXPECT_EQ(modern.local_window_half, 4);
  EXPECT_EQ(modern.window_half(0), -1);
  EXPECT_EQ(modern.window_half(1), 4);
  EXPECT_FLOAT_EQ(modern.rope_theta(3), 160000.0f);
  EXPECT_FLOAT_EQ(modern.rope_theta(2), 10000.0f);
  // A prompt beyond GPT-2's n_positions is refused; it has no special tokens to mention.
  const Encoder gpt2 = Encoder::load(family_model("gpt2-tiny"));
  test::expect_error([&] { gpt2.validate(TokenBatch::single(std::vector<int>(65, 11))); },
                     {"input has 65 tokens, the model's maximum is 64 (max_position_embeddings)"});
}

TEST(FamilyConfig, Gpt2LoadsTensorNamesWithAndWithoutTheTransformerPrefix) {
  // The hub's original gpt2 file names tensors without "transformer." and stores the causal
  // mask buffers h.L.attn.bias: a copy of the fixture written that way gives the same numbers.
  test::TempDir dir;
  const std::string original = family_model("gpt2-tiny"), bare = dir.file("gpt2-bare");
  std::filesystem::copy(original, bare);
  std::filesystem::permissions(bare, std::filesystem::perms::owner_all, std::filesystem::perm_options::add);
  const auto stored = test::GoldenTensors::at(original + "/model.safetensors");
  std::vector<OutputTensor> tensors;
  for (const std::string& name : TensorStore::open_file(original + "/model.safetensors").names()) {
    const std::string renamed = name.rfind("transformer.", 0) == 0 ? name.substr(12) : name;
    tensors.push_back(OutputTensor::f32(renamed, stored.shape(name), stored.f32(name).data()));
  }
  const std::vector<float> mask(64 * 64, 1.0f);
  for (int l = 0; l < 4; ++l) tensors.push_back(OutputTensor::f32("h." + std::to_string(l) + ".attn.bias", {1, 1, 64, 64}, mask.data()));
  std::filesystem::remove(bare + "/model.safetensors");
  write_safetensors(bare + "/model.safetensors", tensors, {{"format", "pt"}});

  const Encoder with_prefix = Encoder::load(original), without = Encoder::load(bare);
  const std::vector<int64_t> wide = test::GoldenTensors::at(test::data_path("families/golden/gpt2-tiny.safetensors")).i64("p0.input_ids");
  const std::vector<int> tokens(wide.begin(), wide.end());
  const HiddenState a = with_prefix.forward(TokenBatch::single(tokens)), b = without.forward(TokenBatch::single(tokens));
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(with_prefix.mlm_logits(a, 0, a.seq - 1), without.mlm_logits(b, 0, b.seq - 1));
}

TEST(FamilyConfig, AlbertSharesOneLayerAcrossDepthButAHookEditsOneDepth) {
  const Encoder m = Encoder::load(family_model("albert-tiny"));
  ASSERT_EQ(m.config().num_hidden_groups, 1);
  const auto g = test::GoldenTensors::at(test::data_path("families/golden/albert-tiny.safetensors"));
  const std::vector<int64_t> wide = g.i64("p0.input_ids");
  const std::vector<int> tokens(wide.begin(), wide.end());
  // Editing depth 2 leaves depths 0 and 1 as they were: the shared weights are not the site.
  std::vector<HiddenState> clean, edited;
  m.forward(TokenBatch::single(tokens), nullptr, &clean);
  Hooks hooks;
  hooks.add(HookSite::block_out(2), [](const HookSite&, ActivationView v) { std::fill_n(v.data, v.size(), 0.0f); });
  m.forward(TokenBatch::single(tokens), &hooks, &edited);
  EXPECT_EQ(clean[1].values, edited[1].values);
  EXPECT_EQ(clean[2].values, edited[2].values);
  EXPECT_NE(clean[3].values, edited[3].values);
}

TEST(FamilyConfig, EachFamilyHasItsOwnSiteTableWithHuggingFaceModules) {
  const Encoder distil = Encoder::load(family_model("distilbert-tiny-f16"));
  bool found = false;
  for (const HookSiteDoc& doc : distil.site_docs()) {
    if (doc.kind == SiteKind::AttnQ) {
      EXPECT_STREQ(doc.hf_module, "distilbert.transformer.layer[L].attention.q_lin");
      EXPECT_STREQ(doc.pattern, "blocks.{L}.attn.q");
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(distil.family().display_name, std::string("DistilBERT"));
}

}  // namespace
}  // namespace bertscope
