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

}  // namespace
}  // namespace bertscope
