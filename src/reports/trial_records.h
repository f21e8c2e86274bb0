#pragma once
// One finished trial as one line of JSON, every number exactly as it was computed (doubles
// are written as the shortest text that reads back to the same bits). A run writes its
// trials in this form as they finish, in whatever order; the step that writes the result
// files reads them back in canonical order (RecordIndex), from one run or from many shards.
//   {"p":0,"i":1,"l":5,"t":3,"lsm":...,"prob":...,"rank":...,"loss":...,"kl":...,"noise":...,
//    "cos":..., "ld":... (logit(target) - logit(foil); null without a foil), "top":[[id,log_prob],...]}
#include <cstdio>
#include <string>
#include <string_view>

#include "common/checksum.h"
#include "experiments/sweep.h"

namespace bertscope {

std::string trial_record(const TrialResult& trial);  // one line, '\n' included

// What a record of a given run may hold: every value is checked against its type and range
// (a record read back may have been edited, truncated or written by something else).
struct RecordLimits {
  int vocab = 0;  // token ids in [0, vocab), ranks in [1, vocab]
  int top_k = 0;  // top entries: 1 to top_k
  int words = 0;  // further targets' log-softmax ("xt"): exactly this many
  int cosines = 0;  // cosine sites' cosines ("xc"): exactly this many
};
// The longest line a record may be: top 1000 entries at ~30 bytes, with room. Longer is
// not a record, and is refused before it is read whole.
inline constexpr size_t kMaxRecordBytes = size_t{1} << 20;

// Throws Error saying what is wrong with the line (shortly: values are quoted in part).
TrialResult parse_trial_record(std::string_view line, const RecordLimits& limits);

// Appends records to a file as trials finish. Throws Error naming the file on failure.
class TrialRecordWriter {
 public:
  explicit TrialRecordWriter(std::string path);
  ~TrialRecordWriter();
  TrialRecordWriter(const TrialRecordWriter&) = delete;
  TrialRecordWriter& operator=(const TrialRecordWriter&) = delete;
  void write(const TrialResult& trial);
  void close();  // flushes; throws when anything could not be written
  long long count() const { return count_; }
  // The checksum of every byte written (common/checksum.h), for a shard's manifest.
  std::string checksum() const { return checksum_.hex(); }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  long long count_ = 0;
  Checksum checksum_;
};

}  // namespace bertscope
