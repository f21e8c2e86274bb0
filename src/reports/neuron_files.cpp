#include "reports/neuron_files.h"

#include <algorithm>
#include <cmath>

#include "common/json_text.h"
#include "reports/csv_table.h"
#include "reports/figure_logsoftmax.h"
#include "reports/figure_parts.h"
#include "reports/plot_canvas.h"
#include "reports/text_format.h"

namespace bertscope {

using nlohmann::json;
using plot_style::Color;

namespace {

double share(int count, int of) { return of > 0 ? static_cast<double>(count) / of : std::nan(""); }

int block_of(const HookSite& site) { return site.layer; }  // -1: embed.out

}  // namespace

std::string units_csv(const NeuronStudy& study) {
  CsvTable table(std::vector<std::string>(std::begin(kUnitsFileColumns), std::end(kUnitsFileColumns)));
  for (const SiteComparison& s : study.sites) {
    const UnitComparison& c = s.units;
    for (size_t u = 0; u < c.t.size(); ++u) {
      table.add(s.site.name()).add(block_of(s.site)).add(static_cast<long long>(u)).add(study.higher_in(c, u));
      table.add(c.mean_a[u]).add(c.mean_b[u]).add(c.t[u]).add(c.df[u]).add(c.p[u]).add(c.p_fdr[u]).add(c.p_bonferroni[u]);
      table.add(c.cohen_d[u]).add(c.significant_fdr[u] ? "true" : "false").add(c.significant_bonferroni[u] ? "true" : "false");
      table.end_row();
    }
  }
  return table.take_text();
}

std::string blocks_csv(const NeuronStudy& study) {
  const std::string& a = study.request.label_a;
  const std::string& b = study.request.label_b;
  CsvTable table({"site", "block", "units", "tested", "significant_fdr", "share_fdr", "higher_in_" + a,
                  "higher_in_" + b, "significant_bonferroni", "share_bonferroni"});
  for (const SiteComparison& s : study.sites) {
    const SignificantUnits n = study.significant(s.units);
    table.add(s.site.name()).add(block_of(s.site)).add(static_cast<long long>(s.units.t.size())).add(s.units.tested);
    table.add(n.fdr()).add(share(n.fdr(), s.units.tested)).add(n.higher_a).add(n.higher_b);
    table.add(n.bonferroni).add(share(n.bonferroni, s.units.tested));
    table.end_row();
  }
  return table.take_text();
}

json neurons_json(const NeuronStudy& study, const Encoder& model, const RunContext& context) {
  const NeuronStudyRequest& r = study.request;
  auto set_json = [](const std::string& label, const std::vector<PromptSpec>& prompts, const Positions& positions) {
    json texts = json::array(), ids = json::array();
    for (const PromptSpec& p : prompts) {
      texts.push_back(p.text);
      ids.push_back(p.id);
    }
    return json{{"label", label}, {"positions", positions.describe()}, {"prompts", prompts.size()}, {"texts", texts},
                {"prompt_ids", ids}};
  };
  json sites = json::array();
  for (const SiteComparison& s : study.sites) {
    const SignificantUnits n = study.significant(s.units);
    sites.push_back({{"site", s.site.name()},
                     {"block", s.site.layer < 0 ? json(nullptr) : json(s.site.layer)},
                     {"units", s.units.t.size()},
                     {"tested", s.units.tested},
                     {"significant_fdr", {{r.label_a, n.higher_a}, {r.label_b, n.higher_b}}},
                     {"significant_bonferroni", n.bonferroni}});
  }
  return {{"schema_version", kResultsSchemaVersion},
          {"bertscope_version", BERTSCOPE_VERSION},
          {"command", context.command_line},
          {"model", model_json(model, context)},
          {"sets", {set_json(r.label_a, r.prompts_a, r.positions_a), set_json(r.label_b, r.prompts_b, r.positions_b)}},
          {"test", unit_test_name(r.test)},
          {"alpha", r.alpha},
          {"method", "each prompt's rows at a site averaged (one observation per prompt); a two-sided t-test per unit "
                     "(scipy's ttest_ind with equal_var true for student, false for welch; ttest_rel for paired); "
                     "Benjamini-Hochberg FDR and Bonferroni over the tested units of each site (block) separately"},
          {"sites", sites}};
}

std::string neurons_figure(const NeuronStudy& study, ImageFormat image) {
  constexpr double kMargin = 70, kPanelWidth = 460, kPanelHeight = 300, kGap = 90, kTop = 130;
  const double width = 2 * kMargin + 2 * kPanelWidth + kGap;
  PlotCanvas canvas(image, static_cast<int>(width), static_cast<int>(kTop + kPanelHeight + 70));
  const NeuronStudyRequest& r = study.request;
  const Color color_a = plot_style::series_color(0), color_b = plot_style::series_color(1);
  draw_figure_header(canvas, "Units that tell the prompt sets apart, block by block",
                     r.label_a + " (" + std::to_string(r.prompts_a.size()) + " prompts at " + r.positions_a.describe() +
                         ") against " + r.label_b + " (" + std::to_string(r.prompts_b.size()) + " at " +
                         r.positions_b.describe() + "), " + unit_test_name(r.test) + " t-test, FDR " +
                         format("%g", r.alpha) + " within each block");
  draw_legend_row(canvas, kMargin, 88,
                  {{LegendEntry::Kind::Line, color_a, "higher in " + r.label_a},
                   {LegendEntry::Kind::Line, color_b, "higher in " + r.label_b},
                   {LegendEntry::Kind::Marker, plot_style::kGrid, "not significant"}});
  double first = 1e9, last = -1e9, top_share = 0.0, t_low = 0.0, t_high = 0.0;
  for (const SiteComparison& s : study.sites) {
    first = std::min<double>(first, s.site.layer);
    last = std::max<double>(last, s.site.layer);
    const SignificantUnits n = study.significant(s.units);
    top_share = std::max({top_share, share(n.higher_a, s.units.tested), share(n.higher_b, s.units.tested)});
    for (double t : s.units.t) {
      if (std::isfinite(t)) {
        t_low = std::min(t_low, t);
        t_high = std::max(t_high, t);
      }
    }
  }
  const double x0 = first - 0.6, x1 = last + 0.6;

  // Left: the share of each site's units significant, by the set they are higher in.
  canvas.panel(kMargin, kTop, kPanelWidth, kPanelHeight, x0, x1, 0.0, std::max(0.05, top_share * 1.1));
  canvas.axes({1.0, 1}, {});
  canvas.x_title("block (-1: embeddings)");
  canvas.y_title("share of units significant");
  // One line per site kind (mlp.post, out, ...) and set, its blocks in order.
  std::vector<SiteKind> kinds;
  for (const SiteComparison& s : study.sites) {
    if (std::find(kinds.begin(), kinds.end(), s.site.kind) == kinds.end()) kinds.push_back(s.site.kind);
  }
  for (const bool in_a : {true, false}) {
    for (SiteKind kind : kinds) {
      std::vector<double> x, y;
      for (const SiteComparison& s : study.sites) {
        if (s.site.kind != kind) continue;
        const SignificantUnits n = study.significant(s.units);
        x.push_back(s.site.layer);
        y.push_back(share(in_a ? n.higher_a : n.higher_b, s.units.tested));
      }
      canvas.line(x, y, in_a ? color_a : color_b);
      canvas.markers(x, y, 3.0, in_a ? color_a : color_b);
    }
  }

  // Right: every unit's t, spread sideways within its block; the significant ones coloured.
  // Non-significant units beyond 1500 a block are thinned evenly (the SVG stays small).
  const double pad = std::max(1.0, 0.05 * (t_high - t_low));
  canvas.panel(kMargin + kPanelWidth + kGap, kTop, kPanelWidth, kPanelHeight, x0, x1, t_low - pad, t_high + pad);
  canvas.axes({1.0, 1}, {});
  canvas.x_title("block");
  canvas.y_title("t (" + r.label_a + " - " + r.label_b + ")");
  for (const SiteComparison& s : study.sites) {
    const UnitComparison& c = s.units;
    const size_t stride = std::max<size_t>(1, c.t.size() / 1500);
    std::vector<double> gx, gy, ax, ay, bx, by;
    for (size_t u = 0; u < c.t.size(); ++u) {
      if (!std::isfinite(c.t[u])) continue;
      const double x = s.site.layer + 0.7 * trial_jitter(static_cast<int>(u));
      if (!c.significant_fdr[u]) {
        if (u % stride == 0) {
          gx.push_back(x);
          gy.push_back(c.t[u]);
        }
      } else if (c.t[u] > 0) {
        ax.push_back(x);
        ay.push_back(c.t[u]);
      } else {
        bx.push_back(x);
        by.push_back(c.t[u]);
      }
    }
    canvas.markers(gx, gy, 1.5, plot_style::kGrid);
    canvas.markers(ax, ay, 1.8, color_a);
    canvas.markers(bx, by, 1.8, color_b);
  }
  return canvas.finish();
}

std::vector<NamedFile> neuron_files(const NeuronStudy& study, const Encoder& model, const RunContext& context) {
  return {{"neurons.json", json_text(neurons_json(study, model, context), 1) + "\n"},
          {"units.csv", units_csv(study)},
          {"blocks.csv", blocks_csv(study)},
          {"neurons.svg", neurons_figure(study, ImageFormat::Svg)},
          {"neurons.png", neurons_figure(study, ImageFormat::Png)}};
}

}  // namespace bertscope
