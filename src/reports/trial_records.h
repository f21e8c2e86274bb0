#pragma once
// One finished trial as one line of JSON, every number exactly as it was computed (doubles
// are written as the shortest text that reads back to the same bits). A run writes its
// trials in this form as they finish, in whatever order; the step that writes the result
// files reads them back in canonical order (RecordIndex), from one run or from many shards.
//   {"p":0,"i":1,"l":5,"t":3,"lsm":...,"prob":...,"rank":...,"loss":...,"kl":...,"noise":...,
//    "top":[[id,log_prob],...]}
#include <cstdio>
#include <string>

#include "experiments/sweep.h"

namespace bertscope {

std::string trial_record(const TrialResult& trial);  // one line, '\n' included
// Throws Error saying what is wrong with the line.
TrialResult parse_trial_record(const std::string& line);

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

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  long long count_ = 0;
};

}  // namespace bertscope
