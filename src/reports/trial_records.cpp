#include "reports/trial_records.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bertscope {

namespace {

using nlohmann::json;

// JSON has no NaN: written as null, read back as NaN.
double number(const json& j) { return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>(); }

}  // namespace

std::string trial_record(const TrialResult& t) {
  json top = json::array();
  for (const TokenScore& s : t.prediction.top) top.push_back({s.id, static_cast<double>(s.log_prob)});
  const json record = {{"p", t.prompt}, {"i", t.intervention}, {"l", t.layer}, {"t", t.trial},
                       {"lsm", t.prediction.target_logsoftmax}, {"prob", t.prediction.target_prob},
                       {"rank", t.prediction.target_rank}, {"loss", t.prediction.loss}, {"kl", t.kl_from_clean},
                       {"noise", t.noise_std}, {"top", top}};
  return record.dump() + "\n";
}

TrialResult parse_trial_record(const std::string& line) {
  try {
    const json j = json::parse(line);
    TrialResult t;
    t.prompt = j.at("p").get<int>();
    t.intervention = j.at("i").get<int>();
    t.layer = j.at("l").get<int>();
    t.trial = j.at("t").get<int>();
    t.prediction.target_logsoftmax = number(j.at("lsm"));
    t.prediction.target_prob = number(j.at("prob"));
    t.prediction.target_rank = j.at("rank").get<int>();
    t.prediction.loss = number(j.at("loss"));
    t.kl_from_clean = number(j.at("kl"));
    t.noise_std = number(j.at("noise"));
    for (const json& s : j.at("top")) {
      t.prediction.top.push_back({s.at(0).get<int>(), static_cast<float>(number(s.at(1)))});
    }
    if (t.prediction.top.empty()) throw Error("no top tokens");
    return t;
  } catch (const json::exception& e) {
    throw Error(std::string("not a trial record (") + e.what() + ")");
  }
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
