#pragma once
// Atomic file output: write to "<path>.tmp-<pid>-<n>" in the same folder, fsync, rename
// over <path>. A crash, error or Ctrl-C never leaves a half-written <path>; the temporary
// is removed on failure (and by a SIGINT handler the CLI installs, see remove_pending_files()).
#include <string>
#include <string_view>

#include "common/pending_paths.h"

namespace bertscope {

// Outputs are only ever regular files that bertscope creates or replaces: renaming over a
// device node, a FIFO or a symlink would replace it (as root, --out /dev/stdout replaced the
// system's /dev/stdout). Throws Error naming `path` when it exists and is anything else.
// The writer checks this itself; commands call it before their work, to fail at once.
void check_output_file(const std::string& path);

// Writes `contents` to `path` atomically. Throws Error naming the path on failure.
void write_file_atomic(const std::string& path, std::string_view contents);

// Streaming form, for outputs too large to build in memory first: write() pieces, then
// commit(). Destroying it without commit() (an exception on the way) removes the temporary
// and leaves any existing <path> untouched. Every failure throws Error naming <path>.
class AtomicFileWriter {
 public:
  // Synced: fsync before the rename, so a crash leaves the old file or the whole new one.
  // Unsynced: for a cache that checks its own contents when read (a crash may leave a
  // damaged file, which the reader detects and rebuilds): skips waiting for the disk.
  enum class Durability { Synced, Unsynced };
  explicit AtomicFileWriter(std::string path, Durability durability = Durability::Synced);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::string_view bytes);
  void commit();  // fsync, close, rename into place

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  void abandon() noexcept;
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  PendingPaths::Node* slot_ = nullptr;  // entry in the signal handler's list, null when not tracked
  bool committed_ = false;
  Durability durability_ = Durability::Synced;
};

// Removes every temporary file that is being written right now. Async-signal-safe, for
// the CLI's signal handler (only unlink on a list that needs no allocation to walk).
void remove_pending_files();

}  // namespace bertscope
