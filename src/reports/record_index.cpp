#include "reports/record_index.h"

#include <fstream>
#include <memory>

#include "common/error.h"
#include "reports/trial_records.h"

namespace bertscope {

std::string describe_item(const WorkItem& item) {
  return "prompt " + std::to_string(item.prompt) + ", intervention " + std::to_string(item.intervention) + ", " +
         (item.layer < 0 ? std::string("embed.out") : "block " + std::to_string(item.layer)) + ", trial " +
         std::to_string(item.trial);
}

RecordIndex::RecordIndex(const WorkPlan& plan) : plan_(plan), offset_(plan.size(), kUnset), file_(plan.size(), 0) {}

uint64_t RecordIndex::add_file(const std::string& path, const std::string& owner) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(owner + ": " + path + " cannot be read");
  const auto file = static_cast<uint32_t>(files_.size());
  files_.push_back(path);
  owners_.push_back(owner);
  std::string line;
  uint64_t count = 0, line_number = 0;
  for (auto offset = static_cast<uint64_t>(in.tellg()); std::getline(in, line); offset = static_cast<uint64_t>(in.tellg())) {
    ++line_number;
    TrialResult trial;
    try {
      trial = parse_trial_record(line);
    } catch (const Error& e) {
      throw Error(owner + ": " + path + ":" + std::to_string(line_number) + ": " + e.what());
    }
    const WorkItem item{trial.prompt, trial.intervention, trial.layer, trial.trial};
    const uint64_t rank = plan_.rank(item);
    if (rank == plan_.size()) {
      throw Error(owner + ": " + path + ":" + std::to_string(line_number) + ": " + describe_item(item) +
                  " is not a work item of this experiment");
    }
    if (offset_[rank] != kUnset) {
      throw Error(owner + ": " + describe_item(item) + " is also in " + owners_[file_[rank]] +
                  ": every work item must come from exactly one shard");
    }
    offset_[rank] = offset;
    file_[rank] = file;
    ++count;
    if (in.eof()) break;  // a last line without '\n': tellg() would fail
  }
  if (in.bad()) throw Error(owner + ": " + path + ": read error");
  return count;
}

void RecordIndex::check_complete() const {
  uint64_t missing = 0, first = 0;
  for (uint64_t r = offset_.size(); r-- > 0;) {
    if (offset_[r] == kUnset) {
      ++missing;
      first = r;
    }
  }
  if (missing > 0) {
    throw Error(std::to_string(missing) + " of " + std::to_string(offset_.size()) +
                " work items are in no shard, the first: " + describe_item(plan_.item(first)) +
                " (is a shard folder missing?)");
  }
}

void RecordIndex::for_each(const std::function<void(const TrialResult&)>& fn) const {
  std::vector<std::unique_ptr<std::ifstream>> in;
  for (const std::string& path : files_) {
    in.push_back(std::make_unique<std::ifstream>(path, std::ios::binary));
    if (!*in.back()) throw Error(path + " cannot be read");
  }
  std::string line;
  for (uint64_t r = 0; r < offset_.size(); ++r) {
    std::ifstream& file = *in[file_[r]];
    file.clear();
    if (static_cast<uint64_t>(file.tellg()) != offset_[r]) file.seekg(static_cast<std::streamoff>(offset_[r]));
    if (!std::getline(file, line)) throw Error(files_[file_[r]] + ": changed while it was read");
    fn(parse_trial_record(line));
  }
}

}  // namespace bertscope
