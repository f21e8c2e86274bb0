// report.html in a real browser: Debian's chromium, headless, opens the report of a run on
// the demo model, takes a screenshot, and reports through the console what loaded (a copy
// of the page gets a probe script; the report itself has no scripts). The page must have
// its sections, banner, figures and tables, load nothing from outside, and log nothing.
//
// Without chromium this test fails (CI installs it with scripts/setup-debian.sh); set
// BERTSCOPE_SKIP_BROWSER_TESTS=1 to skip it on purpose. BERTSCOPE_CHROMIUM names another
// binary. BERTSCOPE_KEEP_SCREENSHOT=<path> keeps the screenshot for a human to look at.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <memory>
#include <regex>
#include <sstream>

#include "figure_checks.h"
#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;

std::string find_chromium() {
  if (const char* env = std::getenv("BERTSCOPE_CHROMIUM"); env && *env) return access(env, X_OK) == 0 ? env : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t at = 0; at <= dirs.size();) {
    const size_t end = std::min(dirs.find(':', at), dirs.size());
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path candidate = fs::path(dirs.substr(at, end - at)) / name;
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    at = end + 1;
  }
  return "";
}

bool skip_requested() {
  const char* env = std::getenv("BERTSCOPE_SKIP_BROWSER_TESTS");
  return env && std::string(env) == "1";
}

// Runs after the page has loaded and logs one JSON line: what was fetched, which images
// and style sheets failed or came from elsewhere, and what the page shows.
const std::string kProbe = R"(<script>
window.addEventListener('load', function () {
  var q = function (s) { return document.querySelectorAll(s); };
  var visible = function (e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  console.log('BERTSCOPE-PROBE ' + JSON.stringify({
    resources: performance.getEntriesByType('resource').map(function (e) { return e.name; }),
    broken_images: Array.prototype.filter.call(document.images, function (i) { return !(i.complete && i.naturalWidth > 0); }).length,
    external_sheets: Array.prototype.filter.call(document.styleSheets, function (s) { return s.href !== null; }).length,
    sections: Array.prototype.map.call(q('section'), function (s) { return s.id; }),
    figures: Array.prototype.filter.call(q('figure svg'), visible).length,
    tables: q('table').length,
    banner: q('#demo-model-warning').length === 1 && visible(q('#demo-model-warning')[0]),
    title: document.title
  }));
});
</script>)";

// The report of one small run on the shipped demo model (the banner must show), made once
// and shared by the tests.
class DemoReport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!dir_) {
      // One small run on the shipped demo model (the banner must show), shared by the tests.
      dir_ = std::make_unique<test::TempDir>();
      const std::string spec = dir_->write("spec.toml", R"(
name = "browser-check"
layers = "0-1"
trials = 4
[[prompts]]
text = "Pay no attention to that man [MASK] the curtain!"
target = "behind"
[[prompts]]
text = "The capital of France is [MASK]."
target = "paris"
[[interventions]]
kind = "shuffle"
[[interventions]]
kind = "noise"
[distributions]
)");
      const auto run = test::run_cli({"run", "--quiet", "--out", dir_->file("out"), spec});
      ASSERT_EQ(run.exit_code, 0) << run.err;
    }
    report_ = dir_->file("out/report.html");
    html_ = test::read_bytes(report_);
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::unique_ptr<test::TempDir> dir_;
  std::string report_, html_;
};

std::unique_ptr<test::TempDir> DemoReport::dir_;

class ReportInBrowser : public DemoReport {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    if (chromium_.empty()) {
      if (skip_requested()) GTEST_SKIP() << "no chromium, and BERTSCOPE_SKIP_BROWSER_TESTS=1";
      FAIL() << "chromium not found: install Debian's chromium (scripts/setup-debian.sh does), set BERTSCOPE_CHROMIUM, "
                "or set BERTSCOPE_SKIP_BROWSER_TESTS=1 to skip this test on purpose";
    }
    DemoReport::SetUp();
  }

  // Headless chromium on `page` with `extra` flags; returns stdout + stderr.
  std::string chromium(const std::string& page, const std::vector<std::string>& extra) {
    test::TempDir profile;  // fresh: no state from earlier runs or other tests
    std::vector<std::string> args = {"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                     "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",
                                     "--user-data-dir=" + profile.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("file://" + page);
    const auto r = test::run_command("timeout", [&] {
      std::vector<std::string> all = {"120", chromium_};
      all.insert(all.end(), args.begin(), args.end());
      return all;
    }());
    EXPECT_EQ(r.exit_code, 0) << chromium_ << " failed:\n" << r.err;
    return r.out + r.err;
  }

  std::string chromium_;
};

TEST_F(DemoReport, IsSelfContained) {
  EXPECT_EQ(html_.find("<script"), std::string::npos) << "the report runs no scripts";
  EXPECT_EQ(html_.find("<link"), std::string::npos);
  EXPECT_EQ(html_.find("<img"), std::string::npos) << "figures are inline SVG";
  EXPECT_EQ(html_.find("@import"), std::string::npos);
  const std::regex remote(R"re((src|href)\s*=\s*"(https?:)?//)re");
  EXPECT_FALSE(std::regex_search(html_, remote)) << "a link or source on another host";
  EXPECT_NE(html_.find("MODEL_CARD.md"), std::string::npos) << "the demo banner points at the model card";
}

TEST_F(ReportInBrowser, RendersEverySectionWithoutErrorsOrOutsideLoads) {
  // A copy of the page with the probe, beside the original so relative links match.
  std::string probed = html_;
  probed.insert(probed.rfind("</body>"), kProbe);
  const std::string probed_path = dir_->write("out/report-probe.html", probed);
  const std::string screenshot = dir_->file("report.png");
  const std::string log = chromium(probed_path, {"--enable-logging=stderr", "--v=0", "--hide-scrollbars",
                                                 "--screenshot=" + screenshot, "--window-size=1280,2000"});

  // Exactly one console message: the probe's. Any other is a page error.
  std::vector<std::string> console;
  std::string probe;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(":CONSOLE") == std::string::npos) continue;
    const size_t at = line.find("BERTSCOPE-PROBE ");
    if (at == std::string::npos) {
      console.push_back(line);
      continue;
    }
    const size_t end = line.rfind("\", source:");
    probe = line.substr(at + 16, end - at - 16);
  }
  EXPECT_TRUE(console.empty()) << "console messages:\n" << console.front();
  ASSERT_FALSE(probe.empty()) << "the probe did not report; chromium said:\n" << log;
  const nlohmann::json seen = nlohmann::json::parse(probe);
  EXPECT_EQ(seen["resources"], nlohmann::json::array()) << "the page fetched something";
  EXPECT_EQ(seen["broken_images"], 0);
  EXPECT_EQ(seen["external_sheets"], 0);
  EXPECT_EQ(seen["sections"], (nlohmann::json{"experiment", "model", "across-prompts", "prompt-0", "prompt-1", "files"}));
  EXPECT_EQ(seen["figures"], 2 + 2 * 4) << "across prompts: the effect and its grid; per prompt: target log-softmax, its "
                                           "grid, top-1 and distributions; all laid out";
  EXPECT_GE(seen["tables"].get<int>(), 3 + 3 + 2 * 4)
      << "options, interventions, model; two across prompts and the prompts; per prompt clean top-k, two summaries, "
         "distributions";
  EXPECT_TRUE(seen["banner"].get<bool>()) << "the demo-model banner is shown";
  EXPECT_EQ(seen["title"], "bertscope: browser-check");

  const std::string png = test::read_bytes(screenshot);
  test::PngSize size;
  ASSERT_TRUE(test::png_size(png, size));
  EXPECT_EQ(size.width, 1280u);
  EXPECT_EQ(size.height, 2000u);
  // A blank or unstyled page compresses to a few kB; text, tables and figures do not.
  EXPECT_GT(png.size(), 60000u);
  if (const char* keep = std::getenv("BERTSCOPE_KEEP_SCREENSHOT"); keep && *keep) fs::copy_file(screenshot, keep, fs::copy_options::overwrite_existing);
}

TEST_F(ReportInBrowser, DomHasTheSectionsTablesAndFigures) {
  const std::string dom = chromium(report_, {"--dump-dom"});
  for (const char* piece : {"id=\"demo-model-warning\"", "Demo model, not bert-large", "id=\"experiment\"", "id=\"model\"",
                            "id=\"prompt-0\"", "id=\"files\"", "Clean prediction at the [MASK]", "Per-block summary",
                            "Hidden-state distributions", "figure-target-logsoftmax-prompt0", "figure-top1-prompt0",
                            "figure-distributions-prompt0", "target log-softmax (nats)", "edited block (0-based)",
                            "Across 2 prompts", "figure-target-logsoftmax-all-prompts", "figure-grid-all-prompts",
                            "figure-grid-prompt1", "id=\"prompts-overview\"", "mean over prompts, 95% CI"}) {
    EXPECT_NE(dom.find(piece), std::string::npos) << piece;
  }
  size_t svgs = 0;
  for (size_t at = dom.find("<svg"); at != std::string::npos; at = dom.find("<svg", at + 1)) ++svgs;
  EXPECT_EQ(svgs, 10u);
}

}  // namespace
}  // namespace bertscope
