// "Nothing lost, round two" (issue 25): one test per class of defect, each through the
// command line as a user meets it. Every refusal is checked to come before any work: an
// exit code of 1, one line that names the problem, and the inputs left as they were.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>

#include "experiments/work_plan.h"
#include "reports/record_index.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

// The bertscope under test: the one built with the tests, or $BERTSCOPE_TEST_CLI (the build
// of the code before these fixes, to see each test fail there).
std::string cli_path() {
  const char* other = std::getenv("BERTSCOPE_TEST_CLI");
  return other && *other ? other : BERTSCOPE_CLI;
}
test::CommandResult run_cli(const std::vector<std::string>& args) { return test::run_command(cli_path(), args); }

const std::string kPrompt = "Pay no attention to that man [MASK] the curtain!";

std::string tiny() { return test::reference_model("tiny-fp32"); }

// A copy of the tiny model in `dir`, so that a command that wrongly writes over the model
// destroys only the copy.
std::string copy_of_tiny(const test::TempDir& dir) {
  const std::string model = dir.file("model");
  fs::copy(tiny(), model, fs::copy_options::recursive);
  return model;
}

// A spec of two deterministic interventions on one prompt: a run of seconds.
std::string small_spec(const std::string& out = "", int trials = 1) {
  return std::string("name = \"small\"\ntrials = ") + std::to_string(trials) + "\nseed = 3\n" +
         (out.empty() ? "" : "out = \"" + out + "\"\n") +
         "[[prompts]]\ntext = \"" + kPrompt + "\"\ntarget = \"behind\"\n"
         "[[prompts]]\ntext = \"The capital of France is [MASK].\"\ntarget = \"paris\"\n"
         "[[interventions]]\nkind = \"zero\"\n[[interventions]]\nkind = \"noise\"\n";
}

// A refusal: exit 1 and one line holding every piece.
void expect_refusal(const test::CommandResult& r, std::initializer_list<std::string> pieces) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const std::string& piece : pieces) EXPECT_NE(r.err.find(piece), std::string::npos) << "lacks \"" << piece << "\": " << r.err;
}

// The command line with a time limit: a hang is a failure, not a stuck test suite.
[[maybe_unused]] test::CommandResult run_cli_within(int seconds, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"-k", "5", std::to_string(seconds), cli_path()};
  all.insert(all.end(), args.begin(), args.end());
  return test::run_command("timeout", all);
}

[[maybe_unused]] std::vector<std::string> folder_names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Class 1: an output that is, contains or lies inside an input is refused before any work,
// and dump replaces only an earlier dump.
TEST(NothingLost, OutputThatIsAnInputIsRefused) {
  test::TempDir dir;
  const std::string model = copy_of_tiny(dir);
  const std::string weights = test::read_bytes(model + "/model.safetensors");
  expect_refusal(run_cli({"dump", "--model", model, "--out", model + "/model.safetensors", kPrompt}), {"model.safetensors"});
  EXPECT_EQ(test::read_bytes(model + "/model.safetensors"), weights);
  // Through a symbolic link to the weights' folder, the same.
  fs::create_directory_symlink(model, dir.file("link"));
  expect_refusal(run_cli({"dump", "--model", dir.file("link"), "--out", model + "/model.safetensors", kPrompt}), {});
  EXPECT_EQ(test::read_bytes(model + "/model.safetensors"), weights);

  // The prompt file dump reads, and a file that is not an earlier dump.
  const std::string prompts = dir.write("prompts.txt", kPrompt + "\n");
  expect_refusal(run_cli({"dump", "--model", tiny(), "--prompts", prompts, "--out", prompts}), {"prompts.txt"});
  EXPECT_EQ(test::read_bytes(prompts), kPrompt + "\n");
  const std::string notes = dir.write("notes.safetensors", "my notes");
  expect_refusal(run_cli({"dump", "--model", tiny(), "--out", notes, kPrompt}), {"not an earlier dump"});
  EXPECT_EQ(test::read_bytes(notes), "my notes");
  // An earlier dump is replaced.
  ASSERT_EQ(run_cli({"dump", "--model", tiny(), "--out", dir.file("d.safetensors"), kPrompt}).exit_code, 0);
  const auto again = run_cli({"dump", "--model", tiny(), "--out", dir.file("d.safetensors"), "The [MASK] sat."});
  EXPECT_EQ(again.exit_code, 0) << again.err;

  // A spec inside the folder it would write.
  fs::create_directory(dir.file("res"));
  const std::string spec = dir.write("res/spec.toml", small_spec());
  test::write_bytes(dir.file("res/results.json"), "{}");  // an earlier run's folder
  expect_refusal(run_cli({"run", "--model", tiny(), "--quiet", spec, "--out", dir.file("res")}), {"spec.toml"});
  EXPECT_TRUE(fs::exists(spec));

  // A merge into one of its own shards.
  const std::string spec2 = dir.write("spec2.toml", small_spec());
  for (int k = 0; k < 2; ++k) {
    ASSERT_EQ(run_cli({"run", "--model", tiny(), "--quiet", spec2, "--shard", std::to_string(k) + "/2", "--out",
                       dir.file("s" + std::to_string(k))}).exit_code, 0);
  }
  const auto shard0 = folder_names(dir.file("s0"));
  expect_refusal(run_cli({"merge", "--quiet", "--out", dir.file("s0"), dir.file("s0"), dir.file("s1")}), {"s0"});
  EXPECT_EQ(folder_names(dir.file("s0")), shard0);
  EXPECT_TRUE(fs::exists(dir.file("s0/records.jsonl")));
  // The output inside the model's folder, and a folder that holds the spec.
  expect_refusal(run_cli({"run", "--model", model, "--quiet", spec2, "--out", model + "/out"}), {"lies inside"});
}

// Class 2: a shard without --out never writes the unsharded run's folder, nor another shard's.
TEST(NothingLost, ShardsWithoutOutKeepTheRunAndEachOther) {
  test::TempDir dir;
  const std::string spec = dir.write("spec.toml", small_spec(dir.file("res")));
  ASSERT_EQ(run_cli({"run", "--model", tiny(), "--quiet", spec}).exit_code, 0);
  const std::string results = test::read_bytes(dir.file("res/results.json"));
  ASSERT_FALSE(results.empty());
  std::vector<std::string> shard_folders;
  for (int k = 0; k < 2; ++k) {
    const auto r = run_cli({"run", "--model", tiny(), "--quiet", "--json", spec, "--shard", std::to_string(k) + "/2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shard_folders.push_back(nlohmann::json::parse(r.out)["out"].get<std::string>());
  }
  EXPECT_EQ(test::read_bytes(dir.file("res/results.json")), results);
  EXPECT_NE(shard_folders[0], shard_folders[1]);
  for (const std::string& folder : shard_folders) EXPECT_TRUE(fs::exists(folder + "/records.jsonl")) << folder;
  const auto merged = run_cli({"merge", "--quiet", "--out", dir.file("merged"), shard_folders[0], shard_folders[1]});
  EXPECT_EQ(merged.exit_code, 0) << merged.err;
  // Nor with --out naming a finished run's folder: a shard replaces only a shard.
  expect_refusal(run_cli({"run", "--model", tiny(), "--quiet", spec, "--shard", "0/2", "--out", dir.file("res")}),
                 {"res", "results.json"});
  EXPECT_EQ(test::read_bytes(dir.file("res/results.json")), results);
}

// Class 3: a site given twice (under any of its names) is refused like a repeated position.
TEST(NothingLost, RepeatedPatchGridSitesAreRefused) {
  test::TempDir dir;
  for (const std::string sites : {"out,out", "out,blocks.{L}.out", "out,mlp.out,out"}) {
    const auto r = run_cli({"patch-grid", "--model", tiny(), "--prompt", "The capital of France is [MASK].",
                            "--other-prompt", "The capital of Italy is [MASK].", "--target", "paris", "--sites", sites,
                            "--out", dir.file("grid")});
    expect_refusal(r, {"twice"});
    EXPECT_TRUE(fs::is_empty(dir.path())) << sites << ": left " << folder_names(dir.path()).size() << " entries";
  }
}

// Class 4: text that is not UTF-8 is refused where it is read, with the file and line.
TEST(NothingLost, TextThatIsNotUtf8IsRefusedWhereItIsRead) {
  test::TempDir dir;
  const std::string csv = dir.write("p.csv", "text,target,id\n\"" + kPrompt + "\",behind,ok\n\"" + kPrompt + "\",behind,bad\xff\n");
  expect_refusal(run_cli({"sweep", "--model", tiny(), "--quiet", "--prompts", csv, "--intervention", "zero", "--out",
                          dir.file("out")}), {"p.csv:3", "UTF-8"});
  const std::string txt = dir.write("p.txt", kPrompt + "\nThe caf\xe9 is [MASK].\n");
  expect_refusal(run_cli({"stats", "--model", tiny(), "--quiet", "--prompts", txt, "--out", dir.file("out")}),
                 {"p.txt:2", "UTF-8"});
  EXPECT_FALSE(fs::exists(dir.file("out")));
  // On the command line, for every command that writes the text to a file.
  expect_refusal(run_cli({"lens", "--model", tiny(), "--prompt", "The caf\xe9 is [MASK].", "--out", dir.file("lens")}),
                 {"UTF-8"});
  expect_refusal(run_cli({"sweep", "--model", tiny(), "--quiet", "--prompt", "The caf\xe9 is [MASK].", "--target", "paris",
                          "--intervention", "zero", "--out", dir.file("out")}), {"UTF-8"});
  expect_refusal(run_cli({"dump", "--model", tiny(), "--out", dir.file("d.safetensors"), "caf\xe9 [MASK]"}), {"UTF-8"});
  EXPECT_FALSE(fs::exists(dir.file("lens")));
}

// Classes 5 and 15: merge validates every value it reads and names the file and line.
class MergeReads : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = dir_.write("spec.toml", small_spec("", 3));
    for (int k = 0; k < 2; ++k) {
      const std::string out = dir_.file("s" + std::to_string(k));
      ASSERT_EQ(run_cli({"run", "--model", tiny(), "--quiet", spec_, "--shard", std::to_string(k) + "/2", "--out", out}).exit_code, 0);
    }
  }
  // The merge of the two shards, with a time limit.
  test::CommandResult merge() {
    return run_cli_within(60, {"merge", "--quiet", "--out", dir_.file("merged"), dir_.file("s0"), dir_.file("s1")});
  }
  // Replaces the first record of shard 0 by `edit` applied to it.
  void edit_first_record(const std::function<void(nlohmann::json&)>& edit) {
    const std::string path = dir_.file("s0/records.jsonl");
    std::string text = test::read_bytes(path);
    const size_t end = text.find('\n');
    nlohmann::json record = nlohmann::json::parse(text.substr(0, end));
    edit(record);
    test::write_bytes(path, record.dump() + text.substr(end));
  }
  void edit_manifests(const std::function<void(nlohmann::json&)>& edit) {
    for (int k = 0; k < 2; ++k) {
      const std::string path = dir_.file("s" + std::to_string(k) + "/shard.json");
      nlohmann::json manifest = test::read_json(path);
      edit(manifest);
      test::write_bytes(path, manifest.dump(1));
    }
  }
  test::TempDir dir_;
  std::string spec_;
};

TEST_F(MergeReads, ARecordsFileThatIsNotARegularFileIsRefusedAtOnce) {
  fs::remove(dir_.file("s0/records.jsonl"));
  ASSERT_EQ(::mkfifo(dir_.file("s0/records.jsonl").c_str(), 0666), 0);
  expect_refusal(merge(), {"records.jsonl", "not a regular file"});
  fs::remove(dir_.file("s0/records.jsonl"));
  fs::create_symlink("/dev/zero", dir_.file("s0/records.jsonl"));
  expect_refusal(merge(), {"records.jsonl"});
}

TEST_F(MergeReads, ValuesOutOfTypeOrRangeAreRefusedWithFileAndLine) {
  const std::string original = test::read_bytes(dir_.file("s0/records.jsonl"));
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> edits = {
      {"top id outside the vocabulary", [](nlohmann::json& r) { r["top"][0][0] = 99999999; }},
      {"huge rank", [](nlohmann::json& r) { r["rank"] = 99999999999999LL; }},
      {"negative rank", [](nlohmann::json& r) { r["rank"] = -3; }},
      {"trial 2^32 + k", [](nlohmann::json& r) { r["t"] = (1LL << 32) + r["t"].get<long long>(); }},
      {"fractional trial", [](nlohmann::json& r) { r["t"] = r["t"].get<double>() + 0.5; }},
      {"trial 1e300", [](nlohmann::json& r) { r["t"] = 1e300; }},
      {"prompt as a string", [](nlohmann::json& r) { r["p"] = "0"; }},
      {"probability above 1", [](nlohmann::json& r) { r["prob"] = 7.5; }},
  };
  for (const auto& [name, edit] : edits) {
    test::write_bytes(dir_.file("s0/records.jsonl"), original);
    edit_first_record(edit);
    const auto r = merge();
    SCOPED_TRACE(name);
    expect_refusal(r, {"records.jsonl:1"});
    EXPECT_LT(r.err.size(), 400u) << r.err;
    EXPECT_FALSE(fs::exists(dir_.file("merged")));
  }
}

TEST_F(MergeReads, AnEditedNumberIsCaughtByTheChecksum) {
  edit_first_record([](nlohmann::json& r) { r["lsm"] = r["lsm"].get<double>() - 0.25; });
  expect_refusal(merge(), {"s0", "checksum"});
}

TEST_F(MergeReads, AnEditedPromptInEveryManifestIsCaught) {
  edit_manifests([](nlohmann::json& m) {
    std::string spec = m["fingerprint"]["spec"];
    spec.replace(spec.find("France"), 6, "Poland");
    m["fingerprint"]["spec"] = spec;
  });
  expect_refusal(merge(), {"shard.json"});
}

TEST_F(MergeReads, ShardCountsAreRangeCheckedAndMessagesStayShort) {
  edit_manifests([](nlohmann::json& m) { m["fingerprint"]["shards"] = 2e7; });
  auto r = merge();
  expect_refusal(r, {"shard.json"});
  EXPECT_LT(r.err.size(), 400u);
  edit_manifests([](nlohmann::json& m) { m["fingerprint"]["shards"] = 1000000; });
  r = merge();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(r.err.size(), 400u) << r.err.substr(0, 400);
}

TEST_F(MergeReads, AnEditedTotalSaysWhatDiffers) {
  edit_manifests([](nlohmann::json& m) { m["total_items"] = m["total_items"].get<int>() + 1; });
  const auto r = merge();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("shard.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("changed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("holds 5 trials, shard.json says 5"), std::string::npos) << r.err;
}

// Class 6: a records file replaced after it was indexed (a shard folder swapped during a
// merge) stops the merge with a message naming the file; nothing of the new file is read.
TEST_F(MergeReads, ARecordsFileReplacedAfterIndexingIsNamed) {
  const auto manifest = test::read_json(dir_.file("s0/shard.json"));
  const ExperimentSpec spec = ExperimentSpec::parse_toml(manifest["fingerprint"]["spec"].get<std::string>(), "shard.json");
  const Encoder model = Encoder::load(tiny());
  const WorkPlan plan(model, spec);
  RecordIndex index(plan, RecordLimits{model.config().vocab_size, spec.top_k});
  for (int k = 0; k < 2; ++k) index.add_file(dir_.file("s" + std::to_string(k) + "/records.jsonl"), "s" + std::to_string(k));
  // The same records in another order, in a new file under the old name: a reader that
  // re-opens the path would hand over the wrong trials.
  const std::string path = dir_.file("s0/records.jsonl");
  std::string text = test::read_bytes(path);
  const size_t first = text.find('\n') + 1;
  text = text.substr(first) + text.substr(0, first);
  test::write_bytes(dir_.file("replacement"), text);
  fs::rename(dir_.file("replacement"), path);
  test::expect_error([&] { index.for_each([](const TrialResult&) {}); }, {"s0", "records.jsonl", "replaced"});
}

// Class 8: one rule for edits across prompts of different lengths, whichever is longer.
TEST(NothingLost, CrossPromptEditsOfDifferentLengthsFollowOneRule) {
  test::TempDir dir;
  const std::string shorter = "The capital of France is [MASK].", longer = "The old and famous capital city of France is [MASK].";
  for (const auto& [prompt, other] : {std::pair{shorter, longer}, std::pair{longer, shorter}}) {
    for (const std::string kind : {"mix", "patch"}) {
      const auto r = run_cli({"sweep", "--model", tiny(), "--quiet", "--prompt", prompt, "--other-prompt", other, "--target",
                              "paris", "--intervention", kind, "--positions", "all", "--out", dir.file("out")});
      expect_refusal(r, {"same number of tokens", "--positions mask"});
    }
  }
  // The [MASK] maps to the [MASK] whatever the lengths.
  const auto ok = run_cli({"sweep", "--model", tiny(), "--quiet", "--prompt", shorter, "--other-prompt", longer, "--target",
                           "paris", "--intervention", "patch", "--out", dir.file("out")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// Class 9: a value that does not exist is written empty, or refused when asked for.
TEST(NothingLost, ValuesThatDoNotExistAreNotWrittenAsNumbers) {
  test::TempDir dir;
  const std::string prompt = "The capital of France is [MASK].";
  const auto same = run_cli({"patch-grid", "--model", tiny(), "--prompt", prompt, "--other-prompt", prompt, "--target",
                             "paris", "--sites", "out", "--out", dir.file("grid")});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  const auto grid = test::read_json(dir.file("grid/patch-grid.json"));
  const std::string csv = test::read_bytes(dir.file("grid/patch-grid.csv"));
  bool any_cell = false;
  for (const auto& cell : grid["cells"]) {
    any_cell = true;
    EXPECT_TRUE(cell["normalized"].is_null()) << cell;
  }
  EXPECT_TRUE(any_cell);
  EXPECT_EQ(csv.find(",0\n"), std::string::npos) << csv.substr(0, 300);
  expect_refusal(run_cli({"patch-grid", "--model", tiny(), "--prompt", prompt, "--other-prompt",
                          "The capital of Italy is [MASK].", "--target", "paris", "--foil", "paris"}),
                 {"--foil", "the target"});
  expect_refusal(run_cli({"stats", "--model", tiny(), "--prompt", prompt, "--noise-factor", "1e39", "--out", dir.file("stats")}),
                 {"--noise-factor", "float32"});
  EXPECT_FALSE(fs::exists(dir.file("stats")));
}

// Class 10: ids that only control characters tell apart are refused, in every format.
TEST(NothingLost, IdsWithControlCharactersAreRefused) {
  test::TempDir dir;
  const std::string csv = dir.write("p.csv", "text,target,id\n\"" + kPrompt + "\",behind,a\n\"" + kPrompt + "\",behind,\"a\rb\"\n");
  expect_refusal(run_cli({"sweep", "--model", tiny(), "--quiet", "--prompts", csv, "--intervention", "zero", "--out",
                          dir.file("out")}), {"p.csv:3", "control character"});
  const std::string jsonl = dir.write("p.jsonl", "{\"text\": \"" + kPrompt + "\", \"target\": \"behind\", \"id\": \"a\\u0000b\"}\n");
  expect_refusal(run_cli({"sweep", "--model", tiny(), "--quiet", "--prompts", jsonl, "--intervention", "zero", "--out",
                          dir.file("out")}), {"p.jsonl:1", "control character"});
  const std::string spec = dir.write("spec.toml", "name = \"ids\"\n[[prompts]]\ntext = \"" + kPrompt +
                                                      "\"\ntarget = \"behind\"\nid = \"a\\nb\"\n[[interventions]]\nkind = \"zero\"\n");
  expect_refusal(run_cli({"run", "--model", tiny(), "--quiet", spec, "--out", dir.file("out")}), {"control character"});
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

// Class 11: an empty or repeated layer list is an error, as a repeated position is.
TEST(NothingLost, EmptyOrRepeatedLayersAreRefused) {
  test::TempDir dir;
  for (const std::string layers : {"", "0,0", "0-1,1"}) {
    expect_refusal(run_cli({"sweep", "--model", tiny(), "--quiet", "--prompt", kPrompt, "--target", "behind",
                            "--intervention", "zero", "--layers", layers, "--out", dir.file("out")}),
                   {"--layers"});
  }
  const std::string spec = dir.write("spec.toml", "name = \"l\"\nlayers = []\n[[prompts]]\ntext = \"" + kPrompt +
                                                      "\"\ntarget = \"behind\"\n[[interventions]]\nkind = \"zero\"\n");
  expect_refusal(run_cli({"run", "--model", tiny(), "--quiet", spec, "--out", dir.file("out")}), {"layers"});
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

// Class 12: a run whose files cannot fit on the output's file system is refused before
// work, with the numbers. The run is sized from the free space there now.
TEST(NothingLost, RunsThatCannotFitOnDiskAreRefusedBeforeWork) {
  test::TempDir dir;
  struct statvfs fs_info {};
  ASSERT_EQ(::statvfs(dir.path().c_str(), &fs_info), 0);
  const double free_bytes = static_cast<double>(fs_info.f_bavail) * static_cast<double>(fs_info.f_frsize);
  // 10 million trials x 2 blocks x ~100 bytes a record at the least, per prompt.
  const int prompts = static_cast<int>(free_bytes / (1e7 * 2 * 100)) + 2;
  std::string text = "text,target\n";
  for (int p = 0; p < prompts; ++p) text += "\"The capital of France is [MASK].\",paris\n";
  const std::string file = dir.write("p.csv", text);
  const auto r = run_cli_within(60, {"sweep", "--model", tiny(), "--quiet", "--prompts", file, "--intervention", "noise",
                                     "--trials", "10000000", "--out", dir.file("out")});
  expect_refusal(r, {"disk", "free"});
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

// Class 13: dump estimates what it will hold and refuses before it computes.
TEST(NothingLost, DumpThatCannotFitInMemoryIsRefusedBeforeWork) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of shadow address space at start, so no program of
  // a sanitized build starts under `ulimit -v`; the plain build runs this test.
  GTEST_SKIP() << "ulimit -v and AddressSanitizer's shadow memory do not mix";
#endif
  test::TempDir dir;
  std::string text;
  for (int p = 0; p < 60; ++p) text += "The capital of France is [MASK]." + std::string(400, ' ') + "\n";
  std::string long_prompt;
  for (int w = 0; w < 500; ++w) long_prompt += "word ";
  std::string prompts;
  for (int p = 0; p < 60; ++p) prompts += long_prompt + "[MASK]\n";
  const std::string file = dir.write("p.txt", prompts);
  // 60 prompts of 503 tokens on the demo model: 60 x 503 x 30522 x 4 bytes = 3.7 GB of logits.
  const auto r = test::run_command("sh", {"-c", "ulimit -v 2000000; exec \"$0\" \"$@\"", cli_path(), "dump",
                                          "--prompts", file, "--out", dir.file("d.safetensors")});
  expect_refusal(r, {"memory", "GB"});
  EXPECT_EQ(r.err.find("out of memory: this machine"), std::string::npos) << r.err;
}

// Class 14: a prompt's length is checked in bytes before it is tokenized.
TEST(NothingLost, LongPromptLinesAreRefusedBeforeTokenizing) {
  test::TempDir dir;
  const std::string file = dir.write("p.txt", kPrompt + "\n" + std::string(3 << 20, 'a') + " [MASK]\n");
  expect_refusal(run_cli({"stats", "--model", tiny(), "--quiet", "--prompts", file, "--out", dir.file("out")}),
                 {"p.txt:2", "bytes"});
  // In a spec, and through dump (a command line holds at most 128 KiB an argument).
  const std::string spec = dir.write("spec.toml", "name = \"long\"\n[[prompts]]\ntext = \"" + std::string(3 << 20, 'a') +
                                                      " [MASK]\"\ntarget = \"paris\"\n[[interventions]]\nkind = \"zero\"\n");
  expect_refusal(run_cli({"run", "--model", tiny(), "--quiet", spec, "--out", dir.file("out")}), {"bytes"});
  expect_refusal(run_cli({"dump", "--model", tiny(), "--prompts", file, "--out", dir.file("d.safetensors")}),
                 {"p.txt:2", "bytes"});
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

// Class 15: messages that say what is wrong.
TEST(NothingLost, MessagesSayWhatIsWrong) {
  test::TempDir dir;
  // A byte order mark before JSON Lines on standard input, as by name.
  const std::string jsonl = dir.write("p.jsonl", "\xEF\xBB\xBF{\"text\": \"" + kPrompt + "\", \"target\": \"behind\"}\n");
  const auto stdin_run = test::run_command("sh", {"-c", "exec \"$0\" \"$@\" < " + test::shell_quote(jsonl), cli_path(),
                                                  "sweep", "--model", tiny(), "--quiet", "--prompts", "-", "--intervention",
                                                  "zero", "--out", dir.file("stdin")});
  EXPECT_EQ(stdin_run.exit_code, 0) << stdin_run.err;
  // A site patch-grid cannot patch is named whole.
  expect_refusal(run_cli({"patch-grid", "--model", tiny(), "--prompt", "The capital of France is [MASK].", "--other-prompt",
                          "The capital of Italy is [MASK].", "--target", "paris", "--sites", "embed.out"}),
                 {"not at embed.out"});
  // A histogram range too wide for a double says so.
  expect_refusal(run_cli({"stats", "--model", tiny(), "--prompt", kPrompt, "--low", "-1e308", "--high", "1e308", "--out",
                          dir.file("stats")}),
                 {"overflow"});
  // lens reads one [MASK]; it runs no sweep.
  const auto lens = run_cli({"lens", "--model", tiny(), "--prompt", "[MASK] is a [MASK]."});
  EXPECT_EQ(lens.exit_code, 1);
  EXPECT_EQ(lens.err.find("sweep"), std::string::npos) << lens.err;
}

}  // namespace
}  // namespace bertscope
