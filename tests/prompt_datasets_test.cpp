// Prompt files in use: the spec key prompts_file and paths relative to the spec's folder,
// --prompts (and - for stdin) on the command line, each prompt's other_prompt, and the
// prompt's id on every row of every result file.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "experiments/experiment.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kPrompt = "Pay no attention to that man [MASK] the curtain!";
std::string tiny_fp32() { return test::reference_model("tiny-fp32"); }

// Runs a shell command line (for stdin redirection and another working directory).
test::CommandResult shell(const std::string& line) { return test::run_command("/bin/sh", {"-c", line}); }
std::string cli() { return test::shell_quote(BERTSCOPE_CLI); }

// The first two cells of each data row of a CSV file: (prompt, prompt_id). The columns
// before them hold no commas or line breaks, so splitting the line is exact.
std::vector<std::pair<std::string, std::string>> prompt_cells(const std::string& path) {
  std::istringstream lines(test::read_bytes(path));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("prompt,prompt_id,", 0), 0u) << path << ": " << line;
  std::vector<std::pair<std::string, std::string>> out;
  while (std::getline(lines, line)) {
    const size_t a = line.find(','), b = line.find(',', a + 1);
    out.emplace_back(line.substr(0, a), line.substr(a + 1, b - a - 1));
  }
  return out;
}

TEST(PromptsFileSpec, InlinePromptsTakeIdsAndOtherPrompts) {
  const ExperimentSpec spec = ExperimentSpec::parse_toml(
      "[[prompts]]\ntext = \"a [MASK]\"\ntarget = \"the\"\nid = \"first\"\nother_prompt = \"b [MASK]\"\n"
      "[[prompts]]\ntext = \"c [MASK]\"\ntarget = \"the\"\nother_prompt = \"d [MASK]\"\n[[interventions]]\nkind = \"patch\"\n",
      "spec.toml");
  EXPECT_EQ(spec.prompts[0].id, "first");
  EXPECT_EQ(spec.prompts[0].other_prompt, "b [MASK]");
  EXPECT_EQ(spec.prompts[1].id, "2");
  test::expect_error(
      [] {
        ExperimentSpec::parse_toml("[[prompts]]\ntext = \"a [MASK]\"\nid = \"x\"\n[[prompts]]\ntext = \"b [MASK]\"\nid = \"x\"\n"
                                   "[distributions]\n",
                                   "spec.toml");
      },
      {"spec.toml: prompts[1]: duplicate id \"x\" (first at spec.toml: prompts[0])"});
}

TEST(PromptsFileSpec, PathsResolveAgainstTheSpecsFolderAndOneSourceOfPrompts) {
  test::TempDir dir;
  fs::create_directories(dir.path() / "specs" / "data");
  dir.write("specs/data/p.csv", "text,target\n\"a, b [MASK]\",the\n");
  const std::string body = "model = \"../model\"\nout = \"results\"\nprompts_file = \"data/p.csv\"\n[[interventions]]\nkind = \"zero\"\n";
  const ExperimentSpec spec = ExperimentSpec::load_toml(dir.write("specs/spec.toml", body));
  EXPECT_EQ(spec.model, (dir.path() / "model").lexically_normal().string());
  EXPECT_EQ(spec.out, (dir.path() / "specs" / "results").string());
  EXPECT_EQ(spec.prompts_file, (dir.path() / "specs" / "data" / "p.csv").string());
  ASSERT_EQ(spec.prompts.size(), 1u);
  EXPECT_EQ(spec.prompts[0].text, "a, b [MASK]");
  EXPECT_EQ(spec.prompts[0].id, "1");
  // Absolute paths stay; without `out` the default stays in the working directory.
  const ExperimentSpec absolute = ExperimentSpec::parse_toml(
      "name = \"n\"\nprompts_file = \"" + dir.file("specs/data/p.csv") + "\"\n[distributions]\n", "x.toml", "elsewhere");
  EXPECT_EQ(absolute.prompts_file, dir.file("specs/data/p.csv"));
  EXPECT_EQ(absolute.out, "out/n");
  test::expect_error(
      [&] { ExperimentSpec::parse_toml("prompts_file = \"p.csv\"\n[[prompts]]\ntext = \"a\"\n[distributions]\n", "x.toml", dir.file("specs/data")); },
      {"x.toml: give [[prompts]] or prompts_file, not both"});
  // A bad row names the file as resolved, and its line.
  dir.write("specs/data/bad.jsonl", "{\"text\": \"a [MASK]\"}\n{\"text\": 3}\n");
  test::expect_error(
      [&] { ExperimentSpec::parse_toml("prompts_file = \"data/bad.jsonl\"\n[distributions]\n", "x.toml", dir.file("specs")); },
      {dir.file("specs/data/bad.jsonl") + ":2: \"text\" must be a string, not number 3"});
}

TEST(PromptsFileSpec, RunFromAnotherWorkingDirectoryFindsTheModelDataAndOut) {
  test::TempDir dir;
  fs::create_directories(dir.path() / "project" / "data");
  fs::create_directories(dir.path() / "elsewhere");
  fs::create_directory_symlink(tiny_fp32(), dir.path() / "project" / "model");
  dir.write("project/data/p.jsonl", "{\"text\": \"" + kPrompt + "\", \"target\": \"behind\", \"id\": \"curtain\"}\n");
  dir.write("project/spec.toml", "name = \"rel\"\nmodel = \"model\"\nout = \"results\"\nprompts_file = \"data/p.jsonl\"\n"
                                 "layers = \"0\"\n[[interventions]]\nkind = \"zero\"\n");
  const auto r = shell("cd " + test::shell_quote(dir.file("elsewhere")) + " && " + cli() + " run --quiet ../project/spec.toml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json results = test::read_json(dir.file("project/results/results.json"));
  EXPECT_EQ(results["prompts"][0]["id"], "curtain");
  EXPECT_FALSE(fs::exists(dir.path() / "elsewhere" / "results"));
}

TEST(PromptOtherPrompt, UsedByPatchWithoutItsOwnAndTheInterventionsOwnWins) {
  const Encoder bert = Encoder::load(tiny_fp32());
  const std::string other = "The capital of France is [MASK].", unused = "Some other text [MASK] here.";
  ExperimentSpec own;
  own.layers = "0-1";
  own.prompts = {{kPrompt, "behind", "", ""}};
  own.interventions = {InterventionSpec::of_kind(InterventionKind::Patch)};
  own.interventions[0].other_prompt = other;
  ExperimentSpec per_prompt = own;
  per_prompt.interventions[0].other_prompt.clear();
  per_prompt.prompts[0].other_prompt = other;
  ExperimentSpec both = own;
  both.prompts[0].other_prompt = unused;

  const ExperimentResult a = run_experiment(bert, own), b = run_experiment(bert, per_prompt), c = run_experiment(bert, both);
  ASSERT_EQ(a.sweeps[0].runs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b.sweeps[0].runs[i].prediction.target_logsoftmax, a.sweeps[0].runs[i].prediction.target_logsoftmax);
    EXPECT_EQ(c.sweeps[0].runs[i].prediction.target_logsoftmax, a.sweeps[0].runs[i].prediction.target_logsoftmax);
  }
  EXPECT_NE(a.sweeps[0].runs[0].prediction.target_logsoftmax, a.sweeps[0].clean.target_logsoftmax);  // the patch did something

  // Some prompts with one, one without, and none on the intervention: an error naming the prompt.
  ExperimentSpec partial = per_prompt;
  partial.prompts.push_back({"a [MASK] b", "the", "", "bare"});
  test::expect_error([&] { partial.validate(); },
                     {"prompt \"bare\" has no other_prompt for patch, and the intervention has none of its own"});
  ExperimentSpec none = own;
  none.interventions[0].other_prompt.clear();
  test::expect_error([&] { none.validate(); }, {"--other-prompt is needed by patch"});
}

TEST(PromptIds, EveryResultFileCarriesThePromptsId) {
  test::TempDir dir;
  // Three prompts; the second has no id and gets its number, 2.
  const std::string data = dir.write("p.csv", "id,text,target\nalpha,\"" + kPrompt + "\",behind\n,\"The capital of France, "
                                              "they say, is [MASK].\",paris\n\"gam,ma\",He went [MASK] the room.,into\n");
  const std::vector<std::string> ids = {"alpha", "2", "\"gam,ma\""};  // as CSV cells
  dir.write("spec.toml", "name = \"ids\"\nlayers = \"0-1\"\ntrials = 2\nprompts_file = \"p.csv\"\n[[interventions]]\nkind = "
                         "\"noise\"\n[[interventions]]\nkind = \"zero\"\n[distributions]\nbins = 4\n");
  const auto r = test::run_cli({"run", "--model", tiny_fp32(), "--quiet", "--out", dir.file("out"), dir.file("spec.toml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"prompts.csv", "runs.csv", "top.csv", "summary.csv", "distributions.csv", "histograms.csv"}) {
    SCOPED_TRACE(name);
    const auto cells = prompt_cells(dir.file(std::string("out/") + name));
    ASSERT_FALSE(cells.empty());
    std::map<size_t, size_t> rows_per_prompt;
    for (const auto& [prompt, id] : cells) {
      const size_t p = std::stoul(prompt);
      ASSERT_LT(p, ids.size());
      // The id cell of a quoted id starts with the quote: compare the start of the cell.
      EXPECT_EQ(id, ids[p].substr(0, id.size()));
      ++rows_per_prompt[p];
    }
    EXPECT_EQ(rows_per_prompt.size(), 3u);  // every prompt has rows
  }
  const json results = test::read_json(dir.file("out/results.json"));
  const std::vector<std::string> given = {"alpha", "2", "gam,ma"};
  for (size_t p = 0; p < 3; ++p) EXPECT_EQ(results["prompts"][p]["id"], given[p]);
  for (const auto& run : results["runs"]) EXPECT_EQ(run["prompt_id"], results["prompts"][run["prompt"].get<size_t>()]["id"]);
  EXPECT_EQ(results["distributions"][2]["prompt_id"], "gam,ma");
  // With several prompts, the terminal tables name each by its id.
  const auto tables = test::run_cli({"run", "--model", tiny_fp32(), "--quiet", "--out", dir.file("again"), dir.file("spec.toml")});
  EXPECT_NE(tables.out.find("[prompt id gam,ma]"), std::string::npos) << tables.out;
}

TEST(PromptsOption, SweepReadsJsonLinesFromStdinAndStatsReadsCsvFromStdin) {
  test::TempDir dir;
  const std::string jsonl = dir.write("in.jsonl", "{\"text\": \"" + kPrompt + "\", \"target\": \"behind\", \"id\": \"c\"}\n"
                                                  "{\"text\": \"The capital of France is [MASK].\", \"target\": \"paris\"}\n");
  const auto sweep = shell(cli() + " sweep --model " + test::shell_quote(tiny_fp32()) + " --prompts - --intervention zero "
                           "--layers 0 --quiet --out " + test::shell_quote(dir.file("sweep")) + " < " + test::shell_quote(jsonl));
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const json results = test::read_json(dir.file("sweep/results.json"));
  ASSERT_EQ(results["prompts"].size(), 2u);
  EXPECT_EQ(results["prompts"][0]["id"], "c");
  EXPECT_EQ(results["prompts"][1]["id"], "2");
  EXPECT_EQ(results["prompts"][1]["target"], "paris");

  const std::string csv = dir.write("in.csv", "text,id\n\"a, b [MASK]\",x\n");
  const auto stats = shell(cli() + " stats --model " + test::shell_quote(tiny_fp32()) + " --prompts - --quiet --out " +
                           test::shell_quote(dir.file("stats")) + " < " + test::shell_quote(csv));
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(test::read_json(dir.file("stats/distributions.json"))[0]["prompt_id"], "x");

  // A bad row of stdin is named <stdin>:LINE.
  const std::string bad = dir.write("bad.jsonl", "{\"text\": \"a [MASK]\"}\n{\"text\": \"b\", \"x\": \"y\"}\n");
  const auto refused = shell(cli() + " stats --model " + test::shell_quote(tiny_fp32()) + " --prompts - --out " +
                             test::shell_quote(dir.file("refused")) + " < " + test::shell_quote(bad));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("<stdin>:2: unknown key \"x\""), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir.file("refused")));
}

TEST(PromptsOption, PredictShowsEachPromptsIdAndDumpReadsAnyFormat) {
  test::TempDir dir;
  const std::string data = dir.write("p.jsonl", "{\"text\": \"" + kPrompt + "\", \"id\": \"curtain\"}\n"
                                                "{\"text\": \"[MASK] is a [MASK].\"}\n");
  const auto as_json = test::run_cli({"predict", "--model", tiny_fp32(), "--top", "2", "--json", "--prompts", data});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  const json out = json::parse(as_json.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["id"], "curtain");
  EXPECT_EQ(out[1]["id"], "2");
  EXPECT_EQ(out[1]["masks"].size(), 2u);
  // The one-text form is unchanged, and equals the file's first row.
  const auto single = test::run_cli({"predict", "--model", tiny_fp32(), "--top", "2", "--json", kPrompt});
  json first = out[0];
  first.erase("id");
  EXPECT_EQ(json::parse(single.out), first);
  const auto table = test::run_cli({"predict", "--model", tiny_fp32(), "--top", "2", "--prompts", data});
  EXPECT_EQ(table.out.rfind("prompt curtain: " + kPrompt + "\n[MASK] at token 7:", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("\nprompt 2: [MASK] is a [MASK].\n"), std::string::npos) << table.out;

  const auto dump = test::run_cli({"dump", "--model", tiny_fp32(), "--prompts", data, "--out", dir.file("d.safetensors")});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("leading batch dimension of 2"), std::string::npos) << dump.out;
  const auto both = test::run_cli({"predict", "--model", tiny_fp32(), "--prompts", data, kPrompt});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_NE(both.err.find("give a TEXT or --prompts FILE, not both"), std::string::npos) << both.err;
}

}  // namespace
}  // namespace bertscope
