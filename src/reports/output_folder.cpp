#include "reports/output_folder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/pending_paths.h"

namespace bertscope {

namespace fs = std::filesystem;

namespace {

// Folders created by runs in progress, for remove_pending_folders() in a signal handler.
PendingPaths<16> g_folders;

[[noreturn]] void cannot_create(const std::string& path, const std::string& why) {
  throw Error(path + ": cannot create the output folder (" + why + ")");
}

}  // namespace

void remove_pending_folders() {
  g_folders.remove_all([](const char* path) { ::rmdir(path); });
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
      const int slot = g_folders.track(it->string());  // before mkdir, so a Ctrl-C right after it cleans up
      const bool made = fs::create_directory(*it, ec);
      if (ec) {
        g_folders.untrack(slot);
        cannot_create(path_, ec.message());
      }
      if (!made) {  // another process made it meanwhile: not ours to remove
        g_folders.untrack(slot);
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
  for (int slot : slots_) g_folders.untrack(slot);
  slots_.clear();
}

void OutputFolder::remove_created() noexcept {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());
  for (int slot : slots_) g_folders.untrack(slot);
  created_.clear();
  slots_.clear();
}

}  // namespace bertscope
