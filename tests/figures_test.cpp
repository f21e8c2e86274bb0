// Figures of an experiment: every figure file is written for every prompt, as well-formed
// SVG showing the expected titles, labels and values, and as a PNG of the same size; the
// SVG is made fit for an HTML page.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>

#include "experiments/across_prompts.h"
#include "experiments/experiment.h"
#include "experiments/sweep_summary.h"
#include "figure_checks.h"
#include "reports/experiment_files.h"
#include "reports/experiment_figures.h"
#include "reports/figure_grid.h"
#include "reports/figure_logsoftmax.h"
#include "reports/plot_canvas.h"
#include "reports/svg_text.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

// Two prompts, a random and a deterministic intervention, distributions: every figure kind.
const std::string kSpec = R"(
name = "figures"
layers = "0-1"
trials = 6
seed = 7
[[prompts]]
text = "Pay no attention to that man [MASK] the curtain!"
target = "behind"
[[prompts]]
text = "The capital of France is [MASK]."
target = "paris"
[[interventions]]
kind = "shuffle"
[[interventions]]
kind = "scale"
factor = 0.5
[distributions]
bins = 40
)";

class Figures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new Encoder(Encoder::load(test::reference_model("tiny-fp32")));
    result_ = new ExperimentResult(run_experiment(*model_, ExperimentSpec::parse_toml(kSpec, "figures.toml")));
    dir_ = new test::TempDir();
    files_ = write_experiment_files(dir_->file("out"), *result_, *model_, RunContext{"bertscope run figures.toml", false});
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete result_;
    delete model_;
  }
  static std::string read(const std::string& name) { return test::read_bytes(dir_->file("out/" + name)); }

  static Encoder* model_;
  static ExperimentResult* result_;
  static test::TempDir* dir_;
  static std::vector<std::string> files_;
};
Encoder* Figures::model_ = nullptr;
ExperimentResult* Figures::result_ = nullptr;
test::TempDir* Figures::dir_ = nullptr;
std::vector<std::string> Figures::files_;

// The width and height attributes of the root <svg>.
std::pair<int, int> svg_size(const std::string& svg) {
  std::smatch m;
  const std::string head = svg.substr(svg.find("<svg"), 400);
  EXPECT_TRUE(std::regex_search(head, m, std::regex(R"re(\swidth="(\d+)"\s+height="(\d+)")re"))) << head;
  return m.empty() ? std::pair{0, 0} : std::pair{std::stoi(m[1]), std::stoi(m[2])};
}

std::string two_decimals(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

TEST_F(Figures, EveryKindForEveryPromptAsSvgAndPng) {
  for (const char* kind : {"target-logsoftmax", "top1", "grid", "distributions"}) {
    for (int p = 0; p < 2; ++p) {
      const std::string stem = std::string(kind) + "-prompt" + std::to_string(p);
      SCOPED_TRACE(stem);
      const std::string svg = read(stem + ".svg"), png = read(stem + ".png");
      EXPECT_TRUE(test::is_well_formed_svg(svg));
      test::PngSize size;
      ASSERT_TRUE(test::png_size(png, size));
      const auto [w, h] = svg_size(svg);
      EXPECT_EQ(static_cast<int>(size.width), 2 * w) << "the PNG is the SVG's drawing at twice the resolution";
      EXPECT_EQ(static_cast<int>(size.height), 2 * h);
      EXPECT_GE(w, 1000);
      EXPECT_NE(std::find(files_.begin(), files_.end(), dir_->file("out/" + stem + ".svg")), files_.end());
    }
  }
  EXPECT_FALSE(fs::exists(dir_->file("out/top1-prompt2.svg")));
  for (const auto& entry : fs::directory_iterator(dir_->file("out"))) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << "leftover " << entry.path();
  }
}

TEST_F(Figures, TargetLogSoftmaxShowsAxesInterventionsAndTheCleanValue) {
  for (int p = 0; p < 2; ++p) {
    const std::string text = test::svg_visible_text(read("target-logsoftmax-prompt" + std::to_string(p) + ".svg"));
    SCOPED_TRACE(text);
    EXPECT_NE(text.find("target log-softmax (nats)"), std::string::npos);
    EXPECT_NE(text.find("edited block (0-based)"), std::string::npos);
    EXPECT_NE(text.find("shuffle"), std::string::npos);
    EXPECT_NE(text.find("scale 0.5"), std::string::npos);
    EXPECT_NE(text.find("6 trials per block"), std::string::npos);  // shuffle
    EXPECT_NE(text.find("1 trial per block"), std::string::npos);   // scale is deterministic
    EXPECT_NE(text.find("mean of the trials, 95% CI"), std::string::npos);
    // The clean line is labelled with this prompt's own clean value.
    EXPECT_NE(text.find("clean run (no edit): " + two_decimals(result_->sweeps[p].clean.target_logsoftmax)), std::string::npos);
    EXPECT_NE(text.find(result_->spec.prompts[p].text), std::string::npos);
  }
}

TEST_F(Figures, TopOneShowsTheMostFrequentWordsAndTheTargetShare) {
  const Vocab& vocab = model_->tokenizer().vocab();
  for (int p = 0; p < 2; ++p) {
    const std::string text = test::svg_visible_text(read("top1-prompt" + std::to_string(p) + ".svg"));
    SCOPED_TRACE(text);
    EXPECT_NE(text.find("% of trials"), std::string::npos);
    EXPECT_NE(text.find("top-1 = target"), std::string::npos);
    EXPECT_NE(text.find("top-1 is punctuation"), std::string::npos);
    EXPECT_NE(text.find("most frequent"), std::string::npos);
    EXPECT_NE(text.find("clean"), std::string::npos);
    // The clean run's probability is in the legend, not in a cell beside the shares of trials.
    EXPECT_NE(text.find("clean: the unedited run"), std::string::npos);
    // Each block's most frequent top-1 word is in a cell, with its share.
    for (const LayerSummary& l : summarize(result_->sweeps[p], vocab)) {
      const auto& [id, count] = l.top1_counts.front();
      const std::string word = vocab.token(id);
      if (word.size() > 8) continue;  // shortened in the cell
      char share[16];
      std::snprintf(share, sizeof share, "%.0f%%", 100.0 * count / l.trials);
      EXPECT_NE(text.find("\u201C" + word + "\u201D"), std::string::npos) << word;
      EXPECT_NE(text.find(share), std::string::npos) << share;
    }
  }
}

TEST_F(Figures, DistributionsShowDensitiesKurtosisTailsAndTheGaussian) {
  const std::string text = test::svg_visible_text(read("distributions-prompt1.svg"));
  SCOPED_TRACE(text);
  for (const char* label : {"hidden-state value", "density (1 / unit)", "excess kurtosis", "values beyond 3 std (%)",
                            "output of block (-1 = embeddings)", "Gaussian noise (exact density), std 2 x", "[MASK] vector",
                            "Gaussian of the same std as that state", "The same on a log scale: the tails", "log10 density",
                            "Gaussian: excess kurtosis 0, 0.27% beyond 3 std"}) {
    EXPECT_NE(text.find(label), std::string::npos) << label;
  }
  EXPECT_NE(text.find("The capital of France is [MASK]."), std::string::npos);  // prompt 1's own figure
}

TEST_F(Figures, StatisticsOnlyRunHasOnlyTheDistributionFigure) {
  ExperimentSpec spec;
  spec.name = "stats";
  spec.prompts = {{"a [MASK] b", ""}};
  spec.distributions = true;
  const ExperimentResult result = run_experiment(*model_, spec);
  test::TempDir dir;
  write_experiment_files(dir.file("out"), result, *model_, RunContext{});
  EXPECT_TRUE(fs::exists(dir.file("out/distributions-prompt0.svg")));
  EXPECT_TRUE(fs::exists(dir.file("out/report.html")));
  EXPECT_FALSE(fs::exists(dir.file("out/target-logsoftmax-prompt0.svg")));
  EXPECT_FALSE(fs::exists(dir.file("out/top1-prompt0.svg")));
}

// Deterministic interventions run once: their figure has no trial points or intervals in
// its legend, and an axis zoomed in to a small span says so.
TEST_F(Figures, LegendsShowOnlyWhatIsDrawnAndZoomedAxesSaySo) {
  const std::string random_and_fixed = test::svg_visible_text(read("target-logsoftmax-prompt0.svg"));
  EXPECT_NE(random_and_fixed.find("one trial"), std::string::npos);
  EXPECT_NE(random_and_fixed.find("mean of the trials, 95% CI"), std::string::npos);
  EXPECT_NE(random_and_fixed.find("the edited run (deterministic)"), std::string::npos);

  ExperimentSpec spec = ExperimentSpec::parse_toml(
      "layers = \"0-1\"\n[[prompts]]\ntext = \"The capital of France is [MASK].\"\ntarget = \"paris\"\n"
      "[[interventions]]\nkind = \"scale\"\nfactor = 0.99\n",
      "fixed.toml");
  const ExperimentResult fixed = run_experiment(*model_, spec);
  const SweepResult& sweep = fixed.sweeps[0];
  const std::string text = test::svg_visible_text(
      target_logsoftmax_figure(fixed.spec, sweep, summarize(sweep, model_->tokenizer().vocab()),
                               model_->tokenizer().vocab(), ImageFormat::Svg));
  EXPECT_EQ(text.find("one trial"), std::string::npos) << text;
  EXPECT_EQ(text.find("95% CI"), std::string::npos);
  EXPECT_NE(text.find("the edited run (deterministic)"), std::string::npos);
  EXPECT_NE(text.find("clean run (no edit)"), std::string::npos);
  // Scaling by 0.99 barely moves the target: the axis spans a fraction of a nat.
  EXPECT_NE(text.find("y axis zoomed in: it spans only"), std::string::npos) << text;
  EXPECT_EQ(random_and_fixed.find("zoomed"), std::string::npos) << "shuffle spreads over nats: not zoomed";
}

// Two interventions or more: one heatmap of intervention x block. A patching study of one
// position per intervention is labelled by position and token, and past six interventions
// it replaces the stack of panels.
TEST_F(Figures, InterventionsAsAGridHeatmap) {
  const std::string grid = read("grid-prompt0.svg");
  EXPECT_TRUE(test::is_well_formed_svg(grid));
  const std::string text = test::svg_visible_text(grid);
  for (const char* label : {"mean target log-softmax - clean (nats)", "edited block (0-based)", "shuffle", "scale 0.5"}) {
    EXPECT_NE(text.find(label), std::string::npos) << label;
  }

  std::string toml = "layers = \"0-1\"\n[[prompts]]\ntext = \"The capital of France is [MASK].\"\ntarget = \"paris\"\n";
  for (int p = 1; p <= 7; ++p) {
    toml += "[[interventions]]\nkind = \"patch\"\npositions = \"" + std::to_string(p) +
            "\"\nother_prompt = \"The capital of Italy is [MASK].\"\n";
  }
  const ExperimentResult patching = run_experiment(*model_, ExperimentSpec::parse_toml(toml, "patch.toml"));
  const std::vector<Figure> figures = experiment_figures(patching, model_->tokenizer().vocab());
  std::vector<std::string> kinds;
  for (const Figure& f : figures) kinds.push_back(f.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"top1", "grid"})) << "seven panels would not fit a page";
  const std::string patch_text = test::svg_visible_text(figures[1].svg);
  EXPECT_NE(patch_text.find("patch at position (0-based, [CLS] = 0)"), std::string::npos) << patch_text;
  EXPECT_NE(patch_text.find("4 france"), std::string::npos) << patch_text;
  EXPECT_NE(patch_text.find("6 [MASK]"), std::string::npos);
  const Heatmap h = intervention_grid(patching.spec, patching.sweeps[0], summarize(patching.sweeps[0], model_->tokenizer().vocab()));
  EXPECT_EQ(h.rows, 2u);
  EXPECT_EQ(h.columns, 7u);
  for (const LayerSummary& l : summarize(patching.sweeps[0], model_->tokenizer().vocab())) {
    const size_t row = static_cast<size_t>(l.layer);
    EXPECT_DOUBLE_EQ(h.at(row, static_cast<size_t>(l.intervention)),
                     l.target_logsoftmax.mean - patching.sweeps[0].clean.target_logsoftmax);
  }
}

// Across prompts, each prompt counts once: its trials' mean minus its own clean run; the
// interval is Student's over prompts (two here: t with 1 degree of freedom).
TEST_F(Figures, AcrossPromptsEachPromptCountsOnceAndTheIntervalIsOverPrompts) {
  const std::vector<PromptsCell> cells = across_prompts(*result_);
  ASSERT_EQ(cells.size(), 4u);  // 2 interventions x 2 blocks
  const Vocab& vocab = model_->tokenizer().vocab();
  const std::vector<LayerSummary> first = summarize(result_->sweeps[0], vocab), second = summarize(result_->sweeps[1], vocab);
  for (size_t c = 0; c < cells.size(); ++c) {
    SCOPED_TRACE(c);
    EXPECT_EQ(cells[c].intervention, first[c].intervention);
    EXPECT_EQ(cells[c].layer, first[c].layer);
    const double a = first[c].target_logsoftmax.mean - result_->sweeps[0].clean.target_logsoftmax;
    const double b = second[c].target_logsoftmax.mean - result_->sweeps[1].clean.target_logsoftmax;
    ASSERT_EQ(cells[c].effects.size(), 2u);
    EXPECT_NEAR(cells[c].effects[0], a, 1e-12);
    EXPECT_NEAR(cells[c].effects[1], b, 1e-12);
    EXPECT_NEAR(cells[c].effect.mean, (a + b) / 2, 1e-12);
    const double half_width = 12.706204736174698 * (std::fabs(a - b) / std::sqrt(2.0)) / std::sqrt(2.0);
    EXPECT_NEAR(cells[c].effect.ci_high - cells[c].effect.mean, half_width, 1e-6 * half_width);  // t's quantile to 1e-8
    EXPECT_NEAR(cells[c].share_top1_target, (first[c].share_top1_target + second[c].share_top1_target) / 2, 1e-12);
    EXPECT_EQ(cells[c].logit_diff_change.count, 0) << "no prompt has a foil";
  }
  for (const char* stem : {"target-logsoftmax-all-prompts", "grid-all-prompts"}) {
    SCOPED_TRACE(stem);
    const std::string svg = read(std::string(stem) + ".svg");
    EXPECT_TRUE(test::is_well_formed_svg(svg));
    test::PngSize size;
    EXPECT_TRUE(test::png_size(read(std::string(stem) + ".png"), size));
    const std::string text = test::svg_visible_text(svg);
    for (const char* label : {"2 prompts", "shuffle", "scale 0.5", "edited block (0-based)"}) {
      EXPECT_NE(text.find(label), std::string::npos) << label;
    }
  }
  EXPECT_NE(test::svg_visible_text(read("target-logsoftmax-all-prompts.svg")).find("mean over prompts, 95% CI"), std::string::npos);
  const std::string report = read("report.html");
  EXPECT_NE(report.find("<section id=\"across-prompts\">"), std::string::npos);
  EXPECT_LT(report.find("id=\"across-prompts\""), report.find("id=\"prompt-0\""));  // the answer before the prompts
  EXPECT_NE(report.find("id=\"figure-grid-all-prompts\""), std::string::npos);
  EXPECT_NE(report.find("id=\"figure-grid-prompt1\""), std::string::npos) << "each prompt's grid is in the report too";
  EXPECT_NE(report.find("<a href=\"#prompt-1\">1</a>"), std::string::npos) << "the overview links each prompt";
}

// figures = all | summary | none | auto (all up to 8 prompts, summary beyond).
TEST_F(Figures, TheFiguresOptionChoosesWhatIsDrawn) {
  auto drawn = [&](const std::string& choice, size_t prompts) {
    ExperimentResult result = *result_;
    result.spec.figures = choice;
    result.spec.prompts.resize(prompts, result.spec.prompts.back());  // only their count matters here
    std::vector<std::string> stems;
    for (const Figure& f : experiment_figures(result, model_->tokenizer().vocab())) stems.push_back(f.stem());
    return stems;
  };
  const std::vector<std::string> across = {"target-logsoftmax-all-prompts", "grid-all-prompts"};
  EXPECT_TRUE(drawn("none", 2).empty());
  EXPECT_EQ(drawn("summary", 2), across);
  EXPECT_EQ(drawn("auto", 9), across);
  const std::vector<std::string> all = drawn("all", 2), automatic = drawn("auto", 2);
  EXPECT_EQ(all, automatic);
  EXPECT_EQ(all.size(), 2u + 2 * 4u);  // across, then per prompt: log-softmax, top-1, grid, distributions
  EXPECT_EQ(std::vector<std::string>(all.begin(), all.begin() + 2), across);
  EXPECT_EQ(all[2], "target-logsoftmax-prompt0");
  // One prompt: its own figures are the summary.
  ExperimentResult one = *result_;
  one.spec.figures = "summary";
  one.spec.prompts.resize(1);
  one.sweeps.resize(1);
  one.summaries.resize(1);
  one.distributions.resize(1);
  std::vector<std::string> kinds;
  for (const Figure& f : experiment_figures(one, model_->tokenizer().vocab())) kinds.push_back(f.stem());
  EXPECT_EQ(kinds, (std::vector<std::string>{"target-logsoftmax-prompt0", "top1-prompt0", "grid-prompt0", "distributions-prompt0"}));
}

TEST(FigureChecks, RejectBrokenFiles) {
  // The checks above can fail: a tag left open, a stray closing tag, a truncated PNG.
  EXPECT_TRUE(test::is_well_formed_svg("<svg><g><text>a</text></g></svg>"));
  EXPECT_FALSE(test::is_well_formed_svg("<svg><g></svg>"));
  EXPECT_FALSE(test::is_well_formed_svg("<svg></g></svg>"));
  EXPECT_FALSE(test::is_well_formed_svg("<html></html>"));
  const std::string png = [] {
    PlotCanvas canvas(ImageFormat::Png, 120, 80);
    return canvas.finish();
  }();
  test::PngSize size;
  ASSERT_TRUE(test::png_size(png, size));
  EXPECT_EQ(size.width, 240u);
  EXPECT_EQ(size.height, 160u);
  EXPECT_FALSE(test::png_size(png.substr(0, png.size() / 2), size));
  EXPECT_FALSE(test::png_size("GIF89a" + png.substr(6), size));
}

TEST(FigureParts, TrialJitterSpreadsEvenlyInsideTheBlock) {
  std::vector<double> seen;
  for (int t = 0; t < 100; ++t) {
    const double j = trial_jitter(t);
    EXPECT_GE(j, -0.5);
    EXPECT_LT(j, 0.5);
    seen.push_back(j);
  }
  std::sort(seen.begin(), seen.end());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i] - seen[i - 1], 0.05) << "a gap in the spread";
  EXPECT_EQ(trial_jitter(17), trial_jitter(17));
}

TEST(SvgText, ForHtmlDropsThePrologAndFixedSizeAndPrefixesIds) {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"480\" "
      "viewBox=\"0 0 640 480\" >\n<clipPath id=\"c0\"><rect/></clipPath>\n<g clip-path=\"url(#c0)\"><use href=\"#c0\"/></g>\n</svg>\n";
  const std::string html = svg_for_html(svg, "f3-", "A \"title\" <b>");
  EXPECT_EQ(html.rfind("<svg role=\"img\" aria-label=\"A &quot;title&quot; &lt;b&gt;\"", 0), 0u) << html;
  EXPECT_EQ(html.find("width=\"640\""), std::string::npos) << html;
  EXPECT_EQ(html.find("height=\"480\""), std::string::npos) << html;
  EXPECT_NE(html.find("viewBox=\"0 0 640 480\""), std::string::npos) << html;
  EXPECT_NE(html.find("id=\"f3-c0\""), std::string::npos) << html;
  EXPECT_NE(html.find("url(#f3-c0)"), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"#f3-c0\""), std::string::npos) << html;
  EXPECT_TRUE(test::is_well_formed_svg(html)) << html;
}

}  // namespace
}  // namespace bertscope
