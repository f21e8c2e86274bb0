#include "reports/patch_grid_files.h"

#include <cctype>
#include <cmath>

#include "experiments/experiment.h"
#include "common/json_text.h"
#include "experiments/attribution_patching.h"
#include "reports/csv_table.h"
#include "reports/figure_scatter.h"
#include "reports/text_format.h"
#include "reports/figure_heatmap.h"
#include "reports/figure_parts.h"

namespace bertscope {

using nlohmann::json;

namespace {

// The site of a cell by the name `bertscope hooks` prints, e.g. blocks.3.attn.out.
std::string site_name(const PatchCell& c) { return HookSite::block(c.site, c.layer).name(); }

// "attn.out": the part of a site's name after blocks.{L}., for titles and file names.

json prompt_json(const MaskedPrompt& p) {
  return {{"text", p.text}, {"tokens", p.tokens}, {"ids", p.ids}, {"mask_index", p.mask_index}};
}

json cells_json(const PatchGridResult& r, const std::vector<PatchCell>& cells) {
  json out = json::array();
  for (const PatchCell& c : cells) {
    json cell = {{"site", site_name(c)}, {"block", c.layer}, {"metric", c.metric}, {"normalized", c.normalized}};
    if (c.position >= 0) {
      cell["position"] = c.position;
      cell["token"] = r.corrupted.tokens[static_cast<size_t>(c.position)];
    }
    if (c.head >= 0) cell["head"] = c.head;
    out.push_back(cell);
  }
  return out;
}

}  // namespace

json patch_grid_json(const PatchGridResult& r, const Encoder& model, const RunContext& context) {
  json doc = {{"schema_version", kResultsSchemaVersion},
          {"bertscope_version", BERTSCOPE_VERSION},
          {"command", context.command_line},
          {"model", model_json(model, context)},
          {"clean", prompt_json(r.clean)},
          {"corrupted", prompt_json(r.corrupted)},
          {"target", {{"word", r.clean.target}, {"id", r.clean.target_id}}},
          {"foil", r.foil_id >= 0 ? json{{"word", r.foil}, {"id", r.foil_id}} : json(nullptr)},
          {"metric", r.metric_name},
          {"metric_meaning", r.foil_id >= 0 ? "logit[target] - logit[foil] at the [MASK]"
                                            : "log_softmax[target] at the [MASK]"},
          {"normalized_meaning", "(metric - corrupted) / (clean - corrupted): 0 = corrupted run, 1 = clean run"},
          {"clean_metric", r.clean_metric},
          {"corrupted_metric", r.corrupted_metric},
          {"method", r.method},
          {"method_meaning", r.method == "atp" ? "attribution patching: (a_clean - a_corrupted) . d metric / d a on the "
                                                 "corrupted run, a first-order estimate of each patch"
                                               : "activation patching: each cell patched for real"},
          {"cells", cells_json(r, r.cells)}};
  json parts = json::object();  // per site: what of each vector a cell patches
  for (const auto& entry : r.selections) parts[grid_site_name(entry.first)] = entry.second.describe();
  doc["patched_part"] = parts;
  if (r.method == "atp") {
    doc["checked_cells"] = cells_json(r, r.checked);  // the same cells patched for real
    const double correlation = estimate_correlation(r);
    doc["checked_correlation"] = std::isnan(correlation) ? json(nullptr) : json(correlation);
    // AtP*: the attn.q and attn.k cells recompute the softmax (experiments/attribution_patching.h).
    doc["qk_fix"] = r.qk_fix;
  }
  return doc;
}

std::string patch_grid_csv(const PatchGridResult& r) {
  CsvTable csv({"site", "block", "position", "token", "head", "metric", "normalized", "method"});
  // Attribution patching's estimates, then the cells it checked by real patches: a cell
  // checked has a row of each method.
  for (const auto* cells : {&r.cells, &r.checked}) {
    for (const PatchCell& c : *cells) {
      csv.add(site_name(c)).add(c.layer);
      // The head grid patches every position of one head: position and token are empty there.
      if (c.position >= 0) csv.add(c.position).add(r.corrupted.tokens[static_cast<size_t>(c.position)]);
      else csv.add(std::string()).add(std::string());
      if (c.head >= 0) csv.add(c.head);
      else csv.add(std::string());
      csv.add(c.metric).add(c.normalized).add(cells == &r.cells ? r.method : std::string("patch"));
      csv.end_row();
    }
  }
  return csv.text();
}

std::vector<PatchGridFigure> patch_grid_heatmaps(const PatchGridResult& r, int layers) {
  std::vector<PatchGridFigure> figures;
  size_t at = 0;
  while (at < r.cells.size()) {
    const PatchCell& first = r.cells[at];
    const bool by_head = first.head >= 0;
    size_t count = 0;
    while (at + count < r.cells.size() && r.cells[at + count].site == first.site) ++count;
    Heatmap map;
    map.rows = static_cast<size_t>(layers);
    map.columns = count / map.rows;
    for (size_t i = 0; i < count; ++i) map.values.push_back(r.cells[at + i].normalized);
    for (int layer = 0; layer < layers; ++layer) map.row_labels.push_back(std::to_string(layer));
    for (size_t c = 0; c < map.columns; ++c) {
      map.column_labels.push_back(by_head ? std::to_string(c) : r.corrupted.tokens[c]);
    }
    const std::string site = grid_site_name(first.site);
    const bool fixed = r.qk_fix && (first.site == SiteKind::AttnQ || first.site == SiteKind::AttnK);
    const std::string estimated =
        r.method != "atp" ? "" : fixed ? "Attribution patching (estimated, AtP* QK fix): " : "Attribution patching (estimated): ";
    map.title = estimated + (by_head ? "patching each head's z from the clean run, block by block"
                                     : "patching blocks.L." + site + " at one position from the clean run");
    if (estimated.empty()) map.title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(map.title[0])));
    map.subtitle = "clean \u201C" + shorten(r.clean.text, 90) + "\u201D into corrupted \u201C" +
                   shorten(r.corrupted.text, 90) + "\u201D; metric " +
                   (r.foil_id >= 0 ? "logit(" + r.clean.target + ") - logit(" + r.foil + ")" : "log p(" + r.clean.target + ")");
    const PatchSelection& part = r.selections.at(first.site);
    if (!part.whole()) map.subtitle += "; patching " + shorten(part.describe(), 60);
    map.x_title = by_head ? "head" : "position (corrupted prompt's tokens)";
    map.y_title = "block";
    map.colorbar_title = "0 = corrupted, 1 = clean";
    map.scale = Heatmap::Scale::Diverging;
    // One scale for every grid: 1 (the clean run) is the same red in all of them.
    map.low = -1.0;
    map.high = 1.0;
    if (map.rows * map.columns <= 400) map.cell_format = "%.2f";
    std::string stem = "patch-grid-" + (by_head ? std::string("heads") : site);
    for (char& ch : stem) ch = ch == '.' ? '-' : ch;
    figures.push_back({stem, map.title, heatmap_figure(map, ImageFormat::Svg), heatmap_figure(map, ImageFormat::Png)});
    at += count;
  }
  return figures;
}

PatchGridFigure atp_check_figure(const PatchGridResult& r) {
  Scatter scatter;
  for (const PatchCell& c : r.checked) {
    for (const PatchCell& e : r.cells) {
      if (e.site == c.site && e.layer == c.layer && e.position == c.position && e.head == c.head) {
        scatter.x.push_back(e.metric - r.corrupted_metric);
        scatter.y.push_back(c.metric - r.corrupted_metric);
      }
    }
  }
  const double correlation = estimate_correlation(r);
  scatter.title = "Attribution patching against real patches";
  scatter.subtitle = "the " + std::to_string(r.checked.size()) + " cells of the largest estimates, patched for real; metric " +
                     (r.foil_id >= 0 ? "logit(" + r.clean.target + ") - logit(" + r.foil + ")" : "log p(" + r.clean.target + ")");
  scatter.x_title = "estimated change of the metric (AtP)";
  scatter.y_title = "real change of the metric (patch)";
  scatter.note = std::isnan(correlation) ? std::string("r: none (fewer than 2 cells, or no spread)")
                                         : format("r = %.3f (%zu cells)", correlation, r.checked.size());
  return {"patch-grid-atp-check", scatter.title, scatter_figure(scatter, ImageFormat::Svg),
          scatter_figure(scatter, ImageFormat::Png)};
}

std::vector<NamedFile> patch_grid_files(const PatchGridResult& result, const Encoder& model, const RunContext& context) {
  std::vector<NamedFile> files = {{"patch-grid.json", json_text(patch_grid_json(result, model, context), 1) + "\n"},
                                  {"patch-grid.csv", patch_grid_csv(result)}};
  std::vector<PatchGridFigure> figures = patch_grid_heatmaps(result, model.layers());
  if (!result.checked.empty()) figures.push_back(atp_check_figure(result));
  for (const PatchGridFigure& f : figures) {
    files.emplace_back(f.stem + ".svg", f.svg);
    files.emplace_back(f.stem + ".png", f.png);
  }
  return files;
}

}  // namespace bertscope
