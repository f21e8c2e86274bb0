#include "reports/lens_files.h"

#include <cmath>

#include "common/json_text.h"
#include "reports/csv_table.h"
#include "reports/figure_lens.h"

namespace bertscope {

using nlohmann::json;

namespace {

// The block of a state: null for the embeddings, as in every other result file.
json block_json(const HookSite& site) { return site.kind == SiteKind::EmbedOut ? json(nullptr) : json(site.layer); }

}  // namespace

json lens_json(const LensResult& lens, const Encoder& model, const RunContext& context) {
  const Vocab& vocab = model.tokenizer().vocab();
  const bool has_target = lens.prompt.target_id >= 0, has_foil = lens.prompt.foil_id >= 0;
  json states = json::array();
  for (size_t s = 0; s < lens.states.size(); ++s) {
    const LensState& state = lens.states[s];
    json top = json::array();
    for (const TokenScore& t : state.prediction.top) {
      top.push_back({{"token", vocab.token(t.id)}, {"id", t.id}, {"prob", std::exp(static_cast<double>(t.log_prob))},
                     {"log_prob", t.log_prob}});
    }
    json row = {{"site", state.site.name()}, {"block", block_json(state.site)}, {"top", top}};
    if (has_target) {
      row["target_rank"] = state.prediction.target_rank;
      row["target_logsoftmax"] = state.prediction.target_logsoftmax;
    }
    if (has_foil) row["logit_diff"] = state.prediction.logit_diff;
    states.push_back(row);
  }
  return {{"schema_version", kResultsSchemaVersion},
          {"bertscope_version", BERTSCOPE_VERSION},
          {"command", context.command_line},
          {"model", model_json(model, context)},
          {"prompt",
           {{"text", lens.prompt.text}, {"tokens", lens.prompt.tokens}, {"ids", lens.prompt.ids},
            {"mask_index", lens.prompt.mask_index}}},
          {"target", has_target ? json{{"word", lens.prompt.target}, {"id", lens.prompt.target_id}} : json(nullptr)},
          {"foil", has_foil ? json{{"word", lens.prompt.foil}, {"id", lens.prompt.foil_id}} : json(nullptr)},
          {"method", "MLM head (transform, LayerNorm, decoder) on the [MASK] row of the embeddings (embed.out) and "
                     "of the output of every block (blocks.L.out)"},
          {"states", states}};
}

std::string lens_csv(const LensResult& lens, const Vocab& vocab) {
  CsvTable csv({"site", "block", "rank", "token", "token_id", "prob", "log_prob", "target_rank", "target_logsoftmax",
               "logit_diff"});
  const bool has_target = lens.prompt.target_id >= 0, has_foil = lens.prompt.foil_id >= 0;
  for (size_t s = 0; s < lens.states.size(); ++s) {
    const LensState& state = lens.states[s];
    for (size_t r = 0; r < state.prediction.top.size(); ++r) {
      const TokenScore& t = state.prediction.top[r];
      csv.add(state.site.name());
      if (state.site.kind == SiteKind::EmbedOut) csv.add(std::string());  // the embeddings have no block
      else csv.add(state.site.layer);
      csv.add(static_cast<long long>(r + 1));
      csv.add(vocab.token(t.id)).add(t.id).add(std::exp(static_cast<double>(t.log_prob))).add(static_cast<double>(t.log_prob));
      if (has_target) csv.add(state.prediction.target_rank).add(state.prediction.target_logsoftmax);
      else csv.add(std::string()).add(std::string());
      if (has_foil) csv.add(static_cast<double>(state.prediction.logit_diff));
      else csv.add(std::string());
      csv.end_row();
    }
  }
  return csv.text();
}

std::vector<NamedFile> lens_files(const LensResult& lens, const Encoder& model, const RunContext& context) {
  const Vocab& vocab = model.tokenizer().vocab();
  return {{"lens.json", json_text(lens_json(lens, model, context), 1) + "\n"},
          {"lens.csv", lens_csv(lens, vocab)},
          {"lens.svg", lens_figure(lens, vocab, ImageFormat::Svg)},
          {"lens.png", lens_figure(lens, vocab, ImageFormat::Png)}};
}

}  // namespace bertscope
