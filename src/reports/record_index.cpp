#include "reports/record_index.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/checksum.h"
#include "common/error.h"
#include "common/read_file.h"

namespace bertscope {

namespace {

// The lines of one open file at any offset, through a window of it: reading in order (the
// index's pass, and canonical order within one shard) costs one read per 64 KiB. A line is
// never longer than kMaxRecordBytes: a longer one is refused after that many bytes, so a
// file without line breaks is not read whole into memory.
class LineReader {
 public:
  LineReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~LineReader() { ::close(fd_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The line at `offset`, without its '\n' (`ended` says whether it had one); false at the
  // end of the file.
  bool line_at(uint64_t offset, std::string_view& line, bool& ended) {
    if (!read_ || offset < start_ || offset > start_ + window_.size()) fill(offset, kWindow);
    for (;;) {
      const auto from = static_cast<size_t>(offset - start_);
      const size_t newline = window_.find('\n', from);
      if (newline != std::string::npos || at_end_) {
        if (newline == std::string::npos && from >= window_.size()) return false;
        const size_t end = newline == std::string::npos ? window_.size() : newline;
        line = std::string_view(window_).substr(from, end - from);
        ended = newline != std::string::npos;
        if (line.size() > kMaxRecordBytes) too_long();
        return true;
      }
      // The window ends inside the line: read from the line's start, twice as much when it
      // started there already.
      const size_t want = start_ == offset ? std::min(std::max(window_.size(), kWindow) * 2, kMaxRecordBytes + 2) : kWindow;
      if (start_ == offset && window_.size() > kMaxRecordBytes) too_long();
      fill(offset, want);
    }
  }

 private:
  static constexpr size_t kWindow = size_t{64} << 10;

  void fill(uint64_t offset, size_t size) {
    window_.resize(size);
    size_t filled = 0;
    while (filled < size) {
      const ssize_t n = ::pread(fd_, window_.data() + filled, size - filled, static_cast<off_t>(offset + filled));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(path_ + ": cannot read: " + std::strerror(errno));
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    window_.resize(filled);
    read_ = true;
    start_ = offset;
    at_end_ = filled < size;
  }
  [[noreturn]] void too_long() const {
    throw Error("not a trial record (a line of more than " + std::to_string(kMaxRecordBytes) + " bytes)");
  }

  int fd_;
  std::string path_;
  std::string window_;
  uint64_t start_ = 0;
  bool read_ = false;  // whether window_ holds anything read yet
  bool at_end_ = false;
};

struct stat stat_of(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return st;
}

}  // namespace

std::string describe_item(const WorkItem& item) {
  return "prompt " + std::to_string(item.prompt) + ", intervention " + std::to_string(item.intervention) + ", " +
         (item.layer < 0 ? std::string("embed.out") : "block " + std::to_string(item.layer)) + ", trial " +
         std::to_string(item.trial);
}

RecordIndex::RecordIndex(const WorkPlan& plan, RecordLimits limits)
    : plan_(plan), limits_(limits), offset_(plan.size(), kUnset), file_(plan.size(), 0) {}

RecordFileSummary RecordIndex::add_file(const std::string& path, const std::string& owner) {
  struct stat st {};
  int fd = -1;
  try {
    fd = open_regular_file(path, st);  // a FIFO or device is refused before any read
  } catch (const Error& e) {
    throw Error(owner + ": " + e.what());
  }
  LineReader reader(fd, path);
  const auto file = static_cast<uint32_t>(files_.size());
  files_.push_back(path);
  owners_.push_back(owner);
  ids_.push_back({st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec});
  RecordFileSummary summary;
  Checksum checksum;
  uint64_t offset = 0, line_number = 0;
  std::string_view line;
  bool ended = false;
  auto where = [&] { return owner + ": " + path + ":" + std::to_string(line_number) + ": "; };
  try {
    while (reader.line_at(offset, line, ended)) {
      ++line_number;
      checksum.add(line);
      if (ended) checksum.add("\n");
      const TrialResult trial = parse_trial_record(line, limits_);
      const WorkItem item{trial.prompt, trial.intervention, trial.layer, trial.trial};
      const uint64_t rank = plan_.rank(item);
      if (rank == plan_.size()) throw Error(describe_item(item) + " is not a work item of this experiment");
      if (offset_[rank] != kUnset) {
        throw Error(describe_item(item) + " is also in " + owners_[file_[rank]] +
                    ": every work item must come from exactly one shard");
      }
      offset_[rank] = offset;
      file_[rank] = file;
      ++summary.records;
      offset += line.size() + (ended ? 1 : 0);
    }
  } catch (const Error& e) {
    throw Error(where() + e.what());
  }
  summary.checksum = checksum.hex();
  return summary;
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
  std::vector<std::unique_ptr<LineReader>> readers;
  for (size_t f = 0; f < files_.size(); ++f) {
    struct stat st {};
    const int fd = open_regular_file(files_[f], st);
    readers.push_back(std::make_unique<LineReader>(fd, files_[f]));
    const struct stat now = stat_of(fd);
    const FileId id{now.st_dev, now.st_ino, now.st_size, now.st_mtim.tv_sec * 1000000000LL + now.st_mtim.tv_nsec};
    if (!(id == ids_[f])) {
      throw Error(owners_[f] + ": " + files_[f] + " was replaced or changed after it was indexed (during this run or "
                  "merge); run it again once the files are final");
    }
  }
  std::string_view line;
  bool ended = false;
  for (uint64_t r = 0; r < offset_.size(); ++r) {
    const uint32_t f = file_[r];
    const std::string changed = owners_[f] + ": " + files_[f] + " changed while it was read (at byte " +
                                std::to_string(offset_[r]) + ")";
    TrialResult trial;
    try {
      if (!readers[f]->line_at(offset_[r], line, ended)) throw Error("it ends there");
      trial = parse_trial_record(line, limits_);
    } catch (const Error& e) {
      throw Error(changed + ": " + e.what());
    }
    const WorkItem expected = plan_.item(r);
    if (trial.prompt != expected.prompt || trial.intervention != expected.intervention || trial.layer != expected.layer ||
        trial.trial != expected.trial) {
      throw Error(changed + ": it holds " + describe_item({trial.prompt, trial.intervention, trial.layer, trial.trial}) +
                  " where " + describe_item(expected) + " was");
    }
    fn(trial);
  }
}

}  // namespace bertscope
