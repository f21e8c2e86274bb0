#include "experiments/sweep_summary.h"

#include <algorithm>
#include <map>

#include "tokenizer/unicode_text.h"

namespace bertscope {

bool is_punctuation_token(const std::string& token) {
  std::string_view text = token;
  if (text.starts_with("##")) text.remove_prefix(2);
  if (text.empty() || (text.front() == '[' && text.back() == ']' && text.size() > 2)) return false;
  const std::u32string code_points = unicode::decode_utf8(text);
  return std::all_of(code_points.begin(), code_points.end(), unicode::is_bert_punctuation);
}

std::vector<LayerSummary> summarize(const SweepResult& result, const Vocab& vocab) {
  std::vector<LayerSummary> out;
  size_t begin = 0;
  while (begin < result.runs.size()) {
    size_t end = begin;
    const TrialResult& first = result.runs[begin];
    while (end < result.runs.size() && result.runs[end].intervention == first.intervention &&
           result.runs[end].layer == first.layer) {
      ++end;
    }
    LayerSummary s;
    s.intervention = first.intervention;
    s.layer = first.layer;
    s.trials = static_cast<int>(end - begin);
    auto interval = [&](auto measure) {
      std::vector<double> values;
      for (size_t i = begin; i < end; ++i) values.push_back(measure(result.runs[i]));
      return mean_interval(values);
    };
    s.target_logsoftmax = interval([](const TrialResult& t) { return t.prediction.target_logsoftmax; });
    s.target_prob = interval([](const TrialResult& t) { return t.prediction.target_prob; });
    s.target_rank = interval([](const TrialResult& t) { return static_cast<double>(t.prediction.target_rank); });
    s.loss = interval([](const TrialResult& t) { return t.prediction.loss; });
    s.kl_from_clean = interval([](const TrialResult& t) { return t.kl_from_clean; });
    s.noise_std = interval([](const TrialResult& t) { return t.noise_std; });
    std::map<int, int> counts;
    int target_hits = 0, punctuation = 0;
    for (size_t i = begin; i < end; ++i) {
      const int top1 = result.runs[i].prediction.top.at(0).id;
      ++counts[top1];
      target_hits += top1 == result.prompt.target_id;
      punctuation += is_punctuation_token(vocab.token(top1));
    }
    s.share_top1_target = static_cast<double>(target_hits) / s.trials;
    s.share_top1_punctuation = static_cast<double>(punctuation) / s.trials;
    s.top1_counts.assign(counts.begin(), counts.end());
    std::stable_sort(s.top1_counts.begin(), s.top1_counts.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    out.push_back(std::move(s));
    begin = end;
  }
  return out;
}

}  // namespace bertscope
