// The bertscope command line as a user runs it: outputs and the dump file's contents.
// Bad input of every kind is in bad_input_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "kernels/linear.h"
#include "reports/experiment_files.h"
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
  // f32 whatever the CPU: the goldens' tolerance is f32's (auto, the default, is bf16 with AMX).
  const auto r = run_cli({"dump", "--model", test::reference_model("small-bf16"), "--dtype", "f32", "--out", out, kPrompt});
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
  for (const char* command : {"predict", "tokenize", "dump", "patch-grid", "attribute", "saliency", "lens"}) {
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
  EXPECT_EQ(json["schema_version"], kResultsSchemaVersion);
  // --dtype auto, the default: recorded as asked, and as resolved on this CPU.
  EXPECT_EQ(json["model"]["dtype_requested"], "auto");
  EXPECT_EQ(json["model"]["dtype"], precision_name(auto_precision()));
  EXPECT_EQ(json["runs"][0]["intervention"], 0);
  EXPECT_EQ(json["runs"][0]["kind"], "noise");
  EXPECT_EQ(json["runs"][0]["site"], "blocks.1.out");
  EXPECT_EQ(json["runs"][0]["block"], 1);
  EXPECT_EQ(json["runs"][7]["block"], 2);
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

// A tensor of a safetensors file as floats, with its shape.
std::pair<std::vector<int64_t>, std::vector<float>> tensor_of(const SafetensorsFile& file, const std::string& name) {
  const TensorInfo* info = file.find(name);
  if (!info) return {};
  std::vector<float> v(static_cast<size_t>(info->element_count()));
  std::memcpy(v.data(), file.bytes(*info).data(), v.size() * 4);
  return {info->shape, v};
}

TEST(CliInside, DumpWritesTheSitesAGlobNamesWithTheirShapes) {
  test::TempDir dir;
  const std::string out = dir.file("sites.safetensors");
  const auto r = run_cli({"dump", "--model", tiny_fp32(), "--sites", "blocks.*.attn.pattern,blocks.1.attn.z", "--out", out,
                          kPrompt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto file = SafetensorsFile::open(out);
  for (const char* name : {"blocks.0.attn.pattern", "blocks.1.attn.pattern"}) {
    const auto [shape, values] = tensor_of(*file, name);
    ASSERT_EQ(shape, (std::vector<int64_t>{4, 12, 12})) << name;  // [heads, seq_q, seq_k]
    for (size_t row = 0; row < 4 * 12; ++row) {
      double total = 0.0;
      for (size_t j = 0; j < 12; ++j) total += values[row * 12 + j];
      EXPECT_NEAR(total, 1.0, 1e-5);
    }
  }
  EXPECT_EQ(tensor_of(*file, "blocks.1.attn.z").first, (std::vector<int64_t>{12, 4, 8}));
  EXPECT_EQ(file->find("blocks.0.attn.z"), nullptr);  // not asked for
  EXPECT_NE(file->find("hidden.2"), nullptr);          // what dump always writes is still there

  // A prompt file: a padded batch, with lengths and a leading batch dimension.
  const std::string prompts = dir.write("prompts.txt", kPrompt + "\na [MASK] b\n");
  const auto batch = run_cli({"dump", "--model", tiny_fp32(), "--prompts", prompts, "--sites", "blocks.0.attn.scores",
                              "--out", dir.file("batch.safetensors")});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  const auto batched = SafetensorsFile::open(dir.file("batch.safetensors"));
  EXPECT_EQ(batched->find("lengths")->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(batched->find("hidden.0")->shape, (std::vector<int64_t>{2, 12, 32}));
  const auto [shape, scores] = tensor_of(*batched, "blocks.0.attn.scores");
  ASSERT_EQ(shape, (std::vector<int64_t>{2, 4, 12, 12}));
  // The second prompt has 5 tokens: its keys 5.. are padding, masked with -10000.
  EXPECT_LT(scores[4 * 144 + 11], -9000.0f);
  EXPECT_GT(scores[4 * 144 + 4], -100.0f);
  // The metadata names the batch's texts and ids as JSON arrays, so a text with a line break
  // (JSON Lines and CSV allow one) reads back as it was given.
  auto metadata = [](const SafetensorsFile& f) {
    std::map<std::string, std::string> m(f.metadata().begin(), f.metadata().end());
    return m;
  };
  EXPECT_EQ(metadata(*batched).count("text"), 0u);
  EXPECT_EQ(nlohmann::json::parse(metadata(*batched).at("texts")), nlohmann::json({kPrompt, "a [MASK] b"}));
  EXPECT_EQ(nlohmann::json::parse(metadata(*batched).at("prompt_ids")), nlohmann::json({"1", "2"}));
  const std::string lines = dir.write("prompts.jsonl", R"({"text": "one\ntwo [MASK].", "id": "q7"})" "\n"
                                                       R"({"text": "three [MASK]."})" "\n");
  ASSERT_EQ(run_cli({"dump", "--model", tiny_fp32(), "--prompts", lines, "--out", dir.file("lines.safetensors")}).exit_code, 0);
  const auto with_break = metadata(*SafetensorsFile::open(dir.file("lines.safetensors")));
  EXPECT_EQ(nlohmann::json::parse(with_break.at("texts")), nlohmann::json({"one\ntwo [MASK].", "three [MASK]."}));
  EXPECT_EQ(nlohmann::json::parse(with_break.at("prompt_ids")), nlohmann::json({"q7", "2"}));
  EXPECT_EQ(metadata(*file).at("text"), kPrompt);  // one prompt: its text, as always
}

TEST(CliInside, PatchGridAndLensWriteTidyFilesAndFigures) {
  test::TempDir dir;
  const std::string model = test::reference_model("small-bf16");
  const auto grid = run_cli({"patch-grid", "--model", model, "--prompt", kPrompt, "--other-prompt",
                             "Pay no attention to this dog [MASK] the window!", "--target", "the", "--foil", "of",
                             "--sites", "out,mlp.out", "--out", dir.file("grid")});
  ASSERT_EQ(grid.exit_code, 0) << grid.err;
  const auto json = test::read_json(dir.file("grid/patch-grid.json"));
  EXPECT_EQ(json["metric"], "logit_diff");
  EXPECT_EQ(json["cells"].size(), 2u * 4u * 12u);
  EXPECT_EQ(json["cells"][0]["site"], "blocks.0.out");
  EXPECT_EQ(json["cells"][0]["block"], 0);
  EXPECT_EQ(json["schema_version"], kResultsSchemaVersion);
  EXPECT_EQ(json["cells"][0]["token"], "[CLS]");
  const std::string csv = test::read_bytes(dir.file("grid/patch-grid.csv"));
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "site,block,position,token,head,metric,normalized,method");
  EXPECT_EQ(json["method"], "patch");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 4 * 12);
  EXPECT_NE(grid.out.find("cells: normalized (0 = corrupted, 1 = clean)"), std::string::npos) << grid.out;
  for (const char* figure : {"grid/patch-grid-out.svg", "grid/patch-grid-mlp-out.svg"}) {
    const std::string svg = test::read_bytes(dir.file(figure));
    EXPECT_NE(svg.find("<svg"), std::string::npos) << figure;
    EXPECT_NE(svg.find("curtain"), std::string::npos) << figure;  // the tokens label the columns
  }
  EXPECT_EQ(test::read_bytes(dir.file("grid/patch-grid-out.png")).substr(1, 3), "PNG");

  const auto heads = run_cli({"patch-grid", "--model", model, "--prompt", kPrompt, "--other-prompt",
                              "Pay no attention to this dog [MASK] the window!", "--target", "the", "--heads", "--out",
                              dir.file("heads")});
  ASSERT_EQ(heads.exit_code, 0) << heads.err;
  const auto by_head = test::read_json(dir.file("heads/patch-grid.json"));
  EXPECT_EQ(by_head["metric"], "target_logsoftmax");
  EXPECT_EQ(by_head["cells"].size(), 4u * 8u);
  EXPECT_EQ(by_head["cells"][9]["head"], 1);
  EXPECT_TRUE(fs::exists(dir.file("heads/patch-grid-heads.svg")));
  // The head grid patches attn.z: a --sites it would not use is refused, not ignored.
  const auto both = run_cli({"patch-grid", "--model", model, "--prompt", kPrompt, "--other-prompt",
                             "Pay no attention to this dog [MASK] the window!", "--target", "the", "--heads", "--sites",
                             "out"});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("--sites"), std::string::npos) << both.err;

  // attribute: the same grid estimated, its files with method atp, and --check's real patches,
  // which are the patch grid's own cells.
  const auto atp = run_cli({"attribute", "--model", model, "--prompt", kPrompt, "--other-prompt",
                            "Pay no attention to this dog [MASK] the window!", "--target", "the", "--foil", "of",
                            "--sites", "out,mlp.out", "--check", "5", "--out", dir.file("atp")});
  ASSERT_EQ(atp.exit_code, 0) << atp.err;
  const auto atp_json = test::read_json(dir.file("atp/patch-grid.json"));
  EXPECT_EQ(atp_json["method"], "atp");
  EXPECT_EQ(atp_json["cells"].size(), json["cells"].size());
  ASSERT_EQ(atp_json["checked_cells"].size(), 5u);
  EXPECT_TRUE(atp_json["checked_correlation"].is_number());
  for (const auto& checked : atp_json["checked_cells"]) {
    const auto& same = json["cells"][checked["block"].get<size_t>() * 12 + checked["position"].get<size_t>() +
                                     (checked["site"].get<std::string>().ends_with("mlp.out") ? 4 * 12 : 0)];
    EXPECT_EQ(same["site"], checked["site"]);
    EXPECT_EQ(same["metric"], checked["metric"]);
  }
  const std::string atp_csv = test::read_bytes(dir.file("atp/patch-grid.csv"));
  EXPECT_EQ(std::count(atp_csv.begin(), atp_csv.end(), '\n'), 1 + 2 * 4 * 12 + 5);
  EXPECT_NE(atp_csv.find(",atp\n"), std::string::npos);
  EXPECT_NE(atp_csv.find(",patch\n"), std::string::npos);
  EXPECT_NE(atp.out.find("correlation of estimate and patch: r = "), std::string::npos) << atp.out;
  EXPECT_NE(test::read_bytes(dir.file("atp/patch-grid-atp-check.svg")).find("r = "), std::string::npos);
  EXPECT_NE(test::read_bytes(dir.file("atp/patch-grid-out.svg")).find("Attribution patching"), std::string::npos);
  const auto negative = run_cli({"attribute", "--model", model, "--prompt", kPrompt, "--other-prompt",
                                 "Pay no attention to this dog [MASK] the window!", "--target", "the", "--check", "-1"});
  EXPECT_NE(negative.exit_code, 0);
  EXPECT_NE(negative.err.find("--check"), std::string::npos) << negative.err;
  // --qk-fix: q and k cells with AtP*'s recomputed softmax, recorded in the json; without a q
  // or k cell to fix it is refused, not ignored.
  const auto fixed = run_cli({"attribute", "--model", model, "--prompt", kPrompt, "--other-prompt",
                              "Pay no attention to this dog [MASK] the window!", "--target", "the", "--sites",
                              "attn.q,attn.k", "--qk-fix", "--out", dir.file("atp-qk")});
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  const auto fixed_json = test::read_json(dir.file("atp-qk/patch-grid.json"));
  EXPECT_EQ(fixed_json["qk_fix"], true);
  EXPECT_EQ(fixed_json["cells"].size(), 2u * 4 * 12);
  EXPECT_EQ(fixed_json["cells"][0]["site"], "blocks.0.attn.q");
  const auto nothing_to_fix = run_cli({"attribute", "--model", model, "--prompt", kPrompt, "--other-prompt",
                                       "Pay no attention to this dog [MASK] the window!", "--target", "the", "--qk-fix"});
  EXPECT_NE(nothing_to_fix.exit_code, 0);
  EXPECT_NE(nothing_to_fix.err.find("--qk-fix recomputes the attention softmax"), std::string::npos) << nothing_to_fix.err;

  // saliency: per-token attributions, complete to 1% at its default 64 steps.
  const auto saliency = run_cli({"saliency", "--model", model, "--prompt", kPrompt, "--target", "the", "--out",
                                 dir.file("saliency")});
  ASSERT_EQ(saliency.exit_code, 0) << saliency.err;
  const auto saliency_json = test::read_json(dir.file("saliency/saliency.json"));
  ASSERT_EQ(saliency_json["tokens"].size(), 12u);
  EXPECT_EQ(saliency_json["steps"], 64);
  EXPECT_LT(saliency_json["completeness_error"].get<double>(), 0.01);
  EXPECT_TRUE(saliency_json["tokens"][0]["kept"]);  // [CLS]
  const std::string saliency_csv = test::read_bytes(dir.file("saliency/saliency.csv"));
  EXPECT_EQ(saliency_csv.substr(0, saliency_csv.find('\n')),
            "position,token,kept,integrated_gradients,gradient_x_input,gradient_norm");
  EXPECT_NE(saliency.out.find("completeness: integrated gradients sum to"), std::string::npos) << saliency.out;
  EXPECT_NE(test::read_bytes(dir.file("saliency/saliency.svg")).find("curtain"), std::string::npos);
  const auto no_steps = run_cli({"saliency", "--model", model, "--prompt", kPrompt, "--target", "the", "--steps", "0"});
  EXPECT_NE(no_steps.exit_code, 0);
  EXPECT_NE(no_steps.err.find("--steps"), std::string::npos) << no_steps.err;

  const auto lens = run_cli({"lens", "--model", model, "--prompt", kPrompt, "--target", "the", "--top", "3", "--out",
                             dir.file("lens")});
  ASSERT_EQ(lens.exit_code, 0) << lens.err;
  const auto lens_json = test::read_json(dir.file("lens/lens.json"));
  ASSERT_EQ(lens_json["states"].size(), 5u);
  EXPECT_EQ(lens_json["states"][4]["site"], "blocks.3.out");
  EXPECT_EQ(lens_json["states"][4]["block"], 3);
  EXPECT_TRUE(lens_json["states"][0]["block"].is_null());  // the embeddings
  EXPECT_EQ(lens_json["states"][4]["top"].size(), 3u);
  EXPECT_TRUE(lens_json["states"][0].contains("target_rank"));
  const std::string lens_csv = test::read_bytes(dir.file("lens/lens.csv"));
  EXPECT_EQ(std::count(lens_csv.begin(), lens_csv.end(), '\n'), 1 + 5 * 3);
  EXPECT_NE(test::read_bytes(dir.file("lens/lens.svg")).find("<svg"), std::string::npos);
  EXPECT_EQ(test::read_bytes(dir.file("lens/lens.png")).substr(1, 3), "PNG");
  // An earlier lens folder is an earlier bertscope output: a second run replaces it.
  const auto again = run_cli({"lens", "--model", model, "--prompt", kPrompt, "--top", "2", "--out", dir.file("lens")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(test::read_json(dir.file("lens/lens.json"))["target"], nullptr);
}

}  // namespace
}  // namespace bertscope

namespace bertscope {
namespace {

std::vector<std::string> sweep_args(const std::string& out, std::vector<std::string> more) {
  std::vector<std::string> args = {"sweep", "--model", test::reference_model("small-bf16"), "--prompt", kPrompt,
                                   "--target", "the", "--out", out, "--quiet"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// --site takes the names `bertscope hooks` prints, with {L} for the edited block, and the
// embeddings; a name with a block number is refused with what to write instead.
TEST(CliSite, TakesTheNamesHooksPrintsAndEditsTheEmbeddings) {
  test::TempDir dir;
  const auto full = test::run_cli(sweep_args(dir.file("full"), {"--intervention", "zero", "--site", "blocks.{L}.attn.out"}));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const auto part = test::run_cli(sweep_args(dir.file("part"), {"--intervention", "zero", "--site", "attn.out"}));
  ASSERT_EQ(part.exit_code, 0) << part.err;
  EXPECT_EQ(test::read_bytes(dir.file("full/runs.csv")), test::read_bytes(dir.file("part/runs.csv")));
  EXPECT_NE(test::read_bytes(dir.file("full/runs.csv")).find(",blocks.3.attn.out,3,"), std::string::npos);

  const auto embed = test::run_cli(sweep_args(dir.file("embed"), {"--intervention", "noise", "--trials", "3", "--site", "embed.out"}));
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  const auto json = test::read_json(dir.file("embed/results.json"));
  ASSERT_EQ(json["runs"].size(), 3u) << "the embeddings are edited once, not once per block";
  EXPECT_EQ(json["runs"][0]["site"], "embed.out");
  EXPECT_TRUE(json["runs"][0]["block"].is_null());
  EXPECT_NE(json["runs"][0]["target_logsoftmax"], json["clean"]["target_logsoftmax"]) << "the edit changed the output";
  EXPECT_EQ(json["options"]["site"], "embed.out");

  const auto numbered = test::run_cli(sweep_args(dir.file("numbered"), {"--intervention", "zero", "--site", "blocks.1.out"}));
  EXPECT_EQ(numbered.exit_code, 1);
  EXPECT_NE(numbered.err.find("--site 'blocks.1.out' names block 1; write blocks.{L}.out and choose the blocks with the layers option"),
            std::string::npos)
      << numbered.err;
  const auto skip = test::run_cli(sweep_args(dir.file("skip"), {"--intervention", "skip", "--site", "embed.out"}));
  EXPECT_EQ(skip.exit_code, 1);
  EXPECT_NE(skip.err.find("--site is not used by skip: it skips whole blocks"), std::string::npos) << skip.err;
}

// --json everywhere a command prints a summary, --version, defaults in --help, the program
// named bertscope, and every file written listed.
TEST(CliOutput, JsonVersionDefaultsAndTheFilesWritten) {
  test::TempDir dir;
  const auto tables = test::run_cli(sweep_args(dir.file("tables"), {"--intervention", "noise", "--trials", "2", "--layers", "0"}));
  ASSERT_EQ(tables.exit_code, 0) << tables.err;
  for (const auto& entry : fs::directory_iterator(dir.file("tables"))) {
    EXPECT_NE(tables.out.find(" " + entry.path().filename().string()), std::string::npos) << entry.path();
  }

  const auto json = test::run_cli(sweep_args(dir.file("json"), {"--intervention", "noise", "--trials", "2", "--layers", "0", "--json"}));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto summary = nlohmann::json::parse(json.out);
  EXPECT_EQ(summary["out"], dir.file("json"));
  EXPECT_EQ(summary["summary"].size(), 1u);
  EXPECT_FALSE(summary.contains("runs"));
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.file("json"))) ++files;
  EXPECT_EQ(summary["files"].size(), files);

  const auto stats = test::run_cli({"stats", "--model", test::reference_model("tiny-fp32"), "--prompt", kPrompt, "--out",
                                    dir.file("stats"), "--quiet", "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(nlohmann::json::parse(stats.out)["distributions"][0]["states"].size(), 3u);

  const auto hooks = test::run_cli({"hooks", "--json"});
  ASSERT_EQ(hooks.exit_code, 0);
  const auto sites = nlohmann::json::parse(hooks.out);
  EXPECT_EQ(sites[0]["site"], "embed.out");
  EXPECT_EQ(sites.back()["site"], "blocks.{L}.out");

  const auto version = test::run_cli({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("bertscope ") + BERTSCOPE_VERSION + "\n");

  const auto help = test::run_cli({"sweep", "--help"});
  EXPECT_NE(help.out.find("Usage: bertscope sweep"), std::string::npos) << "the program, not its path: " << help.out;
  for (const char* shown : {"--top INT in [1 - 1000]=5", "--seed UINT64=0", "--trials INT in [1 - 10000000]=1",
                            "--layers LIST=all", "--site TEXT=out", "--max-batch-tokens INT in [1 - 16777216]=2048",
                            "--std-of {vector,layer,absolute}=vector", "--factor NUMBER=per kind: noise 2, scale 0.5, mix 0.5, steer 1"}) {
    EXPECT_NE(help.out.find(shown), std::string::npos) << shown;
  }
}

}  // namespace
}  // namespace bertscope
