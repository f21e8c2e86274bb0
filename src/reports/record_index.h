#pragma once
// The trials of a run gathered from record files (trial_records.h): one run's, or every
// shard's. Each work item must appear exactly once; the index keeps only where each
// record is (10-12 bytes per item), and reads the trials back in canonical order, so the
// result files are the same whatever order trials finished in and whichever shard ran them.
//
// Nothing read is trusted: a file that is not a regular file (a FIFO, /dev/zero behind a
// symlink) is refused before it is read, a line longer than a record is refused before it
// is read whole, every value is checked against its type and range (RecordLimits), and
// every error names the file and line. The files are read twice (indexed, then read back
// in order): each is checked to be the very file indexed (same device, inode, size and
// modification time) and each record read back to be the item indexed there, so a shard
// folder replaced or edited during a merge stops it with a message naming the file.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/work_plan.h"
#include "reports/trial_records.h"

namespace bertscope {

// What add_file() found: the records and the checksum of the file's bytes.
struct RecordFileSummary {
  uint64_t records = 0;
  std::string checksum;  // common/checksum.h, as TrialRecordWriter::checksum() and shard.json give it
};

class RecordIndex {
 public:
  RecordIndex(const WorkPlan& plan, RecordLimits limits);

  // Indexes every record of `path`; `owner` names it in messages (a shard folder). Throws
  // Error for a file that is not a regular file, a line that is not a record, an item the
  // experiment does not have, or an item already indexed (naming both owners).
  RecordFileSummary add_file(const std::string& path, const std::string& owner);
  // Throws Error naming the first item that no file holds and how many are missing.
  void check_complete() const;
  // Hands every trial over in canonical order (prompt, intervention, layer, trial).
  void for_each(const std::function<void(const TrialResult&)>& fn) const;

 private:
  // What identifies a file between the two reads.
  struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t modified_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  static constexpr uint64_t kUnset = UINT64_MAX;
  const WorkPlan& plan_;
  RecordLimits limits_;
  std::vector<std::string> files_, owners_;
  std::vector<FileId> ids_;
  std::vector<uint64_t> offset_;  // per item (by rank): where its record starts
  std::vector<uint32_t> file_;    // per item: index into files_
};

// "prompt 0, intervention 1, block 5, trial 3": an item, for messages.
std::string describe_item(const WorkItem& item);

}  // namespace bertscope
