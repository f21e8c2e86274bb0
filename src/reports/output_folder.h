#pragma once
// The output folder of an experiment, made ready before any work starts: a path that cannot
// be a writable folder (a regular file on the way, /proc, a read-only mount) fails in the
// first second, not after an hour of sweeping. The folders it had to create are removed
// again when the run ends without commit() (an error, or Ctrl-C through
// remove_pending_folders()), so a failed run leaves nothing behind.
#include <string>
#include <vector>

namespace bertscope {

class OutputFolder {
 public:
  // Creates the missing folders of `path` and checks that a file can be created in it.
  // Throws Error naming `path` and the reason.
  explicit OutputFolder(std::string path);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  // The results are written: keep the folders.
  void commit();
  const std::string& path() const { return path_; }

 private:
  void remove_created() noexcept;
  std::string path_;
  std::vector<std::string> created_;  // outermost first
  std::vector<int> slots_;            // their entries in the signal handler's table
  bool committed_ = false;
};

// Removes (rmdir: only when still empty) every folder an uncommitted OutputFolder created.
// Async-signal-safe, for the CLI's SIGINT handler, after remove_pending_files().
void remove_pending_folders();

}  // namespace bertscope
