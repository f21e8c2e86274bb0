#include "experiments/collect.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/memory_limit.h"
#include "experiments/prompt.h"

namespace bertscope {

namespace {

void check_collectable(const HookSite& site) {
  if (!rows_are_positions(site.kind)) {
    throw Error("collect: " + site.name() + " holds attention rows over keys, not a vector per position; collect "
                "attn.z, attn.head_out or another site (bertscope dump writes whole patterns)");
  }
}

}  // namespace

std::uint64_t CollectPlan::bytes() const {
  std::uint64_t floats = 0;
  for (int w : widths) floats += static_cast<std::uint64_t>(w) * rows;
  return floats * sizeof(float);
}

CollectPlan plan_collection(const Encoder& model, const CollectRequest& request) {
  if (request.prompts.empty()) throw Error("collect: no prompts");
  if (request.sites.empty()) throw Error("collect: no sites");
  CollectPlan plan;
  for (const HookSite& site : request.sites) {
    check_collectable(site);
    plan.widths.push_back(static_cast<int>(model.site_width(site.kind, 1)));
  }
  for (size_t p = 0; p < request.prompts.size(); ++p) {
    const PromptSpec& spec = request.prompts[p];
    try {
      // A prompt file's own positions win over the request's.
      const Positions positions = spec.positions.empty() ? request.positions : Positions::parse(spec.positions);
      const MaskedPrompt prompt =
          MaskedPrompt::prepare(model, spec.text, "", positions.mode == Positions::Mode::Mask);
      plan.positions.push_back(positions.resolve(prompt.mask_index, prompt.ids, model.tokenizer()));
      plan.ids.push_back(prompt.ids);
    } catch (const OptionError&) {
      throw;
    } catch (const Error& e) {
      throw Error("prompt " + (spec.id.empty() ? std::to_string(p + 1) : spec.id) + ": " + e.what());
    }
    plan.rows += plan.positions.back().size();
  }
  return plan;
}

std::vector<std::pair<size_t, size_t>> collect_batches(const CollectPlan& plan, int max_batch_tokens) {
  std::vector<std::pair<size_t, size_t>> batches;
  for (size_t first = 0; first < plan.ids.size();) {
    size_t end = first + 1, longest = plan.ids[first].size();
    while (end < plan.ids.size()) {
      const size_t seq = std::max(longest, plan.ids[end].size());
      if (seq * (end - first + 1) > static_cast<size_t>(max_batch_tokens)) break;
      longest = seq;
      ++end;
    }
    batches.emplace_back(first, end);
    first = end;
  }
  return batches;
}

Collection collect_activations(const Encoder& model, const CollectRequest& request, const CollectPlan& plan,
                               const ProgressFn& progress) {
  check_memory(plan.bytes(), "collecting " + std::to_string(plan.rows) + " rows at " + std::to_string(request.sites.size()) +
                                 " site(s)",
               "collect fewer sites, positions or prompts at once");
  Collection out;
  out.sites = request.sites;
  out.widths = plan.widths;
  out.values.resize(request.sites.size());
  for (size_t s = 0; s < request.sites.size(); ++s) {
    out.values[s].resize(plan.rows * static_cast<size_t>(plan.widths[s]));
  }
  for (size_t p = 0; p < plan.ids.size(); ++p) {
    for (int position : plan.positions[p]) {
      out.row_prompt.push_back(static_cast<int>(p));
      out.row_position.push_back(position);
      out.row_token.push_back(model.tokenizer().vocab().token(plan.ids[p][static_cast<size_t>(position)]));
    }
  }
  const int pad = model.tokenizer().vocab().pad_id();
  size_t first_row = 0;
  for (const auto& batch : collect_batches(plan, request.max_batch_tokens)) {
    const size_t first = batch.first, end = batch.second;
    size_t longest = 0;
    for (size_t p = first; p < end; ++p) longest = std::max(longest, plan.ids[p].size());
    const std::vector<std::vector<int>> sequences(plan.ids.begin() + static_cast<std::ptrdiff_t>(first),
                                                  plan.ids.begin() + static_cast<std::ptrdiff_t>(end));
    Hooks hooks;
    for (size_t s = 0; s < request.sites.size(); ++s) {
      hooks.add(request.sites[s], [&, s](const HookSite&, ActivationView view) {
        const size_t width = static_cast<size_t>(plan.widths[s]);
        size_t row = first_row;
        for (size_t p = first; p < end; ++p) {
          const size_t b = p - first;
          for (int position : plan.positions[p]) {
            const float* from = view.data + (b * static_cast<size_t>(longest) + static_cast<size_t>(position)) * width;
            std::memcpy(out.values[s].data() + row++ * width, from, width * sizeof(float));
          }
        }
      });
    }
    model.forward(TokenBatch::padded(sequences, pad), &hooks);
    for (size_t p = first; p < end; ++p) first_row += plan.positions[p].size();
    if (progress) progress(static_cast<int64_t>(end), static_cast<int64_t>(plan.ids.size()), 0.0);
  }
  return out;
}

}  // namespace bertscope
