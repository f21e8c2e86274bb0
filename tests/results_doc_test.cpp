// docs/results.md describes every column of every CSV file an experiment, patch-grid, lens
// and saliency write: each
// column documented is in the file written, and each column written is documented, in
// the same order. results.json carries the schema version the document names.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <tuple>

#include "experiments/experiment.h"
#include "experiments/logit_lens.h"
#include "experiments/patch_grid.h"
#include "experiments/token_attribution.h"
#include "reports/experiment_files.h"
#include "reports/lens_files.h"
#include "reports/patch_grid_files.h"
#include "reports/token_attribution_files.h"
#include "test_support.h"

namespace bertscope {
namespace {

// A prompt with and one without a target's interventions, a random and a deterministic
// intervention, and distributions: every file and every kind of row.
const std::string kSpec = R"(
name = "columns"
layers = "0-1"
trials = 2
targets = ["in", "on"]
cosine_sites = ["blocks.*.out"]
[[prompts]]
text = "Pay no attention to that man [MASK] the curtain!"
target = "behind"
[[interventions]]
kind = "noise"
[[interventions]]
kind = "zero"
[distributions]
bins = 8
)";

// "## name.csv" sections and the first cell (`column`) of each table row under them. Rows
// named with `<word>` come once per word of `words` (the spec's targets), word by word,
// after the others, then rows named with `<site>` once per site of `sites` (its cosine
// sites), as the files write them.
std::map<std::string, std::vector<std::string>> documented_columns(const std::string& markdown,
                                                                   const std::vector<std::string>& words,
                                                                   const std::vector<std::string>& sites) {
  std::map<std::string, std::vector<std::string>> out, per_word, per_site;
  std::istringstream lines(markdown);
  std::string line, file;
  const std::regex section(R"(^## (\S+\.csv)\s*$)"), row(R"(^\| `([a-z0-9_<>]+)` \|)");
  std::smatch m;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) file = std::regex_match(line, m, section) ? m[1].str() : "";
    if (line.rfind("## ", 0) == 0 || file.empty() || !std::regex_search(line, m, row)) continue;
    const std::string column = m[1];
    (column.find("<word>") != std::string::npos ? per_word : column.find("<site>") != std::string::npos ? per_site : out)[file]
        .push_back(column);
  }
  for (const auto& [templates, values, placeholder] :
       {std::tuple{&per_word, &words, std::string("<word>")}, std::tuple{&per_site, &sites, std::string("<site>")}}) {
    for (const auto& [name, columns] : *templates) {
      for (const std::string& value : *values) {
        for (std::string column : columns) out[name].push_back(column.replace(column.find(placeholder), placeholder.size(), value));
      }
    }
  }
  return out;
}

std::vector<std::string> header_of(const std::string& csv) {
  std::vector<std::string> columns;
  std::istringstream first(csv.substr(0, csv.find('\n')));
  for (std::string cell; std::getline(first, cell, ',');) columns.push_back(cell);
  return columns;
}

TEST(ResultsDoc, EveryColumnWrittenIsDocumentedAndEveryDocumentedColumnIsWritten) {
  const std::string doc = test::read_bytes(std::string(BERTSCOPE_TEST_DATA) + "/../../docs/results.md");
  const auto documented = documented_columns(doc, {"in", "on"}, {"blocks.0.out", "blocks.1.out"});
  const Encoder model = Encoder::load(test::reference_model("tiny-fp32"));
  const ExperimentResult result = run_experiment(model, ExperimentSpec::parse_toml(kSpec, "columns.toml"));
  test::TempDir dir;
  const RunContext context{"test", false};
  std::vector<NamedFile> written;
  for (const std::string& path : write_experiment_files(dir.file("out"), result, model, context)) {
    written.emplace_back(path.substr(path.find_last_of('/') + 1), test::read_bytes(path));
  }
  const std::string prompt = "Pay no attention to that man [MASK] the curtain!";
  const PatchGridRequest grid{prompt, "Pay no attention to this dog [MASK] the window!", "behind", "", {SiteKind::BlockOut}};
  for (NamedFile& f : patch_grid_files(run_patch_grid(model, grid), model, context)) written.push_back(std::move(f));
  for (NamedFile& f : lens_files(run_logit_lens(model, prompt, "behind", 3), model, context)) written.push_back(std::move(f));
  const TokenAttributionRequest saliency{prompt, "behind", "", 4, "pad"};
  for (NamedFile& f : token_attribution_files(run_token_attribution(GradientModel(model), saliency), model, context)) {
    written.push_back(std::move(f));
  }

  size_t csv_files = 0;
  for (const auto& [name, text] : written) {
    if (name.size() < 4 || name.substr(name.size() - 4) != ".csv") continue;
    ++csv_files;
    SCOPED_TRACE(name);
    ASSERT_TRUE(documented.count(name)) << name << " has no section in docs/results.md";
    EXPECT_EQ(header_of(text), documented.at(name));
  }
  EXPECT_EQ(csv_files, documented.size()) << "a file documented but not written";
  EXPECT_EQ(csv_files, 9u);

  const nlohmann::json json = test::read_json(dir.file("out/results.json"));
  EXPECT_EQ(json["schema_version"], kResultsSchemaVersion);
  EXPECT_NE(doc.find("`schema_version` (" + std::to_string(kResultsSchemaVersion) + ";"), std::string::npos);
}

}  // namespace
}  // namespace bertscope
