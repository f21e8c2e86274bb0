// report.html without a browser: text from prompts is escaped, the demo banner shows only
// for the demo model, every figure is inlined once, and other files are linked.
#include <gtest/gtest.h>

#include "experiments/experiment.h"
#include "reports/experiment_files.h"
#include "reports/html_report.h"
#include "test_support.h"

namespace bertscope {
namespace {

size_t count(const std::string& text, const std::string& piece) {
  size_t n = 0;
  for (size_t at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) ++n;
  return n;
}

TEST(HtmlReport, EscapesPromptsAndShowsTheBannerOnlyForTheDemoModel) {
  const Encoder bert = Encoder::load(test::reference_model("tiny-fp32"));
  ExperimentSpec spec = ExperimentSpec::parse_toml(R"(
name = "a<b>"
layers = "0"
trials = 2
[[prompts]]
text = "x < y & the [MASK] is <b>bold</b>"
target = "the"
[[interventions]]
kind = "noise"
)", "spec.toml");
  const ExperimentResult result = run_experiment(bert, spec);
  for (bool demo : {false, true}) {
    test::TempDir dir;
    write_experiment_files(dir.file("out"), result, bert, RunContext{"bertscope run 'x<y'", demo});
    const std::string html = test::read_bytes(dir.file("out/report.html"));
    EXPECT_EQ(html.find("<b>bold</b>"), std::string::npos) << "prompt text must be escaped";
    EXPECT_NE(html.find("x &lt; y &amp; the [MASK] is &lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
    EXPECT_NE(html.find("<title>bertscope: a&lt;b&gt;</title>"), std::string::npos);
    EXPECT_NE(html.find("bertscope run &#39;x&lt;y&#39;"), std::string::npos);
    EXPECT_EQ(count(html, "id=\"demo-model-warning\""), demo ? 1u : 0u);
    EXPECT_EQ(count(html, "<svg "), 2u) << "target log-softmax and top-1, each inlined once";
    EXPECT_EQ(html.find("<?xml"), std::string::npos) << "no XML declaration inside HTML";
    for (const char* file : {"results.json", "runs.csv", "summary.csv", "target-logsoftmax-prompt0.svg", "top1-prompt0.png"}) {
      EXPECT_NE(html.find("<a href=\"" + std::string(file) + "\">"), std::string::npos) << file;
    }
    EXPECT_EQ(html.find("<script"), std::string::npos);
  }
}

TEST(HtmlReport, FileUrlsEncodeWhatAUrlCannotHold) {
  EXPECT_EQ(file_url("/models/bert mini/MODEL_CARD.md"), "file:///models/bert%20mini/MODEL_CARD.md");
  EXPECT_EQ(file_url("/a/#b?c\"d"), "file:///a/%23b%3Fc%22d");
}

}  // namespace
}  // namespace bertscope
