#include "reports/html_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "experiments/across_prompts.h"
#include "experiments/sweep_summary.h"
#include "reports/html_tables.h"
#include "reports/html_text.h"
#include "reports/svg_text.h"

namespace bertscope {

namespace {

using html::element;
using html::escape;

// The contents list names each prompt up to this many; beyond, the overview table lists them.
constexpr size_t kPromptsInContents = 20;

// System fonts only: nothing is fetched, and the page reads the same offline.
constexpr const char* kStyle = R"css(
:root { color-scheme: light; --ink: #222; --muted: #666; --line: #ddd; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #f6f6f4; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 8px; }
h4 { font-size: 15px; margin: 18px 0 6px; }
h4 small { color: var(--muted); font-weight: normal; }
p.meta { color: var(--muted); margin: 0; }
code { font: 13px/1.4 "DejaVu Sans Mono", monospace; background: #f2f2f2; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
nav ol { margin: 12px 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 6px 22px; }
.banner { margin: 18px 0; padding: 12px 16px; border: 2px solid #d55e00; background: #fff4ec; border-radius: 6px; }
.banner strong { color: #a84300; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: #fafafa; }
td.n, th.n, table.numbers td, table.numbers th { text-align: right; }
td.n, table.numbers td, td.nowrap { white-space: nowrap; }
table.numbers td:first-child, table.numbers th:first-child { text-align: left; }
table.keys th { text-align: left; color: var(--muted); font-weight: normal; background: none; white-space: nowrap; }
table.keys td { text-align: left; }
tr.target td, tr.reference td { background: #eef6fb; }
.word { font-family: "DejaVu Sans Mono", monospace; background: #f2f2f2; padding: 0 4px; border-radius: 3px; white-space: pre; }
.prompt-text { font-size: 17px; margin: 6px 0; }
.tokens { display: flex; flex-wrap: wrap; gap: 4px; }
.token { font: 13px "DejaVu Sans Mono", monospace; border: 1px solid var(--line); border-radius: 3px; padding: 1px 6px; }
.token.mask { border-color: #d55e00; background: #fff4ec; font-weight: bold; }
.overview { display: grid; grid-template-columns: 3fr 2fr; gap: 0 36px; }
.overview table { width: 100%; }
figure { margin: 12px 0 22px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 14px; margin-top: 4px; }
ul.files { columns: 3; padding-left: 20px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
)css";

std::string figure_html(const Figure& f, size_t index) {
  return "<figure id=\"figure-" + escape(f.stem()) + "\">\n" +
         svg_for_html(f.svg, "f" + std::to_string(index) + "-", f.title) + "\n<figcaption>" + escape(f.title) +
         " (<a href=\"" + escape(f.stem()) + ".svg\">" + escape(f.stem()) + ".svg</a>" +
         ", <a href=\"" + escape(f.stem()) + ".png\">png</a>)</figcaption>\n</figure>\n";
}

// The figure of `kind` for `prompt` (or Figure::kAllPrompts), or "" when it was not drawn.
std::string figure_html_of(const std::vector<Figure>& figures, size_t prompt, const std::string& kind) {
  for (size_t i = 0; i < figures.size(); ++i) {
    if (figures[i].prompt == prompt && figures[i].kind == kind) return figure_html(figures[i], i);
  }
  return std::string();
}

std::string demo_banner(const ExperimentResult& result, const ModelConfig& c) {
  const std::filesystem::path card = std::filesystem::path(result.model_dir) / "MODEL_CARD.md";
  std::error_code ec;
  const std::string absolute = std::filesystem::absolute(card, ec).lexically_normal().string();
  const std::string where = std::filesystem::exists(card, ec)
                                ? "<a href=\"" + escape(file_url(absolute)) + "\">its model card</a> (<code>" + escape(absolute) + "</code>)"
                                : "its model card, <code>models/bert-mini-uncased-demo/MODEL_CARD.md</code> in the bertscope sources";
  return "<aside class=\"banner\" id=\"demo-model-warning\" role=\"note\"><strong>Demo model, not bert-large.</strong> "
         "This run used <code>bert-mini-uncased-demo</code>, the small BERT (" + std::to_string(c.num_hidden_layers) +
         " layers, hidden size " + std::to_string(c.hidden_size) + ") that ships with bertscope so that it runs out of the "
         "box. It was trained briefly, for demonstrations only: its numbers show that the pipeline works and say nothing "
         "about BERT. Read " + where + ", and rerun with <code>--model</code> pointing at a real checkpoint for findings."
         "</aside>\n";
}

}  // namespace

std::string file_url(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string url = "file://";
  for (unsigned char c : path) {
    const bool plain = std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 15];
    }
  }
  return url;
}

std::string html_report(const ExperimentResult& result, const Encoder& model, const RunContext& context,
                        const std::vector<Figure>& figures, const std::vector<std::string>& files) {
  const ExperimentSpec& spec = result.spec;
  const Vocab& vocab = model.tokenizer().vocab();
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>bertscope: " + escape(spec.name) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  h += "<header id=\"top\">\n" + element("h1", spec.name) + "\n<p class=\"meta\">bertscope " BERTSCOPE_VERSION;
  if (!context.command_line.empty()) h += " &middot; <code>" + escape(context.command_line) + "</code>";
  h += "</p>\n</header>\n";
  if (context.demo_model) h += demo_banner(result, model.config());

  h += "<nav aria-label=\"contents\"><ol>\n<li><a href=\"#experiment\">Experiment</a></li>\n<li><a href=\"#model\">Model</a></li>\n";
  // A dataset's answer comes first; its prompts follow, each a click away in the overview.
  const bool dataset = result.sweeps.size() >= 2;
  if (dataset) h += "<li><a href=\"#across-prompts\">Across prompts</a></li>\n";
  const size_t listed = dataset ? std::min(spec.prompts.size(), kPromptsInContents) : spec.prompts.size();
  for (size_t p = 0; p < listed; ++p) {
    h += "<li><a href=\"#prompt-" + std::to_string(p) + "\">Prompt " + std::to_string(p) + "</a></li>\n";
  }
  if (listed < spec.prompts.size()) {
    h += "<li><a href=\"#prompts-overview\">All " + std::to_string(spec.prompts.size()) + " prompts</a></li>\n";
  }
  h += "<li><a href=\"#files\">Files</a></li>\n</ol></nav>\n";

  h += "<div class=\"overview\">\n<section id=\"experiment\">\n<h2>Experiment</h2>\n" + html::options_table(spec) +
       "</section>\n<section id=\"model\">\n<h2>Model</h2>\n" + html::model_table(result.model_dir, model) + "</section>\n</div>\n";
  h += "<h3 id=\"interventions\">Interventions</h3>\n" + html::interventions_table(spec);

  if (dataset) {
    const std::vector<PromptsCell> cells = across_prompts(result);
    auto across_figure = [&](const std::string& kind) { return figure_html_of(figures, Figure::kAllPrompts, kind); };
    h += "<section id=\"across-prompts\">\n<h2>Across " + std::to_string(result.sweeps.size()) + " prompts</h2>\n";
    h += "<p>Each prompt counts once: its change is the mean of its trials' target log-softmax minus its own clean "
         "run's. The intervals are over prompts (Student t): how much the effect varies across the dataset.</p>\n";
    h += across_figure("target-logsoftmax") + across_figure("grid") + html::across_prompts_tables(spec, cells);
    h += "<h3 id=\"prompts-overview\">Prompts</h3>\n" + html::prompts_overview_table(result, cells) + "</section>\n";
  }

  // Prompts are numbered from 0, as in the file names, results.json and the CSV files.
  for (size_t p = 0; p < spec.prompts.size(); ++p) {
    h += "<section id=\"prompt-" + std::to_string(p) + "\" class=\"prompt\">\n<h2>Prompt " + std::to_string(p) + "</h2>\n";
    h += "<p>Id: <code>" + escape(spec.prompts[p].id) + "</code></p>\n";
    h += "<p class=\"prompt-text\">" + escape(spec.prompts[p].text) + "</p>\n";
    if (!spec.prompts[p].other_prompt.empty()) h += "<p>Other prompt: " + escape(spec.prompts[p].other_prompt) + "</p>\n";
    if (!spec.prompts[p].target.empty()) h += "<p>Target word: <span class=\"word\">" + escape(spec.prompts[p].target) + "</span></p>\n";
    const MaskedPrompt* tokens = p < result.sweeps.size() ? &result.sweeps[p].prompt
                                 : p < result.distributions.size() ? &result.distributions[p].prompt : nullptr;
    if (tokens) h += html::prompt_tokens(*tokens);
    auto figure_of = [&](const std::string& kind) { return figure_html_of(figures, p, kind); };
    if (p < result.sweeps.size()) {
      const SweepResult& sweep = result.sweeps[p];
      h += "<h3 id=\"clean-top-" + std::to_string(p) + "\">Clean prediction at the [MASK]</h3>\n" + html::clean_top_table(sweep, vocab);
      h += "<h3>Target log-softmax after each edit</h3>\n" + figure_of("target-logsoftmax") + figure_of("grid");
      if (!spec.targets.empty()) h += "<h3>Every target word after each edit</h3>\n" + figure_of("targets");
      h += "<h3>Top-1 words after each edit</h3>\n" + figure_of("top1");
      h += "<h3 id=\"summary-" + std::to_string(p) + "\">Per-block summary</h3>\n" +
           html::summary_tables(spec, result.summaries.at(p), vocab);
    }
    if (p < result.distributions.size()) {
      h += "<h3 id=\"distributions-" + std::to_string(p) + "\">Hidden-state distributions</h3>\n" + figure_of("distributions") +
           html::distribution_table(result.distributions[p]);
    }
    h += "</section>\n";
  }

  h += "<section id=\"files\">\n<h2>Files</h2>\n<p>Written beside this report:</p>\n<ul class=\"files\">\n";
  for (const std::string& f : files) h += "<li><a href=\"" + escape(f) + "\">" + escape(f) + "</a></li>\n";
  h += "</ul>\n</section>\n<footer>Made by bertscope " BERTSCOPE_VERSION ". Figures drawn with Anti-Grain Geometry and FreeType.</footer>\n</main>\n</body>\n</html>\n";
  return h;
}

}  // namespace bertscope
