#include "reports/trial_records.h"

#include <cerrno>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_preview.h"

namespace bertscope {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& key, const std::string& why) { throw Error("\"" + key + "\" " + why); }

// A whole number in [low, high], as the writer wrote it: 0.5, 1e300 or 2^32 + k are not
// trial numbers (a conversion would truncate, wrap or be undefined).
int whole(const json& j, const std::string& key, long long low, long long high) {
  if (!j.is_number_integer()) bad(key, "must be a whole number, not " + json_preview(j, 40));
  bool in_range = false;
  if (j.is_number_unsigned()) {
    const auto v = j.get<unsigned long long>();
    in_range = v <= static_cast<unsigned long long>(high) && (low <= 0 || v >= static_cast<unsigned long long>(low));
  } else {
    const auto v = j.get<long long>();
    in_range = v >= low && v <= high;
  }
  if (!in_range) bad(key, "is " + json_preview(j, 40) + ", outside " + std::to_string(low) + " to " + std::to_string(high));
  return static_cast<int>(j.get<long long>());
}

// JSON has no NaN: written as null, read back as NaN. Otherwise a number in [low, high].
double number(const json& j, const std::string& key, double low, double high) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!j.is_number()) bad(key, "must be a number or null, not " + json_preview(j, 40));
  const double v = j.get<double>();
  if (!(v >= low && v <= high)) bad(key, "is " + json_preview(j, 40) + ", outside its range");
  return v;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
// Rounding lets a log-probability of the top token come out a hair above 0.
constexpr double kRounding = 1e-6;
constexpr const char* kKeys[] = {"p", "i", "l", "t", "lsm", "prob", "rank", "loss", "ld", "kl", "cos", "noise", "sigma", "top", "xt", "xc"};

}  // namespace

std::string trial_record(const TrialResult& t) {
  json top = json::array();
  for (const TokenScore& s : t.prediction.top) top.push_back({s.id, static_cast<double>(s.log_prob)});
  json cosines = json::array();  // null: a zero vector, as "cos"
  for (double c : t.site_cosines) cosines.push_back(std::isnan(c) ? json(nullptr) : json(c));
  const json record = {{"p", t.prompt}, {"i", t.intervention}, {"l", t.layer}, {"t", t.trial},
                       {"lsm", t.prediction.target_logsoftmax}, {"prob", t.prediction.target_prob},
                       {"rank", t.prediction.target_rank}, {"loss", t.prediction.loss},
                       {"ld", std::isnan(t.prediction.logit_diff) ? json(nullptr) : json(t.prediction.logit_diff)}, {"kl", t.kl_from_clean},
                       {"cos", std::isnan(t.cosine_to_clean) ? json(nullptr) : json(t.cosine_to_clean)},
                       {"noise", t.noise_std}, {"sigma", t.noise_sigma}, {"top", top}, {"xt", t.prediction.word_logsoftmax},
                       {"xc", cosines}};
  return record.dump() + "\n";
}

TrialResult parse_trial_record(std::string_view line, const RecordLimits& limits) {
  if (line.size() > kMaxRecordBytes) throw Error("not a trial record (over " + std::to_string(kMaxRecordBytes) + " bytes)");
  json j;
  try {
    // A record is one flat object with one array of pairs: deeper nesting is refused while
    // parsing, before a hostile line is built.
    j = json::parse(line, [](int depth, json::parse_event_t, json&) {
      if (depth > 3) throw Error("nested too deeply");
      return true;
    });
  } catch (const json::exception& e) {
    const std::string what = e.what();
    const size_t at = what.find("column");
    throw Error("not a trial record (not valid JSON: " + (at == std::string::npos ? what.substr(0, 80) : what.substr(at, 80)) + ")");
  } catch (const Error& e) {
    throw Error(std::string("not a trial record (") + e.what() + ")");
  }
  if (!j.is_object()) throw Error("not a trial record (not a JSON object)");
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) bad(text_preview(key, 20), "is not a key of a record");
  }
  for (const char* key : kKeys) {
    if (!j.contains(key)) bad(key, "is missing");
  }
  TrialResult t;
  constexpr long long kMaxIndex = std::numeric_limits<int>::max();
  t.prompt = whole(j["p"], "p", 0, kMaxIndex);
  t.intervention = whole(j["i"], "i", 0, kMaxIndex);
  t.layer = whole(j["l"], "l", -1, kMaxIndex);
  t.trial = whole(j["t"], "t", 0, kMaxIndex);
  t.prediction.target_logsoftmax = number(j["lsm"], "lsm", -kInf, kRounding);
  t.prediction.target_prob = number(j["prob"], "prob", 0.0, 1.0 + kRounding);
  t.prediction.target_rank = whole(j["rank"], "rank", 1, std::max(1, limits.vocab));
  t.prediction.loss = number(j["loss"], "loss", -kRounding, kInf);
  t.prediction.logit_diff = number(j["ld"], "ld", -kInf, kInf);  // null: no foil
  t.kl_from_clean = number(j["kl"], "kl", -kInf, kInf);
  t.cosine_to_clean = number(j["cos"], "cos", -1.0 - kRounding, 1.0 + kRounding);  // null: a zero vector
  t.noise_std = number(j["noise"], "noise", 0.0, kInf);
  t.noise_sigma = number(j["sigma"], "sigma", 0.0, kInf);
  const json& top = j["top"];
  if (!top.is_array() || top.empty() || top.size() > static_cast<size_t>(std::max(1, limits.top_k))) {
    bad("top", "must be a list of 1 to " + std::to_string(limits.top_k) + " [id, log_prob] pairs");
  }
  for (const json& s : top) {
    if (!s.is_array() || s.size() != 2) bad("top", "must hold [id, log_prob] pairs, not " + json_preview(s, 40));
    const int id = whole(s[0], "top", 0, std::max(0, limits.vocab - 1));
    t.prediction.top.push_back({id, static_cast<float>(number(s[1], "top", -kInf, kRounding))});
  }
  const json& words = j["xt"];
  if (!words.is_array() || words.size() != static_cast<size_t>(limits.words)) {
    bad("xt", "must be a list of " + std::to_string(limits.words) + " log-softmax values (one per further target)");
  }
  for (const json& w : words) t.prediction.word_logsoftmax.push_back(number(w, "xt", -kInf, kRounding));
  const json& cosines = j["xc"];
  if (!cosines.is_array() || cosines.size() != static_cast<size_t>(limits.cosines)) {
    bad("xc", "must be a list of " + std::to_string(limits.cosines) + " cosines (one per cosine site)");
  }
  for (const json& c : cosines) t.site_cosines.push_back(number(c, "xc", -1.0 - kRounding, 1.0 + kRounding));
  return t;
}

TrialRecordWriter::TrialRecordWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) throw Error(path_ + ": cannot be created (" + std::strerror(errno) + ")");
}

TrialRecordWriter::~TrialRecordWriter() {
  if (file_) std::fclose(file_);
}

void TrialRecordWriter::write(const TrialResult& trial) {
  const std::string line = trial_record(trial);
  if (!file_ || std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    throw Error(path_ + ": cannot be written (" + std::strerror(errno) + ")");
  }
  checksum_.add(line);
  ++count_;
}

void TrialRecordWriter::close() {
  if (!file_) return;
  const bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed) throw Error(path_ + ": cannot be written (" + std::strerror(errno) + ")");
}

}  // namespace bertscope
