#include "experiments/prompt_groups.h"

#include <algorithm>

namespace bertscope {

std::uint64_t clean_state_bytes(const Encoder& model, int length, SiteKind site) {
  const auto layers = static_cast<std::uint64_t>(model.layers()), seq = static_cast<std::uint64_t>(length);
  // Floats per position kept at the site of each block: none at a block output or the
  // embeddings, whose states are the residual stream kept anyway.
  const std::uint64_t site_width =
      site == SiteKind::BlockOut || site == SiteKind::EmbedOut ? 0 : static_cast<std::uint64_t>(model.site_width(site, length));
  const auto hidden = static_cast<std::uint64_t>(model.site_width(SiteKind::BlockOut, length));
  return sizeof(float) * seq * ((layers + 1) * hidden + layers * site_width);
}

std::vector<std::pair<size_t, size_t>> group_prompts(const Encoder& model, const std::vector<int>& lengths, SiteKind site) {
  std::vector<std::pair<size_t, size_t>> groups;
  for (size_t begin = 0; begin < lengths.size();) {
    size_t end = begin;
    std::uint64_t bytes = 0;
    while (end < lengths.size()) {
      const std::uint64_t more = clean_state_bytes(model, lengths[end], site);
      if (end > begin && bytes + more > kCleanStateBudget) break;
      bytes += more;
      ++end;
    }
    groups.emplace_back(begin, end);
    begin = end;
  }
  return groups;
}

std::uint64_t largest_group_bytes(const Encoder& model, const std::vector<int>& lengths, SiteKind site) {
  std::uint64_t largest = 0;
  for (const auto& [begin, end] : group_prompts(model, lengths, site)) {
    std::uint64_t bytes = 0;
    for (size_t p = begin; p < end; ++p) bytes += clean_state_bytes(model, lengths[p], site);
    largest = std::max(largest, bytes);
  }
  return largest;
}

}  // namespace bertscope
