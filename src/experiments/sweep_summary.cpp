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

void SummaryAccumulator::add(const TrialResult& t) {
  if (open_ && (t.intervention != group_.intervention || t.layer != group_.layer)) close_group();
  if (!open_) {
    group_ = LayerSummary{};
    group_.intervention = t.intervention;
    group_.layer = t.layer;
    group_.min_target_logsoftmax = group_.max_target_logsoftmax = t.prediction.target_logsoftmax;
    open_ = true;
  }
  const double values[kMeasures] = {t.prediction.target_logsoftmax, t.prediction.target_prob,
                                    static_cast<double>(t.prediction.target_rank), t.prediction.loss,
                                    t.prediction.logit_diff, t.kl_from_clean, t.cosine_to_clean, t.noise_std,
                                    t.noise_sigma};
  for (int m = 0; m < kMeasures; ++m) measures_[m].push_back(values[m]);
  words_.resize(t.prediction.word_logsoftmax.size());
  for (size_t w = 0; w < words_.size(); ++w) words_[w].push_back(t.prediction.word_logsoftmax[w]);
  cosines_.resize(t.site_cosines.size());
  for (size_t c = 0; c < cosines_.size(); ++c) cosines_[c].push_back(t.site_cosines[c]);
  ++group_.trials;
  if (group_.first_target_logsoftmax.size() < static_cast<size_t>(kTrialPointsKept)) {
    group_.first_target_logsoftmax.push_back(t.prediction.target_logsoftmax);
  }
  group_.min_target_logsoftmax = std::min(group_.min_target_logsoftmax, t.prediction.target_logsoftmax);
  group_.max_target_logsoftmax = std::max(group_.max_target_logsoftmax, t.prediction.target_logsoftmax);
  const int top1 = t.prediction.top.at(0).id;
  ++counts_[top1];
  target_hits_ += top1 == target_id_;
  punctuation_ += is_punctuation_token(vocab_.token(top1));
}

void SummaryAccumulator::close_group() {
  LayerSummary& s = group_;
  MeanInterval* intervals[kMeasures] = {&s.target_logsoftmax, &s.target_prob, &s.target_rank, &s.loss,
                                        &s.logit_diff, &s.kl_from_clean, &s.cosine_to_clean, &s.noise_std,
                                        &s.noise_sigma};
  for (int m = 0; m < kMeasures; ++m) {
    *intervals[m] = mean_interval(measures_[m]);
    measures_[m].clear();
  }
  for (std::vector<double>& values : words_) {
    s.word_logsoftmax.push_back(mean_interval(values));
    values.clear();
  }
  for (std::vector<double>& values : cosines_) {
    s.site_cosines.push_back(mean_interval(values));
    values.clear();
  }
  s.share_top1_target = static_cast<double>(target_hits_) / s.trials;
  s.share_top1_punctuation = static_cast<double>(punctuation_) / s.trials;
  s.top1_counts.assign(counts_.begin(), counts_.end());
  std::stable_sort(s.top1_counts.begin(), s.top1_counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  done_.push_back(std::move(s));
  counts_.clear();
  target_hits_ = punctuation_ = 0;
  open_ = false;
}

std::vector<LayerSummary> SummaryAccumulator::finish() {
  if (open_) close_group();
  return std::move(done_);
}

std::vector<LayerSummary> summarize(const SweepResult& result, const Vocab& vocab) {
  SummaryAccumulator summaries(vocab, result.prompt.target_id);
  for (const TrialResult& t : result.runs) summaries.add(t);
  return summaries.finish();
}

}  // namespace bertscope
