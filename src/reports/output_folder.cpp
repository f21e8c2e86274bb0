#include "reports/output_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/disk_space.h"
#include "common/error.h"
#include "common/io_claims.h"
#include "common/remove_tree.h"

namespace bertscope {

namespace fs = std::filesystem;

namespace {

// For remove_pending_folders() in a signal handler: staging folders (removed with all they
// hold), folders runs created above their targets (removed only when empty), lock files.
PendingPaths g_trees;
PendingPaths g_folders;
PendingPaths g_locks;

constexpr const char* kLockSuffix = ".bertscope-lock";
constexpr const char* kStagingSuffix = ".bertscope-staging-";

[[noreturn]] void cannot_create(const std::string& path, const std::string& why) {
  throw Error(path + ": cannot create the output folder (" + why + ")");
}

std::string errno_text() { return std::strerror(errno); }

// The main file of each kind of run (run, sweep and stats; patch-grid; lens; a shard of a
// run): a folder holding one of them is an earlier bertscope output.
constexpr const char* kMainResultFiles[] = {"results.json", "patch-grid.json", "lens.json", "shard.json"};

// An existing target is replaced as a whole, so it must be what a run left: only files,
// among them a main result file. Anything else (a home folder, a project) is refused.
void check_replaceable(const std::string& path, const fs::path& target, const std::string& kind) {
  std::error_code ec;
  bool empty = true, has_results = false, has_kind = kind.empty();
  std::string found;
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    empty = false;
    for (const char* name : kMainResultFiles) {
      if (entry.path().filename() != name) continue;
      has_results = true;
      found = name;
      has_kind |= kind == name;
    }
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) {
      cannot_create(path, "it exists and holds " + entry.path().filename().string() +
                              ", which is not a file of an earlier bertscope run; choose a new or empty folder");
    }
  }
  if (ec) cannot_create(path, ec.message());
  if (!empty && !has_results) {
    cannot_create(path, "it exists and is not an earlier bertscope output folder (no results.json, patch-grid.json, "
                        "lens.json or shard.json); choose a new or empty folder");
  }
  if (!empty && !has_kind) {
    cannot_create(path, "it holds another kind of output (" + found + ", not " + kind +
                            "), which this command does not replace; choose a new or empty folder");
  }
}

// rmdir every path, repeating while one goes: the order of the list does not matter.
void remove_empty_folders(PendingPaths& list) {
  for (bool again = true; again;) {
    again = false;
    list.remove_all([&again](const char* path) {
      if (::rmdir(path) == 0) again = true;
    });
  }
}

}  // namespace

void remove_pending_folders() {
  g_trees.remove_all([](const char* path) { remove_tree(path); });
  g_locks.remove_all([](const char* path) { ::unlink(path); });
  remove_empty_folders(g_folders);  // last: the others lie in them
}

OutputFolder::OutputFolder(std::string path, std::string kind) : path_(std::move(path)) {
  if (path_.empty()) cannot_create(path_, "empty path");
  claim_output(path_);  // before anything is created: an output may not destroy an input
  std::error_code ec;
  fs::path target = fs::absolute(path_, ec).lexically_normal();
  if (ec) cannot_create(path_, ec.message());
  if (target.filename().empty()) target = target.parent_path();  // "out/"
  if (target == target.root_path()) cannot_create(path_, "it is the root folder");
  target_ = target.string();
  const fs::path parent = target.parent_path();
  const std::string name = target.filename().string();

  // The first existing folder on the way, and what is missing below it, as typed (so that
  // messages name the paths the user wrote).
  fs::path given = fs::path(path_).lexically_normal();
  if (given.has_relative_path() && given.filename().empty()) given = given.parent_path();
  std::vector<fs::path> missing;
  for (fs::path p = given; !p.empty(); p = p.parent_path()) {
    const fs::file_status status = fs::symlink_status(p, ec);
    if (fs::exists(status)) {
      if (p == given && fs::is_symlink(status)) cannot_create(path_, "it is a symbolic link; give the folder it points to");
      if (!fs::is_directory(p, ec)) cannot_create(path_, p.string() + " exists and is not a folder");
      break;
    }
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  try {
    // The folders above the target (the target itself comes from staging).
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (*it == given) break;
      PendingPaths::Node* node = g_folders.track(it->string());  // before mkdir: a signal right after cleans up
      if (::mkdir(it->c_str(), 0777) != 0) {
        const int err = errno;
        PendingPaths::untrack(node);
        if (err == EEXIST) continue;  // another process made it meanwhile: not ours to remove
        errno = err;
        cannot_create(path_, errno_text());
      }
      created_.push_back(it->string());
      nodes_.push_back(node);
    }
    lock_path_ = (parent / ("." + name + kLockSuffix)).string();
    lock();
    // Under the lock no other run changes the target: check what it holds now.
    const fs::file_status status = fs::symlink_status(target, ec);
    if (fs::is_directory(status)) check_replaceable(path_, target, kind);
    // Staging folders of earlier runs that were killed (SIGKILL, power loss): under the lock
    // none can belong to a live run.
    const std::string stale_prefix = "." + name + kStagingSuffix;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
      if (entry.path().filename().string().rfind(stale_prefix, 0) == 0) remove_tree(entry.path().c_str());
    }
    staging_ = (parent / (stale_prefix + std::to_string(::getpid()))).string();
    nodes_.push_back(g_trees.track(staging_));
    if (::mkdir(staging_.c_str(), 0777) != 0) cannot_create(path_, "cannot create a folder beside it: " + errno_text());
  } catch (...) {
    abandon();
    throw;
  }
}

void OutputFolder::lock() {
  for (;;) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) cannot_create(path_, "cannot create a file beside it: " + errno_text());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        throw Error(path_ + ": another bertscope run is writing this output folder (it holds the lock " + lock_path_ +
                    "); wait for it to end or choose another --out");
      }
      errno = err;
      cannot_create(path_, "cannot lock " + lock_path_ + ": " + errno_text());
    }
    // The run before us may have removed the lock file between our open() and flock():
    // then we hold a lock on a file nobody else can find, and must take the one at the path.
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      lock_fd_ = fd;
      nodes_.push_back(g_locks.track(lock_path_));
      return;
    }
    ::close(fd);
  }
}

OutputFolder::~OutputFolder() {
  if (!committed_) abandon();
}

void OutputFolder::check_space(std::uint64_t bytes, const std::string& what) const {
  check_disk_space(staging_, path_, bytes, what);
}

std::string OutputFolder::published(const std::string& staged) const {
  const fs::path relative = fs::path(staged).lexically_relative(staging_);
  return (fs::path(path_) / relative).string();
}

void OutputFolder::commit() {
  if (committed_) return;
  const fs::path target(target_);
  std::error_code ec;
  const bool replacing = fs::exists(fs::symlink_status(target, ec));
  if (!replacing) {
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) != 0 &&
        !((errno == EINVAL || errno == ENOSYS) && ::rename(staging_.c_str(), target_.c_str()) == 0)) {
      throw Error(path_ + ": cannot move the finished run into place: " + errno_text());
    }
  } else if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) throw Error(path_ + ": cannot swap the finished run into place: " + errno_text());
    // A file system without RENAME_EXCHANGE: two renames. Between them the target is
    // briefly absent, never mixed; the earlier contents go to a folder tracked like staging.
    const std::string old = staging_ + "-old";
    PendingPaths::Node* node = g_trees.track(old);
    nodes_.push_back(node);
    if (::rename(target_.c_str(), old.c_str()) != 0) throw Error(path_ + ": cannot move the earlier run aside: " + errno_text());
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
      const std::string why = errno_text();
      ::rename(old.c_str(), target_.c_str());
      throw Error(path_ + ": cannot move the finished run into place: " + why);
    }
    remove_tree(old.c_str());
  }
  committed_ = true;
  // The new run is in place: staging holds the earlier contents (or nothing), which go now.
  remove_tree(staging_.c_str());
  for (PendingPaths::Node* node : nodes_) PendingPaths::untrack(node);
  nodes_.clear();
  const int dfd = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // make the rename durable; best effort
    ::fsync(dfd);
    ::close(dfd);
  }
  ::unlink(lock_path_.c_str());  // while holding it: a run waiting on this file retries (see lock())
  ::close(lock_fd_);
  lock_fd_ = -1;
}

void OutputFolder::abandon() noexcept {
  if (!staging_.empty()) remove_tree(staging_.c_str());
  if (lock_fd_ >= 0) {
    ::unlink(lock_path_.c_str());
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());  // last: the others lie in them
  for (PendingPaths::Node* node : nodes_) PendingPaths::untrack(node);
  nodes_.clear();
  created_.clear();
}

}  // namespace bertscope
