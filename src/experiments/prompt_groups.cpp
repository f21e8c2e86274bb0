#include "experiments/prompt_groups.h"

#include <algorithm>

namespace bertscope {

std::uint64_t clean_state_bytes(const BertModel& model, int length, SiteKind site) {
  const BertConfig& c = model.config();
  const auto layers = static_cast<std::uint64_t>(model.layers()), seq = static_cast<std::uint64_t>(length);
  std::uint64_t site_width = 0;  // floats per position at the site: none kept at a block output
  if (site == SiteKind::MlpPost) {
    site_width = static_cast<std::uint64_t>(c.intermediate_size);
  } else if (site == SiteKind::AttnScores || site == SiteKind::AttnPattern) {
    site_width = static_cast<std::uint64_t>(c.num_attention_heads) * seq;
  } else if (site == SiteKind::AttnHeadOut) {
    site_width = static_cast<std::uint64_t>(c.num_attention_heads) * static_cast<std::uint64_t>(c.hidden_size);
  } else if (site != SiteKind::BlockOut && site != SiteKind::EmbedOut) {
    site_width = static_cast<std::uint64_t>(c.hidden_size);
  }
  return sizeof(float) * seq * ((layers + 1) * static_cast<std::uint64_t>(c.hidden_size) + layers * site_width);
}

std::vector<std::pair<size_t, size_t>> group_prompts(const BertModel& model, const std::vector<int>& lengths, SiteKind site) {
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

std::uint64_t largest_group_bytes(const BertModel& model, const std::vector<int>& lengths, SiteKind site) {
  std::uint64_t largest = 0;
  for (const auto& [begin, end] : group_prompts(model, lengths, site)) {
    std::uint64_t bytes = 0;
    for (size_t p = begin; p < end; ++p) bytes += clean_state_bytes(model, lengths[p], site);
    largest = std::max(largest, bytes);
  }
  return largest;
}

}  // namespace bertscope
