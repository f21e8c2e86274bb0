#include "reports/output_folder.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace bertscope {

namespace fs = std::filesystem;

namespace {

// Folders created by runs in progress, for remove_pending_folders() in a signal handler: a
// fixed table claimed with compare-exchange (state 0 free, 1 being filled, 2 removable), as
// atomic_file.cpp keeps its temporaries.
constexpr int kSlots = 16;
constexpr size_t kMaxPath = 4096;
struct PendingFolder {
  std::atomic<int> state{0};
  char path[kMaxPath];
};
PendingFolder g_folders[kSlots];

int track(const std::string& path) {
  if (path.size() >= kMaxPath) return -1;  // untracked: only a Ctrl-C could leave it behind
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_folders[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_folders[i].path, path.c_str(), path.size() + 1);
      g_folders[i].state.store(2, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void untrack(int slot) {
  if (slot >= 0) g_folders[slot].state.store(0, std::memory_order_release);
}

[[noreturn]] void cannot_create(const std::string& path, const std::string& why) {
  throw Error(path + ": cannot create the output folder (" + why + ")");
}

}  // namespace

void remove_pending_folders() {
  // Innermost first: slots are claimed in creation order, outermost first.
  for (int i = kSlots - 1; i >= 0; --i)
    if (g_folders[i].state.load(std::memory_order_acquire) == 2) ::rmdir(g_folders[i].path);
}

OutputFolder::OutputFolder(std::string path) : path_(std::move(path)) {
  if (path_.empty()) cannot_create(path_, "empty path");
  fs::path target = fs::path(path_).lexically_normal();
  if (target.has_relative_path() && target.filename().empty()) target = target.parent_path();  // "out/"
  // The missing folders, from the first existing ancestor down.
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = target; !p.empty(); p = p.parent_path()) {
    if (fs::exists(fs::symlink_status(p, ec))) {
      if (!fs::is_directory(p, ec)) cannot_create(path_, p.string() + " exists and is not a folder");
      break;
    }
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  try {
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      const int slot = track(it->string());  // before mkdir, so a Ctrl-C right after it cleans up
      const bool made = fs::create_directory(*it, ec);
      if (ec) {
        untrack(slot);
        cannot_create(path_, ec.message());
      }
      if (!made) {  // another process made it meanwhile: not ours to remove
        untrack(slot);
        continue;
      }
      created_.push_back(it->string());
      slots_.push_back(slot);
    }
    // Creating a file is the only reliable test: root passes every permission check, but
    // not a read-only mount or a folder of /proc.
    const std::string probe = (target / (".bertscope-write-test-" + std::to_string(::getpid()))).string();
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) cannot_create(path_, std::string("cannot create a file in it: ") + std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
  } catch (...) {
    remove_created();
    throw;
  }
}

OutputFolder::~OutputFolder() {
  if (!committed_) remove_created();
}

void OutputFolder::commit() {
  committed_ = true;
  for (int slot : slots_) untrack(slot);
  slots_.clear();
}

void OutputFolder::remove_created() noexcept {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());
  for (int slot : slots_) untrack(slot);
  created_.clear();
  slots_.clear();
}

}  // namespace bertscope
