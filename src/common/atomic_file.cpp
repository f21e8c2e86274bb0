#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/pending_paths.h"

namespace bertscope {

namespace {

// Temporaries being written, for remove_pending_files() in a signal handler.
PendingPaths g_pending;

std::atomic<unsigned long> g_counter{0};

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

void remove_pending_files() {
  g_pending.remove_all([](const char* path) { ::unlink(path); });
}

void check_output_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;  // created new
    throw Error(path + ": cannot write: " + errno_text(errno));
  }
  if (S_ISREG(st.st_mode)) return;
  const char* what = S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder"
                     : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                     : S_ISSOCK(st.st_mode) ? "a socket" : "not a regular file";
  throw Error(path + ": is " + std::string(what) +
              "; bertscope writes only regular files it creates or replaces (choose another path)");
}

AtomicFileWriter::AtomicFileWriter(std::string path, Durability durability)
    : path_(std::move(path)), durability_(durability) {
  check_output_file(path_);
  // Same folder as the target, so the final rename() never crosses file systems; pid and
  // a counter keep concurrent writers (threads or processes) off each other's temporaries.
  temp_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter.fetch_add(1));
  slot_ = g_pending.track(temp_);  // before creating it, so a Ctrl-C right after open() still cleans up
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    PendingPaths::untrack(slot_);  // nothing of ours to remove (O_EXCL: an existing file is not ours)
    slot_ = nullptr;
    throw Error(path_ + ": cannot create temporary file '" + temp_ + "': " + errno_text(err));
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) abandon();
}

void AtomicFileWriter::abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  PendingPaths::untrack(slot_);
  slot_ = nullptr;
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (fd_ < 0) throw Error(path_ + ": write after the file was committed or abandoned");
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      abandon();
      throw Error(path_ + ": cannot write temporary file '" + temp_ + "': " + errno_text(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) throw Error(path_ + ": commit after the file was committed or abandoned");
  // fsync before rename: otherwise a crash can leave <path> renamed but empty.
  if (durability_ == Durability::Synced && ::fsync(fd_) != 0) {
    const int err = errno;
    abandon();
    throw Error(path_ + ": cannot flush temporary file '" + temp_ + "': " + errno_text(err));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    abandon();
    throw Error(path_ + ": cannot close temporary file '" + temp_ + "': " + errno_text(err));
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    abandon();
    throw Error(path_ + ": cannot rename '" + temp_ + "' into place: " + errno_text(err));
  }
  committed_ = true;
  PendingPaths::untrack(slot_);
  slot_ = nullptr;
  // Make the rename itself durable; best effort (some file systems refuse fsync on a folder).
  if (durability_ == Durability::Unsynced) return;
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  const int dfd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  AtomicFileWriter out(path);
  out.write(contents);
  out.commit();
}

}  // namespace bertscope
