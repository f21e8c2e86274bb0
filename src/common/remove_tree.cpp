#include "common/remove_tree.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace bertscope {

namespace {

// The kernel's record for getdents64 (glibc's readdir allocates, which a handler may not).
struct LinuxDirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

bool is_dot_or_dot_dot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

// Empties the folder open as `fd`. Entries removed while reading may make getdents skip
// others, so it reads again from the start until a pass removes nothing.
void empty_folder(int fd) noexcept;

void remove_at(int dirfd, const char* name) noexcept {
  if (::unlinkat(dirfd, name, 0) == 0) return;  // a file, a link, a FIFO...
  const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  empty_folder(fd);
  ::close(fd);
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

void empty_folder(int fd) noexcept {
  for (bool removed_any = true; removed_any;) {
    removed_any = false;
    if (::lseek(fd, 0, SEEK_SET) != 0) return;
    alignas(8) char buffer[2048];
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
      if (n <= 0) break;
      for (long offset = 0; offset < n;) {
        const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer + offset);
        offset += entry->d_reclen;
        if (is_dot_or_dot_dot(entry->d_name)) continue;
        remove_at(fd, entry->d_name);
        // Counted as progress only when it is gone: an entry that cannot be removed must
        // not make the loop spin.
        if (::faccessat(fd, entry->d_name, F_OK, AT_SYMLINK_NOFOLLOW) != 0) removed_any = true;
      }
    }
  }
}

}  // namespace

void remove_tree(const char* path) noexcept { remove_at(AT_FDCWD, path); }

}  // namespace bertscope
