#pragma once
// The output folder of a run, all or nothing. Before any work starts it checks the path,
// creates the missing folders above it, takes a lock beside it and creates a staging
// folder beside it; the run writes into staging(). commit() swaps the staging folder in
// for the target in one rename (renameat2 RENAME_EXCHANGE, or a plain rename when there
// was none) and then removes the earlier contents. So the target holds either all of its
// earlier contents or all of the new run's files, never a mix, and nothing of the earlier
// run survives a successful one. A run that ends without commit() (an error, a signal
// through remove_pending_folders()) removes its staging folder, the folders it created and
// its lock file, and leaves an existing target untouched.
//
// Layout beside the target `dir/out`:
//   dir/.out.bertscope-lock          the lock (flock); a second run into dir/out fails at once
//   dir/.out.bertscope-staging-PID   the new files until commit(); then the old ones, removed
#include <cstdint>
#include <string>
#include <vector>

#include "common/pending_paths.h"

namespace bertscope {

// The main file of a run of an experiment (run, sweep, stats, merge): its OutputFolder kind.
inline constexpr const char* kResultsFile = "results.json";

class OutputFolder {
 public:
  // Throws Error naming `path` and the reason: a non-folder or symlink on the way, an
  // existing folder that is not an earlier bertscope output (so `--out ~` cannot wipe a
  // home folder), a folder beside which nothing can be created, or another run holding it.
  // `kind`, when given, is the main file this output will hold (results.json, shard.json,
  // ...): an existing folder is then replaced only when it is an earlier output of the same
  // kind, so a shard never replaces a finished run, nor a run a shard. The path is claimed
  // as an output (common/io_claims.h): it may not be, contain or lie inside an input.
  explicit OutputFolder(std::string path, std::string kind = "");
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  // Where the run writes its files until commit().
  const std::string& staging() const { return staging_; }
  // The target, as given.
  const std::string& path() const { return path_; }
  // `staged` (a path under staging()) as it is named once committed.
  std::string published(const std::string& staged) const;

  // Before any work: throws Error when `bytes` (what the run will write, see
  // reports/output_size.h) do not fit on the file system of the staging folder, with the
  // numbers and `what` writes them.
  void check_space(std::uint64_t bytes, const std::string& what) const;

  // Swaps the staging folder in for the target and removes the earlier contents.
  void commit();

 private:
  void lock();
  void abandon() noexcept;
  std::string path_;      // as given, for messages
  std::string target_;    // absolute, normalised
  std::string staging_;
  std::string lock_path_;
  std::vector<std::string> created_;  // folders above the target this run created, outermost first
  std::vector<PendingPaths::Node*> nodes_;  // their entries, and staging's and the lock's, in the handler's lists
  int lock_fd_ = -1;
  bool committed_ = false;
};

// Removes the staging folder, the created folders (rmdir: only when empty) and the lock
// file of every uncommitted OutputFolder. Async-signal-safe, for the CLI's signal handler.
void remove_pending_folders();

}  // namespace bertscope
