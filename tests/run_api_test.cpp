// The Run API (src/runs) called as a library: a run into its folder, the same run in shards
// merged, and a cancelled run, which leaves the folder as it was.
#include <gtest/gtest.h>

#include <filesystem>

#include "runs/merge.h"
#include "runs/run_folder.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

ExperimentSpec spec_into(const std::string& out) {
  ExperimentSpec spec = ExperimentSpec::parse_toml(R"(
name = "api"
layers = "all"
trials = 3
targets = ["in", "on"]
cosine_sites = ["blocks.*.out", "blocks.0.mlp.post"]
[[prompts]]
text = "Pay no attention to that man [MASK] the curtain!"
target = "behind"
[[interventions]]
kind = "noise"
[[interventions]]
kind = "zero"
)", "api.toml");
  spec.out = out;
  return spec;
}

TEST(RunApi, ShardsMergedAreTheWholeRun) {
  const std::string path = test::reference_model("tiny-fp32");
  const Encoder model = Encoder::load(path);
  test::TempDir dir;
  const RunContext context{"test", false};
  const FolderRun whole = run_into_folder(model, path, spec_into(dir.file("whole")), context);
  EXPECT_FALSE(whole.shard);
  EXPECT_TRUE(fs::exists(dir.file("whole/runs.csv")));
  const std::string runs = test::read_bytes(dir.file("whole/runs.csv"));
  EXPECT_NE(runs.substr(0, runs.find('\n')).find(",cosine_blocks.0.mlp.post,cosine_blocks.0.out,cosine_blocks.1.out"),
            std::string::npos);  // the patterns' sites, once each, in forward order
  EXPECT_EQ(whole.result.summaries.at(0).size(), 2u * static_cast<size_t>(model.layers()));

  std::vector<std::string> folders;
  uint64_t items = 0;
  for (int k = 2; k >= 0; --k) {  // any order
    const FolderRun shard = run_into_folder(model, path, spec_into(dir.file("s" + std::to_string(k))), context, {},
                                            ShardChoice{k, 3});
    ASSERT_TRUE(shard.shard);
    EXPECT_EQ(shard.shard->shard, k);
    items += shard.shard->items;
    folders.push_back(shard.folder);
  }
  const ShardSet set = read_shard_set(folders);
  EXPECT_EQ(items, set.manifests.front().total_items);
  EXPECT_EQ(set.model_path, model.dir());
  const FolderRun merged = merge_shards(set, model, path, dir.file("merged"), context);
  for (const char* file : {"runs.csv", "summary.csv", "prompts.csv"}) {
    SCOPED_TRACE(file);
    EXPECT_TRUE(test::same_run_csv(test::read_bytes(dir.file("whole/") + file), test::read_bytes(dir.file("merged/") + file)));
  }
  EXPECT_EQ(merged.files.size(), whole.files.size());
}

TEST(RunApi, ACancelledRunLeavesItsFolderAsItWas) {
  const std::string path = test::reference_model("tiny-fp32");
  const Encoder model = Encoder::load(path);
  test::TempDir dir;
  const RunContext context{"test", false};
  run_into_folder(model, path, spec_into(dir.file("out")), context);
  const std::string before = test::read_bytes(dir.file("out/runs.csv"));
  int asked = 0;
  RunControl control;
  control.cancelled = [&asked] { return ++asked > 0; };  // asked as the first batch is in
  ExperimentSpec again = spec_into(dir.file("out"));
  again.seed = 9;
  EXPECT_THROW(run_into_folder(model, path, again, context, control), RunCancelled);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(test::read_bytes(dir.file("out/runs.csv")), before);
  // Nothing beside it either: no staging folder, no lock.
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir.path())) left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"out"});
  // A cancelled shard leaves no shard folder.
  EXPECT_THROW(run_into_folder(model, path, spec_into(dir.file("s0")), context, control, ShardChoice{0, 2}), RunCancelled);
  EXPECT_FALSE(fs::exists(dir.file("s0")));
}

}  // namespace
}  // namespace bertscope
