// The bertscope command line as a user runs it: outputs and the dump file's contents.
// Bad input of every kind is in bad_input_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

const std::string kPrompt = "Pay no attention to that man [MASK] the curtain!";

std::string tiny_fp32() { return test::reference_model("tiny-fp32"); }

TEST(Cli, PredictJsonGivesTheGoldenTopFive) {
  const auto r = run_cli({"predict", "--model", tiny_fp32(), "--top", "5", "--json", kPrompt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  const auto golden = test::read_json(test::data_path("reference/golden/tiny-fp32.json"))["prompts"][0];
  ASSERT_EQ(out["masks"].size(), 1u);
  EXPECT_EQ(out["masks"][0]["position"], golden["mask_index"]);
  std::vector<std::string> top;
  double previous = 1.0;
  for (const auto& t : out["masks"][0]["top"]) {
    top.push_back(t["token"]);
    EXPECT_LE(t["prob"].get<double>(), previous);
    previous = t["prob"].get<double>();
  }
  EXPECT_EQ(top, golden["clean"]["top5"].get<std::vector<std::string>>());
}

TEST(Cli, PredictTextListsEveryMask) {
  const auto r = run_cli({"predict", "--model", tiny_fp32(), "--top", "3", "[MASK] is a [MASK]."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[MASK] at token 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[MASK] at token 4"), std::string::npos) << r.out;
}

TEST(Cli, TokenizeJsonMatchesTheReference) {
  const auto cases = test::data_path("reference/tokenizer/bert-base-uncased.jsonl");
  std::ifstream in(cases);
  std::string line;
  int checked = 0;
  while (std::getline(in, line) && checked < 5) {
    const auto expected = nlohmann::json::parse(line);
    const auto r = run_cli({"tokenize", "--model", tiny_fp32(), "--json", expected["text"].get<std::string>()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["tokens"], expected["tokens"]);
    EXPECT_EQ(out["ids"], expected["ids"]);
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

// tokenizer_config.json's strip_accents and tokenize_chinese_chars change tokenization as in
// BertTokenizerFast (they used to be ignored), and lower case goes character by character:
// the final capital sigma of ΟΔΟΣ becomes σ (the 2019 Python tokenizer gave ς).
TEST(Cli, TokenizeHonoursTokenizerConfigAsBertTokenizerFast) {
  test::TempDir dir;
  const fs::path model = dir.path() / "model";
  fs::copy(tiny_fp32(), model);
  fs::permissions(model, fs::perms::owner_all);
  const std::string text = "Cr\u00e8me \u039f\u0394\u039f\u03a3 \u4e2d\u6587 na\u00efve";
  const auto tokens = [&](const std::string& config) {
    if (!config.empty()) test::write_bytes((model / "tokenizer_config.json").string(), config);
    const auto r = run_cli({"tokenize", "--model", model.string(), "--json", text});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["tokens"].get<std::vector<std::string>>();
  };
  using Tokens = std::vector<std::string>;
  const std::string sigma = "##\u03c3";
  EXPECT_EQ(tokens(""), (Tokens{"cr", "##eme", "\u03bf", "##\u03b4", "##\u03bf", sigma, "\u4e2d", "\u6587", "naive"}));
  // Accents kept (crème and naïve are not in the uncased vocabulary), CJK not split.
  EXPECT_EQ(tokens(R"({"do_lower_case": true, "strip_accents": false, "tokenize_chinese_chars": false})"),
            (Tokens{"[UNK]", "\u03bf", "##\u03b4", "##\u03bf", sigma, "\u4e2d", "##\u6587", "[UNK]"}));
  // Cased, accents stripped: Creme and ΟΔΟΣ are not in the uncased vocabulary, naive is.
  EXPECT_EQ(tokens(R"({"do_lower_case": false, "strip_accents": true})"),
            (Tokens{"[UNK]", "[UNK]", "\u4e2d", "\u6587", "naive"}));
}

TEST(Cli, DumpWritesEveryHiddenStateAndTheLogits) {
  test::TempDir dir;
  const std::string out = dir.file("states.safetensors");
  const auto r = run_cli({"dump", "--model", test::reference_model("small-bf16"), "--out", out, kPrompt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto file = SafetensorsFile::open(out);
  const test::GoldenTensors golden("small-bf16");
  const TensorInfo* ids = file->find("input_ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->dtype, DType::I64);
  std::vector<int64_t> id_values(static_cast<size_t>(ids->element_count()));
  std::memcpy(id_values.data(), file->bytes(*ids).data(), id_values.size() * 8);
  EXPECT_EQ(id_values, golden.i64("p0.input_ids"));
  auto f32 = [&](const std::string& name) {
    const TensorInfo* info = file->find(name);
    EXPECT_NE(info, nullptr) << name;
    if (!info) return std::vector<float>{};
    EXPECT_EQ(info->dtype, DType::F32);
    std::vector<float> v(static_cast<size_t>(info->element_count()));
    std::memcpy(v.data(), file->bytes(*info).data(), v.size() * 4);
    return v;
  };
  for (int l = 0; l <= 4; ++l) {
    EXPECT_TRUE(test::all_close(f32("hidden." + std::to_string(l)), golden.f32("p0.hidden." + std::to_string(l)))) << l;
  }
  EXPECT_TRUE(test::all_close(f32("logits"), golden.f32("p0.logits")));
  EXPECT_EQ(file->find("logits")->shape, golden.shape("p0.logits"));
}

TEST(Cli, HelpOfEveryCommandHasAnExample) {
  for (const char* command : {"predict", "tokenize", "dump"}) {
    const auto r = run_cli({command, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Example"), std::string::npos) << command;
  }
}

}  // namespace
}  // namespace bertscope

namespace bertscope {
namespace {

TEST(CliSweep, WritesResultsWithTheContractedKeys) {
  test::TempDir dir;
  const auto r = test::run_cli({"sweep", "--model", test::reference_model("small-bf16"), "--prompt", kPrompt, "--target",
                                "the", "--intervention", "noise", "--trials", "4", "--layers", "1-2", "--seed", "3",
                                "--out", dir.file("out"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // --quiet
  EXPECT_NE(r.out.find("noise x2 (vector std)"), std::string::npos) << r.out;
  const auto json = test::read_json(dir.file("out/results.json"));
  EXPECT_TRUE(json["clean"].contains("target_logsoftmax"));
  EXPECT_EQ(json["clean"]["top"].size(), 5u);
  ASSERT_EQ(json["runs"].size(), 8u);
  EXPECT_EQ(json["runs"][0]["intervention"], "noise");
  EXPECT_EQ(json["runs"][0]["layer"], 1);
  EXPECT_EQ(json["runs"][7]["layer"], 2);
  EXPECT_EQ(json["runs"][7]["trial"], 3);
  EXPECT_TRUE(json["runs"][0]["top"][0].is_string());
  EXPECT_NE(json["command"].get<std::string>().find("--seed 3"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.file("out/runs.csv")));
  EXPECT_TRUE(fs::exists(dir.file("out/summary.csv")));

  // Replaying the same command gives the same numbers.
  const auto again = test::run_cli({"sweep", "--model", test::reference_model("small-bf16"), "--prompt", kPrompt,
                                    "--target", "the", "--intervention", "noise", "--trials", "4", "--layers", "1-2",
                                    "--seed", "3", "--out", dir.file("again"), "--quiet"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(test::read_json(dir.file("again/results.json"))["runs"], json["runs"]);
}

TEST(CliSweep, StatsAndRunWriteTheirFiles) {
  test::TempDir dir;
  const auto stats = test::run_cli({"stats", "--model", tiny_fp32(), "--prompt", kPrompt, "--out", dir.file("stats"), "--quiet"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_NE(stats.out.find("ex.kurt"), std::string::npos);
  for (const char* f : {"results.json", "distributions.json", "distributions.csv", "histograms.csv"}) {
    EXPECT_TRUE(fs::exists(dir.file(std::string("stats/") + f))) << f;
  }
  const std::string spec = dir.write("spec.toml", "name = \"t\"\nlayers = \"0\"\n[[prompts]]\ntext = \"" + kPrompt +
                                                      "\"\ntarget = \"behind\"\n[[interventions]]\nkind = \"zero\"\n");
  const auto run = test::run_cli({"run", "--model", tiny_fp32(), "--out", dir.file("run"), "--quiet", spec});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(test::read_json(dir.file("run/results.json"))["runs"].size(), 1u);
}

}  // namespace
}  // namespace bertscope
