#include "reports/patch_grid_files.h"

#include "experiments/experiment.h"
#include "reports/csv_table.h"

namespace bertscope {

using nlohmann::json;

namespace {

std::string site_label(SiteKind kind) { return edit_site_name(kind); }

json prompt_json(const MaskedPrompt& p) {
  return {{"text", p.text}, {"tokens", p.tokens}, {"ids", p.ids}, {"mask_index", p.mask_index}};
}

}  // namespace

json patch_grid_json(const PatchGridResult& r, const BertModel& model, const RunContext& context) {
  const Vocab& vocab = model.tokenizer().vocab();
  json cells = json::array();
  for (const PatchCell& c : r.cells) {
    json cell = {{"site", site_label(c.site)}, {"layer", c.layer}, {"metric", c.metric}, {"normalized", c.normalized}};
    if (c.position >= 0) {
      cell["position"] = c.position;
      cell["token"] = r.corrupted.tokens[static_cast<size_t>(c.position)];
    }
    if (c.head >= 0) cell["head"] = c.head;
    cells.push_back(cell);
  }
  return {{"bertscope_version", BERTSCOPE_VERSION},
          {"command", context.command_line},
          {"model", model_json(model, context)},
          {"clean", prompt_json(r.clean)},
          {"corrupted", prompt_json(r.corrupted)},
          {"target", {{"word", r.clean.target}, {"id", r.clean.target_id}}},
          {"foil", r.foil_id >= 0 ? json{{"word", vocab.token(r.foil_id)}, {"id", r.foil_id}} : json(nullptr)},
          {"metric", r.metric_name},
          {"metric_meaning", r.foil_id >= 0 ? "logit[target] - logit[foil] at the [MASK]"
                                            : "log_softmax[target] at the [MASK]"},
          {"normalized_meaning", "(metric - corrupted) / (clean - corrupted): 0 = corrupted run, 1 = clean run"},
          {"clean_metric", r.clean_metric},
          {"corrupted_metric", r.corrupted_metric},
          {"cells", cells}};
}

std::string patch_grid_csv(const PatchGridResult& r) {
  CsvTable csv({"site", "layer", "position", "token", "head", "metric", "normalized"});
  for (const PatchCell& c : r.cells) {
    csv.add(site_label(c.site)).add(c.layer);
    // The head grid patches every position of one head: position and token are empty there.
    if (c.position >= 0) csv.add(c.position).add(r.corrupted.tokens[static_cast<size_t>(c.position)]);
    else csv.add(std::string()).add(std::string());
    if (c.head >= 0) csv.add(c.head);
    else csv.add(std::string());
    csv.add(c.metric).add(c.normalized);
    csv.end_row();
  }
  return csv.text();
}

std::vector<NamedFile> patch_grid_files(const PatchGridResult& result, const BertModel& model, const RunContext& context) {
  return {{"patch-grid.json", patch_grid_json(result, model, context).dump(1) + "\n"},
          {"patch-grid.csv", patch_grid_csv(result)}};
}

}  // namespace bertscope
