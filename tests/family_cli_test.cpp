// Every family through the CLI, tried as a user would: predict, a sweep whose numbers are
// HuggingFace's (the zero and scale edits of tests/data/families' goldens), dump, a spec
// run sharded and merged, and `hooks --model`. The target of each sweep is a word of the
// golden top-5, written as a user writes it (no ## / Ġ / ▁ marker).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "model/hook_site.h"
#include "model/predictions.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

std::string family_model(const std::string& name) { return test::data_path("families/models/" + name); }

// A word a user can type as a target: a golden top-5 token that is a whole word (WordPiece:
// no "##"; byte-level BPE and SentencePiece: with their word-start marker, Ġ or ▁), in the
// first prompt that has one. Returns the prompt, the token's id, and the word unmarked.
struct TargetWord {
  size_t prompt = 0;
  int id = -1;
  std::string word;
};
TargetWord whole_word(const nlohmann::json& golden) {
  const bool wordpiece = golden["model_type"] == "distilbert" || golden["model_type"] == "electra" ||
                         golden["model_type"] == "bert";
  for (size_t p = 0; p < golden["prompts"].size(); ++p) {
    for (const auto& t : golden["prompts"][p]["top5"]) {
      const std::string token = t["token"].get<std::string>();
      std::string word = token;
      for (const std::string marker : {"\xC4\xA0", "\xE2\x96\x81"}) {  // Ġ, ▁
        if (word.rfind(marker, 0) == 0) word = word.substr(marker.size());
      }
      bool letters = !word.empty();
      for (unsigned char c : word) letters = letters && (std::isalpha(c) || c >= 0x80);  // UTF-8 letters pass
      if (letters && (wordpiece ? token.rfind("##", 0) != 0 : word != token)) return {p, t["id"].get<int>(), word};
    }
  }
  return {};
}

std::vector<std::vector<std::string>> csv_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(test::read_bytes(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cellin(line);
    for (std::string cell; std::getline(cellin, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

class FamilyCli : public ::testing::TestWithParam<std::string> {};

TEST_P(FamilyCli, SweepEditsMatchHuggingFaceAndEveryCommandRuns) {
  const std::string name = GetParam(), model = family_model(name);
  const auto golden = test::read_json(test::data_path("families/golden/" + name + ".json"));
  const auto g = test::GoldenTensors::at(test::data_path("families/golden/" + name + ".safetensors"));
  const auto [p, target_id, target] = whole_word(golden);
  ASSERT_FALSE(target.empty()) << "no whole word in the golden top-5 of " << name;
  const auto& prompt = golden["prompts"][p];
  const std::string key = "p" + std::to_string(p);
  const std::string text = prompt["text"].get<std::string>();
  test::TempDir dir;

  // predict names the golden top-1.
  // f32: the comparisons are with HF's float32 numbers (auto picks bf16 on AMX machines).
  const auto predicted = run_cli({"predict", "--model", model, "--dtype", "f32", text});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_NE(predicted.out.find(prompt["top5"][0]["token"].get<std::string>()), std::string::npos) << predicted.out;

  // The zero and scale-0.5 edits of every block's output at the prediction position: the
  // target's log-softmax is the one HF's hooked forward pass gives.
  const int layers = golden["num_layers"].get<int>();
  for (const auto& [kind, golden_name] : {std::pair<std::string, std::string>{"zero", "zero"}, {"scale", "scale0.5"}}) {
    const std::string out = dir.file(kind);
    std::vector<std::string> args = {"sweep", "--model", model, "--dtype", "f32", "--prompt", text, "--target", target,
                                     "--intervention", kind, "--out", out, "--quiet"};
    if (kind == "scale") args.insert(args.end(), {"--factor", "0.5"});
    const auto swept = run_cli(args);
    ASSERT_EQ(swept.exit_code, 0) << swept.err;
    const auto rows = csv_rows(out + "/runs.csv");
    ASSERT_EQ(rows.size(), static_cast<size_t>(layers + 1));
    ASSERT_EQ(rows[0][8], "target_logsoftmax");
    for (int l = 0; l < layers; ++l) {
      SCOPED_TRACE(name + " " + kind + " block " + std::to_string(l));
      const std::vector<float> logits = g.f32(key + "." + golden_name + ".L" + std::to_string(l) + ".logits");
      const double expected = log_softmax(logits)[static_cast<size_t>(target_id)];
      EXPECT_NEAR(std::stod(rows[static_cast<size_t>(l + 1)][8]), expected, 1e-4);
    }
    const auto results = test::read_json(out + "/results.json");
    EXPECT_EQ(results["model"]["family"], golden["model_type"]);
    EXPECT_EQ(results["prompts"][0]["target_id"].get<int>(), target_id);
  }

  // dump: the residual stream of every block.
  const auto dumped = run_cli({"dump", "--model", model, "--sites", "blocks.*.out", "--out", dir.file("d.safetensors"), text});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  EXPECT_TRUE(fs::file_size(dir.file("d.safetensors")) > 0);

  // A spec run sharded in two and merged writes what the unsharded run writes.
  const std::string spec = dir.write("spec.toml", "name = \"f\"\nmodel = \"" + model + "\"\ntrials = 3\nseed = 5\nlayers = \"0,1\"\n"
                                     "[[prompts]]\ntext = " + nlohmann::json(text).dump() + "\ntarget = \"" + target + "\"\n"
                                     "[[interventions]]\nkind = \"noise\"\n[[interventions]]\nkind = \"shuffle\"\n");
  ASSERT_EQ(run_cli({"run", spec, "--out", dir.file("whole"), "--quiet"}).exit_code, 0);
  for (const std::string k : {"0", "1"}) {
    const auto shard = run_cli({"run", spec, "--shard", k + "/2", "--out", dir.file("s" + k), "--quiet"});
    ASSERT_EQ(shard.exit_code, 0) << shard.err;
  }
  const auto merged = run_cli({"merge", "--out", dir.file("merged"), dir.file("s0"), dir.file("s1"), "--quiet"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_TRUE(test::same_run_csv(test::read_bytes(dir.file("whole/runs.csv")), test::read_bytes(dir.file("merged/runs.csv"))));

  // hooks --model: the family's own module paths.
  const auto hooks = run_cli({"hooks", "--model", model, "--json"});
  ASSERT_EQ(hooks.exit_code, 0) << hooks.err;
  const auto table = nlohmann::json::parse(hooks.out);
  EXPECT_EQ(table.size(), static_cast<size_t>(kSiteKinds));
  EXPECT_NE(hooks.out.find(golden["model_type"].get<std::string>() == "distilbert" ? "q_lin" : "query"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyCli,
                         ::testing::Values("roberta-tiny", "xlm-roberta-tiny", "distilbert-tiny-f16", "albert-tiny",
                                           "electra-generator-untied", "modernbert-tiny-bf16", "gpt2-tiny"),
                         test::case_name);

TEST(FamilyCliGpt2, PatchingTheIoiPairAtTheLastTokenGivesHuggingFacesLogits) {
  // The course's IOI exercise from the CLI: patch block L's output at the last token of
  // prompt a from prompt b; the target " Mary"'s log-softmax is the one of HF's patched run
  // (ioi.a_from_b.L{L}.logits). `--positions last` and the default (a causal model's
  // prediction position is its last token) are the same edit.
  const std::string model = family_model("gpt2-tiny");
  const auto golden = test::read_json(test::data_path("families/golden/gpt2-tiny.json"));
  const auto g = test::GoldenTensors::at(test::data_path("families/golden/gpt2-tiny.safetensors"));
  const auto& ioi = golden["ioi"];
  test::TempDir dir;
  std::vector<double> previous;
  for (const std::string positions : {"last", "mask"}) {
    const std::string out = dir.file(positions);
    // --foil John: IOI's metric, logit(" Mary") - logit(" John"), beside the target's log-softmax.
    const auto swept = run_cli({"sweep", "--model", model, "--dtype", "f32", "--prompt", ioi["a"]["text"].get<std::string>(),
                                "--target", "Mary", "--foil", "John", "--intervention", "patch", "--other-prompt",
                                ioi["b"]["text"].get<std::string>(), "--positions", positions, "--out", out, "--quiet"});
    ASSERT_EQ(swept.exit_code, 0) << swept.err;
    // runs.jsonl: the label holds commas, which a naive CSV split would not survive.
    std::vector<double> column;
    std::istringstream lines(test::read_bytes(out + "/runs.jsonl"));
    std::vector<double> logit_diff;
    for (std::string line; std::getline(lines, line);) {
      const auto run = nlohmann::json::parse(line);
      column.push_back(run["target_logsoftmax"].get<double>());
      logit_diff.push_back(run["logit_diff"].get<double>());
    }
    ASSERT_EQ(column.size(), 4u);
    for (int l = 0; l < 4; ++l) {
      SCOPED_TRACE(positions + " block " + std::to_string(l));
      const std::vector<float> logits = g.f32("ioi.a_from_b.L" + std::to_string(l) + ".logits");
      EXPECT_NEAR(column[static_cast<size_t>(l)], log_softmax(logits)[static_cast<size_t>(ioi["io_id"].get<int>())], 1e-4);
      EXPECT_NEAR(logit_diff[static_cast<size_t>(l)], ioi["patches"][static_cast<size_t>(l)]["a_from_b_logit_diff"].get<double>(), 1e-4);
    }
    const auto results = test::read_json(out + "/results.json");
    EXPECT_NEAR(results["prompts"][0]["clean"]["logit_diff"].get<double>(), ioi["clean_logit_diff_a"].get<double>(), 1e-4);
    EXPECT_EQ(results["prompts"][0]["foil"], "John");
    EXPECT_EQ(results["summary"][2]["logit_diff"]["mean"].get<double>(), logit_diff[2]);
    // summary.csv and the report carry it too.
    EXPECT_NE(test::read_bytes(out + "/summary.csv").find("logit_diff_mean"), std::string::npos);
    EXPECT_NE(test::read_bytes(out + "/report.html").find("target - foil (logits)"), std::string::npos);
    EXPECT_EQ(results["prompts"][0]["mask_index"].get<int>(), 13);  // the last of 14 tokens
    if (!previous.empty()) {
      EXPECT_EQ(column, previous);
    }
    previous = column;
  }
  // patch-grid with the IOI metric: logit(" Mary") - logit(" John"). Patching b (clean) into
  // a (corrupted) at block L's output, last position, is HF's a_from_b run.
  const std::string grid = dir.file("grid");
  const auto patched = run_cli({"patch-grid", "--model", model, "--dtype", "f32", "--prompt", ioi["b"]["text"].get<std::string>(),
                                "--other-prompt", ioi["a"]["text"].get<std::string>(), "--target", "Mary", "--foil", "John",
                                "--sites", "out", "--out", grid});
  ASSERT_EQ(patched.exit_code, 0) << patched.err;
  const auto cells = test::read_json(grid + "/patch-grid.json");
  EXPECT_NEAR(cells["clean_metric"].get<double>(), ioi["clean_logit_diff_b"].get<double>(), 1e-4);
  EXPECT_NEAR(cells["corrupted_metric"].get<double>(), ioi["clean_logit_diff_a"].get<double>(), 1e-4);
  int matched = 0;
  for (const auto& cell : cells["cells"]) {
    if (cell["position"].get<int>() != 13) continue;
    const auto& patch = ioi["patches"][cell["block"].get<size_t>()];
    EXPECT_NEAR(cell["metric"].get<double>(), patch["a_from_b_logit_diff"].get<double>(), 1e-4) << cell.dump();
    ++matched;
  }
  EXPECT_EQ(matched, 4);

  // hooks --model: GPT-2's modules and the residual stream's TransformerLens names.
  const auto hooks = run_cli({"hooks", "--model", model});
  ASSERT_EQ(hooks.exit_code, 0) << hooks.err;
  EXPECT_NE(hooks.out.find("transformer.h[L].attn.c_attn"), std::string::npos) << hooks.out;
  EXPECT_NE(hooks.out.find("hook_resid_post"), std::string::npos) << hooks.out;
  EXPECT_NE(hooks.out.find("hook_resid_mid"), std::string::npos) << hooks.out;
}

}  // namespace
}  // namespace bertscope
