// Experiments as data: TOML specs (every shipped example parses and runs on a reference
// model), the distribution statistics against numbers computed here from the golden
// hidden states, and the result files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "experiments/experiment.h"
#include "reports/experiment_files.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

std::string examples_dir() { return std::string(BERTSCOPE_TEST_DATA) + "/../../examples"; }

std::string spec_error(const std::string& toml) {
  try {
    ExperimentSpec::parse_toml(toml, "spec.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const std::string kMinimal = R"(
[[prompts]]
text = "a [MASK] b"
target = "the"
[[interventions]]
kind = "noise"
)";

TEST(ExperimentSpec, ParsesEveryFieldWithDefaults) {
  const ExperimentSpec spec = ExperimentSpec::parse_toml(R"(
name = "x"
layers = [0, 2]
trials = 7
seed = 3
top = 4
site = "mlp.out"
[[prompts]]
text = "a [MASK] b"
target = "the"
[[interventions]]
kind = "noise"
factor = 1.5
std_of = "layer"
positions = "all"
[[interventions]]
kind = "patch"
other_prompt = "c [MASK] d"
[distributions]
bins = 10
)", "spec.toml");
  EXPECT_EQ(spec.name, "x");
  EXPECT_EQ(spec.out, "out/x");
  EXPECT_EQ(spec.layers, "0,2");
  EXPECT_EQ(spec.trials, 7);
  EXPECT_EQ(spec.seed, 3u);
  EXPECT_EQ(spec.top_k, 4);
  EXPECT_EQ(spec.site, SiteKind::MlpOut);
  ASSERT_EQ(spec.interventions.size(), 2u);
  EXPECT_EQ(spec.interventions[0].factor, 1.5);
  EXPECT_EQ(spec.interventions[0].std_of, NoiseScale::Layer);
  EXPECT_EQ(spec.interventions[0].positions.mode, Positions::Mode::All);
  EXPECT_EQ(spec.interventions[1].other_prompt, "c [MASK] d");
  EXPECT_TRUE(spec.distributions);
  EXPECT_EQ(spec.distribution.bins, 10);
  EXPECT_EQ(spec.distribution.noise_factor, 2.0);
  EXPECT_EQ(ExperimentSpec::parse_toml(kMinimal, "m.toml").interventions[0].factor, 2.0);  // noise default
}

TEST(ExperimentSpec, HeadsAndPatternEditsParseAndTheShippedExampleLoads) {
  const ExperimentSpec spec = ExperimentSpec::parse_toml(R"(
site = "attn.pattern"
[[prompts]]
text = "a [MASK] b"
target = "the"
[[interventions]]
kind = "attend"
heads = [3, 5]
attend_to = 2
[[interventions]]
kind = "uniform"
heads = "1,2"
[[interventions]]
kind = "mean"
mean_prompts = ["one text", "another"]
)", "spec.toml");
  EXPECT_EQ(spec.interventions[2].mean_prompts, (std::vector<std::string>{"one text", "another"}));
  EXPECT_EQ(spec.site, SiteKind::AttnPattern);
  EXPECT_EQ(spec.interventions[0].kind, InterventionKind::Attend);
  EXPECT_EQ(spec.interventions[0].heads, (std::vector<int>{3, 5}));
  EXPECT_EQ(spec.interventions[0].attend_to, 2);
  EXPECT_EQ(spec.interventions[0].label(), "attend ->2 heads 3,5");
  EXPECT_EQ(spec.interventions[1].heads, (std::vector<int>{1, 2}));
  try {
    ExperimentSpec::parse_toml("[[prompts]]\ntext = \"a [MASK]\"\n[[interventions]]\nkind = \"zero\"\nheads = [\"x\"]\n", "bad.toml");
    ADD_FAILURE() << "accepted heads = [\"x\"]";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.toml:5: interventions[0].heads must hold whole numbers"), std::string::npos) << e.what();
  }
  const ExperimentSpec example =
      ExperimentSpec::load_toml(std::string(BERTSCOPE_TEST_DATA) + "/../../examples/heads.toml");
  EXPECT_EQ(example.site, SiteKind::AttnZ);
  ASSERT_EQ(example.interventions.size(), 3u);
  EXPECT_EQ(example.interventions[1].kind, InterventionKind::Mean);
  EXPECT_EQ(example.interventions[2].heads, (std::vector<int>{0, 1}));
}

TEST(ExperimentSpec, BadSpecsNameTheProblem) {
  EXPECT_NE(spec_error(kMinimal + "trails = 3\n").find("trails is not a known key"), std::string::npos);
  EXPECT_NE(spec_error("trials = \"many\"\n" + kMinimal).find("trials must be"), std::string::npos);
  EXPECT_NE(spec_error("[[prompts]]\ntext = \"a [MASK]\"\ntarget = \"the\"\n[[interventions]]\nkind = \"blur\"\n").find("'blur'"),
            std::string::npos);
  EXPECT_NE(spec_error("[[interventions]]\nkind = \"zero\"\n").find("no prompt"), std::string::npos);
  EXPECT_NE(spec_error("[[prompts]]\ntext = \"a [MASK]\"\n[[interventions]]\nkind = \"zero\"\n").find("needs a target"),
            std::string::npos);
  EXPECT_NE(spec_error("[[prompts]]\ntext = \"a [MASK]\"\ntarget = \"x\"\n[[interventions]]\nkind = \"mix\"\n").find("interventions[0].other_prompt is needed by mix"),
            std::string::npos);
  EXPECT_NE(spec_error("this is = = not toml").find("spec.toml:1"), std::string::npos);
  EXPECT_NE(spec_error("site = \"nowhere\"\n" + kMinimal).find("nowhere"), std::string::npos);
  EXPECT_THROW(ExperimentSpec::load_toml("/nonexistent/spec.toml"), Error);
}

TEST(ExperimentSpec, EveryErrorNamesTheSpecFile) {
  // These two came from helpers shared with the command line and named neither the file
  // nor the key; spec_fuzzer's contract (a refusal starts with the file name) catches them.
  EXPECT_EQ(spec_error(R"([[prompts]]
text = "a [MASK]"
target = "the"
[[interventions]]
kind = "zero"
positions = "1,x"
)"),
            "spec.toml:6: interventions[0].positions must be 'mask', 'last', 'all', 'word:WORD' or a list of token indices like "
            "'1,3,5', not '1,x'");
  EXPECT_EQ(spec_error("site = \"nowhere\"\n" + kMinimal),
            "spec.toml:1: site 'nowhere' is not one of embed.out, blocks.{L}.attn.q, blocks.{L}.attn.k, "
            "blocks.{L}.attn.v, blocks.{L}.attn.scores, blocks.{L}.attn.pattern, blocks.{L}.attn.z, "
            "blocks.{L}.attn.context, blocks.{L}.attn.head_out, blocks.{L}.attn.out, blocks.{L}.ln1.out, "
            "blocks.{L}.mlp.pre, blocks.{L}.mlp.post, blocks.{L}.mlp.out, blocks.{L}.out (as `bertscope hooks` prints them; \"out\" is "
            "short for blocks.{L}.out)");
}

TEST(ExperimentSpec, WholeNumbersMustBeTomlIntegers) {
  // Found by spec_fuzzer: toml++ converted a float to int64 with a cast that is undefined
  // behaviour beyond 2^63 (UBSan aborts this test without the fix).
  EXPECT_EQ(spec_error("top = 92233720368547758074.0\n" + kMinimal), "spec.toml:1: top must be a non-negative whole number in range");
  EXPECT_EQ(spec_error("trials = 3.0\n" + kMinimal), "spec.toml:1: trials must be a non-negative whole number in range");
  EXPECT_EQ(spec_error("layers = [1e30]\n" + kMinimal), "spec.toml:1: layers must hold whole numbers");
  EXPECT_EQ(ExperimentSpec::parse_toml("trials = 3\n" + kMinimal, "spec.toml").trials, 3);
}

TEST(ExperimentSpec, DistributionOptionsMustBeFinite) {
  // TOML has inf and nan; infinite histogram edges made a NaN bin index (undefined behaviour).
  const std::string prompt = "[[prompts]]\ntext = \"a [MASK]\"\n[distributions]\n";
  EXPECT_EQ(spec_error(prompt + "low = -inf\n"), "spec.toml:4: distributions.low must be a finite number");
  // Finite, in order, but high - low overflows a double: said as such (issue 25).
  EXPECT_EQ(spec_error(prompt + "low = -1e308\nhigh = 1e308\n"),
            "spec.toml: experiment: distributions low and high (-1e+308 to 1e+308) span a range wider than a double "
            "holds (high - low overflows); narrow it");
  EXPECT_EQ(spec_error(prompt + "low = 1.0\nhigh = 1.0\n"),
            "spec.toml: experiment: distributions low and high must be finite numbers with low < high");
  EXPECT_EQ(spec_error(prompt + "bins = 0\n"), "spec.toml:4: distributions.bins must be a whole number from 1 to 100000, not 0");
  EXPECT_EQ(spec_error(prompt + "bins = 2000000000\n"),
            "spec.toml:4: distributions.bins must be a whole number from 1 to 100000, not 2000000000");
  EXPECT_EQ(spec_error(prompt + "noise_factor = nan\n"), "spec.toml:4: distributions.noise_factor must be a finite number");
  EXPECT_EQ(spec_error(prompt + "noise_factor = 1.5\n"), "no error");
}

TEST(ExperimentSpec, EveryShippedExampleParsesAndRunsOnAReferenceModel) {
  const Encoder bert = Encoder::load(test::reference_model("tiny-fp32"));
  int examples = 0;
  for (const auto& entry : fs::directory_iterator(examples_dir())) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    ExperimentSpec spec = ExperimentSpec::load_toml(entry.path().string());
    spec.trials = std::min(spec.trials, 3);  // the math is tested elsewhere; here the plumbing
    const ExperimentResult result = run_experiment(bert, spec);
    EXPECT_EQ(result.sweeps.size(), spec.interventions.empty() ? 0u : spec.prompts.size());
    for (const SweepResult& sweep : result.sweeps) EXPECT_FALSE(sweep.runs.empty());
    ++examples;
  }
  EXPECT_GE(examples, 5);
}

TEST(Distributions, MatchStatisticsComputedFromTheGoldenHiddenStates) {
  const Encoder bert = Encoder::load(test::reference_model("small-bf16"));
  const test::GoldenTensors golden("small-bf16");
  const auto readable = test::read_json(test::data_path("reference/golden/small-bf16.json"));
  DistributionRequest request;
  request.prompt = readable["prompts"][0]["text"];
  const DistributionReport report = hidden_state_distributions(bert, request);
  ASSERT_EQ(report.states.size(), static_cast<size_t>(bert.layers() + 1));
  const int mask = readable["prompts"][0]["mask_index"];
  for (const StateDistribution& s : report.states) {
    const std::vector<float> h = golden.f32("p0.hidden." + std::to_string(s.index));
    // Independent one-pass sums, in long double.
    long double sum = 0, sq = 0;
    for (float v : h) sum += v;
    const long double mean = sum / h.size();
    long double m2 = 0, m4 = 0;
    int64_t beyond3 = 0, in_range = 0;
    for (float v : h) {
      m2 += (v - mean) * (v - mean);
      m4 += (v - mean) * (v - mean) * (v - mean) * (v - mean);
      in_range += v >= -4.0f && v < 4.0f;
    }
    sq = m2;
    const double std = std::sqrt(static_cast<double>(sq / (h.size() - 1)));
    for (float v : h) beyond3 += std::fabs(v - mean) > 3.0L * std;
    m2 /= h.size();
    m4 /= h.size();
    EXPECT_NEAR(s.all.moments.mean, static_cast<double>(mean), 1e-5);
    EXPECT_NEAR(s.all.moments.std, std, 1e-4);
    EXPECT_NEAR(s.all.moments.excess_kurtosis, static_cast<double>(m4 / (m2 * m2)) - 3.0, 2e-3);
    const auto n = static_cast<double>(h.size());
    EXPECT_NEAR(s.all.tails.beyond_3std, static_cast<double>(beyond3) / n, 1.5 / n);
    int64_t hist = 0;
    for (int64_t c : s.all.histogram.counts) hist += c;
    EXPECT_EQ(hist, in_range);
    EXPECT_EQ(s.mask.moments.count, bert.config().hidden_size);
    const std::vector<float> row(h.begin() + mask * bert.config().hidden_size, h.begin() + (mask + 1) * bert.config().hidden_size);
    EXPECT_NEAR(s.mask.moments.max, *std::max_element(row.begin(), row.end()), 1e-4);
    // The Gaussian reference: std = factor x the state's std, kurtosis near 0.
    EXPECT_NEAR(s.noise_std, 2.0 * s.all.moments.std, 1e-12);
    EXPECT_NEAR(s.noise.moments.std, s.noise_std, 0.1 * s.noise_std);
  }
}

TEST(ExperimentFiles, HoldWhatIsNeededToReplayAndOneRowPerTrial) {
  const Encoder bert = Encoder::load(test::reference_model("tiny-fp32"));
  ExperimentSpec spec = ExperimentSpec::parse_toml("trials = 3\nlayers = \"0-1\"\n" + kMinimal + "[distributions]\n", "m.toml");
  spec.prompts[0].text = "Pay no attention to that man [MASK] the curtain!";
  spec.prompts[0].target = "behind";
  const ExperimentResult result = run_experiment(bert, spec);
  test::TempDir dir;
  const auto files = write_experiment_files(dir.file("out"), result, bert, RunContext{"bertscope run m.toml", false});
  // 9 data files, 3 figures (target log-softmax, top-1, distributions) as SVG and PNG, report.html.
  EXPECT_EQ(files.size(), 16u);
  const auto json = test::read_json(dir.file("out/results.json"));
  EXPECT_EQ(json["bertscope_version"], BERTSCOPE_VERSION);
  EXPECT_EQ(json["options"]["seed"], 0);
  EXPECT_EQ(json["options"]["interventions"][0]["kind"], "noise");
  EXPECT_EQ(json["prompts"][0]["tokens"].size(), 12u);
  EXPECT_NEAR(json["clean"]["target_logsoftmax"].get<double>(), result.sweeps[0].clean.target_logsoftmax, 1e-6);
  ASSERT_EQ(json["runs"].size(), 6u);  // 2 layers x 3 trials
  for (const auto& run : json["runs"]) {
    for (const char* key : {"intervention", "kind", "label", "site", "block", "trial", "target_logsoftmax", "top", "loss",
                            "kl_from_clean"}) {
      EXPECT_TRUE(run.contains(key)) << key;
    }
    EXPECT_EQ(run["top"].size(), 5u);
  }
  EXPECT_EQ(json["summary"].size(), 2u);
  // runs.jsonl: the same objects, one a line.
  std::ifstream lines(dir.file("out/runs.jsonl"));
  std::string line;
  size_t n = 0;
  for (; std::getline(lines, line); ++n) ASSERT_EQ(nlohmann::json::parse(line), json["runs"][n]);
  EXPECT_EQ(n, 6u);
  EXPECT_FALSE(json.contains("runs_file"));
  const std::string runs = test::read_bytes(dir.file("out/runs.csv"));
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 7);  // header + 6
  // Booleans read the same in runs.csv and runs.jsonl: true/false. The row ends with
  // top1_is_punctuation, noise_std and noise_sigma, so the flag is read from the end (top1
  // may be quoted).
  std::istringstream rows(runs);
  std::string row;
  std::getline(rows, row);  // header
  for (size_t r = 0; std::getline(rows, row); ++r) {
    const std::string flag_and_noise = row.substr(row.rfind(',', row.rfind(',', row.rfind(',') - 1) - 1) + 1);
    const std::string flag = flag_and_noise.substr(0, flag_and_noise.find(','));
    EXPECT_EQ(flag, json["runs"][r]["top1_is_punctuation"].get<bool>() ? "true" : "false") << row;
  }
  const std::string hist = test::read_bytes(dir.file("out/histograms.csv"));
  EXPECT_EQ(std::count(hist.begin(), hist.end(), '\n'), 1 + 3 * 3 * 80);  // 3 states x (all, mask, noise) x 80 bins
  for (const auto& entry : fs::directory_iterator(dir.file("out"))) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << "leftover " << entry.path();
  }
}

// Past kRunsInResultsJson runs, results.json points to runs.jsonl instead of listing them.
TEST(ExperimentFiles, ManyRunsAreInRunsJsonlOnly) {
  const Encoder bert = Encoder::load(test::reference_model("tiny-fp32"));
  const auto trials = static_cast<int>(kRunsInResultsJson / 2 + 1);
  ExperimentSpec spec = ExperimentSpec::parse_toml("trials = " + std::to_string(trials) + "\nlayers = \"0-1\"\n" + kMinimal, "m.toml");
  const ExperimentResult result = run_experiment(bert, spec);
  test::TempDir dir;
  write_experiment_files(dir.file("out"), result, bert, RunContext{"bertscope run m.toml", false});
  const auto json = test::read_json(dir.file("out/results.json"));
  EXPECT_TRUE(json["runs"].is_null());
  EXPECT_EQ(json["runs_file"], "runs.jsonl");
  EXPECT_EQ(json["run_count"], 2 * trials);
  EXPECT_EQ(json["summary"][1]["trials"], trials);
  const std::string runs = test::read_bytes(dir.file("out/runs.jsonl"));
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 2 * trials);
}

}  // namespace
}  // namespace bertscope

namespace bertscope {
namespace {

// Every shipped example parses, and its header says what it shows on the demo model and
// what to look for on bert-large, so that a flat line on the demo model is expected.
TEST(ExampleSpecs, ParseAndSayWhatToExpectOnTheDemoModelAndOnBertLarge) {
  const fs::path folder = fs::path(BERTSCOPE_TEST_DATA) / ".." / ".." / "examples";
  size_t examples = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".toml") continue;
    ++examples;
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_NO_THROW(ExperimentSpec::load_toml(entry.path().string()));
    const std::string text = test::read_bytes(entry.path().string());
    const std::string header = text.substr(0, text.find("\nname = "));
    EXPECT_NE(header.find("On the demo model"), std::string::npos);
    EXPECT_NE(header.find("On bert-large"), std::string::npos);
  }
  EXPECT_GE(examples, 6u);
}

}  // namespace
}  // namespace bertscope

namespace bertscope {
namespace {

// The GPT-2 exercises of the course (examples/gpt2) run on the GPT-2 reference model, their
// headers say what they show there and what to look for on gpt2, and the IOI patch at the
// last token is HuggingFace's (the golden's a_from_b logit differences).
TEST(ExampleSpecs, Gpt2ExercisesRunOnTheGpt2ReferenceModel) {
  const Encoder gpt2 = Encoder::load(test::data_path("families/models/gpt2-tiny"));
  const auto golden = test::read_json(test::data_path("families/golden/gpt2-tiny.json"));
  const fs::path folder = fs::path(BERTSCOPE_TEST_DATA) / ".." / ".." / "examples" / "gpt2";
  size_t examples = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".toml") continue;
    ++examples;
    SCOPED_TRACE(entry.path().filename().string());
    const std::string text = test::read_bytes(entry.path().string());
    const std::string header = text.substr(0, text.find("\nname = "));
    EXPECT_NE(header.find("On the reference model"), std::string::npos);
    EXPECT_NE(header.find("On gpt2"), std::string::npos);
    const ExperimentSpec spec = ExperimentSpec::load_toml(entry.path().string());
    const ExperimentResult result = run_experiment(gpt2, spec);
    ASSERT_EQ(result.sweeps.size(), 1u);
    const std::vector<LayerSummary>& summary = result.summaries[0];
    EXPECT_EQ(summary.size(), spec.interventions.size() * static_cast<size_t>(gpt2.layers()));
    for (const LayerSummary& row : summary) EXPECT_TRUE(std::isfinite(row.logit_diff.mean));
    if (spec.name == "gpt2-ioi-patch-positions") {
      // The last position's patch (the last intervention) at block L: HF's a_from_b.
      for (int l = 0; l < gpt2.layers(); ++l) {
        const LayerSummary& row = summary[(spec.interventions.size() - 1) * static_cast<size_t>(gpt2.layers()) + static_cast<size_t>(l)];
        EXPECT_NEAR(row.logit_diff.mean, golden["ioi"]["patches"][l]["a_from_b_logit_diff"].get<double>(), 1e-4) << l;
      }
    }
    if (spec.name == "gpt2-scaling") {
      // ln_f divides the last block's output by its norm: a scale there cancels.
      for (size_t i = 0; i < spec.interventions.size(); ++i) {
        const LayerSummary& last = summary[i * static_cast<size_t>(gpt2.layers()) + static_cast<size_t>(gpt2.layers() - 1)];
        EXPECT_NEAR(last.logit_diff.mean, result.sweeps[0].clean.logit_diff, 1e-4);
      }
    }
  }
  EXPECT_EQ(examples, 4u);
}

}  // namespace
}  // namespace bertscope
