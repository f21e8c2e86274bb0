// Sharded runs through the CLI: `run SPEC --shard K/N` then `merge` writes exactly what the
// unsharded run writes, and merge refuses shards that are not the N shards of one run.
// Also: the streamed run (trials to disk as they finish) writes what an in-memory run writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "experiments/work_plan.h"
#include "kernels/linear.h"
#include "reports/experiment_files.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

// Two prompts of different lengths, a random, a deterministic and a skipping intervention,
// and distributions: every kind of file, and items of different costs; the first prompt
// has a foil, the second none (a logit difference in some records, null in others).
const std::string kSpec = R"(name = "sharded"
trials = 5
seed = 11
[[prompts]]
text = "Pay no attention to that man [MASK] the curtain!"
target = "behind"
foil = "in"
[[prompts]]
text = "The capital of France is [MASK]."
target = "paris"
[[interventions]]
kind = "noise"
[[interventions]]
kind = "zero"
[[interventions]]
kind = "skip"
[distributions]
bins = 12
)";

std::string model() { return test::reference_model("tiny-fp32"); }

// The files of a folder by name.
std::map<std::string, std::string> folder_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) files[entry.path().filename().string()] = test::read_bytes(entry.path().string());
  return files;
}

// What may differ between two runs of one experiment: how each was started.
std::string without_command(const std::string& name, const std::string& text) {
  if (name == "results.json") {
    nlohmann::json j = nlohmann::json::parse(text);
    j.erase("command");
    return j.dump(1);
  }
  if (name == "report.html") {
    const size_t begin = text.find("&middot; <code>"), end = text.find("</code>", begin);
    return text.substr(0, begin) + text.substr(end);
  }
  return text;
}

// Every file equal, byte for byte; results.json and report.html up to the command line.
void expect_same_outputs(const fs::path& expected, const fs::path& actual) {
  const auto want = folder_files(expected), got = folder_files(actual);
  std::vector<std::string> want_names, got_names;
  for (const auto& [name, text] : want) want_names.push_back(name);
  for (const auto& [name, text] : got) got_names.push_back(name);
  ASSERT_EQ(want_names, got_names);
  for (const auto& [name, text] : want) {
    if (!matmul_rows_invariant()) {
      // Batches compute a row's last bits differently here (kernels/linear.h): the tables
      // agree to float precision, and figures and results.json are not compared.
      if (name.ends_with(".csv")) {
        EXPECT_TRUE(test::same_run_csv(text, got.at(name))) << name;
      }
      continue;
    }
    EXPECT_EQ(without_command(name, text), without_command(name, got.at(name))) << name << " differs";
    if (name.ends_with(".csv") || name.ends_with(".png") || name.ends_with(".svg")) {
      EXPECT_EQ(text, got.at(name)) << name << " is not byte-identical";
    }
  }
}

class ShardMerge : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    spec_ = dir_->write("spec.toml", kSpec);
    const auto r = run_cli({"run", "--model", model(), "--quiet", "--out", dir_->file("whole"), spec_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // Runs shard k of n of `spec` into <dir>/<name>k.
  static std::string run_shard(const std::string& spec, int k, int n, const std::string& name) {
    const std::string out = dir_->file(name + std::to_string(k));
    const auto r = run_cli({"run", "--model", model(), "--quiet", "--shard", std::to_string(k) + "/" + std::to_string(n),
                            "--out", out, spec});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  static std::vector<std::string> run_shards(int n, const std::string& name) {
    std::vector<std::string> folders;
    for (int k = 0; k < n; ++k) folders.push_back(run_shard(spec_, k, n, name));
    return folders;
  }
  static test::CommandResult merge(const std::string& out, const std::vector<std::string>& shards) {
    std::vector<std::string> args = {"merge", "--quiet", "--out", out};
    args.insert(args.end(), shards.begin(), shards.end());
    return run_cli(args);
  }
  static test::TempDir* dir_;
  static std::string spec_;
};
test::TempDir* ShardMerge::dir_ = nullptr;
std::string ShardMerge::spec_;

TEST_P(ShardMerge, MergedShardsEqualTheUnshardedRun) {
  const int n = GetParam();
  std::vector<std::string> shards = run_shards(n, "n" + std::to_string(n) + "-");
  uint64_t items = 0;
  for (const std::string& shard : shards) items += test::read_json(shard + "/shard.json")["items"].get<uint64_t>();
  EXPECT_EQ(items, 2u * (5 * 2 + 2 + 2));
  std::reverse(shards.begin(), shards.end());  // any order
  const std::string out = dir_->file("merged" + std::to_string(n));
  const auto r = merge(out, shards);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_outputs(dir_->file("whole"), out);
}

INSTANTIATE_TEST_SUITE_P(Shards, ShardMerge, ::testing::Values(1, 3, 7));

// Each refusal: exit code 1, one line naming the folder, and no output folder.
void expect_refused(const test::CommandResult& r, const std::string& out, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ShardMerge, RefusesAMissingADuplicatedAndAForeignShard) {
  const std::vector<std::string> shards = run_shards(3, "refuse-");
  const std::string out = dir_->file("refused");
  expect_refused(merge(out, {shards[0], shards[2]}), out, "shard 1/3 missing");
  expect_refused(merge(out, {shards[0], shards[1], shards[2], shards[1]}), out,
                 shards[1] + ": shard 1/3 is given twice (also " + shards[1] + ")");
  // Another seed, another spec: the same shard 1/3 of another run.
  std::string text = kSpec;
  const std::string other_seed = dir_->write("seed.toml", text.replace(text.find("seed = 11"), 9, "seed = 12"));
  const std::string seed_shard = run_shard(other_seed, 1, 3, "seed-");
  expect_refused(merge(out, {shards[0], seed_shard, shards[2]}), out,
                 seed_shard + ": a shard of another run: its seed differs from that of " + shards[0]);
  text = kSpec;
  const std::string other_trials = dir_->write("trials.toml", text.replace(text.find("trials = 5"), 10, "trials = 4"));
  const std::string trials_shard = run_shard(other_trials, 2, 3, "trials-");
  expect_refused(merge(out, {shards[0], shards[1], trials_shard}), out,
                 trials_shard + ": a shard of another run: its experiment spec differs from that of " + shards[0]);
  const std::string four = run_shard(spec_, 3, 4, "four-");
  expect_refused(merge(out, {shards[0], shards[1], four}), out, four + ": a shard of another run: its shard count N differs");
}

TEST_F(ShardMerge, RefusesAFolderThatIsNotAShard) {
  const std::string out = dir_->file("not-merged");
  expect_refused(merge(out, {dir_->file("whole")}), out, dir_->file("whole") + ": not a shard folder (no shard.json");
  expect_refused(merge(out, {spec_}), out, spec_ + ": not a shard folder (not a folder)");
  const std::vector<std::string> shards = run_shards(2, "damaged-");
  // A shard whose records lost a line (a shard killed while writing, or a bad copy).
  const std::string records = shards[1] + "/records.jsonl";
  std::string lines = test::read_bytes(records);
  test::write_bytes(records, lines.substr(lines.find('\n') + 1));
  expect_refused(merge(out, shards), out, shards[1] + ": records.jsonl holds");
  test::write_bytes(records, lines + lines.substr(0, lines.find('\n') + 1));
  expect_refused(merge(out, shards), out, " is also in " + shards[1]);
}

// The streamed run writes what the in-memory run wrote before trials went to disk.
TEST_F(ShardMerge, StreamedRunEqualsTheInMemoryRun) {
  const Encoder bert = Encoder::load(model(), auto_precision());
  const ExperimentResult result = run_experiment(bert, ExperimentSpec::parse_toml(kSpec, "spec.toml"));
  // As the CLI ran it: --dtype auto, the default, resolved on this CPU.
  write_experiment_files(dir_->file("in-memory"), result, bert,
                         RunContext{"bertscope run spec.toml", false, precision_name(auto_precision()), "auto"});
  expect_same_outputs(dir_->file("in-memory"), dir_->file("whole"));
}

TEST(WorkPlan, NumbersEveryItemOnceAndSplitsThemByCost) {
  const Encoder bert = Encoder::load(model());
  const WorkPlan plan(bert, ExperimentSpec::parse_toml(kSpec, "spec.toml"));
  ASSERT_EQ(plan.size(), 28u);
  uint64_t max_cost = 0, total = 0;
  for (uint64_t r = 0; r < plan.size(); ++r) {
    const WorkItem item = plan.item(r);
    EXPECT_EQ(plan.rank(item), r);
    if (r > 0) {
      EXPECT_LT(plan.item(r - 1), item);  // canonical order
    }
    max_cost = std::max(max_cost, plan.cost(item));
    total += plan.cost(item);
  }
  EXPECT_EQ(plan.rank(WorkItem{0, 1, 0, 1}), plan.size()) << "zero is deterministic: one trial";
  for (int n : {1, 3, 7, 40}) {
    std::vector<int> owners(plan.size(), 0);
    for (int k = 0; k < n; ++k) {
      const std::vector<bool> mine = plan.shard(k, n);
      uint64_t cost = 0;
      for (uint64_t r = 0; r < plan.size(); ++r) {
        owners[r] += mine[r];
        if (mine[r]) cost += plan.cost(plan.item(r));
      }
      EXPECT_LE(cost, total / static_cast<uint64_t>(n) + max_cost) << k << "/" << n;
    }
    EXPECT_TRUE(std::all_of(owners.begin(), owners.end(), [](int o) { return o == 1; })) << n;
  }
}

TEST(CanonicalSpec, ReadsBackToTheSameSpec) {
  ExperimentSpec spec = ExperimentSpec::parse_toml(kSpec, "spec.toml");
  spec.interventions[0].factor = 0.1 + 0.2;  // not short in decimal
  spec.interventions[1].label_text = "a \"quoted\"\\ label\twith\x7f";
  const std::string text = spec.canonical_toml();
  EXPECT_EQ(ExperimentSpec::parse_toml(text, "canonical").canonical_toml(), text);
  EXPECT_EQ(ExperimentSpec::parse_toml(text, "canonical").interventions[0].factor, 0.1 + 0.2);
}

// Ids name every result row, other prompts change what patch and mix do and foils what is
// measured: two specs that differ only there are different experiments, and a merge must
// write the same ids.
TEST(CanonicalSpec, KeepsPromptIdsOtherPromptsAndFoils) {
  ExperimentSpec spec = ExperimentSpec::parse_toml(kSpec, "spec.toml");
  const std::string plain = spec.canonical_toml();
  spec.prompts[0].id = "q\"7";
  spec.prompts[0].other_prompt = "The cat sat on the [MASK].";
  spec.prompts[1].foil = "rome";
  const std::string text = spec.canonical_toml();
  EXPECT_NE(text, plain);
  const ExperimentSpec back = ExperimentSpec::parse_toml(text, "canonical");
  EXPECT_EQ(back.prompts[0].id, "q\"7");
  EXPECT_EQ(back.prompts[0].other_prompt, "The cat sat on the [MASK].");
  EXPECT_EQ(back.prompts[1].foil, "rome");
  EXPECT_EQ(back.canonical_toml(), text);
}

}  // namespace
}  // namespace bertscope
