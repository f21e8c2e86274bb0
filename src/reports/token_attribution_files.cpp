#include "reports/token_attribution_files.h"

#include <algorithm>
#include <cmath>

#include "common/json_text.h"
#include "reports/csv_table.h"
#include "reports/figure_heatmap.h"
#include "reports/figure_parts.h"

namespace bertscope {

using json = nlohmann::json;

namespace {

json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

std::string metric_text(const TokenAttributionResult& r) {
  return r.foil_id >= 0 ? "logit(" + r.prompt.target + ") - logit(" + r.foil + ")" : "log p(" + r.prompt.target + ")";
}

}  // namespace

json token_attribution_json(const TokenAttributionResult& r, const Encoder& model, const RunContext& context) {
  json tokens = json::array();
  for (const TokenAttribution& t : r.tokens) {
    tokens.push_back({{"position", t.position},
                      {"token", t.token},
                      {"kept", t.kept},
                      {"integrated_gradients", t.integrated_gradients},
                      {"gradient_x_input", t.gradient_x_input},
                      {"gradient_norm", t.gradient_norm}});
  }
  return {{"schema_version", kResultsSchemaVersion},
          {"bertscope_version", BERTSCOPE_VERSION},
          {"command", context.command_line},
          {"model", model_json(model, context)},
          {"prompt", {{"text", r.prompt.text}, {"tokens", r.prompt.tokens}, {"ids", r.prompt.ids},
                      {"mask_index", r.prompt.mask_index}}},
          {"target", {{"word", r.prompt.target}, {"id", r.prompt.target_id}}},
          {"foil", r.foil_id >= 0 ? json{{"word", r.foil}, {"id", r.foil_id}} : json(nullptr)},
          {"metric", r.metric_name},
          {"metric_value", r.metric},
          {"baseline", r.baseline},
          {"baseline_metric", r.baseline_metric},
          {"steps", r.steps},
          {"integrated_gradients_total", r.integrated_total()},
          {"completeness_error", number_or_null(r.completeness_error())},
          {"tokens", tokens}};
}

std::string token_attribution_csv(const TokenAttributionResult& r) {
  CsvTable csv({"position", "token", "kept", "integrated_gradients", "gradient_x_input", "gradient_norm"});
  for (const TokenAttribution& t : r.tokens) {
    csv.add(t.position).add(t.token).add(std::string(t.kept ? "true" : "false"));
    csv.add(t.integrated_gradients).add(t.gradient_x_input).add(t.gradient_norm);
    csv.end_row();
  }
  return csv.text();
}

std::string token_strip_figure(const TokenAttributionResult& r, ImageFormat format) {
  Heatmap map;
  map.rows = 3;
  map.columns = r.tokens.size();
  map.first_row_on_top = true;
  map.row_labels = {"integrated gradients", "gradient x input", "gradient norm"};
  // Each row as a share of its own largest magnitude: the three differ in scale and unit.
  for (double (*value)(const TokenAttribution&) :
       {+[](const TokenAttribution& t) { return t.integrated_gradients; },
        +[](const TokenAttribution& t) { return t.gradient_x_input; },
        +[](const TokenAttribution& t) { return t.gradient_norm; }}) {
    double largest = 0.0;
    for (const TokenAttribution& t : r.tokens) largest = std::max(largest, std::fabs(value(t)));
    for (const TokenAttribution& t : r.tokens) map.values.push_back(largest > 0.0 ? value(t) / largest : 0.0);
  }
  for (const TokenAttribution& t : r.tokens) map.column_labels.push_back(t.token);
  map.title = "Which tokens the prediction rests on";
  map.subtitle = "\u201C" + shorten(r.prompt.text, 90) + "\u201D; metric " + metric_text(r) + "; baseline " + r.baseline +
                 ", " + std::to_string(r.steps) + " steps";
  map.x_title = "token";
  map.colorbar_title = "share of the row's largest |value|";
  map.scale = Heatmap::Scale::Diverging;
  map.low = -1.0;
  map.high = 1.0;
  map.cell_format = "%.2f";
  return heatmap_figure(map, format);
}

std::vector<NamedFile> token_attribution_files(const TokenAttributionResult& r, const Encoder& model,
                                               const RunContext& context) {
  return {{"saliency.json", json_text(token_attribution_json(r, model, context), 1) + "\n"},
          {"saliency.csv", token_attribution_csv(r)},
          {"saliency.svg", token_strip_figure(r, ImageFormat::Svg)},
          {"saliency.png", token_strip_figure(r, ImageFormat::Png)}};
}

}  // namespace bertscope
